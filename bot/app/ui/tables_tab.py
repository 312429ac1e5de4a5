"""The 数据表 tab: the report's parsed ranking tables with their source lines; filter, sort, download as
CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from bot.app.ui import notify
from bot.app.ui.render import md_escape
from bot.core.settings import Settings
from tools.export import write_csv

ASCENDING, DESCENDING = "升序", "降序"
PROVENANCE = ("文件", "来源表", "原表标签")  # shown last: the figures and their 行号 come first


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the tab shows it: a text column that repeats a numeric one ("同比增速" = "145.2%" next
    to "同比增速(%)" = 145.2) is left out, and the provenance columns follow the line numbers."""
    cols = [c for c in frame.columns if f"{c}(%)" not in frame.columns]
    lines = [c for c in cols if str(c).endswith("行号")]
    tail = [c for c in PROVENANCE if c in cols]
    head = [c for c in cols if c not in lines and c not in tail]
    return frame[head + lines + tail]


def _labels() -> dict[str, str]:
    from tools.tables import COLUMN_LABELS

    return COLUMN_LABELS


def filter_sort(
    frame: pd.DataFrame, text: str = "", sort_by: str | None = None, order: str = ASCENDING
) -> pd.DataFrame:
    """Rows where any cell contains every space-separated word of `text` (case-insensitive), sorted by a
    column."""
    out = frame
    words = [w.lower() for w in (text or "").split()]
    if words:
        joined = out.astype(str).agg(" ".join, axis=1).str.lower()
        mask = pd.Series(True, index=out.index)
        for w in words:
            mask &= joined.str.contains(w, regex=False)
        out = out[mask]
    if sort_by and sort_by in out.columns:
        out = out.sort_values(sort_by, ascending=(order != DESCENDING), kind="stable", na_position="last")
    return out.reset_index(drop=True)


class TablesTab:
    """Browses tools.tables.load_tables(): one table at a time, with its file/line provenance columns."""

    def __init__(self, settings: Settings, downloads: Path):
        self.corpus_dir = settings.paths.corpus_dir
        self.downloads = downloads

    def _tables(self) -> dict[str, pd.DataFrame]:
        from tools.tables import load_tables

        return {
            name: display_frame(df.rename(columns=_labels()))
            for name, df in load_tables(self.corpus_dir).items()
        }

    def _catalog(self) -> list[dict]:
        from tools.tables import table_catalog

        return table_catalog(self.corpus_dir)

    def build(self) -> None:
        try:
            catalog = self._catalog()
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            gr.Markdown(notify.inline(notify.message_for(exc)))
            return
        gr.Markdown(
            f"报告中的排名表由正文的制表符文本解析而来，每行都带有来源文件与行号（{catalog[0]['file']}）。"
            "可按关键词筛选（空格分隔多个词，需同时包含）、按列排序，并下载当前视图为 CSV。"
        )
        choices = [(f"{c['title']}（{c['rows']} 行）", c["name"]) for c in catalog]
        first = catalog[0]["name"]
        columns = list(self._tables()[first].columns)
        with gr.Row(equal_height=True):
            table = gr.Dropdown(choices, value=first, label="表", elem_id="table-pick", scale=3)
            text = gr.Textbox(
                label="筛选",
                placeholder="例如：成渝 或 长三角 杭州（回车筛选）",
                elem_id="table-filter",
                scale=2,
            )
            sort_by = gr.Dropdown(columns, value=None, label="排序列", elem_id="table-sort", scale=1)
            order = gr.Radio(
                [ASCENDING, DESCENDING], value=ASCENDING, label="顺序", elem_id="table-order", scale=1
            )
        info = gr.Markdown(elem_id="table-info")
        frame = gr.Dataframe(label="表格", elem_id="table-view", interactive=False, wrap=True, max_height=560)
        download = gr.File(
            label="下载当前视图（CSV，UTF-8，可用 Excel 打开）", elem_id="table-csv", interactive=False
        )

        inputs = [table, text, sort_by, order]
        outputs = [info, frame, download]
        table.change(self.pick, [table], [sort_by], api_visibility="private", concurrency_limit=None).then(
            self.view, inputs, outputs, api_visibility="private", concurrency_limit=None
        )
        for trigger in (text.submit, text.blur, sort_by.change, order.change):
            trigger(self.view, inputs, outputs, api_visibility="private", concurrency_limit=None)
        self._initial = (inputs, outputs)  # the first view is computed when the page loads

    def attach_load(self, app: gr.Blocks) -> None:
        if not hasattr(self, "_initial"):
            return
        inputs, outputs = self._initial
        app.load(self.view, inputs, outputs, api_visibility="private", concurrency_limit=None)

    def pick(self, name: str) -> Any:
        try:
            cols = list(self._tables()[name].columns)
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            notify.warn(exc)
            return gr.skip()
        return gr.Dropdown(choices=cols, value=None)

    def view(self, name: str, text: str, sort_by: str | None, order: str) -> tuple[str, Any, Any]:
        try:
            tables = self._tables()
            if name not in tables:
                return notify.inline(f"没有名为“{name}”的表，请从列表中选择。"), gr.skip(), gr.skip()
            full = tables[name]
            shown = filter_sort(full, text, sort_by, order)
            title = next((c["title"] for c in self._catalog() if c["name"] == name), name)
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return notify.inline(notify.warn(exc)), gr.skip(), gr.skip()
        lines = pd.to_numeric(shown.get("行号", pd.Series(dtype=float)), errors="coerce").dropna()
        src = f"，来源行 {int(lines.min())}–{int(lines.max())}" if not lines.empty else ""
        filt = f"（筛选“{md_escape(text.strip())}”）" if (text or "").strip() else ""  # user text, literally
        info = f"**{md_escape(title)}**：显示 {len(shown)} / {len(full)} 行{filt}{src}。"
        folder = Path(tempfile.mkdtemp(dir=self.downloads))
        path = folder / f"{name}{'_筛选' if filt else ''}.csv"
        write_csv(shown, path)
        return info, shown, str(path)
