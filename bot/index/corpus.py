"""The corpus as published: the manifest and the raw document texts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import CorpusError
from bot.core.schema import DocMeta


@dataclass
class RawDoc:
    meta: DocMeta
    path: Path
    text: str

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


def load_manifest(corpus_dir: Path) -> list[DocMeta]:
    """Documents listed in manifest.json; files not listed get a manifest entry derived from the file name."""
    manifest = corpus_dir / "manifest.json"
    listed: list[DocMeta] = []
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            listed = [DocMeta(**d) for d in data.get("documents", [])]
        except (ValueError, TypeError) as exc:
            raise CorpusError(f"语料清单 {manifest} 无法解析（{exc}），请检查 JSON 格式。") from exc
    known = {d.file for d in listed}
    for path in sorted(corpus_dir.glob("*.txt")):
        if path.name not in known:
            listed.append(DocMeta(id=path.stem, file=path.name, title=path.stem, kind="document"))
    return listed


def read_docs(corpus_dir: Path) -> tuple[list[RawDoc], list[str]]:
    """Read every document; returns (docs, problems). A file that is empty or not UTF-8 is named and
    skipped."""
    docs: list[RawDoc] = []
    problems: list[str] = []
    for meta in load_manifest(corpus_dir):
        path = corpus_dir / meta.file
        if not path.exists():
            problems.append(f"{meta.file}: 清单中列出但文件不存在，已跳过")
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{meta.file}: 不是 UTF-8 文本，已跳过")
            continue
        if not text.strip():
            problems.append(f"{meta.file}: 文件为空，已跳过")
            continue
        docs.append(RawDoc(meta=meta, path=path, text=text))
    return docs, problems
