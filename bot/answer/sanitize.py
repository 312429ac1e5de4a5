"""A language model's answer made safe to show and to hand on: no images, no raw HTML, no links but citation
markers, and no sentence resting only on a citation marker that names nothing retrieved."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

# A citation marker as the LLM engine writes it ([P1], [T2], groups like [P1, P2]) and as the page links it.
MARKER = re.compile(r"[\[【]\s*([PT]\d+(?:\s*[,，、;；]\s*[PT]\d+)*)\s*[\]】]")
MARKER_ID = re.compile(r"[PT]\d+")
_SENT = re.compile(r"[^。！？；!?\n]+[。！？；!?]*[”」』）)]?")

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])")
_LINK = re.compile(r"\[([^\]\n]*)\]\s*(?:\(([^)\n]*)\)|\[[^\]\n]*\])")
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^<>\s]*)>", re.IGNORECASE)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_HELD = re.compile(MARKER.pattern + r"|\[\d{1,3}\]")  # citation markers, also numbered ones ([1][2])
_MARKER_LINK = re.compile(r"(\ue000\d+\ue001)\s*\((?:[A-Za-z][A-Za-z0-9+.-]*:|/|#|www\.)[^)\n]*\)")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![^<>]*>|<\?[^<>]*\?>")


def sanitize_answer(text: str) -> str:
    """Plain text with citation markers: Markdown images become their alt text, links their text (a link
    around a citation marker leaves the marker), reference definitions and HTML tags and comments are
    removed, and any other angle bracket is shown full-width, so nothing in the answer makes a
    reader's browser fetch anything."""
    text = _PLACEHOLDER.sub("", text)
    markers: list[str] = []

    def hold(m: re.Match[str]) -> str:  # markers side by side ([T1][P1], [1][2]) are not a reference link
        markers.append(m.group(0))
        return f"\ue000{len(markers) - 1}\ue001"

    text = _COMMENT.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1).strip(), text)
    text = _MARKER_LINK.sub(r"\1", _HELD.sub(hold, text))  # [P1](http://…): the marker, no link
    text = _LINK.sub(lambda m: m.group(1).strip(), text)
    text = _REF_DEFINITION.sub("", text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text).replace("<", "＜").replace(">", "＞")
    return _PLACEHOLDER.sub(lambda m: markers[int(m.group(1))], text)


def marker_ids(text: str) -> list[str]:
    return MARKER_ID.findall("".join(m.group(1) for m in MARKER.finditer(text)))


def drop_unsupported(text: str, known: set[str]) -> tuple[str, list[str]]:
    """Remove every sentence whose citation markers all name something never retrieved (a fabricated
    source); a sentence citing one real and one fabricated source keeps the real one. A marker standing
    alone ("……南京市。[T9]") cites the sentence before it. Returns (text, fabricated labels in order)."""
    pieces: list[list[str]] = []  # [gap before, sentence]
    last = 0
    for m in _SENT.finditer(text):
        pieces.append([text[last : m.start()], m.group(0)])
        last = m.end()
    tail = text[last:]
    # Attach marker-only sentences to the sentence they follow.
    merged: list[list[str]] = []
    for gap, sent in pieces:
        if merged and not MARKER.sub("", sent).strip(" \t。，,.;；") and "\n" not in gap:
            merged[-1][1] += gap + sent
        else:
            merged.append([gap, sent])
    fabricated: list[str] = []
    out = []
    for gap, sent in merged:
        ids = marker_ids(sent)
        unknown = [i for i in ids if i not in known]
        fabricated += [i for i in unknown if i not in fabricated]
        if unknown and len(unknown) == len(ids):
            out.append(gap if "\n" in gap else "")
            continue
        out.append(gap + sent)
    return "".join(out) + tail, fabricated


# A number as written in an answer or a source: digits with optional thousands commas and decimals.
_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")  # an address is not a claim


def numbers(text: str) -> list[str]:
    """The numbers in a text (NFKC-folded, thousands commas dropped, citation markers and URLs left out)."""
    text = _URL.sub(" ", MARKER.sub(" ", unicodedata.normalize("NFKC", text)))
    found = _NUMBER.finditer(text)
    return [m.group(1).replace(",", "") + (f".{m.group(2)}" if m.group(2) else "") for m in found]


def unsupported_numbers(answer: str, sources: list[str]) -> list[str]:
    """Numbers in `answer` that no source states: equal in value, or a source value rounded to the
    answer's decimals ("约181%" for 181.3%). In the order they appear, each once."""
    known = {Decimal(n) for s in sources for n in numbers(s)}
    missing: list[str] = []
    for n in numbers(answer):
        value = Decimal(n)
        places = Decimal(1).scaleb(value.as_tuple().exponent)  # type: ignore[arg-type]
        if value in known or any(k.quantize(places, ROUND_HALF_UP) == value for k in known):
            continue
        if n not in missing:
            missing.append(n)
    return missing
