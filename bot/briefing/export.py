"""Writing a checked briefing to a file: Markdown, Word (python-docx, chart embedded, numbered sources at the
end) or PDF (the HTML page printed by headless Chromium, which embeds the CJK font subsets)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from bot.briefing.chart import RenderedChart, render
from bot.briefing.model import Briefing, Progress, Section
from bot.briefing.render import byline, line_ranges, markdown, page_html, source_text, title
from bot.core import prompts
from bot.core.errors import BriefingCheckError, ExportError
from bot.core.settings import BriefingSettings

Format = Literal["md", "docx", "pdf"]
FORMATS: tuple[str, ...] = ("md", "docx", "pdf")

__all__ = ["FORMATS", "Format", "chart_for", "export", "line_ranges", "to_docx", "to_pdf"]


def chart_for(b: Briefing, settings: BriefingSettings) -> RenderedChart | None:
    """The briefing's chart rendered once (None when it has none)."""
    section = next((s for s in b.sections if s.chart is not None), None)
    if section is None or section.chart is None:
        return None
    return render(section.chart, tuple(settings.cjk_fonts), settings.chart_dpi)


def export(
    b: Briefing,
    fmt: str,
    path: Path | str,
    settings: BriefingSettings,
    chart: RenderedChart | None = None,
    progress: Progress | None = None,
    inline_image: bool = False,
) -> Path:
    """Write `b` as md, docx or pdf to `path`; returns the path. Markdown gets the chart as a PNG next to it,
    or with `inline_image` inside it (a data URI: one file to download or forward)."""
    if fmt not in FORMATS:
        raise ExportError(prompts.BRIEF_BAD_FORMAT.format(fmt=fmt, formats="、".join(FORMATS)))
    if not b.checked:
        raise BriefingCheckError(prompts.BRIEF_UNCHECKED)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(0.9, prompts.BRIEF_STEP_CHART)
    chart = chart if chart is not None else chart_for(b, settings)
    if progress:
        progress(0.95, prompts.BRIEF_STEP_EXPORT.format(fmt=fmt.upper()))
    if fmt == "md":
        image = "none"
        if chart is not None and inline_image:
            image = "inline"
        elif chart is not None:
            image = path.with_suffix(".png").name
            path.with_suffix(".png").write_bytes(chart.png)
        path.write_text(markdown(b, chart, image), encoding="utf-8")
    elif fmt == "docx":
        path.write_bytes(to_docx(b, chart, settings))
    else:
        path.write_bytes(to_pdf(b, chart, settings))
    return path


# ---------------------------------------------------------------- Word


def _east_asian(run_or_style: object, font: str) -> None:
    """Name the East Asian font on a run or style (python-docx sets only the Latin one)."""
    from docx.oxml.ns import qn

    element = run_or_style.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def _refs_run(paragraph: object, refs: list[int]) -> None:
    if refs:
        run = paragraph.add_run("".join(f"[{i}]" for i in refs))  # type: ignore[attr-defined]
        run.font.superscript = True


def _docx_section(doc: object, s: Section, chart: RenderedChart | None) -> None:
    from docx.shared import Cm, Pt, RGBColor

    d = doc  # python-docx Document (untyped)
    d.add_heading(s.heading, level=2)  # type: ignore[attr-defined]
    if s.style == "paragraph" and s.units:
        p = d.add_paragraph()  # type: ignore[attr-defined]
        for u in s.units:
            p.add_run(u.text)
            _refs_run(p, u.refs)
    elif s.style == "quotes":
        for u in s.units:
            p = d.add_paragraph(style="Quote")  # type: ignore[attr-defined]
            p.add_run(f"“{u.text}{'……' if u.cut else ''}”")
            _refs_run(p, u.refs)
    else:
        for u in s.units:
            p = d.add_paragraph(style="List Bullet")  # type: ignore[attr-defined]
            p.add_run(u.text)
            _refs_run(p, u.refs)
    if s.table is not None:
        t = s.table
        if t.caption is not None:
            p = d.add_paragraph()  # type: ignore[attr-defined]
            run = p.add_run(t.caption.text)
            run.font.size = Pt(9)
            _refs_run(p, t.caption.refs)
        head = t.header.cells + [prompts.BRIEF_COL_SOURCE]
        table = d.add_table(rows=1, cols=len(head))  # type: ignore[attr-defined]
        table.style = "Light Grid Accent 1"
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.text = text
        for r in t.rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, r.cells + ["".join(f"[{i}]" for i in r.refs)], strict=True):
                cell.text = text
                if r.strong:
                    for run in cell.paragraphs[0].runs:
                        run.font.bold = True
                        run.font.color.rgb = RGBColor(0xB0, 0x1E, 0x35)
        for row in table.rows:
            for cell in row.cells:
                for par in cell.paragraphs:
                    for run in par.runs:
                        run.font.size = Pt(8.5)
    if s.chart is not None and chart is not None:
        d.add_picture(io.BytesIO(chart.png), width=Cm(15.5))  # type: ignore[attr-defined]
        p = d.add_paragraph(style="Caption")  # type: ignore[attr-defined]
        p.add_run(prompts.BRIEF_FIGURE.format(caption=s.chart.caption.text))
        _refs_run(p, s.chart.caption.refs)
        if chart.legend:
            legend = d.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
            legend.style = "Light List Accent 1"
            legend.rows[0].cells[0].text = prompts.BRIEF_LEGEND_KEY
            legend.rows[0].cells[1].text = prompts.BRIEF_LEGEND_NAME
            for k, v in chart.legend:
                row = legend.add_row().cells
                row[0].text, row[1].text = k, v


def to_docx(b: Briefing, chart: RenderedChart | None, settings: BriefingSettings) -> bytes:
    """A Word document: headings, paragraphs, tables, the chart as a picture, numbered sources at the end."""
    try:
        import docx
        from docx.shared import Cm, Pt
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ExportError(prompts.BRIEF_NEEDS_DOCX) from exc
    doc = docx.Document()
    for sec in doc.sections:
        sec.left_margin = sec.right_margin = Cm(2)
        sec.top_margin = sec.bottom_margin = Cm(1.8)
    for name in ("Normal", "Title", "Heading 2", "Quote", "Caption", "List Bullet", "List Number"):
        _east_asian(doc.styles[name], settings.docx_font)
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.core_properties.title = title(b)
    doc.core_properties.subject = b.subject
    doc.add_heading(title(b), level=0)
    p = doc.add_paragraph()
    run = p.add_run(byline(b))
    run.font.size = Pt(8)
    run.italic = True
    if b.note:
        doc.add_paragraph(b.note, style="Quote")
    for s in b.sections:
        _docx_section(doc, s, chart)
    doc.add_heading(prompts.BRIEF_SOURCES, level=2)
    for src in b.sources:
        item = doc.add_paragraph(style="List Number")
        r = item.add_run(source_text(src))
        r.font.size = Pt(8)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF


def to_pdf(b: Briefing, chart: RenderedChart | None, settings: BriefingSettings) -> bytes:
    """The HTML page printed to A4 by headless Chromium (a throwaway profile; the page has no scripts and
    loads nothing)."""
    exe = Path(settings.chromium_path)
    if not exe.exists():
        found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not found:
            raise ExportError(prompts.BRIEF_NEEDS_CHROMIUM.format(path=exe))
        exe = Path(found)
    font = chart.font if chart is not None and chart.font else None
    if font is None:
        from bot.briefing.chart import find_cjk_font

        font = find_cjk_font(tuple(settings.cjk_fonts))
    with tempfile.TemporaryDirectory(prefix="brief-pdf-") as tmp:
        page = Path(tmp) / "briefing.html"
        out = Path(tmp) / "briefing.pdf"
        page.write_text(page_html(b, chart, font), encoding="utf-8")
        args = [
            str(exe),
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            proc = subprocess.run(args, capture_output=True, timeout=settings.pdf_timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(prompts.BRIEF_PDF_TIMEOUT.format(seconds=settings.pdf_timeout_s)) from exc
        if not out.exists() or out.stat().st_size == 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [
                str(proc.returncode)
            ]
            raise ExportError(prompts.BRIEF_PDF_FAILED.format(detail=detail[0][:200]))
        return out.read_bytes()
