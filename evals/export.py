"""An eval report as files to download: JSON (everything), CSV (one row per item) and a one-page HTML."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

from bot.core import prompts

CSV_HEADER = (
    "id",
    "type",
    "question",
    "expected",
    "answer",
    "answerable",
    "correct",
    "retrieval_rank",
    "citations",
    "latency_ms",
    "llm_judge",
    "offline_correct",
)


def citations_text(row: dict, limit: int = 3) -> str:
    """The item's citations as one line: 《title》section; …"""
    cites = (row.get("answer") or {}).get("citations") or []
    parts = []
    for c in cites[:limit]:
        section = f" {c.get('section')}" if c.get("section") else ""
        parts.append(f"《{c.get('title', '')}》{section}".strip())
    more = f" 等 {len(cites)} 处" if len(cites) > limit else ""
    return "；".join(parts) + more


def answer_text(row: dict) -> str:
    ans = row.get("answer") or {}
    return str(ans.get("answer", "")) if isinstance(ans, dict) else str(ans)


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=1)


def to_csv(report: dict) -> str:
    """One row per item (UTF-8 with BOM when written, so that spreadsheet programs read the Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in report.get("items", []):
        ans = r.get("answer") or {}
        judge = (r.get("judge") or {}).get("correct")
        w.writerow(
            [
                r["id"],
                r["type"],
                r["question"],
                r.get("expected", ""),
                answer_text(r),
                ans.get("answerable", "") if isinstance(ans, dict) else "",
                r.get("correct", ""),
                "" if r.get("retrieval_rank") is None else r["retrieval_rank"],
                citations_text(r),
                r.get("latency_ms", ""),
                "" if judge is None else judge,
                (r.get("offline") or {}).get("correct", ""),
            ]
        )
    return buf.getvalue()


def _pct(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}"


_STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px;
       color: #1e293b; font-size: 14px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 20px 0 8px; }
.meta { color: #64748b; margin-bottom: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 12px; min-width: 110px; }
.card b { display: block; font-size: 18px; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #e2e8f0; padding: 4px 6px;
  text-align: left; vertical-align: top; } th { background: #f1f5f9; }
.bad { color: #b91c1c; } .ok { color: #15803d; }
"""


def to_html(report: dict, title: str = "评测报告") -> str:
    """A self-contained one-page HTML summary: figures, per-type accuracy, and every item (failures first)."""
    agg = report["aggregate"]
    esc = html.escape
    cards = [
        ("answer_accuracy", agg.get("answer_accuracy")),
        ("retrieval_hit@1", agg.get("retrieval_hit@1")),
        ("retrieval_hit@3", agg.get("retrieval_hit@3")),
        ("retrieval_hit@5", agg.get("retrieval_hit@5")),
        ("mrr", agg.get("mrr")),
        ("false_refusal_rate", agg.get("false_refusal_rate")),
    ]
    card_html = "".join(
        f'<div class="card">{esc(prompts.METRIC_LABELS[k])}<b>{_pct(v)}</b></div>' for k, v in cards
    )
    lat = agg.get("latency_ms", {})
    card_html += (
        f'<div class="card">延迟 p50 / p95<b>{lat.get("p50", 0):.0f} / {lat.get("p95", 0):.0f} ms</b></div>'
    )
    if agg.get("llm_judge"):
        j = agg["llm_judge"]
        card_html += (
            f'<div class="card">大模型评审（参考）<b>{_pct(j["accuracy"])}</b>'
            f"一致率 {_pct(j['agreement'])}</div>"
        )
    types = "".join(
        f"<tr><td>{esc(t)}</td><td>{s['n']}</td><td>{_pct(s.get('answer_accuracy'))}</td>"
        f"<td>{_pct(s.get('retrieval_hit@1'))}</td><td>{_pct(s.get('retrieval_hit@5'))}</td></tr>"
        for t, s in agg.get("by_type", {}).items()
    )
    rows = sorted(report.get("items", []), key=lambda r: (r.get("correct", True) is not False, r["id"]))
    items = "".join(
        f"<tr><td>{esc(r['id'])}</td><td>{esc(r['type'])}</td><td>{esc(r['question'])}</td>"
        f"<td>{esc(str(r.get('expected', '')))}</td><td>{esc(answer_text(r))}</td>"
        f"<td class=\"{'ok' if r.get('correct') else 'bad'}\">{'✓' if r.get('correct') else '✗'}</td>"
        f"<td>{esc(citations_text(r))}</td></tr>"
        for r in rows
    )
    meta = run_meta(report)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{_STYLE}</style></head>
<body><h1>{esc(title)}</h1><div class="meta">{meta}</div>
<div class="cards">{card_html}</div>
<h2>按题型</h2><table><tr><th>类型</th><th>题数</th><th>答案准确率</th><th>hit@1</th><th>hit@5</th></tr>{types}</table>
<h2>逐题（答错的在前）</h2>
<table><tr><th>编号</th><th>类型</th><th>问题</th><th>期望答案</th><th>回答</th><th>正确</th><th>出处</th></tr>{items}</table>
</body></html>
"""


def run_meta(report: dict) -> str:
    """One escaped line that says what a run was: the set (size, hash), when, which code, which engine, how
    long, its number in the history."""
    esc = html.escape
    ds, settings = report.get("dataset", {}), report.get("settings", {})
    return (
        f"评测集 {esc(str(ds.get('name', '')))}（{ds.get('n', len(report.get('items', [])))} 题，"
        f"哈希 {esc(str(ds.get('hash', '')))}）"
        f" · 时间 {esc(str(report.get('started', '')))} · 代码版本 {esc(str(report.get('code_version', '')))}"
        f" · 模式 {esc(str(settings.get('mode', '')))}"
        + (f"（{esc(str(settings.get('model')))}）" if settings.get("model") else "")
        + f" · 用时 {float(report.get('duration_s', 0) or 0):.1f} 秒"
        + (f" · 运行编号 #{report['run_id']}" if report.get("run_id") else "")
    )
