"""Eval datasets: the documented JSONL and CSV formats, one validator (each bad line named with its field),
loading by name or path, hashing, and appending an item to a local set."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import prompts
from bot.core.errors import InputError
from bot.core.settings import REPO_ROOT
from evals.metrics import answer_correct

TYPES = ("ranking", "calc", "fact", "multi", "unanswerable")
DATASETS_DIR = REPO_ROOT / "evals" / "datasets"
# the committed sets, addressable by name
BUILTIN = ("dev", "blind", "heldout", "blind2", "blind3", "blind4", "blind5", "blind6")
CSV_COLUMNS = ("id", "question", "type", "answer", "accept", "evidence", "source")
ALT_SEP, ALL_SEP = (
    "|",
    "&",
)  # CSV: alternatives in accept (and several evidence strings); words that must all appear
MAX_SHOWN = 20  # problems listed in one error message
_NAME = re.compile(r"^[\w\u4e00-\u9fff-]{1,40}$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one line of a dataset."""

    line: int
    field: str  # "" when the line as a whole is bad (not JSON, not an object)
    message: str

    def __str__(self) -> str:
        where = prompts.DATASET_WHERE.format(field=self.field) if self.field else ""
        return prompts.DATASET_PROBLEM.format(line=self.line, where=where, message=self.message)


class DatasetError(InputError):
    """A dataset with bad lines; `problems` lists every one, the message the first MAX_SHOWN."""

    def __init__(self, name: str, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:MAX_SHOWN])
        more = prompts.DATASET_MORE.format(n=len(problems) - MAX_SHOWN) if len(problems) > MAX_SHOWN else ""
        super().__init__(prompts.DATASET_INVALID.format(name=name, n=len(problems)) + "\n" + shown + more)


# ---------------------------------------------------------------------------------------------------- checks
def _is_alternative(alt: object) -> bool:
    if isinstance(alt, str):
        return bool(alt.strip())
    return isinstance(alt, list) and bool(alt) and all(isinstance(p, str) and p.strip() for p in alt)


def _strings(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def check_item(item: Any, line: int) -> list[Problem]:
    """Problems of one parsed item (the line number is only used in the messages)."""
    if not isinstance(item, dict):
        return [Problem(line, "", prompts.DS_NOT_OBJECT)]
    out: list[Problem] = []

    def bad(field: str, message: str) -> None:
        out.append(Problem(line, field, message))

    types = "/".join(TYPES)
    for key in ("id", "question"):
        value = item.get(key)
        if key not in item:
            bad(key, prompts.DS_MISSING)
        elif not isinstance(value, str) or not value.strip():
            bad(key, prompts.DS_EMPTY_TEXT)
    kind = item.get("type")
    if "type" not in item:
        bad("type", prompts.DS_TYPE_MISSING.format(types=types))
    elif kind not in TYPES:
        bad("type", prompts.DS_BAD_TYPE.format(value=kind, types=types))
    answer = item.get("answer", "")
    if not isinstance(answer, str):
        bad("answer", prompts.DS_NOT_TEXT)
    accept = item.get("accept", [])
    if not isinstance(accept, list):
        bad("accept", prompts.DS_ACCEPT_LIST)
        accept = None
    else:
        for alt in accept:
            if not _is_alternative(alt):
                bad("accept", prompts.DS_ACCEPT_ALT.format(alt=json.dumps(alt, ensure_ascii=False)))
                accept = None
                break
    for key in ("evidence", "source"):
        if key in item and item[key] is not None and not _strings(item[key]):
            bad(key, prompts.DS_STRINGS)
    if kind == "unanswerable":
        if accept:
            bad("accept", prompts.DS_UNANSWERABLE_ACCEPT)
        if any(e.strip() for e in _as_list(item.get("evidence")) if isinstance(e, str)):
            bad("evidence", prompts.DS_UNANSWERABLE_EVIDENCE)
    elif kind in TYPES and accept is not None:
        if not accept:
            bad("accept", prompts.DS_ACCEPT_EMPTY)
        else:
            if isinstance(answer, str) and answer.strip() and not _accepts(item, answer):
                bad("accept", prompts.DS_ACCEPT_MISMATCH.format(answer=answer))
            if _accepts(item, prompts.NOT_IN_CORPUS + "。"):
                bad("accept", prompts.DS_ACCEPT_VACUOUS.format(refusal=prompts.NOT_IN_CORPUS))
    return out


def _accepts(item: dict, text: str) -> bool:
    return answer_correct(item, {"answer": text, "answerable": True})


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def check_items(items: Iterable[tuple[int, Any]]) -> list[Problem]:
    """Problems of (line, item) pairs, duplicate ids included."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for line, item in items:
        out += check_item(item, line)
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident.strip():
            if ident in seen:
                out.append(Problem(line, "id", prompts.DS_DUPLICATE_ID.format(id=ident, line=seen[ident])))
            else:
                seen[ident] = line
    return out


# ---------------------------------------------------------------------------------------------------- parsing
def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(prompts.DATASET_NOT_UTF8.format(name=name)) from exc


def _jsonl_rows(text: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    rows, problems = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(Problem(n, "", prompts.DS_NOT_JSON.format(col=exc.colno, error=exc.msg)))
    return rows, problems


def _split(cell: str, sep: str) -> list[str]:
    return [p.strip() for p in cell.split(sep) if p.strip()]


def _csv_accept(cell: str, line: int) -> tuple[Any, list[Problem]]:
    cell = cell.strip()
    if cell.startswith("["):
        try:
            return json.loads(cell), []
        except json.JSONDecodeError as exc:
            return [], [Problem(line, "accept", prompts.DS_CSV_ACCEPT_JSON.format(error=exc.msg))]
    alts: list[Any] = []
    for alt in _split(cell, ALT_SEP):
        parts = _split(alt, ALL_SEP)
        alts.append(parts[0] if len(parts) == 1 else parts)
    return alts, []


def _csv_rows(text: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        return [], [Problem(1, "", prompts.DS_CSV_ERROR.format(error=exc))]
    cols = [h.strip().lower() for h in header]
    missing = [c for c in ("id", "question", "type") if c not in cols]
    if missing:
        header_help = prompts.DS_CSV_HEADER.format(columns=",".join(CSV_COLUMNS))
        return [], [Problem(1, c, header_help) for c in missing]
    rows: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    try:
        for values in reader:
            n = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(cols):
                problems.append(Problem(n, "", prompts.DS_CSV_WIDE.format(n=len(values))))
                continue
            cell = dict(zip(cols, [v.strip() for v in values]))
            item: dict[str, Any] = {k: cell.get(k, "") for k in ("id", "question", "type", "answer")}
            accept, bad = _csv_accept(cell.get("accept", ""), n)
            problems += bad
            item["accept"] = accept
            evidence = _split(cell.get("evidence", ""), ALT_SEP)
            item["evidence"] = evidence[0] if len(evidence) == 1 else evidence if evidence else ""
            item["source"] = cell.get("source", "")
            rows.append((n, item))
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "", prompts.DS_CSV_ERROR.format(error=exc)))
    return rows, problems


def parse_dataset(data: bytes | str, name: str) -> list[dict]:
    """Items of a dataset file's content; `name` ending in .csv means the CSV format, anything else JSONL.
    Raises DatasetError listing every bad line (line number and field), InputError for an unreadable file."""
    text = _decode(data, name)
    rows, problems = (_csv_rows if name.lower().endswith(".csv") else _jsonl_rows)(text)
    problems += check_items(rows)
    if problems:
        raise DatasetError(name, sorted(problems, key=lambda p: p.line))
    if not rows:
        raise InputError(prompts.DATASET_EMPTY.format(name=name))
    return [item for _, item in rows]


def resolve(dataset: str | Path) -> Path:
    """A dataset path from a name (dev, blind, heldout) or a path (else relative to the repository)."""
    text = str(dataset)
    if text in BUILTIN:
        return DATASETS_DIR / f"{text}.jsonl"
    p = Path(text)
    if not p.is_absolute() and not p.exists():
        p = REPO_ROOT / p
    return p


def load_dataset(dataset: str | Path) -> list[dict]:
    """Items of a dataset file (JSONL, or CSV by extension), validated."""
    p = resolve(dataset)
    if not p.is_file():
        raise InputError(prompts.DATASET_MISSING.format(name=dataset))
    return parse_dataset(p.read_bytes(), p.name)


def dataset_name(dataset: str | Path) -> str:
    """The short name runs are listed under: dev, blind, or the file name without extension."""
    return Path(str(dataset)).stem


def dataset_hash(items: list[dict]) -> str:
    """A short hash of the items' content (key order and white space between fields do not matter)."""
    canon = "\n".join(json.dumps(it, ensure_ascii=False, sort_keys=True) for it in items)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------------- writing
def to_csv(items: list[dict]) -> str:
    """Items in the CSV format (accept written as JSON when a word itself holds | or &)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for it in items:
        accept = it.get("accept") or []
        words = [p for alt in accept for p in (alt if isinstance(alt, list) else [alt])]
        if any(ALT_SEP in p or ALL_SEP in p for p in words):
            accept_cell = json.dumps(accept, ensure_ascii=False)
        else:
            accept_cell = ALT_SEP.join(ALL_SEP.join(a) if isinstance(a, list) else a for a in accept)
        evidence = _as_list(it.get("evidence"))
        source = _as_list(it.get("source"))
        w.writerow(
            [
                it["id"],
                it["question"],
                it["type"],
                it.get("answer", ""),
                accept_cell,
                ALT_SEP.join(evidence),
                source[0] if len(source) == 1 else ALT_SEP.join(source),
            ]
        )
    return buf.getvalue()


def local_dir(data_dir: Path) -> Path:
    """Where staff's own datasets live (one JSONL file each)."""
    return Path(data_dir) / "datasets"


def local_datasets(data_dir: Path) -> list[str]:
    """Names of the local datasets, sorted."""
    folder = local_dir(data_dir)
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def check_name(name: str) -> str:
    """A local dataset name (letters, digits, Chinese, - and _), or InputError."""
    name = (name or "").strip()
    if name.endswith(".jsonl"):
        name = name[: -len(".jsonl")]
    if not _NAME.match(name) or name in BUILTIN:
        raise InputError(prompts.DATASET_BAD_NAME.format(name=name, builtin="、".join(BUILTIN)))
    return name


def append_item(data_dir: Path, name: str, question: str, expected: str, kind: str = "fact") -> dict:
    """Append one question with its expected answer to local dataset `name` (created when missing).

    `expected` uses the CSV accept syntax: alternatives separated by |, words that must all appear by &;
    it may be empty only for an unanswerable question. Returns the stored item; InputError when invalid.
    """
    name = check_name(name)
    path = local_dir(data_dir) / f"{name}.jsonl"
    existing = parse_dataset(path.read_bytes(), path.name) if path.exists() and path.stat().st_size else []
    accept, bad = _csv_accept(expected or "", 1)
    if kind == "unanswerable":
        accept = []
    first = accept[0] if accept else ""
    item = {
        "id": f"{name}-{len(existing) + 1:03d}",
        "question": (question or "").strip(),
        "type": kind,
        "answer": "、".join(first) if isinstance(first, list) else first,
        "accept": accept,
        "source": "",
        "evidence": "",
    }
    taken = {it["id"] for it in existing}
    while item["id"] in taken:
        item["id"] += "b"
    problems = bad + check_item(item, len(existing) + 1)
    if problems:
        raise InputError(prompts.DATASET_BAD_ITEM.format(problems="；".join(p.message for p in problems)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return item
