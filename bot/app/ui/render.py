"""Answer objects turned into what the page shows: chat Markdown, the sources panel, passages in context,
charts."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd

from bot.core import prompts
from bot.core.schema import Answer, Chunk, Citation, ToolCall

MAX_TOOL_ROWS = 30
NEIGHBOUR_CHARS = 300  # context shown from the chunks before and after the cited one
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_INLINE_MARK = re.compile(r"\[(\d{1,2})\]")
_LABEL_MARK = re.compile(r"\[([PT]\d{1,2})\]")
_REF = re.compile(r"^([cr])-(\d+)-(\d+)$")
_ANY_MARK = re.compile(r"(\[(?:[PT]\d{1,2}|\d{1,2})\])")
_URL_SCHEME = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]{1,15}):(?=//)")
_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")
_ANNOUNCES = ("：", ":")  # a quote ending so announces what follows (a formula, a list)
LATEX_DELIMITERS: list[dict[str, str | bool]] = [{"left": "$$", "right": "$$", "display": True}]

EMPTY_SOURCES = (
    '<div class="bot-empty">提问后，这里列出回答引用的段落；点击编号或“查看原文”可在上下文中阅读原文。</div>'
)
EMPTY_CONTEXT = '<div class="bot-empty">点击来源，在这里查看原文段落及其上下文（引用部分高亮）。</div>'


# ---------------------------------------------------------------- plain data


def answer_dict(answer: Answer) -> dict[str, Any]:
    """The answer as a JSON-safe dict (design.md contract plus note and related)."""
    return json.loads(answer.model_dump_json(fallback=_jsonable))


def _jsonable(x: Any) -> Any:
    if hasattr(x, "model_dump"):
        return x.model_dump(mode="json")
    if isinstance(x, pd.DataFrame):
        return x.to_dict(orient="records")
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def tool_result(call: ToolCall | dict) -> Any:
    """The ToolResult of a tool call (the call may hold the object itself or its dict form); None
    otherwise."""
    from tools.result import ToolResult

    result = call.result if isinstance(call, ToolCall) else call.get("result")
    if isinstance(result, ToolResult):
        return result
    if isinstance(result, dict) and "text" in result:
        try:
            return ToolResult.model_validate(result)
        except ValueError:
            return None
    return None


def labels() -> dict[str, str]:
    from tools.tables import COLUMN_LABELS

    return COLUMN_LABELS


def rows_frame(result: Any) -> pd.DataFrame:
    """A ToolResult's rows in display order with Chinese headers."""
    return result.to_frame(labels=True)


def chart_frame(answer: Answer) -> tuple[pd.DataFrame, str, str] | None:
    """(frame with columns 名称/数值, x title, y title) for the first tool result that has a chart hint."""
    for call in answer.tool_calls:
        result = tool_result(call)
        if result is None or not result.chart or not result.rows:
            continue
        label, value = result.chart.get("label"), result.chart.get("value")
        frame = pd.DataFrame(result.rows)
        if label not in frame or value not in frame:
            continue
        out = pd.DataFrame(
            {"名称": frame[label].astype(str), "数值": pd.to_numeric(frame[value], errors="coerce")}
        )
        out = out.dropna()
        if out.empty:
            continue
        names = labels()
        return out, names.get(label, label), names.get(value, value)
    return None


def y_range(values: pd.Series) -> list[float | None]:
    """Bars start at zero (never a truncated axis), with a little head room."""
    lo, hi = float(values.min()), float(values.max())
    return [min(0.0, lo * 1.1), max(0.0, hi * 1.1) or 1.0]


def first_rows_frame(answer: Answer) -> pd.DataFrame | None:
    for call in answer.tool_calls:
        result = tool_result(call)
        if result is not None and result.rows:
            return rows_frame(result)
    return None


# ---------------------------------------------------------------- chat Markdown


def md_escape(text: str) -> str:
    """Text shown literally in Markdown: no emphasis, links, images or HTML, and a URL in it stays text
    (not turned into a link by the renderer)."""
    text = text.replace("\t", "  ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _URL_SCHEME.sub(r"\1\\:", text).replace("www.", "www\\.")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def llm_text(text: str) -> str:
    """A language model's answer for the chat: everything escaped (the engine already removed images,
    HTML and links; this is the second line), except its citation markers, which link_markers turns into
    links to the sources panel."""
    parts = _ANY_MARK.split(text)
    return "".join(part if _ANY_MARK.fullmatch(part) else md_escape(part) for part in parts)


def md_escape_math(text: str) -> str:
    """Like md_escape, but $$…$$ formulas stay raw, on a line of their own, for the chat's KaTeX."""
    out: list[str] = []
    pos = 0
    for m in _MATH.finditer(text):
        out.append(md_escape(text[pos : m.start()]))
        out.append(f"\n$${' '.join(m.group(1).split())}$$\n")
        pos = m.end()
    out.append(md_escape(text[pos:]))
    return "".join(out)


def html_math(text: str) -> str:
    """HTML-escaped text whose $$…$$ formulas become MathML (drawn by the browser, no script needed)."""
    out: list[str] = []
    pos = 0
    for m in _MATH.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(_mathml(m.group(1)))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _mathml(latex: str) -> str:
    try:
        from latex2mathml.converter import convert

        return f'<span class="bot-formula">{convert(latex.strip(), display="block")}</span>'
    except Exception:  # noqa: BLE001 - an unparsable formula is shown as its source text
        return f'<code class="bot-formula">{html.escape(latex.strip())}</code>'


def formula_after(text: str, quote: str) -> str:
    """The $$…$$ formula that directly follows `quote` in `text` when the quote announces it (ends with a
    colon); "" otherwise."""
    if not quote.rstrip().endswith(_ANNOUNCES) or _MATH.search(quote):
        return ""
    span = find_span(text, quote)
    if span is None:
        return ""
    m = _MATH.match(text[span[1] :].lstrip())
    return m.group(0) if m else ""


def ref_link(kind: str, turn: int, n: int, tip: str = "") -> str:
    """A numbered citation link; `tip` (the quote) shows when the pointer rests on it."""
    title = f' "{tip}"' if tip else ""
    return f"[\\[{n}\\]](#ref-{kind}-{turn}-{n}{title})"


def cite_tip(c: Citation) -> str:
    """A citation's hover text: 《title》 and the start of its quote, on one line, without quote marks."""
    text = f"《{c.title}》{_clip(c.quote, 90)}"
    return " ".join(text.split()).replace('"', "”").replace("\\", "＼").replace(")", "）").replace("(", "（")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.4f}".rstrip("0").rstrip(".")
    return md_escape(str(value)).replace("\n", " ")


def markdown_table(frame: pd.DataFrame, limit: int = MAX_TOOL_ROWS) -> str:
    if frame.empty:
        return ""
    head = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    sep = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.head(limit).itertuples(index=False)
    ]
    more = [f"\n（共 {len(frame)} 行，仅显示前 {limit} 行）"] if len(frame) > limit else []
    return "\n".join([head, sep, *body, *more])


def tool_message(call: ToolCall) -> dict[str, Any]:
    """A collapsed chat message for one tool call: its arguments, sentence, rows and source lines."""
    args = "，".join(f"{k}={v}" for k, v in call.arguments.items())
    result = tool_result(call)
    parts: list[str] = []
    if result is not None:
        parts.append(md_escape(result.text))
        table = markdown_table(rows_frame(result))
        if table:
            parts.append(table)
        if result.provenance:
            lines = "、".join(str(p.get("line")) for p in result.provenance[:15])
            more = " 等" if len(result.provenance) > 15 else ""
            parts.append(f"来源：{md_escape(str(result.provenance[0].get('file', '')))} 第 {lines}{more} 行")
    elif call.result is not None:
        parts.append(md_escape(str(call.result)[:2000]))
    return {
        "role": "assistant",
        "content": "\n\n".join(parts) or "（无结果）",
        "metadata": {"title": f"工具调用：{call.name}（{args}）", "status": "done"},
    }


def answer_markdown(answer: Answer, turn: int, mode_label: str = "") -> str:
    """The answer text with numbered citation links, the visible note, related passages and a footer."""
    text = llm_text(answer.answer) if answer.mode == "llm" else md_escape_math(answer.answer)
    n_cites = len(answer.citations)
    inline = False
    if n_cites and answer.mode == "llm":
        linked = link_markers(text, n_cites, turn, [cite_tip(c) for c in answer.citations])
        inline = linked != text
        text = linked
    parts = [f"> **注意**：{md_escape(answer.note)}"] if answer.note else []
    parts.append(text)
    if answer.caveats:
        parts.append("".join(f'<div class="bot-caveat">注意：{md_escape(c)}</div>' for c in answer.caveats))
    if n_cites and not inline:
        parts.append(f"**来源**：{source_marks(answer.citations, turn)}")
    if n_cites:
        parts.append(sources_fold(answer.citations, turn))
    if not answer.answerable and answer.related:
        items = "\n".join(
            f"{i}. {ref_link('r', turn, i)} 《{md_escape(c.title)}》{md_escape(_section_tail(c))}："
            f"{md_escape_math(_clip(c.quote, 80))}"
            for i, c in enumerate(answer.related, 1)
        )
        parts.append(f"**相关段落**（仅供参考）：\n{items}")
    footer = (
        (prompts.MODE_OFFLINE_TOOLS if answer.tool_calls else prompts.MODE_OFFLINE)
        if answer.mode == "offline"
        else f"语言模型{('：' + mode_label) if mode_label else ''}"
    )
    parts.append(f"<sub>{md_escape(footer)} · {answer.latency_ms:.0f} ms</sub>")
    return "\n\n".join(parts)


def link_markers(text: str, n_cites: int, turn: int, tips: list[str] | None = None) -> str:
    """Make an LLM answer's markers clickable: [n] directly; [P1]/[T2] labels when each label yields exactly
    one
    citation (the engine lists citations in order of first mention), otherwise they stay as text."""

    def number(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return ref_link("c", turn, n, tip(n)) if 1 <= n <= n_cites else m.group(0)

    def tip(n: int) -> str:
        return tips[n - 1] if tips and 1 <= n <= len(tips) else ""

    text = _INLINE_MARK.sub(number, text)
    labels = list(dict.fromkeys(_LABEL_MARK.findall(text)))
    if labels and len(labels) == n_cites:
        index = {label: i for i, label in enumerate(labels, 1)}
        text = _LABEL_MARK.sub(lambda m: ref_link("c", turn, index[m.group(1)], tip(index[m.group(1)])), text)
    return text


def answer_messages(answer: Answer, turn: int, mode_label: str = "") -> list[dict[str, Any]]:
    """Assistant messages for one answer: collapsed tool calls first, then the answer."""
    msgs = [tool_message(c) for c in answer.tool_calls]
    msgs.append({"role": "assistant", "content": answer_markdown(answer, turn, mode_label)})
    return msgs


def sources_fold(citations: list[Citation], turn: int) -> str:
    """The answer's sources folded under it (shown on narrow screens, where the sources panel is far
    below): one line per citation, each number opening the passage."""
    items = "\n".join(
        f"{i}. {ref_link('c', turn, i)} 《{md_escape(c.title)}》{md_escape(_section_tail(c))}："
        f"{md_escape_math(_clip(c.quote, 60))}"
        for i, c in enumerate(citations, 1)
    )
    return (
        f'<details class="bot-fold"><summary>来源（{len(citations)} 条）</summary>\n\n{items}\n\n</details>'
    )


def source_marks(citations: list[Citation], turn: int) -> str:
    """《title》[1][2] 《other》[3]: numbered links grouped by consecutive document."""
    groups: list[tuple[str, list[str]]] = []
    for i, c in enumerate(citations, 1):
        if not groups or groups[-1][0] != c.title:
            groups.append((c.title, []))
        groups[-1][1].append(ref_link("c", turn, i, cite_tip(c)))
    return "　".join(f"《{md_escape(title)}》{''.join(links)}" for title, links in groups)


def _section_tail(c: Citation) -> str:
    return f" › {c.section.split(' > ')[-1]}" if c.section else ""


def _clip(text: str, n: int) -> str:
    """At most n characters of prose; a formula at the end of the quote is kept whole."""
    m = _MATH.search(text)
    formula = " " + " ".join(m.group(0).split()) if m else ""
    text = " ".join((text[: m.start()] if m else text).split())
    return (text if len(text) <= n else text[:n] + "…") + formula


# ---------------------------------------------------------------- sources panel


def parse_ref(ref: Any) -> tuple[str, int, int] | None:
    m = _REF.match(str(ref or ""))
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def pick_citation(answers: list[dict], ref: str) -> Citation | None:
    """The citation a reference like 'c-0-2' (kind, turn, 1-based number) points at."""
    parsed = parse_ref(ref)
    if not parsed:
        return None
    kind, turn, n = parsed
    if not 0 <= turn < len(answers):
        return None
    items = answers[turn].get("citations" if kind == "c" else "related") or []
    return Citation.model_validate(items[n - 1]) if 1 <= n <= len(items) else None


def sources_html(answers: list[dict], turn: int | None = None, selected: str | None = None) -> str:
    """The citations (or, for an unanswerable question, the related passages) of one turn, clickable."""
    if not answers:
        return EMPTY_SOURCES
    turn = len(answers) - 1 if turn is None else turn
    ans = answers[turn]
    kind, items = ("c", ans.get("citations") or [])
    head = f"来源 · 第 {turn + 1} 个问题"
    if not items and ans.get("related"):
        kind, items, head = "r", ans["related"], f"相关段落（仅供参考）· 第 {turn + 1} 个问题"
    if not items:
        return (
            f'<div class="bot-sources"><div class="bot-src-head">{head}</div>'
            '<div class="bot-empty">这个回答没有引用段落。</div></div>'
        )
    cards = []
    for i, item in enumerate(items, 1):
        c = Citation.model_validate(item)
        ref = f"{kind}-{turn}-{i}"
        where = " · ".join(
            x
            for x in (html.escape(c.section.replace(" > ", " › ")), f"第 {c.line} 行" if c.line else "")
            if x
        )
        sel = " bot-selected" if ref == selected else ""
        cards.append(
            f'<div class="bot-src{sel}" data-ref="{ref}">'
            f'<div class="bot-src-title"><span class="bot-num">[{i}]</span> 《{html.escape(c.title)}》</div>'
            f'<div class="bot-src-sec">{where}</div>'
            f'<blockquote class="bot-quote">{html_math(_clip(item.get("row") or c.quote, 160))}</blockquote>'
            f'<button class="bot-open" data-ref="{ref}">查看原文</button></div>'
        )
    return f'<div class="bot-sources"><div class="bot-src-head">{head}</div>{"".join(cards)}</div>'


# ---------------------------------------------------------------- passage in context


def find_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` lies in `text`, ignoring white space; (start, end) offsets in `text`, or None."""
    quote = quote.strip().rstrip("…")
    if not quote:
        return None
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    keep = [j for j, ch in enumerate(text) if not ch.isspace()]
    squashed = "".join(text[j] for j in keep)
    q = "".join(ch for ch in quote if not ch.isspace())
    k = squashed.find(q) if q else -1
    if k < 0:
        return None
    return keep[k], keep[k + len(q) - 1] + 1


def overlap_len(a: str, b: str, limit: int = 400) -> int:
    """Length of the longest suffix of `a` that is a prefix of `b` (chunks repeat a sentence)."""
    for n in range(min(len(a), len(b), limit), 4, -1):
        if a.endswith(b[:n]):
            return n
    return 0


class PassageFinder:
    """Finds a citation's chunk among the retriever's chunks and renders it with its neighbours."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self.by_id = {c.chunk_id: i for i, c in enumerate(chunks)}
        self.by_doc: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            self.by_doc.setdefault(c.doc_id, []).append(i)

    def locate(self, cite: Citation) -> int | None:
        if cite.chunk_id in self.by_id:
            return self.by_id[cite.chunk_id]
        idx = self.by_doc.get(cite.doc_id, [])
        if cite.quote:
            hits = [i for i in idx if find_span(self.chunks[i].text, cite.quote)]
            if cite.line:
                line = cite.line

                def nearness(i: int) -> tuple[int, int]:
                    c = self.chunks[i]
                    last = c.start_line + c.text.count("\n")
                    return (0 if c.start_line <= line <= last else 1, abs(c.start_line - line))

                hits.sort(key=nearness)
            if hits:
                return hits[0]
        if cite.line:
            before = [i for i in idx if self.chunks[i].start_line <= cite.line]
            if before:
                return max(before, key=lambda i: self.chunks[i].start_line)
        return None

    def complete_formulas(self, answer: Answer) -> Answer:
        """A quote that announces a formula ("由以下公式决定：") gets the formula line that follows it in its
        chunk, both in the citation and in an offline answer's text."""
        text = answer.answer
        cites: list[Citation] = []
        changed = False
        for c in answer.citations:
            i = self.locate(c)
            formula = formula_after(self.chunks[i].text, c.quote) if i is not None else ""
            if formula:
                changed = True
                if answer.mode == "offline" and c.quote in text:
                    text = text.replace(c.quote + "”", f"{c.quote}”\n{formula}\n", 1)
                c = c.model_copy(update={"quote": f"{c.quote}\n{formula}"})
            cites.append(c)
        return answer.model_copy(update={"answer": text, "citations": cites}) if changed else answer

    def row_label(self, cite: Citation) -> str:
        """A cited table row with its column headers ("2022Q1排名：1；长三角城市群：上海市；…"); "" when
        the quote is not a table row or its header cannot be found."""
        cells = [x.strip() for x in cite.quote.strip().split("\t")]
        if len(cells) < 2:
            return ""
        i = self.locate(cite)
        if i is None:
            return ""
        lines: list[str] = []
        prev = self._neighbour(i, -1)
        if prev is not None:
            lines = prev.text[: len(prev.text) - overlap_len(prev.text, self.chunks[i].text)].split("\n")
        lines += self.chunks[i].text.split("\n")
        want = "\t".join(cells)
        rows = [k for k, ln in enumerate(lines) if "\t".join(x.strip() for x in ln.split("\t")) == want]
        if not rows:
            return ""
        k = rows[0]
        if _NUMBER.match(cells[0]):
            # Tables follow each other without a blank line: the header is the first line above the row
            # whose first cell is not a number (a rank).
            while k > 0 and "\t" in lines[k - 1] and _NUMBER.match(lines[k - 1].split("\t")[0].strip()):
                k -= 1
            k -= 1
        else:
            while k > 0 and "\t" in lines[k - 1]:
                k -= 1
        if k < 0 or k == rows[0] or "\t" not in lines[k]:
            return ""
        header = [x.strip() for x in lines[k].split("\t")]
        if len(header) != len(cells) or _NUMBER.match(header[0]):
            return ""
        return "；".join(f"{h}：{v}" for h, v in zip(header, cells, strict=True))

    def label_rows(self, answer: Answer) -> Answer:
        """The answer with each table-row quote shown with its column headers (for display only: the
        passage panel still finds the row by its original quote)."""
        cites = [
            c.model_copy(update={"quote": label}) if (label := self.row_label(c)) else c
            for c in answer.citations
        ]
        return answer.model_copy(update={"citations": cites})

    def _neighbour(self, i: int, step: int) -> Chunk | None:
        j = i + step
        if 0 <= j < len(self.chunks) and self.chunks[j].doc_id == self.chunks[i].doc_id:
            return self.chunks[j]
        return None

    def context_html(self, cite: Citation | None) -> str:
        if cite is None:
            return EMPTY_CONTEXT
        i = self.locate(cite)
        if i is None:
            return (
                f'<div class="bot-context"><div class="bot-ctx-head">《{html.escape(cite.title)}》</div>'
                '<div class="bot-empty">没有在索引中找到这段原文。'
                f"引文：{html.escape(cite.quote)}</div></div>"
            )
        chunk = self.chunks[i]
        prev, nxt = self._neighbour(i, -1), self._neighbour(i, 1)
        text = chunk.text
        span = find_span(text, cite.quote)
        if span:
            s, e = span
            main = f"{html_math(text[:s])}<mark>{html_math(text[s:e])}</mark>{html_math(text[e:])}"
        else:
            main = html_math(text)
        before = after = ""
        if prev is not None:
            p = prev.text[: len(prev.text) - overlap_len(prev.text, text)].rstrip()
            p = p if len(p) <= NEIGHBOUR_CHARS else "…" + p[-NEIGHBOUR_CHARS:]
            before = f'<div class="bot-ctx-side">{html_math(p)}</div>' if p.strip() else ""
        if nxt is not None:
            n = nxt.text[overlap_len(text, nxt.text) :].lstrip()
            n = n if len(n) <= NEIGHBOUR_CHARS else n[:NEIGHBOUR_CHARS] + "…"
            after = f'<div class="bot-ctx-side">{html_math(n)}</div>' if n.strip() else ""
        section = html.escape(chunk.section.replace(" > ", " › "))
        missing = "" if span else '<div class="bot-note">引文未能在段落中精确定位，显示整个段落。</div>'
        return (
            f'<div class="bot-context"><button class="bot-close" type="button">关闭</button>'
            f'<div class="bot-ctx-head">《{html.escape(chunk.title)}》'
            f'<span class="bot-src-sec"> {section} · 第 {chunk.start_line} 行起</span></div>{missing}'
            f'{before}<div class="bot-ctx-main">{main}</div>{after}</div>'
        )
