"""Retrieval: BM25 (jieba tokens), dense (Chroma) and their reciprocal-rank fusion over the built index."""

from __future__ import annotations

import json
import re
import sys
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from bot.core import prompts
from bot.core.errors import IndexMissingError, InputError
from bot.core.schema import Chunk, Hit
from bot.core.settings import Settings
from bot.index.embed import make_embedder
from bot.index.store import build_index, chroma_client, current_name, index_is_valid, load_chunks, tokenize

Mode = Literal["hybrid", "bm25", "dense"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_NTH_QUARTER = re.compile(r"第([一二三四])季度")
QUERY_VECTORS_KEPT = (
    512  # recent query embeddings kept (an eval searches each question twice: runner + engine)
)


def clean_query(query: str, max_chars: int) -> str:
    """NFKC, control characters removed, length bounded; empty input is an InputError."""
    if not isinstance(query, str):
        raise InputError(prompts.QUESTION_NOT_TEXT)
    q = _CONTROL.sub(" ", unicodedata.normalize("NFKC", query)).strip()
    q = _NTH_QUARTER.sub(r"\1季度", q)  # "第一季度" is written "一季度" in the report
    if not q:
        raise InputError(prompts.QUESTION_EMPTY)
    return q[:max_chars]


_BOOK_TITLE = re.compile(r"《([^》]+)》")
_DEICTIC = re.compile(r"^(?:这|本|该|此|书中|文集)")  # aliases that point at "the book" being talked about


class Retriever:
    """Opens the current index once; `search` is then cheap (one embedding + two lookups)."""

    def __init__(self, settings: Settings, name: str):
        import bm25s

        self.settings = settings
        self.name = name
        folder = settings.paths.index_dir / name
        self.chunks: list[Chunk] = load_chunks(folder)
        self.by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.bm25 = bm25s.BM25.load(str(folder / "bm25"), load_corpus=False)
        self.vocab = set(self.bm25.vocab_dict)
        info = json.loads((folder / "build.json").read_text())
        self.client = chroma_client(settings, folder / "chroma")
        self.collection = self.client.get_collection(info["collection"])
        self.embedder = make_embedder(settings)
        from bot.index.corpus import load_manifest

        self.aliases = {
            d.id: [a for a in d.aliases + [d.title] if len(a) >= 2]
            for d in load_manifest(settings.paths.corpus_dir)
        }
        self.doc_ids = np.array([c.doc_id for c in self.chunks])
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def named_docs(self, query: str) -> list[str]:
        """Documents the query names by title or alias ("科技日报提到…", "书中…"); empty when none or all. A
        question about another book (《…》 that is no document's title) uses "这本书" for that book."""
        foreign = [
            t
            for t in _BOOK_TITLE.findall(query)
            if not any(t in name or name in t for names in self.aliases.values() for name in names)
        ]
        if foreign:
            query = _BOOK_TITLE.sub(" ", query)
        found = [
            doc
            for doc, names in self.aliases.items()
            if any(n in query and not (foreign and _DEICTIC.match(n)) for n in names)
        ]
        return found if len(found) < len(self.aliases) else []

    def without_names(self, query: str, docs: list[str]) -> str:
        """The query minus the names of the documents it cites: those name the source, not the content."""
        for doc in docs:
            for name in sorted(self.aliases[doc], key=len, reverse=True):
                query = query.replace(name, " ")
        return query

    @classmethod
    def open(cls, settings: Settings, build_if_missing: bool = True) -> Retriever:
        """The retriever over the current index; a missing or broken index is rebuilt (and said so) or
        reported."""
        if not index_is_valid(settings):
            if not build_if_missing:
                raise IndexMissingError("还没有可用的索引，请先运行 `python -m bot index`。")
            print("索引缺失、损坏或已过期，正在重建……", file=sys.stderr)
            build_index(settings, progress=True)
        name = current_name(settings.paths.index_dir)
        assert name
        try:
            return cls(settings, name)
        except Exception as exc:  # a corrupted store: rebuild once
            if not build_if_missing:
                raise IndexMissingError(
                    f"索引无法打开（{type(exc).__name__}），请运行 `python -m bot index --rebuild`。"
                ) from exc
            print(f"索引无法打开（{type(exc).__name__}），正在重建……", file=sys.stderr)
            build_index(settings, rebuild=True, progress=True)
            return cls(settings, current_name(settings.paths.index_dir) or name)

    def neighbours(self, chunk: Chunk) -> tuple[Chunk | None, Chunk | None]:
        i = self.by_id[chunk.chunk_id]
        prev = self.chunks[i - 1] if i > 0 and self.chunks[i - 1].doc_id == chunk.doc_id else None
        nxt = (
            self.chunks[i + 1]
            if i + 1 < len(self.chunks) and self.chunks[i + 1].doc_id == chunk.doc_id
            else None
        )
        return prev, nxt

    def bm25_search(self, query: str, n: int, docs: list[str] | None = None) -> list[tuple[int, float]]:
        toks = [t for t in tokenize(query) if t in self.vocab]
        if not toks:
            return []
        mask = np.isin(self.doc_ids, docs).astype(np.float32) if docs else None
        found, scores = self.bm25.retrieve(
            [toks], k=min(n, len(self.chunks)), show_progress=False, n_threads=1, weight_mask=mask
        )
        return [(int(d), float(s)) for d, s in zip(found[0], scores[0]) if s > 0]

    def query_vector(self, query: str) -> list[float]:
        """The query's embedding; the last QUERY_VECTORS_KEPT are remembered."""
        with self._vectors_lock:
            if query in self._vectors:
                self._vectors.move_to_end(query)
                return self._vectors[query]
        vec = self.embedder.get_query_embedding(query)
        with self._vectors_lock:
            self._vectors[query] = vec
            while len(self._vectors) > QUERY_VECTORS_KEPT:
                self._vectors.popitem(last=False)
        return vec

    def prime_queries(self, queries: Sequence[str]) -> None:
        """Embed the queries a batch of searches will need in one call (an eval run does this ahead of each
        few items) and remember them; the embedder's batch method is used when it has one."""
        max_chars = self.settings.retrieval.max_query_chars
        wanted: list[str] = []
        for query in queries:
            try:
                q = clean_query(query, max_chars)
            except InputError:
                continue
            wanted.append(q)
            docs = self.named_docs(q)
            if docs:
                wanted.append(self.without_names(q, docs).strip() or q)
        with self._vectors_lock:
            todo = [q for q in dict.fromkeys(wanted) if q not in self._vectors]
        if not todo:
            return
        batch = getattr(self.embedder, "query_embeddings", None)
        vecs = batch(todo) if callable(batch) else [self.embedder.get_query_embedding(q) for q in todo]
        with self._vectors_lock:
            for q, v in zip(todo, vecs):
                self._vectors[q] = v
            while len(self._vectors) > QUERY_VECTORS_KEPT:
                self._vectors.popitem(last=False)

    def forget_queries(self) -> None:
        """Drop the remembered query embeddings (benchmarks time cold queries)."""
        with self._vectors_lock:
            self._vectors.clear()

    def dense_search(self, query: str, n: int, docs: list[str] | None = None) -> list[tuple[int, float]]:
        vec = self.query_vector(query)
        where: Any = {"doc_id": {"$in": docs}} if docs else None
        res: dict[str, Any] = self.collection.query(
            query_embeddings=[vec], n_results=min(n, len(self.chunks)), include=["distances"], where=where
        )
        return [
            (self.by_id[cid], 1.0 - float(d))
            for cid, d in zip(res["ids"][0], res["distances"][0])
            if cid in self.by_id
        ]

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        """Top-k chunks for a query. Hybrid = weighted reciprocal-rank fusion of BM25 and dense lists."""
        r = self.settings.retrieval
        k = k or r.top_k
        if k < 1:
            raise InputError("返回条数 k 至少为 1。")
        q = clean_query(query, r.max_query_chars)
        n = max(r.candidates, k)
        lists: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "bm25"):
            lists["bm25"] = self.bm25_search(q, n)
        if mode in ("hybrid", "dense"):
            lists["dense"] = self.dense_search(q, n)
        docs = self.named_docs(q)
        if docs and mode == "hybrid":
            # A question naming its source ("科技日报提到…") also searches within that source; the extra lists
            # lift its passages without hiding the rest of the corpus.
            content = self.without_names(q, docs).strip() or q
            lists["bm25@doc"] = self.bm25_search(content, n, docs)
            lists["dense@doc"] = self.dense_search(content, n, docs)
        if mode != "hybrid":
            ranked = lists[mode][:k]
            return [
                Hit(chunk=self.chunks[i], score=s, rank=j + 1, sources={mode: j + 1}, **{mode: s})
                for j, (i, s) in enumerate(ranked)
            ]
        weights = {
            "bm25": r.bm25_weight,
            "dense": r.dense_weight,
            "bm25@doc": r.bm25_weight,
            "dense@doc": r.dense_weight,
        }
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        raw: dict[int, dict[str, float]] = {}
        for name, items in lists.items():
            for j, (i, s) in enumerate(items):
                fused[i] = fused.get(i, 0.0) + weights[name] / (r.rrf_k + j + 1)
                ranks.setdefault(i, {})[name] = j + 1
                raw.setdefault(i, {})[name] = s
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [
            Hit(
                chunk=self.chunks[i],
                score=fused[i],
                rank=j + 1,
                sources=ranks[i],
                bm25=raw[i].get("bm25", raw[i].get("bm25@doc")),
                dense=raw[i].get("dense", raw[i].get("dense@doc")),
            )
            for j, i in enumerate(order)
        ]


def spread_over_documents(hits: list[Hit], k: int, window: int | None = None) -> list[Hit]:
    """`k` hits from a ranked list, spread over the documents instead of all from the one with most text.

    Every document with a hit in the top `window` ranks (default 3k) shows its best hit; the remaining places
    go by rank, no document taking more than half of them while another still has hits. The documents' best
    hits come first (by rank), then the rest (by rank), so each document's hits keep their order. With one
    document in the window this is simply the top `k`.
    """
    if k < 1:
        return []
    window = window or 3 * k
    docs = list(dict.fromkeys(h.chunk.doc_id for h in hits[:window]))
    if len(docs) <= 1:
        return hits[:k]
    best = [next(h for h in hits if h.chunk.doc_id == d) for d in docs][:k]
    order = {id(h): i for i, h in enumerate(hits)}
    taken = {id(h) for h in best}
    count = Counter(h.chunk.doc_id for h in best)
    cap = max(1, -(-k // 2))
    rest: list[Hit] = []
    for capped in (True, False):  # the cap yields only when every other document has run out of hits
        for h in hits:
            if len(best) + len(rest) >= k:
                break
            if id(h) in taken or (capped and count[h.chunk.doc_id] >= cap):
                continue
            rest.append(h)
            taken.add(id(h))
            count[h.chunk.doc_id] += 1
    rest.sort(key=lambda h: order[id(h)])
    return best + rest


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
