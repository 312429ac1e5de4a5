"""Validity checks for the eval datasets (evals/datasets/dev.jsonl and the held-out set); fast, needs no
index."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {"dev.jsonl": 120, "heldout.jsonl": 40, "blind.jsonl": 80}  # file -> minimum size
CORPUS = ROOT / "corpus"

REQUIRED_KEYS = {"id", "question", "type", "answer", "accept", "source", "evidence"}
TYPES = {"ranking", "calc", "fact", "multi", "unanswerable"}
FORBIDDEN_IN_EVIDENCE = ("<", ">", "**", "[image")
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC-normalise and drop all white space, as the eval scoring rule does."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def accept_matches(answer: str, accept: list[Any]) -> bool:
    """True when one accept alternative (a string, or a list of strings that must all
    appear) occurs in the normalised answer."""
    norm = normalise(answer)
    for alt in accept:
        parts = [alt] if isinstance(alt, str) else list(alt)
        if parts and all(normalise(p) in norm for p in parts):
            return True
    return False


def is_accept_alternative(alt: object) -> bool:
    """An alternative is a non-empty string or a non-empty list of non-empty strings."""
    if isinstance(alt, str):
        return bool(alt.strip())
    return isinstance(alt, list) and bool(alt) and all(isinstance(p, str) and p.strip() for p in alt)


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@lru_cache(maxsize=1)
def corpus_texts() -> dict[str, str]:
    files = sorted(CORPUS.glob("*.txt"))
    assert files, f"no corpus files under {CORPUS}"
    return {f.name: normalise(f.read_text(encoding="utf-8")) for f in files}


@pytest.fixture(params=sorted(DATASETS))
def dataset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@lru_cache(maxsize=4)
def load_items(name: str) -> list[dict[str, Any]]:
    path = ROOT / "evals" / "datasets" / name
    assert path.is_file(), f"missing dataset {path}"
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"blank line {lineno} in {name}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - failure path
            pytest.fail(f"line {lineno} is not valid JSON: {exc}")
        assert isinstance(item, dict), f"line {lineno} is not a JSON object"
        items.append(item)
    return items


def test_items_have_required_keys_and_types(dataset: str) -> None:
    for item in load_items(dataset):
        missing = REQUIRED_KEYS - item.keys()
        assert not missing, f"{item.get('id')}: missing keys {missing}"
        assert item["type"] in TYPES, f"{item['id']}: bad type {item['type']!r}"
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item["question"], str) and item["question"].strip(), item["id"]
        assert isinstance(item["answer"], str) and item["answer"].strip(), item["id"]
        assert isinstance(item["accept"], list), item["id"]
        for alt in item["accept"]:
            assert is_accept_alternative(alt), f"{item['id']}: bad accept alternative {alt!r}"
        for key in ("source", "evidence"):
            value = item[key]
            assert isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ), f"{item['id']}: {key} must be str or list of str"


def test_ids_unique_and_dataset_size(dataset: str) -> None:
    items = load_items(dataset)
    ids = [item["id"] for item in items]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"duplicate ids: {dupes}"
    assert len(items) >= DATASETS[dataset], f"only {len(items)} items, need >= {DATASETS[dataset]}"


def test_all_types_present(dataset: str) -> None:
    assert {item["type"] for item in load_items(dataset)} == TYPES


def test_every_corpus_document_is_a_source(dataset: str) -> None:
    sources = {s for item in load_items(dataset) for s in as_list(item["source"])}
    docs = set(corpus_texts())
    assert docs <= sources, f"documents never used as source: {docs - sources}"
    unknown = {s for s in sources if s} - docs
    assert not unknown, f"sources that are not corpus files: {unknown}"


def test_unanswerable_items_have_no_evidence_or_accept(dataset: str) -> None:
    for item in load_items(dataset):
        if item["type"] != "unanswerable":
            continue
        assert item["accept"] == [], f"{item['id']}: unanswerable item has accept"
        assert all(e == "" for e in as_list(item["evidence"])), (
            f"{item['id']}: unanswerable item has evidence"
        )


def test_answerable_items_have_accept_and_evidence(dataset: str) -> None:
    for item in load_items(dataset):
        if item["type"] == "unanswerable":
            continue
        assert item["accept"], f"{item['id']}: empty accept"
        evidence = as_list(item["evidence"])
        assert evidence and all(e.strip() for e in evidence), f"{item['id']}: empty evidence"
        if item["type"] == "multi":
            assert len(evidence) >= 2, f"{item['id']}: multi item needs two evidence strings"


def test_evidence_is_verbatim_corpus_text(dataset: str) -> None:
    texts = corpus_texts()
    problems = []
    for item in load_items(dataset):
        for ev in as_list(item["evidence"]):
            if not ev:
                continue
            bad = [m for m in FORBIDDEN_IN_EVIDENCE if m in ev]
            if bad:
                problems.append(f"{item['id']}: evidence contains markup {bad}: {ev!r}")
                continue
            norm = normalise(ev)
            if not any(norm in text for text in texts.values()):
                problems.append(f"{item['id']}: evidence not found in corpus: {ev!r}")
    assert not problems, "\n".join(problems)


def test_reference_answer_matches_its_accept_rule(dataset: str) -> None:
    bad = [
        f"{item['id']}: {item['answer']!r} vs {item['accept']!r}"
        for item in load_items(dataset)
        if item["type"] != "unanswerable" and not accept_matches(item["answer"], item["accept"])
    ]
    assert not bad, "\n".join(bad)


def test_accept_rule_is_not_vacuous(dataset: str) -> None:
    """A rule that also accepts an unrelated answer could never fail an item."""
    for item in load_items(dataset):
        if item["type"] == "unanswerable":
            continue
        assert not accept_matches("语料中没有相关信息。", item["accept"]), item["id"]


def test_accept_matcher_semantics() -> None:
    assert accept_matches("德阳市", ["德阳"])
    assert accept_matches("1 2 5 . 4 %", ["125.4"])
    assert accept_matches("泰州、湖州、温州", [["泰州", "湖州", "温州"]])
    assert not accept_matches("泰州、湖州", [["泰州", "湖州", "温州"]])
    assert not accept_matches("南充", ["德阳"])
    assert accept_matches("１２５．４％", ["125.4%"])  # NFKC folds full-width digits
