"""The passage sections of a briefing: quotes from the report's own section on the subject (报告观点) and
passages from the other documents that name it (相关案例与政策), found by retrieval and by name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.briefing.draft import Draft
from bot.briefing.model import Section, Unit
from bot.briefing.subject import Subject
from bot.core import prompts
from bot.core.schema import Chunk, Hit
from bot.index.ingest import squash
from tools.names import INDUSTRY_ALIASES, normalize
from tools.tables import REPORT_ID, known_names

_PIECE = re.compile(r"[^。！？；!?\n]*[。！？；!?]+[”」』）)]*|[^。！？；!?\n]+")
_HEAD = re.compile(r"^([^：:\s]{1,10})[：:]")
_MIN_CHARS = 18
_BOILERPLATE_PLACES = 2  # a sentence the report prints in this many places is a chart legend


def _apart(ordinals: set[int]) -> int:
    """How many separate places: runs of neighbouring chunks (which overlap by a sentence) count once."""
    runs, prev = 0, None
    for x in sorted(ordinals):
        if prev is None or x > prev + 1:
            runs += 1
        prev = x
    return runs


_PER_CHUNK = 2


def terms(subject: Subject) -> list[str]:
    """The spellings that name the subject in prose (成渝城市群 / 成渝; 深圳市 / 深圳; 金融 / 智慧金融)."""
    found = [subject.name, subject.short]
    if subject.kind == "province":
        vocab = known_names()["province"]
        found += [alias for alias, canon in vocab.aliases.items() if canon == subject.name]
    if subject.kind == "industry":
        found += list(INDUSTRY_ALIASES.get(subject.name, ()))
    if subject.kind == "topic":
        import rjieba

        words = [w for w in rjieba.cut(subject.name) if len(w) >= 2]
        if len(words) > 1:
            found.append("+".join(words))  # all of its words, for topics the corpus writes differently
    return [t for t in dict.fromkeys(found) if len(t) >= 2 or t.isascii()]


def _heads(subject: Subject) -> list[str]:
    """How the report opens its own section on a cluster or an industry: "成渝：…", "金融：…"."""
    if subject.kind not in ("cluster", "industry"):
        return []
    return [t + "：" for t in terms(subject)]


def section_chunks(chunks: list[Chunk], subject: Subject) -> list[Chunk]:
    """The report's chunks under its own heading on the subject, in document order."""
    heads = _heads(subject)
    return [
        c
        for c in chunks
        if c.doc_id == REPORT_ID and any(seg.startswith(h) for seg in c.section.split(" > ") for h in heads)
    ]


def provinces_named(chunks: Iterable[Chunk]) -> list[str]:
    """Provinces the given chunks name (texts and headings), by the tool layer's province vocabulary."""
    vocab = known_names()["province"]
    found: list[str] = []
    for c in chunks:
        for _, _, name in vocab.scan(normalize(c.section + "\n" + c.text)):
            found.append(name)
    return list(dict.fromkeys(found))


def _mentions(text: str, words: list[str]) -> bool:
    """Whether `text` names one of `words` (case-insensitive); "a+b" means both a and b."""
    low = text.lower()
    return any(all(part in low for part in w.lower().split("+")) for w in words)


def _stop_at_other(subject: Subject) -> Callable[[str], bool]:
    """Whether a line opens the report's section on another cluster or industry ("零售：…" under 金融)."""
    vocabs = known_names()
    kind = {"cluster": "cluster", "industry": "industry"}.get(subject.kind)

    def stop(line: str) -> bool:
        m = _HEAD.match(line.strip())
        if kind is None or m is None:
            return False
        other = vocabs[kind].get(m.group(1))
        return other is not None and other != subject.name

    return stop


def _pieces(text: str, stop: Callable[[str], bool] | None = None) -> tuple[list[str], bool]:
    """Sentence-like pieces of a chunk (no table rows, no headings or captions: too short), and whether
    reading stopped at a line `stop` accepts."""
    out: list[str] = []
    for line in text.split("\n"):
        if stop is not None and stop(line):
            return out, True
        if "\t" in line:
            continue
        for m in _PIECE.finditer(line):
            piece = m.group(0).strip()
            if len(piece) >= _MIN_CHARS:
                out.append(piece)
    return out, False


def _shorten(piece: str, limit: int) -> tuple[str, bool]:
    """A prefix of at most `limit` characters ending at a clause boundary (the quote stays verbatim)."""
    if len(piece) <= limit:
        return piece, False
    cut = max(piece.rfind(p, 0, limit) for p in "，；、：,;")
    return (piece[: cut if cut > limit // 3 else limit]).rstrip("，；、：,;"), True


class PassageFinder:
    """Candidate passages for the subjects: one hybrid search each, plus the chunks that name them."""

    def __init__(self, draft: Draft, search: Callable[..., list[Hit]]):
        self.d = draft
        self.search = search
        self._used: set[str] = set()
        self._hits: dict[str, list[Chunk]] = {}
        self._boiler: set[str] | None = None

    def boilerplate(self) -> set[str]:
        """Sentences the report repeats under many sections (legends of its charts), never quoted."""
        if self._boiler is None:
            seen: dict[str, set[int]] = {}
            for c in self.d.chunks:
                if c.doc_id == REPORT_ID:
                    for p in _pieces(c.text)[0]:
                        seen.setdefault(squash(p), set()).add(c.ordinal)
            self._boiler = {p for p, at in seen.items() if _apart(at) >= _BOILERPLATE_PLACES}
        return self._boiler

    def candidates(self, subject: Subject, words: list[str], extra: list[str]) -> list[Chunk]:
        """Chunks naming the subject (or, with `extra`, its cities and provinces): retrieved ones first, in
        retrieval order, then the rest in document order."""
        query = prompts.BRIEF_SEARCH_QUERY.format(subject=subject.name)
        if query not in self._hits:
            self._hits[query] = [h.chunk for h in self.search(query, k=self.d.settings.search_hits)]
        ranked = list(self._hits[query])
        seen = {c.chunk_id for c in ranked}
        ranked += [c for c in self.d.chunks if c.chunk_id not in seen]
        names = words + extra
        return [c for c in ranked if _mentions(c.text + c.section, names)]

    def quotes(
        self,
        chunks: list[Chunk],
        words: list[str],
        n: int,
        per_chunk: int = _PER_CHUNK,
        stop: Callable[[str], bool] | None = None,
    ) -> list[Unit]:
        """Up to n verbatim sentences from `chunks` (in the order given), at most `per_chunk` from one chunk;
        with `words`, only sentences naming one of them. A sentence is used once per briefing."""
        out: list[Unit] = []
        skip = self.boilerplate()
        for c in chunks:
            if len(out) >= n:
                break
            found, stopped = _pieces(c.text, stop)
            pieces = [p for p in found if squash(p) not in self._used | skip]
            if words:
                pieces = [p for p in pieces if _mentions(p, words)]
            for piece in pieces[:per_chunk]:
                if len(out) >= n:
                    break
                text, cut = _shorten(piece, self.d.settings.quote_chars)
                self._used.add(squash(piece))
                out.append(self.d.quote(c, text, cut))
            if stopped:  # the report's next section begins: later chunks are not about the subject
                break
        return out


def report_views(finder: PassageFinder, subjects: list[Subject], n: int) -> Section:
    """报告观点: the report's own section on each subject; else report passages that name the subject."""
    units: list[Unit] = []
    per = max(1, n // len(subjects)) if len(subjects) > 1 else n
    for s in subjects:
        words = terms(s)
        own = section_chunks(finder.d.chunks, s)
        picked = finder.quotes(own, [], per, stop=_stop_at_other(s)) if own else []
        if len(picked) < per:
            report = [c for c in finder.candidates(s, words, []) if c.doc_id == REPORT_ID and not c.is_table]
            picked += finder.quotes(report, words, per - len(picked), per_chunk=1)
        units += picked
    return Section(key="report", heading=prompts.BRIEF_HEADINGS["report"], style="quotes", units=units)


def related(finder: PassageFinder, subjects: list[Subject], members: dict[str, list[str]], n: int) -> Section:
    """相关案例与政策: passages of the other documents (book, articles, modernisation report) that name a
    subject or, for a region, one of its cities or provinces; one per chunk, documents taken in turn."""
    units: list[Unit] = []
    for s in subjects:
        words = terms(s)
        extra = members.get(s.name, [])
        others = [c for c in finder.candidates(s, words, extra) if c.doc_id != REPORT_ID]
        by_doc: dict[str, list[Chunk]] = {}
        for c in others:
            by_doc.setdefault(c.doc_id, []).append(c)
        turns: list[Chunk] = []
        while any(by_doc.values()):
            for doc in list(by_doc):
                if by_doc[doc]:
                    turns.append(by_doc[doc].pop(0))
        per = max(1, n // len(subjects))
        units += finder.quotes(turns, words + extra, per, per_chunk=1)
    return Section(key="related", heading=prompts.BRIEF_HEADINGS["related"], style="quotes", units=units)
