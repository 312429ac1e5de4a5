"""Index build: chunks -> embeddings (cached) -> Chroma + BM25, built in a temp folder and swapped in
atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.errors import CorpusError, StoreError
from bot.core.schema import Chunk
from bot.core.settings import Settings
from bot.index.corpus import read_docs
from bot.index.embed import EmbeddingCache, embed_passages, make_embedder
from bot.index.ingest import chunk_corpus

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
COLLECTION_PREFIX = "chunks_"


@dataclass
class BuildReport:
    ok: bool = True
    name: str = ""
    noop: bool = False
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    rebuilt_reason: str = ""

    def summary(self) -> str:
        lines = [f"跳过：{p}" for p in self.problems]
        if self.rebuilt_reason:
            lines.append(self.rebuilt_reason)
        if self.noop:
            lines.append(f"索引已是最新（{self.chunks} 个片段），用时 {self.seconds:.1f} 秒。")
        else:
            lines.append(
                f"索引已构建：{self.chunks} 个片段，新嵌入 {self.embedded} 个，用时 {self.seconds:.1f} 秒。"
            )
        return "\n".join(lines)


def passage_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its section path, then its text."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def tokenize(text: str) -> list[str]:
    """Chinese search tokens: rjieba's search-mode words (with their sub-words), punctuation dropped,
    lowercased."""
    import rjieba

    return [t.lower() for t in rjieba.cut_for_search(text) if t.strip() and any(ch.isalnum() for ch in t)]


def chroma_client(settings: Settings, path: Path | None = None) -> Any:
    """A Chroma client: PersistentClient at `path`, or HttpClient when settings.chroma.mode == 'http'."""
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    cfg = ChromaConfig(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma.mode == "http":
        try:
            return chromadb.HttpClient(host=settings.chroma.host, port=settings.chroma.port, settings=cfg)
        except Exception as exc:
            raise StoreError(
                f"无法连接 Chroma 服务 {settings.chroma.host}:{settings.chroma.port}（{exc}），"
                "请先运行 `chroma run` 或改用本地模式。"
            ) from exc
    assert path is not None
    return chromadb.PersistentClient(path=str(path), settings=cfg)


def current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / CURRENT).read_text().strip() or None
    except OSError:
        return None


def index_is_valid(settings: Settings, name: str | None = None) -> bool:
    """True when CURRENT points at a complete index of the configured kind."""
    index_dir = settings.paths.index_dir
    name = name or current_name(index_dir)
    if not name or not name.startswith(settings.index_key()):
        return False
    d = index_dir / name
    try:
        info = json.loads((d / "build.json").read_text())
    except (OSError, ValueError):
        return False
    needed = [d / "chunks.jsonl", d / "bm25" / "params.index.json"]
    if settings.chroma.mode == "persistent":
        needed.append(d / "chroma" / "chroma.sqlite3")
    return info.get("complete") is True and all(p.exists() for p in needed)


@contextmanager
def _lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fingerprint(settings: Settings, docs: list) -> str:
    h = hashlib.sha1(settings.index_key().encode())
    for d in sorted(docs, key=lambda d: d.meta.id):
        h.update(f"{d.meta.model_dump_json()}|{d.sha}".encode())
    return h.hexdigest()[:10]


def build_index(settings: Settings, rebuild: bool = False, progress: bool = True) -> BuildReport:
    """Build (or confirm) the index for the current corpus. Never leaves a half-built index serving."""
    t0 = time.perf_counter()
    index_dir = settings.paths.index_dir
    docs, problems = read_docs(settings.paths.corpus_dir)
    report = BuildReport(problems=problems)
    if not docs:
        raise CorpusError(f"{settings.paths.corpus_dir} 中没有可读取的文档，无法建立索引。")
    name = f"{settings.index_key()}-{_fingerprint(settings, docs)}"
    report.name = name
    with _lock(index_dir):
        old = current_name(index_dir)
        if old and old.startswith(settings.index_key()) and not index_is_valid(settings, old):
            report.rebuilt_reason = "检测到索引缺失或损坏，已重建。"
        elif old and not old.startswith(settings.index_key()):
            report.rebuilt_reason = "嵌入模型、分块参数或解析器已变化，已按新配置重建索引。"
        if not rebuild and old == name and index_is_valid(settings, name):
            report.noop = True
            report.chunks = (index_dir / name / "chunks.jsonl").read_text(encoding="utf-8").count("\n")
            report.seconds = time.perf_counter() - t0
            return report
        chunks = chunk_corpus(docs, settings.chunk)
        report.chunks = len(chunks)
        tmp = index_dir / f".tmp-{name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            report.embedded = _build_into(settings, tmp, name, chunks, progress)
            final = index_dir / name
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
            pointer = index_dir / f".{CURRENT}.tmp"
            pointer.write_text(name)
            os.replace(pointer, index_dir / CURRENT)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _collect_garbage(settings, keep=name)
    report.seconds = time.perf_counter() - t0
    return report


def _build_into(settings: Settings, folder: Path, name: str, chunks: list[Chunk], progress: bool) -> int:
    import bm25s
    from tqdm import tqdm

    texts = [passage_text(c) for c in chunks]
    cache = EmbeddingCache(
        settings.paths.index_dir / "embed_cache.sqlite",
        f"{settings.embedding.provider}:{settings.embedding.model}",
    )
    todo = len(texts) - len(cache.get_many(texts))
    bar = tqdm(total=todo, desc="嵌入段落", unit="段", disable=not progress or todo == 0, file=sys.stderr)
    try:
        vectors, embedded = embed_passages(
            texts, make_embedder(settings), cache, settings.embedding.batch_size, on_progress=bar.update
        )
    finally:
        bar.close()
        cache.close()

    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(c.model_dump_json() + "\n" for c in chunks)

    bm = bm25s.BM25()
    bm.index([tokenize(t) for t in texts], show_progress=False)
    bm.save(str(folder / "bm25"), show_progress=False)

    client = chroma_client(settings, folder / "chroma")
    coll_name = COLLECTION_PREFIX + name.replace("-", "_")
    if settings.chroma.mode == "http":
        try:
            client.delete_collection(coll_name)
        except Exception as exc:  # noqa: BLE001 - absent collection: chromadb raises various types
            log.debug("no collection %s to replace (%s)", coll_name, exc)
    coll = client.create_collection(coll_name, metadata={"hnsw:space": "cosine"})
    step = 500
    for i in range(0, len(chunks), step):
        part = chunks[i : i + step]
        coll.add(
            ids=[c.chunk_id for c in part],
            embeddings=vectors[i : i + step].tolist(),
            documents=[c.text for c in part],
            metadatas=[c.metadata() for c in part],
        )
    if settings.chroma.mode == "persistent":
        del coll
        _close_client(client)

    (folder / "build.json").write_text(
        json.dumps(
            {
                "complete": True,
                "name": name,
                "collection": coll_name,
                "chunks": len(chunks),
                "embedding": settings.embedding.model,
                "built_at": time.time(),
            },
            ensure_ascii=False,
        )
    )
    return embedded


def _close_client(client: Any) -> None:
    """Release a PersistentClient's files so its folder can be renamed or removed."""
    try:
        client._system.stop()  # chromadb keeps a process-wide system per path
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception as exc:  # noqa: BLE001 - private chromadb API; best effort
        log.debug("could not release the Chroma client: %s", exc)


def _collect_garbage(settings: Settings, keep: str) -> None:
    """Remove older index folders (and, on a Chroma server, older collections)."""
    index_dir = settings.paths.index_dir
    for d in index_dir.iterdir():
        if d.is_dir() and d.name != keep and (d.name.startswith(".tmp-") or "-" in d.name):
            shutil.rmtree(d, ignore_errors=True)
    if settings.chroma.mode == "http":
        try:
            client = chroma_client(settings)
            for c in client.list_collections():
                cname = c if isinstance(c, str) else c.name
                if cname.startswith(COLLECTION_PREFIX) and cname != COLLECTION_PREFIX + keep.replace(
                    "-", "_"
                ):
                    client.delete_collection(cname)
        except Exception as exc:  # noqa: BLE001 - garbage collection must never fail a build
            log.warning("could not remove old Chroma collections: %s", exc)


def load_chunks(folder: Path) -> list[Chunk]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]
