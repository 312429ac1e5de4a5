"""The facade the UI, CLI, briefing and evals call: the LLM engine when configured, else the offline one."""

from __future__ import annotations

import time
from collections.abc import Iterator

from bot.answer.base import ChatModel, History
from bot.answer.offline import OfflineEngine
from bot.core import prompts
from bot.core.errors import BotError
from bot.core.schema import Answer
from bot.core.settings import Settings
from bot.index.retrieve import Retriever
from tools.tables import use_corpus


class Engine:
    """The facade the UI, CLI, briefing and evals call: picks the LLM engine when configured, else offline."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None):
        self.settings = settings
        use_corpus(settings.paths.corpus_dir)  # the tool layer reads the tables from this corpus
        self.retriever = retriever or Retriever.open(settings)
        self.offline = OfflineEngine(settings, self.retriever)
        self._llm: ChatModel | None = None

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        return cls(settings)

    @property
    def llm(self) -> ChatModel | None:
        if self._llm is None and self.settings.llm.configured:
            from bot.answer.llm import LLMEngine

            self._llm = LLMEngine(self.settings, self.retriever, self.offline)
        return self._llm

    def mode_label(self) -> str:
        return f"LLM（{self.settings.llm.model}）" if self.settings.llm.configured else "离线"

    def _pick(self, use_llm: bool | None) -> ChatModel:
        if use_llm is False:
            return self.offline
        if use_llm and not self.settings.llm.configured:
            raise BotError(prompts.LLM_NEEDS_KEYS)
        return self.llm or self.offline

    def ask(self, question: str, history: History | None = None, use_llm: bool | None = None) -> Answer:
        t0 = time.perf_counter()
        ans = self._pick(use_llm).answer(question, history)
        ans.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
        return ans

    def stream(
        self, question: str, history: History | None = None, use_llm: bool | None = None
    ) -> Iterator[str | Answer]:
        t0 = time.perf_counter()
        for piece in self._pick(use_llm).stream(question, history):
            if isinstance(piece, Answer):
                piece.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
            yield piece
