"""Ingestion on the real corpus: offsets map back to the source, tables stay whole, metadata is complete."""

from __future__ import annotations

import re

import pytest

from bot.core.settings import Settings
from bot.index.corpus import read_docs
from bot.index.ingest import chunk_corpus, clean, clean_fragment, squash
from tests.conftest import CORPUS
from tools.tables import REPORT_ID, known_names, load_tables


@pytest.fixture(scope="module")
def docs():
    found, problems = read_docs(CORPUS)
    assert not problems
    return found


@pytest.fixture(scope="module")
def chunks(docs):
    return chunk_corpus(docs, Settings().chunk)


def test_every_document_is_chunked(docs, chunks):
    assert {d.meta.id for d in docs} == {c.doc_id for c in chunks}
    assert len(docs) == 5


def test_offsets_slice_back_to_chunk_text(docs, chunks):
    raw = {d.meta.id: d.text for d in docs}
    for c in chunks:
        assert squash(clean_fragment(raw[c.doc_id][c.start : c.end])) == squash(c.text), c.chunk_id
        assert raw[c.doc_id].count("\n", 0, c.start) + 1 == c.start_line


def test_chunk_ids_are_stable_and_unique(docs, chunks):
    again = chunk_corpus(docs, Settings().chunk)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in chunks]
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_metadata_on_every_chunk(chunks):
    for c in chunks:
        assert c.doc_id and c.title and c.chunk_id.startswith(c.doc_id + ":")
        assert 0 <= c.start < c.end


def test_chunk_sizes(chunks):
    prose = [len(c.text) for c in chunks if not c.is_table]
    assert max(prose) <= 650
    median = sorted(prose)[len(prose) // 2]
    assert 200 <= median <= 600


def test_no_table_row_is_split(docs, chunks):
    """Every tab-separated row of the source appears whole inside one chunk."""
    texts = [squash(c.text) for c in chunks]
    for d in docs:
        for line in d.text.splitlines():
            row = line.strip()
            if "\t" in row and squash(row):
                assert any(squash(row) in t for t in texts), row


def test_tables_keep_the_heading_above(chunks):
    tables = [c for c in chunks if c.is_table and "京津冀" in c.section]
    assert len(tables) >= 3  # the 京津冀 tables are mislabelled 珠三角 in the source; the section says 京津冀
    assert any("珠三角城市群" in c.text for c in tables)


def test_ranking_tables_are_filed_under_their_own_heading(docs, chunks):
    """Every ranking-table chunk's section names the cluster (or industry) the tool layer assigns its rows,
    and no other: a table is never filed under the heading of the table before it."""
    tables = load_tables(CORPUS)
    names = known_names(CORPUS)
    owner: dict[int, tuple[str, str]] = {}  # source line -> (kind, name) of the table the row belongs to
    for key in ("city_rank_2021", "city_rank_2022Q1", "city_growth"):
        owner.update({int(r.line): ("cluster", r.cluster) for r in tables[key].itertuples()})
    owner.update(
        {int(r.line): ("industry", r.industry) for r in tables["province_industry_rank"].itertuples()}
    )
    raw = next(d.text for d in docs if d.meta.id == REPORT_ID)
    covered: set[int] = set()
    for c in (c for c in chunks if c.doc_id == REPORT_ID and c.is_table):
        last = raw.count("\n", 0, c.end) + 1
        rows = {owner[n] for n in range(c.start_line, last + 1) if n in owner}
        if not rows:
            continue
        assert len(rows) == 1, (c.start_line, rows)  # one ranking table per chunk
        ((kind, expected),) = rows
        labels = [seg.split("：", 1)[0] for seg in c.section.split(" > ") if "：" in seg]
        named = {names[kind].get(label) for label in labels} - {None}
        assert named == {expected}, (c.start_line, expected, c.section)
        covered.update(n for n in range(c.start_line, last + 1) if n in owner)
    assert covered == set(owner)  # every parsed row was checked
    assert {name for kind, name in owner.values() if kind == "cluster"} >= {"长三角城市群", "京津冀城市群"}


def test_cleaning_removes_markup_and_debris(chunks):
    for c in chunks:
        assert "[image:" not in c.text and "**" not in c.text
        assert not re.search(r"<\s*/?\s*(p|div|br|strong|i)\b", c.text)


def test_front_matter_becomes_metadata(docs):
    zhihu = next(d for d in docs if d.meta.id.startswith("zhihu"))
    cleaned = clean(zhihu.text)
    assert "title" in cleaned.meta and "categories:" not in cleaned.text


def test_sections_are_detected(chunks):
    sections = {c.section for c in chunks if c.doc_id == "digital-tech-modernisation"}
    assert any(s.startswith("一、") for s in sections)
    assert any("（一）" in s for s in sections)
    book = {c.section for c in chunks if c.doc_id == "industrial-internet-book"}
    assert any("序言二" in s and "汤道生" in s for s in book)


def test_book_essays_are_credited_to_their_authors(chunks):
    essays = {
        c.section.split(" > ")[1]
        for c in chunks
        if c.doc_id == "industrial-internet-book" and " > " in c.section
    }
    # credited by the note that closes the essay, not by a line under its title
    assert "问路产业互联网（邬贺铨）" in essays
    assert "从电线到积木：产业互联网的模块化解决方案（陈永伟）" in essays
    # a team credited under the title; a title with its subtitle
    assert "开源：产业互联网的加速器（产业互联网联合课题组）" in essays
    assert "治理新模式——打造数字政府新方案（产业互联网联合课题组）" in essays
    # an essay is never nested under the one before it
    for c in chunks:
        assert c.section.count("（") - c.section.count("（执笔") <= 1 or "（一）" in c.section, c.section
