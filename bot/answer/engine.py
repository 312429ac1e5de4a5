"""The facade the UI, CLI, briefing and evals call: the LLM engine when configured, else the offline one."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from bot.answer.base import ChatModel, History
from bot.answer.offline import OfflineEngine
from bot.core import prompts
from bot.core.errors import BotError, InputError
from bot.core.schema import Answer
from bot.core.settings import Settings
from bot.index.retrieve import Retriever
from tools.tables import use_corpus

# Words that ask without naming anything to look up: a question made only of these (and punctuation,
# symbols, emoji, invisible characters) has no content.
_FILLER = re.compile(
    r"请问|请教|请|问一下|问问|问题|问|你好|您好|在吗|在不在|谢谢|麻烦|帮我|一下|那个|这个|那|这|"
    r"好的|好吧|好|行|对|收到|知道了|明白|可以|能不能|能|会不会|会|是否|有没有|没有|有|怎么回事|"
    r"为什么|为啥|怎么样|怎么|怎样|如何|什么|啥|谁|哪个|哪些|哪里|哪儿|哪|多少|几|"
    r"是|的|了|吗|呢|吧|呀|啊|嘛|哦|噢|喔|嗯|呃|额|唉|哎|诶|欸|哈|嘿|喂|"
    r"\b(?:hello|hi|hey|ok|okay|please|what|why|how|who|which|where|when|is|are|the|a|an|test|help)\b",
    re.IGNORECASE,
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_content(question: str) -> bool:
    """False when nothing in the question could be looked up: only punctuation, symbols, emoji,
    invisible characters (zero-width spaces, a byte-order mark) and filler words (请问, 嗯, 什么)."""
    text = _FILLER.sub(" ", unicodedata.normalize("NFKC", question))
    return any(ch.isalnum() for ch in text)


@dataclass
class Prepared:
    """A question checked by the facade: the text the engines get, the history, and a note for the user."""

    question: str
    history: History | None
    note: str = ""
    contentless: bool = False


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: invalid UTF-8 that reached us as str
        return False
    return True


def check_history(history: object) -> History | None:
    """The history as the engines expect it; a malformed one is an InputError (one sentence)."""
    if history is None:
        return None
    if not isinstance(history, list):
        raise InputError(prompts.HISTORY_NOT_LIST)
    out: History = []
    for item in history:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            raise InputError(prompts.HISTORY_NOT_LIST)
        content = item.get("content")
        if not isinstance(content, str):
            raise InputError(prompts.HISTORY_NOT_LIST)
        if not _is_text(content):
            raise InputError(prompts.HISTORY_BAD_CHARS)
        out.append({"role": item["role"], "content": content})
    return out or None


def prepare(question: object, history: object, max_chars: int) -> Prepared:
    """Check a question before any engine sees it: text, valid UTF-8, not empty, at most `max_chars`
    characters (longer ones are cut, with a note), and with something to look up."""
    if not isinstance(question, str):
        raise InputError(prompts.QUESTION_NOT_TEXT)
    if not _is_text(question):
        raise InputError(prompts.QUESTION_BAD_CHARS)
    hist = check_history(history)
    q = question.strip()
    if not _CONTROL.sub("", q).strip():
        raise InputError(prompts.QUESTION_EMPTY)
    note = ""
    if len(q) > max_chars:
        note = prompts.QUESTION_TRUNCATED.format(chars=len(q), limit=max_chars)
        q = q[:max_chars]
    return Prepared(question=q, history=hist, note=note, contentless=not has_content(q))


def _with_note(answer: Answer, note: str) -> Answer:
    if note:
        answer.note = "；".join(n for n in (note, answer.note) if n)
    return answer


class _PassagesOnly(OfflineEngine):
    """The offline engine with the tool layer switched off (engine.table_tools = false)."""

    def _route(self, question: str, previous: list[str]) -> tuple[Answer | None, list[str]]:
        return None, []


class Engine:
    """The facade the UI, CLI, briefing and evals call: picks the LLM engine when configured, else offline."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None):
        self.settings = settings
        use_corpus(settings.paths.corpus_dir)  # the tool layer reads the tables from this corpus
        self.retriever = retriever or Retriever.open(settings)
        tools = settings.engine.table_tools
        self.offline = (
            OfflineEngine(settings, self.retriever) if tools else _PassagesOnly(settings, self.retriever)
        )
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
        """The engine's mode as the page's badge and the CLI name it."""
        if self.settings.llm.configured:
            return prompts.MODE_LLM.format(model=self.settings.llm.model)
        return prompts.MODE_OFFLINE

    def _pick(self, use_llm: bool | None) -> ChatModel:
        if use_llm is False:
            return self.offline
        if use_llm and not self.settings.llm.configured:
            raise BotError(prompts.LLM_NEEDS_KEYS)
        return self.llm or self.offline

    def _prepare(self, question: object, history: object) -> Prepared:
        return prepare(question, history, self.settings.engine.max_question_chars)

    @staticmethod
    def _contentless(p: Prepared) -> Answer:
        q = unicodedata.normalize("NFKC", p.question).strip()
        return _with_note(
            Answer(question=q, answer=prompts.QUESTION_CONTENTLESS, answerable=False, mode="offline"), p.note
        )

    def ask(self, question: str, history: History | None = None, use_llm: bool | None = None) -> Answer:
        t0 = time.perf_counter()
        p = self._prepare(question, history)
        model = self._pick(use_llm)
        ans = self._contentless(p) if p.contentless else model.answer(p.question, p.history)
        ans = _with_note(ans, p.note if not p.contentless else "")
        ans.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
        return ans

    def stream(
        self, question: str, history: History | None = None, use_llm: bool | None = None
    ) -> Iterator[str | Answer]:
        t0 = time.perf_counter()
        p = self._prepare(question, history)
        model = self._pick(use_llm)
        if p.contentless:
            pieces: Iterator[str | Answer] = iter([prompts.QUESTION_CONTENTLESS, self._contentless(p)])
        else:
            pieces = model.stream(p.question, p.history)
        for piece in pieces:
            if isinstance(piece, Answer):
                if not p.contentless:
                    _with_note(piece, p.note)
                piece.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
            yield piece
