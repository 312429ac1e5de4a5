"""Ingestion: clean raw documents (front matter, HTML, debris), detect sections, chunk by sentences.

Cleaning rules (documented, so offsets can be checked): YAML front matter becomes metadata; HTML tags are
removed (block tags become line breaks); entities are decoded; `[image: ]` debris and markdown `**` are
dropped; lines wrapped mid-sentence (PDF extraction) are joined. Every chunk keeps `start`/`end` character
offsets into the source file, so `clean_fragment(source[start:end])` equals `chunk.text` once white space
is removed on both sides.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from bot.core.schema import Chunk
from bot.index.corpus import RawDoc

_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|\[image:[^\]]*\]|\*\*")
_BLOCK_TAG = re.compile(r"</?(p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section)\b", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A\s*---\n(.*?)\n---\s*\n", re.DOTALL)
_TERMINAL = "。！？；!?;…”」』）)：:"
_SENTENCE_END = re.compile(r"[^。！？；!?]*[。！？；!?]+[”」』）)]*|[^。！？；!?]+$")
_WS = re.compile(r"\s+")

_L1 = re.compile(
    r"^([一二三四五六七八九十]+、|序言[一二三四五六七八九十]*$|第[一二三四五六七八九十\d]+[章篇节]|"
    r"\S{2,6}篇$|\d{1,2} [^\d\s]|摘要$|前言$|后记$|致谢$|目录$)"
)
_L2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_L3 = re.compile(r"^(\d{1,2}[、.．]\D|[\u4e00-\u9fff]{2,6}：)")
# A longer "topic：title" line (up to 40 characters) is still a heading when its title has at most two
# clauses and no sentence end ("长三角：上海保持首位，并与…形成数字化“雁阵”方队");
# "北线：典型是…，…，…" lists facts instead.
_TOPIC_TITLE = re.compile(r"[\u4e00-\u9fff]{2,6}：[^，,。；;！？!?：:]{2,}(?:[，,][^，,。；;！？!?：:]{2,})?")
# The note closing a book essay: "陈永伟，《比较》研究部主管。" (a name, then a role).
_AUTHOR_NOTE = re.compile(
    r"([\u4e00-\u9fff·]{2,4})，([^。\n]{2,60}(?:主管|教授|研究员|主任|总裁|院长|部长|博士|专家|"
    r"书记|总监|创始人|所长|秘书长|理事长|院士|研究人员)[^。\n]{0,20})。"
)
# A team credited under an essay's title (the engine reads it back out of "题目（作者）").
TEAM_AUTHOR = r"[\u4e00-\u9fff]{2,14}(?:课题组|研究组|编写组)"
_GROUP_AUTHOR = re.compile(TEAM_AUTHOR)
_AUTHOR_RAW = re.compile(
    r"^\s*([\u4e00-\u9fff·]{2,5}(?:\s+[\u4e00-\u9fff·]{2,5}){0,3})\s*\[image:[^\]]*\]\s*$"
)


def clean_fragment(raw: str) -> str:
    """The cleaning applied to any slice of a source file (for offset checks and quote verification)."""

    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok.startswith("<"):
            return "\n" if _BLOCK_TAG.match(tok) else ""
        if tok.startswith("&"):
            return html.unescape(tok)
        return ""

    return _TOKEN.sub(repl, raw)


def squash(text: str) -> str:
    """Text with all white space removed (the comparison form for offsets, quotes and evidence)."""
    return _WS.sub("", text)


@dataclass
class Cleaned:
    """Cleaned text with, for every character, the source span it came from."""

    text: str
    src_start: list[int]
    src_end: list[int]
    meta: dict = field(default_factory=dict)


def clean(raw: str) -> Cleaned:
    """Strip front matter and markup from a whole document, keeping a character-level offset map."""
    meta: dict = {}
    pos = 0
    m = _FRONT_MATTER.match(raw)
    if m:
        try:
            loaded = yaml.safe_load(m.group(1))
            if isinstance(loaded, dict):
                meta = {k: v for k, v in loaded.items() if isinstance(v, (str, int, float, list))}
        except yaml.YAMLError:
            meta = {}
        pos = m.end()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for tm in _TOKEN.finditer(raw, pos):
        for i in range(pos, tm.start()):
            ch = raw[i]
            out.append("\n" if ch == "\r" else ch)
            starts.append(i)
            ends.append(i + 1)
        rep = clean_fragment(tm.group(0))
        for ch in rep:
            out.append(ch)
            starts.append(tm.start())
            ends.append(tm.end())
        pos = tm.end()
    for i in range(pos, len(raw)):
        ch = raw[i]
        out.append("\n" if ch == "\r" else ch)
        starts.append(i)
        ends.append(i + 1)
    return Cleaned("".join(out), starts, ends, meta)


@dataclass
class Unit:
    """A paragraph, heading or table block: text plus, per character, its index in the cleaned text."""

    kind: str  # "para" | "heading" | "author" | "table"
    text: str
    pos: list[int]
    level: int = 0
    section: str = ""


def _lines(c: Cleaned, raw: str) -> list[tuple[str, int, bool]]:
    """Non-empty stripped lines: (text, index in cleaned text, raw line is an author line)."""
    out = []
    idx = 0
    for line in c.text.split("\n"):
        start = idx
        idx += len(line) + 1
        stripped = line.strip(" \u3000\xa0\t\r")
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip(" \u3000\xa0\t\r"))
        s = start + lead
        author = False
        if "\t" not in stripped and len(stripped) <= 16:
            src_s = c.src_start[s]
            line_end = raw.find("\n", src_s)
            author = bool(_AUTHOR_RAW.match(raw[src_s : line_end if line_end >= 0 else len(raw)]))
        out.append((stripped, s, author))
    return out


def _heading_level(text: str) -> int:
    if _L1.match(text):
        return 1
    if _L2.match(text):
        return 2
    if _L3.match(text):
        return 3
    return 4


def _is_heading(text: str) -> bool:
    if "\t" in text or text[-1] in _TERMINAL + "，、,":
        return False
    if len(text) > 40 or (len(text) > 32 and not _TOPIC_TITLE.fullmatch(text)):
        return False
    if text.isdigit() or text.startswith(("- ", "（执笔人", "(执笔人", "数据来源")):
        return False
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def split_units(raw: str, c: Cleaned) -> list[Unit]:
    """Group lines into headings, paragraphs (joining lines wrapped mid-sentence) and table blocks."""
    lines = _lines(c, raw)
    # A PDF extraction wraps lines at a fixed width: most lines near the longest length end mid-sentence.
    prose = [t for t, _, _ in lines if "\t" not in t and len(t) >= 20]
    lens = sorted(len(t) for t in prose)
    p90 = lens[int(len(lens) * 0.9)] if lens else 0
    near = [t for t in prose if len(t) >= 0.8 * p90]
    wrapped_doc = bool(near) and sum(t[-1] not in _TERMINAL for t in near) > 0.6 * len(near)
    units: list[Unit] = []
    i = 0
    while i < len(lines):
        text, s, author = lines[i]
        if "\t" in text:
            block = Unit("table", text, list(range(s, s + len(text))))
            # A table is a run of tab-separated lines; a blank line ends it.
            while (
                i + 1 < len(lines)
                and "\t" in lines[i + 1][0]
                and c.text.count("\n", block.pos[-1], lines[i + 1][1]) <= 1
            ):
                i += 1
                t2, s2, _ = lines[i]
                block.text += "\n" + t2
                block.pos += [s2 - 1] + list(range(s2, s2 + len(t2)))
            units.append(block)
        elif author:
            units.append(Unit("author", text, list(range(s, s + len(text))), level=2))
        elif _is_heading(text) and not (wrapped_doc and len(text) >= 0.8 * p90):
            units.append(Unit("heading", text, list(range(s, s + len(text))), level=_heading_level(text)))
        else:
            para = Unit("para", text, list(range(s, s + len(text))))
            wrapped = wrapped_doc and len(text) >= 0.8 * p90 and text[-1] not in _TERMINAL
            while wrapped and i + 1 < len(lines) and "\t" not in lines[i + 1][0]:
                i += 1
                t2, s2, _ = lines[i]
                para.text += t2
                para.pos += list(range(s2, s2 + len(t2)))
                wrapped = len(t2) >= 0.8 * p90 and t2[-1] not in _TERMINAL
            units.append(para)
        i += 1
    return units


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    for m in _SENTENCE_END.finditer(text):
        if m.group(0).strip():
            yield m.start(), m.end()


@dataclass
class _Piece:
    text: str
    pos: list[int]
    section: str
    is_table: bool = False
    is_heading: bool = False


def _pieces(units: list[Unit], max_chars: int) -> list[_Piece]:
    """Sentences of paragraphs (long ones cut at commas), headings and whole table blocks, in order."""
    pieces: list[_Piece] = []
    section = ""
    for u in units:
        if u.kind in ("heading", "author"):
            section = u.section
            pieces.append(_Piece(u.text, u.pos, section, is_heading=True))
            continue
        if u.kind == "table":
            rows = u.text.split("\n")
            # A table stays whole unless huge; then it is cut between rows, never inside one.
            off = 0
            cur_rows: list[str] = []
            cur_start = 0
            for r in rows:
                if cur_rows and len("\n".join(cur_rows + [r])) > max_chars * 2:
                    seg = "\n".join(cur_rows)
                    pieces.append(
                        _Piece(seg, u.pos[cur_start : cur_start + len(seg)], section, is_table=True)
                    )
                    cur_rows, cur_start = [], off
                cur_rows.append(r)
                off += len(r) + 1
            seg = "\n".join(cur_rows)
            pieces.append(_Piece(seg, u.pos[cur_start : cur_start + len(seg)], section, is_table=True))
            continue
        section = u.section
        for a, b in _sentences(u.text):
            while b - a > max_chars:
                cut = u.text.rfind("，", a, a + max_chars)
                cut = cut + 1 if cut > a else a + max_chars
                pieces.append(_Piece(u.text[a:cut], u.pos[a:cut], section))
                a = cut
            pieces.append(_Piece(u.text[a:b], u.pos[a:b], section))
        if pieces:
            pieces[-1].text += "\n"  # paragraph boundary marker (kept as white space)
            pieces[-1].pos = pieces[-1].pos + [pieces[-1].pos[-1]]
    return pieces


def chunk_document(
    doc: RawDoc, target: int = 420, max_chars: int = 600, min_chars: int = 200, overlap: int = 1
) -> list[Chunk]:
    """Chunks of one document: sentence-bounded, table blocks whole with the text just above them."""
    c = clean(doc.text)
    units = split_units(doc.text, c)
    _assign_sections(units)
    pieces = _pieces(units, max_chars)
    groups: list[list[_Piece]] = []
    cur: list[_Piece] = []

    def size(ps: list[_Piece]) -> int:
        return sum(len(p.text) for p in ps)

    for p in pieces:
        if p.is_table:
            # Keep the heading/caption just above the table in the same chunk, but only lines of the
            # table's own section (its headings included): a short line of the section before belongs to
            # that section, and pulling it in would file the table under the previous heading.
            head: list[_Piece] = []
            while (
                cur
                and (cur[-1].is_heading or len(cur[-1].text) < 60)
                and size(head) < 120
                and _within(p.section, cur[-1].section)
            ):
                head.insert(0, cur.pop())
            if cur:
                groups.append(cur)
            groups.append(head + [p])
            cur = []
            continue
        new_section = p.is_heading and cur and not cur[-1].is_heading
        if cur and (
            size(cur) + len(p.text) > max_chars
            or (new_section and size(cur) >= min_chars)
            or size(cur) >= target
        ):
            groups.append(cur)
            carry = (
                [q for q in cur[-overlap:] if not q.is_heading and not q.is_table and len(q.text) < 150]
                if overlap and not p.is_heading
                else []
            )
            cur = carry + [p]
        else:
            cur.append(p)
    if cur:
        groups.append(cur)
    # Merge a tiny trailing group into its predecessor when they fit together.
    merged: list[list[_Piece]] = []
    for g in groups:
        if (
            merged
            and size(g) < min_chars // 2
            and size(merged[-1]) + size(g) <= max_chars
            and not any(q.is_table for q in g + merged[-1])
        ):
            merged[-1] = merged[-1] + [q for q in g if all(q is not r for r in merged[-1])]
        else:
            merged.append(g)

    line_starts = _line_starts(doc.text)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for g in merged:
        text = "".join(
            q.text if q.text.endswith("\n") or not (q.is_table or q.is_heading) else q.text + "\n" for q in g
        ).strip()
        if not squash(text):
            continue
        cpos = [i for q in g for i in q.pos]
        start = c.src_start[min(cpos)]
        end = c.src_end[max(cpos)]
        # A table chunk is filed under the table's own section, never under a caption line above it.
        section = next((q.section for q in g if q.is_table), "") or next(
            (q.section for q in g if not q.is_heading and q.section), g[-1].section
        )
        digest = hashlib.sha1(f"{doc.meta.id}|{text}".encode()).hexdigest()[:12]
        cid = f"{doc.meta.id}:{digest}"
        n = 1
        while cid in seen:
            n += 1
            cid = f"{doc.meta.id}:{digest}-{n}"
        seen.add(cid)
        chunks.append(
            Chunk(
                chunk_id=cid,
                doc_id=doc.meta.id,
                title=doc.meta.title,
                section=section,
                text=text,
                start=start,
                end=end,
                start_line=_line_of(line_starts, start),
                is_table=any(q.is_table for q in g),
                ordinal=len(chunks),
            )
        )
    return chunks


def _within(section: str, path: str) -> bool:
    """`path` is `section` or one of its ancestors (heading paths joined by ' > ')."""
    return section == path or section.startswith(path + " > ")


def _assign_sections(units: list[Unit]) -> None:
    """Give every unit the ' > '-joined heading path in force where it stands.

    The book's essays become level-2 sections "title（author）", whoever credits them:
    - an author line under the title (a short name followed by image debris, or a team such as
      "某某研究课题组");
    - failing that, the author's note that closes the essay ("陈永伟，《比较》研究部主管。"), which credits
      the first heading after the previous essay's close.
    A closing note also ends its essay, so the next heading is not nested under it.
    """
    essays = _essay_titles(units)
    stack: list[tuple[int, str]] = []
    in_essay = False
    for i, u in enumerate(units):
        if i in essays:
            stack = [h for h in stack if h[0] < 2] + [(2, essays[i])]
            in_essay = True
        elif u.kind == "heading" and not _GROUP_AUTHOR.fullmatch(u.text):
            level = 1 if u.level == 1 else max(u.level, 3) if in_essay else u.level
            in_essay = in_essay and level > 1
            stack = [h for h in stack if h[0] < level] + [(level, u.text)]
        u.section = " > ".join(h[1] for h in stack)
        if u.kind == "para" and _AUTHOR_NOTE.fullmatch(u.text):
            stack = [h for h in stack if h[0] < 2]
            in_essay = False


def _title_like(u: Unit) -> bool:
    """A heading, or a short line that is not a sentence ("以数字化构建新出行时代的“护城河”")."""
    if u.kind == "heading":
        return u.level >= 2 and not _GROUP_AUTHOR.fullmatch(u.text)
    return u.kind == "para" and len(u.text) <= 32 and u.text[-1] not in "。！？；!?;，,"


def _essay_titles(units: list[Unit]) -> dict[int, str]:
    """{index of the unit that opens an essay: "title（author）"} (see `_assign_sections`)."""
    essays: dict[int, str] = {}
    start, credited = 0, False
    for i, u in enumerate(units):
        if u.kind == "heading" and u.level == 1:
            start, credited = i + 1, False
        elif u.kind == "author" or (u.kind == "heading" and _GROUP_AUTHOR.fullmatch(u.text)):
            j = i - 1
            while j >= start and units[j].kind == "author":
                j -= 1
            if j >= start and _title_like(units[j]):
                title = units[j].text
                if title.startswith("——") and j - 1 >= start and _title_like(units[j - 1]):
                    j -= 1  # "治理新模式" / "——打造数字政府新方案": a title with its subtitle
                    title = units[j].text + title
                essays[j] = f"{title}（{u.text}）"
            else:
                essays[i] = u.text
            credited = True
        elif u.kind == "para" and (m := _AUTHOR_NOTE.fullmatch(u.text)):
            if not credited:
                first = next(
                    (j for j in range(start, i) if units[j].kind == "heading" and units[j].level >= 2), None
                )
                if first is not None:
                    essays[first] = f"{units[first].text}（{m.group(1)}）"
            start, credited = i + 1, False
    return essays


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset)


def chunk_corpus(docs: list[RawDoc], settings_chunk) -> list[Chunk]:  # type: ignore[no-untyped-def]
    """Chunks of every document with the configured sizes."""
    out: list[Chunk] = []
    for d in docs:
        out.extend(
            chunk_document(
                d,
                settings_chunk.target_chars,
                settings_chunk.max_chars,
                settings_chunk.min_chars,
                settings_chunk.overlap_sentences,
            )
        )
    return out
