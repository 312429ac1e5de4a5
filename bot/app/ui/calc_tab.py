"""The 指数计算 tab: staff upload indicator CSVs and expert scores or weights; the report's method computes
the
layer and composite indices, shown as a table and a bar chart and offered as a CSV download."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from bot.app.ui import notify
from bot.app.ui.files import upload_path
from bot.app.ui.render import md_escape, y_range
from tools.export import write_csv

SCORES, WEIGHTS = "专家评分表", "权重表"
LAYER_EQUAL, LAYER_WEIGHTS, LAYER_SCORES = "等权", "层级权重表", "层级专家评分表"

HELP = """按报告的方法计算：**专家评分赋权**（α_j = 指标 j 各专家评分之和 ÷ 全部评分之和）→ **标准化**
（原始值 ÷ 基期全国合计 × 100）→ **分层指数**（各层指标加权平均）→ **综合指数**（各层加权平均）。

文件均为 UTF-8 编码、逗号分隔、第一行为表头的 CSV：

| 文件 | 表头 | 说明 |
|---|---|---|
| 指标数据（必填） | 城市,指标1,指标2,… | 每个城市一行，原始值 ≥ 0 |
| 专家评分表 / 权重表（必填其一） | 专家,指标1,… ／ 指标,权重 | 评分为 1–5 分 |
| 层级对照（可选） | 指标,层级 | 如 基础设施 / 平台 / 应用；不给则只有一层 |
| 层级权重（可选） | 层级,权重 ／ 专家,基础设施,平台,应用 | 不给则各层等权 |
| 基期数据（可选） | 同指标数据 | 各列合计即基期全国合计；不给则用指标数据本身 |

点“填入示例数据”可看示例格式（示例数字为虚构）。"""


class CalcTab:
    """Upload forms, the compute callback and its outputs."""

    def __init__(self, downloads: Path):
        self.downloads = downloads
        self.samples = downloads / "samples"
        self.samples.mkdir(parents=True, exist_ok=True)
        from tools.userdata import SAMPLES

        for f in SAMPLES.glob("*.csv"):  # served from the temp dir, never from the repository
            shutil.copy(f, self.samples / f.name)

    def build(self) -> None:
        with gr.Accordion("方法与文件格式", open=False):
            gr.Markdown(HELP)
        with gr.Row():
            indicators = gr.File(label="指标数据（必填）", elem_id="calc-indicators", height=120)
            weight_file = gr.File(label="专家评分表 或 权重表（必填）", elem_id="calc-weights", height=120)
            layers = gr.File(label="层级对照（可选）", elem_id="calc-layers", height=120)
        with gr.Row():
            weight_kind = gr.Radio(
                [SCORES, WEIGHTS], value=SCORES, label="指标权重文件是", elem_id="calc-weight-kind"
            )
            layer_kind = gr.Radio(
                [LAYER_EQUAL, LAYER_WEIGHTS, LAYER_SCORES],
                value=LAYER_EQUAL,
                label="层级权重",
                elem_id="calc-layer-kind",
            )
        with gr.Row():
            layer_file = gr.File(
                label="层级权重表 / 层级专家评分表（可选）", elem_id="calc-layer-file", height=120
            )
            base = gr.File(label="基期数据（可选）", elem_id="calc-base", height=120)
        with gr.Row():
            run = gr.Button("计算", variant="primary", elem_id="calc-run")
            sample = gr.Button("填入示例数据", elem_id="calc-sample")
        msg = gr.Markdown(elem_id="calc-msg")
        with gr.Row(equal_height=False, visible=False) as results:
            with gr.Column(scale=3):
                result = gr.Dataframe(
                    label="分层指数与综合指数（按综合指数排序）",
                    elem_id="calc-result",
                    interactive=False,
                    wrap=True,
                )
                weights = gr.Dataframe(label="指标权重", elem_id="calc-weights-table", interactive=False)
            with gr.Column(scale=2):
                chart = gr.BarPlot(None, x="城市", y="综合指数", label="综合指数", elem_id="calc-chart")
                download = gr.File(label="下载结果（CSV）", elem_id="calc-csv", interactive=False)

        inputs = [indicators, weight_kind, weight_file, layers, layer_kind, layer_file, base]
        run.click(
            self.compute, inputs, [msg, result, weights, chart, download, results], api_visibility="private"
        )
        sample.click(self.fill_samples, None, inputs, api_visibility="private", concurrency_limit=None)

    def fill_samples(self) -> tuple[Any, ...]:
        s = self.samples
        return (
            str(s / "indicators.csv"),
            SCORES,
            str(s / "expert_scores.csv"),
            str(s / "layers.csv"),
            LAYER_SCORES,
            str(s / "layer_scores.csv"),
            str(s / "base_indicators.csv"),
        )

    def compute(
        self,
        indicators: Any,
        weight_kind: str,
        weight_file: Any,
        layers: Any,
        layer_kind: str,
        layer_file: Any,
        base: Any,
    ) -> tuple[Any, ...]:
        empty = (None, None, gr.BarPlot(value=None), None, gr.Row(visible=False))
        ind, wf, lf = upload_path(indicators), upload_path(weight_file), upload_path(layer_file)
        if not ind:
            return (notify.inline(notify.warn("请先上传指标数据 CSV（城市,指标1,指标2,…）。")), *empty)
        if not wf:
            return (
                notify.inline(notify.warn("请上传专家评分表或权重表，并在“指标权重文件是”中选择对应类型。")),
                *empty,
            )
        if layer_kind != LAYER_EQUAL and not lf:
            return (notify.inline(notify.warn(f"已选择“{layer_kind}”，请上传该文件，或改选“等权”。")), *empty)
        from tools.calc import index_from_files

        try:
            res = index_from_files(
                ind,
                weights=wf if weight_kind == WEIGHTS else None,
                scores=wf if weight_kind != WEIGHTS else None,
                layers=upload_path(layers),
                layer_weights=lf if layer_kind == LAYER_WEIGHTS else None,
                layer_scores=lf if layer_kind == LAYER_SCORES else None,
                base=upload_path(base),
            )
            table = res.table().round(4).reset_index()
        except Exception as exc:  # noqa: BLE001 - page boundary: shown as a sentence, never a traceback
            return (notify.inline(notify.warn(exc)), *empty)
        city_col = table.columns[0]
        table = table.rename(columns={city_col: "城市"})
        weights = pd.DataFrame(
            {
                "指标": [str(i) for i in res.weights.index],
                "权重": res.weights.values.round(4),
                "权重(%)": (res.weights.values * 100).round(2),
            }
        )
        chart_df = table[["城市", "综合指数"]]
        chart = gr.BarPlot(
            value=chart_df,
            x="城市",
            y="综合指数",
            sort=list(chart_df["城市"]),
            y_lim=y_range(chart_df["综合指数"]),
        )
        folder = Path(tempfile.mkdtemp(dir=self.downloads))
        path = folder / "指数计算结果.csv"
        write_csv(table, path)
        lw = "、".join(f"{k} {v:.4f}" for k, v in res.layer_weights.items())
        basis = "基期取上传的基期数据各列合计" if upload_path(base) else "基期取指标数据本身各列合计"
        note = (
            f"已计算 {len(table)} 个城市。层级权重：{lw}。标准化值 = 原始值 ÷ 基期全国合计 × 100（{basis}）。"
        )
        return md_escape(note), table, weights, chart, str(path), gr.Row(visible=True)
