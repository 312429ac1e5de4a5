""" "加入评测集" under the chat: the latest question, with the expected answer a staff member types, appended
to a local question set of their choice (data/datasets/<name>.jsonl), so a 👎 answer becomes a test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from bot.app.ui import notify
from evals.dataset import TYPES, append_item, check_name, local_datasets

DEFAULT_SET = "我的题集"
TYPE_LABELS = {
    "fact": "事实",
    "ranking": "排名",
    "calc": "计算",
    "multi": "多事实",
    "unanswerable": "语料中没有答案",
}
NO_QUESTION = "还没有可以加入评测集的问题：请先提问。"
NO_EXPECTED = "请写下期望答案（回答里必须出现的词）；语料中没有答案的题请把类型选为“语料中没有答案”。"


class EvalCapture:
    """A small, self-contained block for the chat tab: `build(answers)` inside the tab's layout."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def build(self, answers: gr.State) -> None:
        with gr.Accordion("加入评测集", open=False, elem_id="evalcap"):
            with gr.Row(equal_height=True):
                expected = gr.Textbox(
                    label="期望答案",
                    placeholder="回答里必须出现的词，如 南充；多个备选用 | 分隔，须同时出现的用 & 连接",
                    elem_id="evalcap-expected",
                    scale=4,
                )
                kind = gr.Dropdown(
                    [(TYPE_LABELS[t], t) for t in TYPES if t in TYPE_LABELS],
                    value="fact",
                    label="题型",
                    elem_id="evalcap-type",
                    scale=2,
                )
                name = gr.Dropdown(
                    local_datasets(self.data_dir) or [DEFAULT_SET],
                    value=DEFAULT_SET,
                    allow_custom_value=True,
                    label="加入到（我的题集，可输入新名称）",
                    elem_id="evalcap-set",
                    scale=2,
                )
                add = gr.Button("加入评测集", elem_id="evalcap-add", scale=1, min_width=110)
            status = gr.Markdown(elem_id="evalcap-status")
        add.click(
            self.add,
            [answers, expected, kind, name],
            [status, expected, name],
            api_visibility="private",
            concurrency_limit=None,
        )

    def add(self, answers: list[dict], expected: str, kind: str, name: str) -> tuple[str, Any, Any]:
        """Append the latest question with the typed expected answer to the chosen local set."""
        if not answers:
            return notify.inline(notify.warn(NO_QUESTION)), gr.skip(), gr.skip()
        if not (expected or "").strip() and kind != "unanswerable":
            return notify.inline(notify.warn(NO_EXPECTED)), gr.skip(), gr.skip()
        question = answers[-1].get("question", "")
        try:
            item = append_item(self.data_dir, name or DEFAULT_SET, question, expected, kind or "fact")
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return notify.inline(notify.warn(exc)), gr.skip(), gr.skip()
        set_name = check_name(name or DEFAULT_SET)
        sets = local_datasets(self.data_dir)
        return (
            f"已把“{question[:40]}”加入评测集 {set_name}（编号 {item['id']}），可在“评测”页运行。",
            "",
            gr.Dropdown(choices=sets, value=set_name),
        )
