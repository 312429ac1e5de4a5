"""Index and retrieval on the real corpus with real Chroma and real embeddings (integration tier)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.core.errors import CorpusError, InputError, StoreError
from bot.core.schema import Chunk, Hit
from bot.core.settings import Settings
from bot.index import store as index_mod
from bot.index.retrieve import Retriever, spread_over_documents
from bot.index.store import (
    CURRENT,
    build_index,
    collection_name,
    current_name,
    deployment_id,
    index_is_valid,
    owned_collections,
)
from tests.conftest import CORPUS, make_settings

pytestmark = pytest.mark.slow

KNOWN = [
    ("数字化转型指数由哪几个层次的指数加权平均而得？", "tencent-dti-2022"),
    ("成渝城市群2022Q1排名", "tencent-dti-2022"),
    ("C2B是产业互联网的关键路径", "industrial-internet-book"),
    ("青海省大通县与腾讯云签署战略合作协议", "kjrb-2022-tech-giants-rural"),
    ("完美日记借助微信小程序积累了多少粉丝", "zhihu-2022-digital-economy"),
    ("数字技术与共同富裕", "digital-tech-modernisation"),
    ("技术与现代化的历史考察", "digital-tech-modernisation"),
    ("产业互联网是历史的必然", "industrial-internet-book"),
]


def _copy_settings(tmp_path: Path, settings: Settings, corpus: Path | None = None) -> Settings:
    """A private index folder seeded with the session's embedding cache (so builds stay quick)."""
    idx = tmp_path / "idx"
    idx.mkdir()
    shutil.copy(settings.paths.index_dir / "embed_cache.sqlite", idx / "embed_cache.sqlite")
    return make_settings(idx, tmp_path / "data", corpus_dir=corpus or CORPUS)


def _copy_corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.mark.parametrize("query,doc", KNOWN)
def test_known_questions_find_their_document_in_top3(retriever, query, doc):
    hits = retriever.search(query, k=3)
    assert doc in [h.chunk.doc_id for h in hits]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_returns_ranked_hits(retriever, mode):
    hits = retriever.search("基础设施指数同比增幅", k=5, mode=mode)
    assert 1 <= len(hits) <= 5
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def _hits(docs: str) -> list[Hit]:
    """Ranked hits whose documents are the letters of `docs` ("AAB" = ranks 1, 2 from A, rank 3 from B)."""
    return [
        Hit(
            chunk=Chunk(chunk_id=f"{d}:{i}", doc_id=d, title=d, text=f"{d}{i}", start=0, end=1),
            score=1 / (i + 1),
            rank=i + 1,
        )
        for i, d in enumerate(docs)
    ]


def _ids(hits: list[Hit]) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def test_spread_over_documents_gives_each_document_its_best_hit_and_keeps_order():
    ranked = _hits("AAAAAAABAAABAAAAAAAAAAAAAAAAAC")  # B at ranks 8 and 12, C only at rank 30
    shown = spread_over_documents(ranked, 4)  # window 12: A and B take part, C does not
    assert _ids(shown) == ["A:0", "B:7", "A:1", "B:11"]
    # No document takes more than half while another has hits; then the cap yields.
    assert _ids(spread_over_documents(_hits("AABAAAAAAA"), 6)) == ["A:0", "B:2", "A:1", "A:3", "A:4", "A:5"]
    # One document in the window (or k = 1): the plain top k.
    assert _ids(spread_over_documents(_hits("AAAAAAAAAAAAAB"), 4)) == ["A:0", "A:1", "A:2", "A:3"]
    assert _ids(spread_over_documents(ranked, 1)) == ["A:0"]
    assert spread_over_documents(ranked, 0) == [] and spread_over_documents([], 5) == []


def test_spread_search_shows_the_report_next_to_the_book(retriever):
    pool = retriever.search("工业互联网", k=80)
    shown = spread_over_documents(pool, 8)
    docs = [h.chunk.doc_id for h in shown]
    assert len(shown) == 8 and {"industrial-internet-book", "tencent-dti-2022"} <= set(docs)
    assert docs.count("industrial-internet-book") <= 4
    for doc in set(docs):  # each document's hits keep their rank order
        ranks = [h.rank for h in shown if h.chunk.doc_id == doc]
        assert ranks == sorted(ranks)
        assert ranks[0] == min(h.rank for h in pool if h.chunk.doc_id == doc)  # its best hit is shown


def test_noop_rebuild_changes_nothing(settings):
    before = current_name(settings.paths.index_dir)
    report = build_index(settings, progress=False)
    assert report.noop and report.embedded == 0
    assert current_name(settings.paths.index_dir) == before


def test_changed_document_reembeds_only_its_chunks(tmp_path, settings):
    corpus = _copy_corpus(tmp_path)
    s = _copy_settings(tmp_path, settings, corpus)
    first = build_index(s, progress=False)
    assert first.embedded == 0  # everything came from the cache
    target = corpus / "zhihu_2022-01-14_digital_economy_progress.txt"
    target.write_text(
        target.read_text(encoding="utf-8").replace("良久的回答", "良久的回答（修订版）"), encoding="utf-8"
    )
    second = build_index(s, progress=False)
    zhihu_chunks = sum(
        1 for c in Retriever.open(s, build_if_missing=False).chunks if c.doc_id.startswith("zhihu")
    )
    assert not second.noop and 1 <= second.embedded <= zhihu_chunks
    assert second.name != first.name
    assert not (s.paths.index_dir / first.name).exists()  # the old version was swapped out


def test_interrupted_build_leaves_previous_index_serving(tmp_path, settings, monkeypatch):
    corpus = _copy_corpus(tmp_path)
    s = _copy_settings(tmp_path, settings, corpus)
    build_index(s, progress=False)
    good = current_name(s.paths.index_dir)
    (corpus / "zhihu_2022-01-14_digital_economy_progress.txt").write_text(
        "全新的内容。" * 50, encoding="utf-8"
    )

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_mod, "embed_passages", boom)
    with pytest.raises(KeyboardInterrupt):
        build_index(s, progress=False)
    assert current_name(s.paths.index_dir) == good
    assert not list(s.paths.index_dir.glob(".tmp-*"))
    assert Retriever.open(s, build_if_missing=False).search("数字化转型指数", k=1)


def test_corrupted_index_is_detected_and_rebuilt(tmp_path, settings, capsys):
    s = _copy_settings(tmp_path, settings)
    build_index(s, progress=False)
    name = current_name(s.paths.index_dir)
    (s.paths.index_dir / name / "build.json").write_text("{not json")
    assert not index_is_valid(s)
    r = Retriever.open(s)
    assert "重建" in capsys.readouterr().err
    assert r.search("产业互联网", k=1)
    shutil.rmtree(s.paths.index_dir / current_name(s.paths.index_dir))
    (s.paths.index_dir / CURRENT).unlink()
    assert Retriever.open(s).search("产业互联网", k=1)


def _truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _truncate_at_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))


def _undecodable(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:200] + b"\xff\xfe\xfd" + data[203:])


CORRUPTIONS = {
    "chroma-sqlite-truncated": lambda d: _truncate(d / "chroma" / "chroma.sqlite3", 0.3),
    "chroma-sqlite-deleted": lambda d: (d / "chroma" / "chroma.sqlite3").unlink(),
    "bm25-vocab-deleted": lambda d: (d / "bm25" / "vocab.index.json").unlink(),
    "bm25-matrix-truncated": lambda d: _truncate(d / "bm25" / "data.csc.index.npy", 0.5),
    "chunks-truncated-mid-character": lambda d: _truncate(d / "chunks.jsonl", 0.5),
    "chunks-truncated-at-a-line": lambda d: _truncate_at_line(d / "chunks.jsonl"),
    "chunks-undecodable": lambda d: _undecodable(d / "chunks.jsonl"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_index_command_verifies_the_stores_and_rebuilds_what_is_broken(tmp_path, settings, capsys, kind):
    """`index` opens what the index points at (chunks, BM25, Chroma) instead of trusting file names: each
    kind of damage is named, rebuilt, and the rebuilt index answers."""
    idx = tmp_path / "index"  # where the autouse fixture points BOT_PATHS__INDEX_DIR
    idx.mkdir()
    shutil.copy(settings.paths.index_dir / "embed_cache.sqlite", idx / "embed_cache.sqlite")
    assert main(["index", "--quiet"]) == 0
    assert main(["index", "--quiet"]) == 0
    assert "已是最新" in capsys.readouterr().out
    CORRUPTIONS[kind](idx / current_name(idx))
    assert main(["index", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "已重建" in captured.out and "已是最新" not in captured.out, captured
    assert "内部错误" not in captured.err
    assert main(["index", "--quiet"]) == 0
    assert "已是最新" in capsys.readouterr().out
    s = make_settings(idx, tmp_path / "data")
    r = Retriever.open(s, build_if_missing=False)
    assert r.search("产业互联网", k=1, mode="dense") and r.search("产业互联网", k=1, mode="bm25")


def test_bad_files_are_named_and_skipped(tmp_path, settings):
    corpus = _copy_corpus(tmp_path)
    (corpus / "latin1.txt").write_bytes("caf\xe9 digital".encode("latin-1"))
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    s = _copy_settings(tmp_path, settings, corpus)
    report = build_index(s, progress=False)
    assert report.ok and report.chunks > 500
    joined = " ".join(report.problems)
    assert "latin1.txt" in joined and "empty.txt" in joined


def test_nothing_indexable_fails_clearly(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    s = make_settings(tmp_path / "idx", tmp_path / "data", corpus_dir=corpus)
    with pytest.raises(CorpusError):
        build_index(s, progress=False)


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01\x02"])
def test_empty_or_control_queries_are_refused_clearly(retriever, query):
    with pytest.raises(InputError) as err:
        retriever.search(query)
    assert "问题" in str(err.value)


def test_huge_query_is_bounded(retriever):
    hits = retriever.search("数字化转型" * 2000, k=3)
    assert len(hits) == 3


def test_cli_search_and_bad_input(settings, monkeypatch, capsys):
    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    from bot.core.settings import get_settings

    get_settings.cache_clear()
    assert main(["search", "腾讯研究院 数字化转型指数", "-k", "2", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"doc_id"' in out
    assert main(["search", "   "]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "Traceback" not in err
    assert main(["search", "数字" * 5000, "-k", "1"]) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_chroma(path: Path) -> tuple[subprocess.Popen, int]:
    """A real `chroma run` server (the CLI chromadb installs next to this Python), ready for requests."""
    chroma = Path(sys.executable).with_name("chroma")
    assert chroma.exists(), "chromadb's `chroma` CLI is missing from the environment"
    port = _free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("chroma run did not start")


def _server_collections(port: int) -> set[str]:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def test_two_deployments_share_a_chroma_server(tmp_path, settings):
    """Two deployments (own index dirs, different corpora) on one real `chroma run` server: B's builds and
    garbage collection remove only B's old collections; A keeps answering, and a stranger's collection
    stays."""
    import chromadb

    proc, port = _start_chroma(tmp_path / "server")
    http = {"mode": "http", "host": "127.0.0.1", "port": port}
    try:
        stranger = "chunks_someone_elses_index"
        chromadb.HttpClient(host="127.0.0.1", port=port).create_collection(stranger)

        def deployment(label: str, corpus: Path) -> Settings:
            idx = tmp_path / label / "idx"
            idx.mkdir(parents=True)
            shutil.copy(settings.paths.index_dir / "embed_cache.sqlite", idx / "embed_cache.sqlite")
            return make_settings(idx, tmp_path / label / "data", corpus_dir=corpus, chroma=http)

        a = deployment("a", CORPUS)
        corpus_b = tmp_path / "b" / "corpus"
        shutil.copytree(CORPUS, corpus_b)
        zhihu = corpus_b / "zhihu_2022-01-14_digital_economy_progress.txt"
        zhihu.write_text(zhihu.read_text(encoding="utf-8").replace("良久的回答", "良久的回答（B）"), "utf-8")
        b = deployment("b", corpus_b)

        build_index(a, progress=False)
        coll_a = json.loads((a.paths.index_dir / current_name(a.paths.index_dir) / "build.json").read_text())
        first_b = build_index(b, progress=False)
        zhihu.write_text(zhihu.read_text(encoding="utf-8") + "\n补充的一段文字。\n", "utf-8")
        second_b = build_index(b, progress=False)  # B changes: its old collection is collected
        assert second_b.name != first_b.name

        dep_a, dep_b = deployment_id(a.paths.index_dir), deployment_id(b.paths.index_dir)
        assert dep_a != dep_b
        names = _server_collections(port)
        assert names == {
            coll_a["collection"],
            collection_name(b.paths.index_dir, second_b.name),
            stranger,
        }, names
        assert collection_name(b.paths.index_dir, first_b.name) not in names
        assert owned_collections(b.paths.index_dir) == [collection_name(b.paths.index_dir, second_b.name)]

        # A still answers from its own collection, and its `index` finds everything whole.
        hits = Retriever.open(a, build_if_missing=False).search("C2B 产业互联网", k=3, mode="dense")
        assert hits and hits[0].dense is not None
        assert build_index(a, progress=False).noop

        # A's collection removed behind its back: `index` notices and rebuilds instead of "已是最新".
        chromadb.HttpClient(host="127.0.0.1", port=port).delete_collection(coll_a["collection"])
        report = build_index(a, progress=False)
        assert not report.noop and "重建" in report.summary()
        assert Retriever.open(a, build_if_missing=False).search("C2B 产业互联网", k=3, mode="dense")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # The server is down: `index` says so in one sentence instead of "索引已是最新".
    with pytest.raises(StoreError, match="Chroma"):
        build_index(a, progress=False)


def test_primed_query_vectors_equal_the_ones_asked_alone(retriever):
    """Evals prime many questions at once; the vectors must be those the chat page computes for one."""
    queries = ["产业互联网的三个阶段", "深圳5G基站累计多少个", "数字经济核心产业增加值"]
    retriever.forget_queries()
    retriever.prime_queries(queries)
    primed = {q: list(retriever._vectors[q]) for q in queries}
    for q in queries:
        alone = retriever.embedder.get_query_embedding(q)
        assert primed[q] == pytest.approx(alone, abs=1e-6)
