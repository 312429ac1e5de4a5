"""Validity checks for the eval datasets (the committed sets and the formats staff upload) through the one
validator the CLI and the 评测 tab use (evals/dataset.py); fast, needs no index."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from evals.dataset import (
    DatasetError,
    append_item,
    check_items,
    load_dataset,
    local_datasets,
    parse_dataset,
    to_csv,
)

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {
    "dev.jsonl": 120,
    "heldout.jsonl": 40,
    "blind.jsonl": 80,
    "blind2.jsonl": 80,
    "blind3.jsonl": 80,
    "blind4.jsonl": 80,
    "blind5.jsonl": 80,
    "blind6.jsonl": 80,
}  # file -> minimum size
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
    appear) occurs in the normalised answer (an independent restatement of design.md's rule)."""
    norm = normalise(answer)
    for alt in accept:
        parts = [alt] if isinstance(alt, str) else list(alt)
        if parts and all(normalise(p) in norm for p in parts):
            return True
    return False


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


def test_items_have_required_keys_and_pass_the_shared_validator(dataset: str) -> None:
    items = load_items(dataset)
    problems = check_items(enumerate(items, start=1))
    assert not problems, "\n".join(map(str, problems))
    for item in items:  # the committed sets also carry every key, even when empty
        missing = REQUIRED_KEYS - item.keys()
        assert not missing, f"{item.get('id')}: missing keys {missing}"
        assert isinstance(item["answer"], str) and item["answer"].strip(), item["id"]
    assert len(load_dataset(dataset.removesuffix(".jsonl"))) == len(items)  # by name, as the CLI takes it


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


# ---------------------------------------------------------------- the formats staff upload


def _problems(text: str, name: str = "mine.jsonl") -> list[str]:
    with pytest.raises(DatasetError) as err:
        parse_dataset(text.encode("utf-8"), name)
    return [str(p) for p in err.value.problems]


GOOD = {
    "id": "m-1",
    "question": "成渝2022Q1排名第五的城市？",
    "type": "ranking",
    "answer": "南充市",
    "accept": ["南充"],
}


def _line(**update: Any) -> str:
    item = {**GOOD, **update}
    return json.dumps({k: v for k, v in item.items() if v is not None}, ensure_ascii=False)


def test_jsonl_errors_name_the_line_and_the_field() -> None:
    text = "\n".join(
        [
            _line(),  # 1 fine
            "{not json",  # 2
            _line(id="m-3", type="ranked"),  # 3 bad type
            _line(id="m-1"),  # 4 duplicate id
            "",  # blank lines are skipped
            _line(id="m-6", question=None),  # 6 missing question
            _line(id="m-7", accept="南充"),  # 7 accept not a list
            _line(id="m-8", accept=["德阳"]),  # 8 reference answer outside accept
            _line(id="m-9", type="unanswerable", accept=["x"]),  # 9 unanswerable with accept
            _line(id="m-10", accept=["语料"]),  # 10 accepts a refusal
            "[1, 2]",  # 11 not an object
        ]
    )
    found = _problems(text)
    expected = [
        ("第 2 行", "不是合法的 JSON"),
        ("第 3 行", "字段 type"),
        ("第 4 行", "字段 id"),
        ("第 6 行", "字段 question"),
        ("第 7 行", "字段 accept"),
        ("第 8 行", "字段 accept"),
        ("第 9 行", "字段 accept"),
        ("第 10 行", "字段 accept"),
        ("第 11 行", "JSON 对象"),
    ]
    for where, what in expected:
        assert any(p.startswith(where + "：") and what in p for p in found), (where, what, found)
    assert not any(p.startswith("第 1 行") or p.startswith("第 5 行") for p in found)
    assert "“ranked”无效" in " ".join(found) and "与第 1 行重复" in " ".join(found)


def test_error_message_lists_lines_and_is_capped() -> None:
    text = "\n".join(_line(id=f"m-{i}", type="x") for i in range(1, 31))
    with pytest.raises(DatasetError) as err:
        parse_dataset(text, "many.jsonl")
    msg = str(err.value)
    assert msg.startswith("评测集 many.jsonl 有 30 处问题") and "第 20 行" in msg and "第 21 行" not in msg
    assert "另有 10 处问题未列出" in msg


def test_csv_format_alternatives_and_all_of() -> None:
    text = (
        "id,question,type,answer,accept,evidence\n"
        "c-1,成渝2022Q1排名第五的城市？,ranking,南充市,南充|南充市,5\t南充市\n"
        'c-2,"成渝的两个中心城市，分别是？",fact,成都、重庆,成都&重庆,"成都|重庆"\n'
        "c-3,火星上有多少人口？,unanswerable,,,\n"
        'c-4,有|的词？,fact,A|B,"[""A|B""]",\n'
    )
    items = parse_dataset(text.encode("utf-8-sig"), "mine.csv")
    assert [it["accept"] for it in items] == [["南充", "南充市"], [["成都", "重庆"]], [], ["A|B"]]
    assert items[1]["evidence"] == ["成都", "重庆"] and items[0]["evidence"] == "5\t南充市"
    assert items[2]["type"] == "unanswerable" and items[2]["evidence"] == ""


def test_csv_errors_name_the_line_and_the_field() -> None:
    found = _problems("question,type\n问题,fact\n", "mine.csv")
    assert found == [f"第 1 行：字段 id：{found[0].split('：', 2)[2]}"] and "表头缺少这一列" in found[0]
    text = "id,question,type,accept\nc-1,问题一,fact,\nc-2,问题二,ranking,甲,多余\nc-3,,calc,1\n"
    found = _problems(text, "mine.csv")
    assert any(p.startswith("第 2 行：字段 accept") for p in found), found
    assert any(p.startswith("第 3 行：") and "比表头多" in p for p in found), found
    assert any(p.startswith("第 4 行：字段 question") for p in found), found


def test_not_utf8_and_empty_files_are_one_sentence() -> None:
    with pytest.raises(Exception, match="不是 UTF-8 编码"):
        parse_dataset("id,question\n甲,乙\n".encode("gbk"), "gbk.csv")
    with pytest.raises(Exception, match="是空的"):
        parse_dataset(b"\n\n", "empty.jsonl")


def test_committed_sets_survive_a_csv_round_trip(dataset: str) -> None:
    items = load_items(dataset)
    back = parse_dataset(to_csv(items), dataset.replace(".jsonl", ".csv"))

    def same(it: dict) -> tuple:  # one evidence string and a list of one are the same thing
        evidence = [e for e in as_list(it["evidence"]) if e]
        return it["id"], it["question"], it["type"], it["answer"], it["accept"], evidence

    assert [same(it) for it in back] == [same(it) for it in items]


def test_append_item_builds_a_valid_local_set(tmp_path: Path) -> None:
    first = append_item(tmp_path, "我的题集", "成渝2022Q1排名第五的城市？", "南充|南充市", "ranking")
    second = append_item(tmp_path, "我的题集", "C2B是什么意思？", "Consumer&Business")
    third = append_item(tmp_path, "我的题集", "火星上有多少人口？", "", "unanswerable")
    assert [first["id"], second["id"], third["id"]] == ["我的题集-001", "我的题集-002", "我的题集-003"]
    assert first["accept"] == ["南充", "南充市"] and second["accept"] == [["Consumer", "Business"]]
    assert local_datasets(tmp_path) == ["我的题集"]
    items = load_dataset(tmp_path / "datasets" / "我的题集.jsonl")
    assert [it["type"] for it in items] == ["ranking", "fact", "unanswerable"]
    with pytest.raises(Exception, match="可回答的题目至少要有一个可接受答案"):
        append_item(tmp_path, "我的题集", "问题", "", "fact")
    with pytest.raises(Exception, match="名称“dev”不可用"):
        append_item(tmp_path, "dev", "问题", "答案")
    with pytest.raises(Exception, match="不可用"):
        append_item(tmp_path, "../escape", "问题", "答案")
    assert len(load_dataset(tmp_path / "datasets" / "我的题集.jsonl")) == 3
