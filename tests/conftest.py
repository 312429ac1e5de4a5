"""Shared fixtures: one real index per test session (real corpus, real Chroma, real embeddings), and
data/index folders pointed away from the repository for every test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.settings import REPO_ROOT, Settings, get_settings

CORPUS = REPO_ROOT / "corpus"


def make_settings(index_dir: Path, data_dir: Path, **overrides) -> Settings:
    paths = {
        "corpus_dir": str(overrides.pop("corpus_dir", CORPUS)),
        "index_dir": str(index_dir),
        "data_dir": str(data_dir),
    }
    return Settings(paths=paths, **overrides)


def seed_embedding_cache(index_dir: Path) -> None:
    """Reuse the developer's embedding cache when there is one (a fresh CI clone embeds everything)."""
    cache = REPO_ROOT / "index_store" / "embed_cache.sqlite"
    index_dir.mkdir(parents=True, exist_ok=True)
    if cache.exists() and not (index_dir / cache.name).exists():
        shutil.copy(cache, index_dir / cache.name)


@pytest.fixture(scope="session")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session-index")


@pytest.fixture(scope="session")
def settings(index_root: Path) -> Settings:
    """Settings whose index is built once for the whole session."""
    from bot.index.store import build_index

    s = make_settings(index_root / "index", index_root / "data")
    seed_embedding_cache(s.paths.index_dir)
    report = build_index(s, progress=False)
    assert report.ok and report.chunks > 500
    return s


@pytest.fixture(scope="session")
def retriever(settings: Settings):
    from bot.index.retrieve import Retriever

    return Retriever.open(settings, build_if_missing=False)


@pytest.fixture(scope="session")
def engine(settings: Settings, retriever):
    from bot.answer.engine import Engine

    return Engine(settings, retriever=retriever)


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """Code that reads the process settings writes under tmp_path, never into the repository."""
    monkeypatch.setenv("BOT_PATHS__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(tmp_path / "index"))
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
