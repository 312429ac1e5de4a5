"""A checked briefing as Markdown and as a printable HTML page (the PDF is that page printed by Chromium)."""

from __future__ import annotations

import base64
import html
from typing import Literal

from bot.briefing.chart import RenderedChart
from bot.briefing.model import Briefing, Section, Source, Unit
from bot.core import prompts

ImageMode = Literal["inline", "none"] | str  # or a file name written next to the Markdown


def line_ranges(lines: list[int]) -> str:
    """[556, 557, 558, 575] -> "556–558、575"."""
    out: list[str] = []
    start = prev = None
    for x in sorted(set(lines)):
        if start is None:
            start = prev = x
        elif prev is not None and x == prev + 1:
            prev = x
        else:
            out.append(f"{start}–{prev}" if start != prev else str(start))
            start = prev = x
    if start is not None:
        out.append(f"{start}–{prev}" if start != prev else str(start))
    return "、".join(out)


def source_text(s: Source) -> str:
    if s.kind == "table":
        return prompts.BRIEF_SOURCE_TABLE.format(title=s.title, section=s.section, lines=line_ranges(s.lines))
    where = prompts.BRIEF_SOURCE_LINE.format(line=s.line) if s.line else ""
    section = f" {s.section}" if s.section else ""
    return prompts.BRIEF_SOURCE_PASSAGE.format(title=s.title, section=section, where=where)


def byline(b: Briefing) -> str:
    mode = prompts.BRIEF_MODE_LLM if b.mode == "llm" else prompts.BRIEF_MODE_OFFLINE
    return prompts.BRIEF_BYLINE.format(kind=prompts.BRIEF_KINDS[b.kind], generated=b.generated, mode=mode)


def title(b: Briefing) -> str:
    return prompts.BRIEF_TITLE.format(subject=b.subject)


def _quote_text(u: Unit) -> str:
    return f"“{u.text}{'……' if u.cut else ''}”"


# ---------------------------------------------------------------- Markdown


def _refs_md(refs: list[int]) -> str:
    return "".join(f"[{i}]" for i in refs)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section_md(s: Section, chart: RenderedChart | None, image: ImageMode) -> list[str]:
    out = [f"## {s.heading}", ""]
    if s.style == "paragraph" and s.units:
        out += ["".join(u.text + _refs_md(u.refs) for u in s.units), ""]
    elif s.style == "quotes":
        for u in s.units:
            out += [f"> {_quote_text(u)} {_refs_md(u.refs)}", ">"]
        out[-1] = ""
    else:
        out += [f"- {u.text} {_refs_md(u.refs)}" for u in s.units] + ([""] if s.units else [])
    if s.table is not None:
        t = s.table
        if t.caption is not None:
            out += [f"{t.caption.text} {_refs_md(t.caption.refs)}", ""]
        head = t.header.cells + [prompts.BRIEF_COL_SOURCE]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in t.rows:
            cells = [f"**{_cell(c)}**" if r.strong else _cell(c) for c in r.cells] + [_refs_md(r.refs)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if s.chart is not None and chart is not None:
        caption = s.chart.caption
        if image == "inline":
            data = base64.b64encode(chart.png).decode()
            out += [f"![{caption.text}](data:image/png;base64,{data})", ""]
        elif image != "none":
            out += [f"![{caption.text}]({image})", ""]
        out += [f"*{prompts.BRIEF_FIGURE.format(caption=caption.text)}* {_refs_md(caption.refs)}", ""]
        if chart.legend:
            out += [f"| {prompts.BRIEF_LEGEND_KEY} | {prompts.BRIEF_LEGEND_NAME} |", "|---|---|"]
            out += [f"| {k} | {_cell(v)} |" for k, v in chart.legend] + [""]
    return out


def markdown(b: Briefing, chart: RenderedChart | None = None, image: ImageMode = "none") -> str:
    """The briefing as Markdown; the chart inline (data URI), as a file name next to it, or left out."""
    out = [f"# {title(b)}", "", f"*{byline(b)}*", ""]
    if b.note:
        out += [f"> {b.note}", ""]
    for s in b.sections:
        out += _section_md(s, chart, image)
    out += [f"## {prompts.BRIEF_SOURCES}", ""]
    out += [f"{i}. {source_text(s)}" for i, s in enumerate(b.sources, 1)]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- HTML (printed to PDF)

_CSS = """
@page { size: A4; margin: 14mm 15mm 14mm 15mm; }
* { box-sizing: border-box; }
body { font-family: %(font)s; font-size: 9.5pt; line-height: 1.5; color: #1f2933; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2pt 0; color: #12355b; }
.byline { color: #5f6b7a; font-size: 8pt; margin-bottom: 8pt; border-bottom: 1.5pt solid #12355b;
  padding-bottom: 5pt; }
.note { background: #fff4e5; padding: 4pt 6pt; font-size: 9pt; }
h2 { font-size: 11.5pt; color: #12355b; margin: 8pt 0 3pt 0; border-left: 3pt solid #d1495b;
  padding-left: 5pt; break-after: avoid; }
p { margin: 3pt 0; text-align: justify; }
ul { margin: 3pt 0; padding-left: 16pt; }
li { margin: 1pt 0; }
blockquote { margin: 4pt 0; padding: 2pt 8pt; border-left: 2pt solid #b8c4d1; color: #334155; }
sup { color: #12355b; font-size: 6.5pt; }
table { border-collapse: collapse; width: 100%%; font-size: 8pt; margin: 3pt 0 5pt 0; break-inside: auto; }
th { background: #e8eef5; color: #12355b; font-weight: 600; }
th, td { border: 0.5pt solid #c5d0dc; padding: 1pt 3pt; text-align: center; white-space: nowrap; }
th { font-size: 7.5pt; }
tr { break-inside: avoid; }
tr.strong td { font-weight: 700; background: #fdecef; }
td.src { color: #5f6b7a; font-size: 7pt; }
.caption { color: #475569; font-size: 8.5pt; margin: 2pt 0; }
figure { margin: 4pt 0; text-align: center; break-inside: avoid; }
figure img { max-width: 100%%; max-height: 120mm; }
.pair { display: flex; gap: 8pt; align-items: flex-start; }
.pair > section { flex: 1 1 0; min-width: 0; }
.pair > section#chart { flex: 0 0 40%%; }
ol.sources { font-size: 7pt; color: #475569; padding-left: 18pt; margin: 2pt 0;
  columns: 2; column-gap: 14pt; }
ol.sources li { break-inside: avoid; }
table.legend { width: auto; font-size: 7.5pt; }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _refs_html(refs: list[int]) -> str:
    return f"<sup>{''.join(f'[{i}]' for i in refs)}</sup>" if refs else ""


def _section_html(s: Section, chart: RenderedChart | None) -> str:
    out = [f'<section id="{_e(s.key)}"><h2>{_e(s.heading)}</h2>']
    if s.style == "paragraph" and s.units:
        out.append("<p>" + "".join(_e(u.text) + _refs_html(u.refs) for u in s.units) + "</p>")
    elif s.style == "quotes":
        out += [f"<blockquote>{_e(_quote_text(u))}{_refs_html(u.refs)}</blockquote>" for u in s.units]
    elif s.units:
        out.append("<ul>" + "".join(f"<li>{_e(u.text)}{_refs_html(u.refs)}</li>" for u in s.units) + "</ul>")
    if s.table is not None:
        t = s.table
        if t.caption is not None:
            out.append(f'<p class="caption">{_e(t.caption.text)}{_refs_html(t.caption.refs)}</p>')
        head = (
            "".join(f"<th>{_e(c)}</th>" for c in t.header.cells) + f"<th>{_e(prompts.BRIEF_COL_SOURCE)}</th>"
        )
        body = "".join(
            f'<tr class="{"strong" if r.strong else ""}">'
            + "".join(f"<td>{_e(c)}</td>" for c in r.cells)
            + f'<td class="src">{"".join(f"[{i}]" for i in r.refs)}</td></tr>'
            for r in t.rows
        )
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if s.chart is not None and chart is not None:
        data = base64.b64encode(chart.png).decode()
        cap = s.chart.caption
        out.append(
            f'<figure><img alt="{_e(cap.text)}" src="data:image/png;base64,{data}">'
            f'<figcaption class="caption">{_e(prompts.BRIEF_FIGURE.format(caption=cap.text))}'
            f"{_refs_html(cap.refs)}</figcaption></figure>"
        )
        if chart.legend:
            rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in chart.legend)
            out.append(
                f'<table class="legend"><thead><tr><th>{_e(prompts.BRIEF_LEGEND_KEY)}</th>'
                f"<th>{_e(prompts.BRIEF_LEGEND_NAME)}</th></tr></thead><tbody>{rows}</tbody></table>"
            )
    out.append("</section>")
    return "\n".join(out)


def page_html(b: Briefing, chart: RenderedChart | None, font_family: str | None = None) -> str:
    """A self-contained A4 page (chart as a data URI, no scripts, no external resources)."""
    fonts = ", ".join(f'"{f}"' for f in [font_family] if f) + (", " if font_family else "") + "sans-serif"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(title(b))}</title>",
        f"<style>{_CSS % {'font': fonts}}</style></head><body>",
        f"<h1>{_e(title(b))}</h1>",
        f'<div class="byline">{_e(byline(b))}</div>',
    ]
    if b.note:
        parts.append(f'<div class="note">{_e(b.note)}</div>')
    keys = [s.key for s in b.sections]
    for s in b.sections:
        if s.key == "chart" and "key_data" in keys:
            continue  # printed next to the key-data table
        html_s = _section_html(s, chart)
        if s.key == "key_data" and "chart" in keys:
            html_s = (
                f'<div class="pair">{html_s}{_section_html(b.sections[keys.index("chart")], chart)}</div>'
            )
        parts.append(html_s)
    items = "".join(f"<li>{_e(source_text(s))}</li>" for s in b.sources)
    parts.append(
        f'<section id="sources"><h2>{_e(prompts.BRIEF_SOURCES)}</h2><ol class="sources">{items}</ol>'
    )
    parts.append("</section></body></html>")
    return "\n".join(parts)
