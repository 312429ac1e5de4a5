"""Index build: chunks -> embeddings (cached) -> Chroma + BM25, built in a temp folder and swapped in
atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
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
DEPLOYMENT = "DEPLOYMENT"  # this index dir's deployment id: names its Chroma collections
OWNED = "collections.json"  # the Chroma collections this deployment created (garbage collection reads it)
_DEPLOYMENT_ID = re.compile(r"[0-9a-f]{12}")
BM25_FILES = (
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
)


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
    needed = [d / "chunks.jsonl", *(d / "bm25" / f for f in BM25_FILES)]
    if settings.chroma.mode == "persistent":
        needed.append(d / "chroma" / "chroma.sqlite3")
    return info.get("complete") is True and all(p.exists() for p in needed)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def deployment_id(index_dir: Path) -> str:
    """This index dir's deployment id (12 hex digits), created on first use and kept in index_dir/DEPLOYMENT.

    Two deployments sharing one Chroma server (different index dirs) have different ids, so their
    collections never share a name and garbage collection can tell its own from another's."""
    path = index_dir / DEPLOYMENT
    try:
        dep = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        dep = ""
    if not _DEPLOYMENT_ID.fullmatch(dep):
        index_dir.mkdir(parents=True, exist_ok=True)
        dep = uuid.uuid4().hex[:12]
        _write_atomic(path, dep + "\n")
    return dep


def collection_name(index_dir: Path, name: str) -> str:
    """The Chroma collection of index `name` in this deployment: chunks_<deployment id>_<index name>."""
    return f"{COLLECTION_PREFIX}{deployment_id(index_dir)}_{name.replace('-', '_')}"


def owned_collections(index_dir: Path) -> list[str]:
    """Collections this deployment created on a Chroma server and has not yet removed."""
    try:
        names = json.loads((index_dir / OWNED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _record_owned(index_dir: Path, names: list[str]) -> None:
    _write_atomic(index_dir / OWNED, json.dumps(sorted(set(names)), ensure_ascii=False, indent=0))


def verify_index(settings: Settings, name: str) -> str | None:
    """Open every store the index `name` points at and check it against build.json: the chunks file
    (readable, decodable, one valid chunk a line, the recorded count), the BM25 files (loadable, same
    number of documents) and the Chroma collection (present, same count). Returns what is broken (one
    Chinese phrase) or None. A Chroma server that cannot be reached is a StoreError: rebuilding would not
    help."""
    import bm25s

    folder = settings.paths.index_dir / name
    try:
        info = json.loads((folder / "build.json").read_text(encoding="utf-8"))
        expected = int(info["chunks"])
        coll_name = str(info["collection"])
    except (OSError, ValueError, KeyError, TypeError):
        return "build.json 无法读取"
    try:
        chunks = load_chunks(folder)
    except UnicodeDecodeError:
        return "片段文件 chunks.jsonl 不是有效的 UTF-8"
    except (OSError, ValueError):
        return "片段文件 chunks.jsonl 无法解析"
    if len(chunks) != expected:
        return f"片段文件只有 {len(chunks)} 个片段，应为 {expected} 个"
    missing = [f for f in BM25_FILES if not (folder / "bm25" / f).is_file()]
    if missing:
        return f"BM25 文件缺失：{'、'.join(missing)}"
    try:
        bm = bm25s.BM25.load(str(folder / "bm25"), load_corpus=False)
        docs = int(bm.scores["num_docs"])
    except Exception as exc:  # noqa: BLE001 - any failure to load is a broken store
        return f"BM25 文件无法读取（{type(exc).__name__}）"
    if docs != expected:
        return f"BM25 索引有 {docs} 个文档，应为 {expected} 个"
    return _verify_collection(settings, folder, coll_name, expected)


def _verify_collection(settings: Settings, folder: Path, coll_name: str, expected: int) -> str | None:
    from chromadb.errors import NotFoundError

    http = settings.chroma.mode == "http"
    path = folder / "chroma"
    # A store this process already has open (a retriever) is shared, and stays open; one opened here is
    # released completely afterwards, even when opening it failed half-way.
    fresh = http or not _system_open(path)
    client = None
    try:
        client = chroma_client(settings, path)
        count = int(client.get_collection(coll_name).count())
    except NotFoundError:
        return f"Chroma 中没有集合 {coll_name}"
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - a local store that fails to open is broken
        if http:
            raise StoreError(
                f"无法读取 Chroma 服务 {settings.chroma.host}:{settings.chroma.port} 上的集合（{exc}），"
                "请确认 `chroma run` 正在运行。"
            ) from exc
        return f"Chroma 数据库无法打开（{type(exc).__name__}）"
    finally:
        if not http and fresh:
            _release_store(client, path)
    if count != expected:
        return f"Chroma 集合有 {count} 个片段，应为 {expected} 个"
    return None


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
            problem = verify_index(settings, name)
            if problem is None:
                report.noop = True
                report.chunks = int(json.loads((index_dir / name / "build.json").read_text())["chunks"])
                report.seconds = time.perf_counter() - t0
                return report
            report.rebuilt_reason = f"检测到索引损坏（{problem}），已重建。"
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
    index_dir = settings.paths.index_dir
    coll_name = collection_name(index_dir, name)
    if settings.chroma.mode == "http":
        # Recorded before it exists, so a build that dies half-way still has its collection collected later.
        _record_owned(index_dir, [*owned_collections(index_dir), coll_name])
        try:
            client.delete_collection(coll_name)  # ours (the name carries our deployment id): a rebuild
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
        _release_store(client, folder / "chroma")

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
    """Release a PersistentClient's files so its folder can be renamed or removed. chromadb shares one
    system per path and counts its clients: a retriever of this process using the same path keeps it."""
    try:
        client.close()
    except Exception as exc:  # noqa: BLE001 - best effort
        log.debug("could not release the Chroma client: %s", exc)


def _system_open(path: Path) -> bool:
    from chromadb.api.shared_system_client import SharedSystemClient

    return str(path) in SharedSystemClient._identifier_to_system


def _release_store(client: Any, path: Path) -> None:
    """Close a PersistentClient opened here and drop chromadb's process-wide system for its path (private
    chromadb state: a client whose opening failed leaves its system behind, which would later serve the
    rebuilt store at the same path from the broken one)."""
    if client is not None:
        _close_client(client)
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
        if system is not None:
            system.stop()
    except Exception as exc:  # noqa: BLE001 - best effort
        log.debug("could not release the Chroma store at %s: %s", path, exc)


def _collect_garbage(settings: Settings, keep: str) -> None:
    """Remove older index folders and, on a Chroma server, the older collections this deployment created
    (listed in its own index dir). Collections of other deployments on the same server are never touched."""
    index_dir = settings.paths.index_dir
    for d in index_dir.iterdir():
        if d.is_dir() and d.name != keep and (d.name.startswith(".tmp-") or "-" in d.name):
            shutil.rmtree(d, ignore_errors=True)
    if settings.chroma.mode != "http":
        return
    from chromadb.errors import NotFoundError

    keep_coll = collection_name(index_dir, keep)
    owned = owned_collections(index_dir)
    remaining = [keep_coll] if keep_coll in owned else []
    try:
        client = chroma_client(settings)
    except Exception as exc:  # noqa: BLE001 - garbage collection must never fail a build
        log.warning("could not remove old Chroma collections: %s", exc)
        return
    for cname in owned:
        if cname == keep_coll:
            continue
        try:
            client.delete_collection(cname)
        except NotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - kept in the list and tried again after the next build
            log.warning("could not remove the old Chroma collection %s: %s", cname, exc)
            remaining.append(cname)
    _record_owned(index_dir, remaining)


def load_chunks(folder: Path) -> list[Chunk]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]
