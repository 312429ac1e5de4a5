"""LLM engine: an OpenAI-compatible chat model answering from the tool layer and retrieved passages, with
citations."""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.answer.base import History, cite, user_questions
from bot.answer.offline import OfflineEngine
from bot.answer.sanitize import MARKER as _MARKER
from bot.answer.sanitize import MARKER_ID as _MARKER_ID
from bot.answer.sanitize import drop_unsupported, marker_ids, sanitize_answer, unsupported_numbers
from bot.core import prompts
from bot.core.errors import BotError, InputError, LLMError
from bot.core.schema import Answer, Citation, Hit, ToolCall
from bot.core.settings import Settings
from bot.index.ingest import squash
from bot.index.retrieve import Retriever, clean_query
from tools.errors import ToolError
from tools.result import ToolResult

log = logging.getLogger(__name__)

SEARCH_TOOL = "search_corpus"
HISTORY_MESSAGES = 12  # the last ~6 turns (a user and an assistant message each)
HISTORY_MESSAGE_CHARS = 2000
MAX_CALLS_PER_ROUND = 8
MAX_SEARCH_K = 10
MAX_TOOL_CITATIONS = 10  # source rows cited per tool result

# Markers: [P1], [T2], 【P3】, [P1, P2] / [P1，T1]; a group is rewritten as [P1][P2], unknown ids left out.
_OPEN = re.compile(r"[\[【][^\]】]{0,24}$")
_SENT = re.compile(r"[^。！？；!?\n]+[。！？；!?]*[”」』）)]?")
_DELIM = re.compile(r"<\s*/?\s*(passages|tool_results)\s*>", re.IGNORECASE)
_FOLLOWUP = re.compile(r"^(那|那么|它|其|这|该|此|还有|再|另外|同样)|[它其该此]|呢[？?]?$")


class _ToolsRejected(Exception):
    """The endpoint answered 400 to a request carrying `tools`: it does not do function calling."""


class _Fallback(LLMError):
    """The model's answer cannot be shown; the offline answer is, with this note."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


def _data(text: str) -> str:
    """Retrieved text is data: it must not be able to close (or open) the delimiters around it."""
    return _DELIM.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _norm(text: str) -> str:
    return squash(unicodedata.normalize("NFKC", text)).lower()


def clean_markers(text: str, known: set[str]) -> str:
    """Citation markers normalised to [P1][T2]; markers naming nothing retrieved are removed."""

    def keep(m: re.Match[str]) -> str:
        ids = [i for i in _MARKER_ID.findall(m.group(1)) if i in known]
        return "".join(f"[{i}]" for i in dict.fromkeys(ids))

    return _MARKER.sub(keep, text)


class _MarkerStream:
    """Streams text through `clean_markers`, holding back a marker that is still open at a chunk boundary."""

    def __init__(self, known: set[str]):
        self.known = known
        self.buf = ""

    def feed(self, delta: str) -> str:
        self.buf += delta
        m = _OPEN.search(self.buf)
        cut = m.start() if m else len(self.buf)
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return clean_markers(out, self.known)

    def flush(self) -> str:
        out, self.buf = self.buf, ""
        return clean_markers(out, self.known)


@dataclass
class _ToolOutput:
    name: str
    text: str
    provenance: list[dict[str, Any]] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


@dataclass
class _Ledger:
    """What one answer has seen, under the ids the model cites: passages P1.., tool results T1.."""

    passages: dict[str, Hit] = field(default_factory=dict)
    by_chunk: dict[str, str] = field(default_factory=dict)
    results: dict[str, _ToolOutput] = field(default_factory=dict)
    tool_calls: list[ToolCall] = field(default_factory=list)
    deadline: float = float("inf")  # time.monotonic() by which the whole answer must be done
    cut: bool = False  # the model's text was cut at max_answer_chars

    def add_hits(self, hits: list[Hit]) -> list[tuple[str, Hit]]:
        """Label hits; a chunk seen before keeps its id (ids are stable within the answer)."""
        labelled = []
        for h in hits:
            label = self.by_chunk.get(h.chunk.chunk_id)
            if label is None:
                label = f"P{len(self.passages) + 1}"
                self.passages[label] = h
                self.by_chunk[h.chunk.chunk_id] = label
            labelled.append((label, h))
        return labelled

    def add_result(self, out: _ToolOutput) -> str:
        label = f"T{len(self.results) + 1}"
        self.results[label] = out
        return label

    @property
    def known(self) -> set[str]:
        return set(self.passages) | set(self.results)


def passages_block(labelled: list[tuple[str, Hit]]) -> str:
    items = [
        prompts.PASSAGE_ITEM.format(
            label=label,
            title=_data(h.chunk.title),
            section=f"（{_data(h.chunk.section)}）" if h.chunk.section else "",
            text=_data(h.chunk.text),
        )
        for label, h in labelled
    ]
    return prompts.PASSAGES_BLOCK.format(passages="\n\n".join(items) or prompts.NO_PASSAGES)


@lru_cache(maxsize=16)
def _source_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


class LLMEngine:
    """Answers with an OpenAI-compatible chat model: a tool-calling loop over the tool registry and a
    `search_corpus` tool (or retrieve-then-generate), citations checked against what was retrieved,
    and the offline engine's answer (with a visible note) whenever the model fails."""

    name = "LLM"
    backoff_base_s = 0.5  # first retry delay; doubles on every retry
    backoff_max_s = 8.0

    def __init__(self, settings: Settings, retriever: Retriever, offline: OfflineEngine | None = None):
        self.settings = settings
        self.retriever = retriever
        self.offline = offline or OfflineEngine(settings, retriever)
        self.name = f"LLM（{settings.llm.model}）"
        self._client: Any = None
        self._tools_ok = True  # false once the endpoint rejected `tools`
        self._docs: dict[str, Any] | None = None

    # -- public interface -------------------------------------------------------------------------
    def answer(self, question: str, history: History | None = None) -> Answer:
        final: Answer | None = None
        for piece in self._guarded(question, history, streaming=False):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, question: str, history: History | None = None) -> Iterator[str | Answer]:
        return self._guarded(question, history, streaming=True)

    @property
    def client(self) -> Any:
        """The OpenAI client, built on first use (never at import); retries are ours, not the client's."""
        if self._client is None:
            llm = self.settings.llm
            if not llm.configured:
                raise LLMError(prompts.LLM_NOT_CONFIGURED)
            from openai import OpenAI

            self._client = OpenAI(
                base_url=llm.base_url,
                api_key=llm.api_key or "not-needed",
                timeout=llm.timeout_s,
                max_retries=0,
            )
        return self._client

    # -- the answer, with the offline fallback ------------------------------------------------------
    def _guarded(self, question: str, history: History | None, streaming: bool) -> Iterator[str | Answer]:
        emitted = False
        note = prompts.LLM_FALLBACK_NOTE
        try:
            for piece in self._run(question, history, streaming):
                if isinstance(piece, str):
                    if not piece:
                        continue
                    emitted = True
                yield piece
            return
        except InputError:
            raise
        except _Fallback as exc:
            log.info("LLM answer not shown (%s); answering offline", exc.note)
            note = exc.note
        except Exception as exc:  # any model failure: the user still gets an answer
            log.warning(
                "LLM answer failed (%s: %s); answering offline",
                type(exc).__name__,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
        ans = self.offline.answer(question, history)
        ans.note = note
        if streaming:
            yield (f"\n\n（{note}）\n" if emitted else "") + ans.answer
        yield ans

    def _run(self, question: str, history: History | None, streaming: bool) -> Iterator[str | Answer]:
        q = clean_query(question, self.settings.retrieval.max_query_chars)
        previous = user_questions(history)
        ledger = _Ledger(deadline=time.monotonic() + self.settings.llm.deadline_s)
        hits = self.retriever.search(self._search_query(q, previous), k=self.settings.retrieval.top_k)
        first = ledger.add_hits(hits)
        text: str | None = None
        if self.settings.llm.tool_calling and self._tools_ok:
            try:
                text = yield from self._tool_loop(q, history, ledger, first, streaming)
            except _ToolsRejected:
                log.info("endpoint rejected tools; using retrieve-then-generate from now on")
                self._tools_ok = False
        if text is None:
            text = yield from self._generate(q, previous, history, ledger, first, streaming)
        yield self._finish(q, text, ledger, hits)

    @staticmethod
    def _search_query(question: str, previous: list[str]) -> str:
        """A short follow-up ("那广州呢？") is searched together with the previous question."""
        if previous and len(question) <= 12 and _FOLLOWUP.search(question):
            return previous[-1] + " " + question
        return question

    # -- messages -----------------------------------------------------------------------------------
    def _messages(self, history: History | None, user: str) -> list[dict[str, Any]]:
        # The system message is fixed text: retrieved text never goes into it.
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompts.SYSTEM_PROMPT.format(not_in_corpus=prompts.NOT_IN_CORPUS)}
        ]
        past = [
            m
            for m in history or []
            if m.get("role") in ("user", "assistant")
            and isinstance(m.get("content"), str)
            and m["content"].strip()
        ]
        for m in past[-HISTORY_MESSAGES:]:
            # Earlier answers' markers named that answer's passages; here they would point at the wrong ones.
            content = _MARKER.sub("", m["content"]) if m["role"] == "assistant" else m["content"]
            messages.append({"role": m["role"], "content": content[:HISTORY_MESSAGE_CHARS]})
        messages.append({"role": "user", "content": user})
        return messages

    def _tools(self) -> list[dict[str, Any]]:
        from tools.registry import openai_tools

        search = {
            "type": "function",
            "function": {
                "name": SEARCH_TOOL,
                "description": prompts.SEARCH_TOOL_DESCRIPTION,
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": prompts.SEARCH_QUERY_DESCRIPTION},
                        "k": {"type": "integer", "default": 5, "description": prompts.SEARCH_K_DESCRIPTION},
                    },
                    "required": ["query"],
                    "additionalProperties": False,
                },
            },
        }
        return [*openai_tools(), search]

    # -- tool-calling loop -----------------------------------------------------------------------------
    def _tool_loop(
        self, q: str, history: History | None, ledger: _Ledger, first: list[tuple[str, Hit]], streaming: bool
    ) -> Generator[str, None, str]:
        # The offline parse's plan runs first (the same parse and tools as offline answers): its results
        # are in the first message, and the model may call more tools.
        routed = self._routed(q, user_questions(history), ledger)
        blocks = [prompts.TOOL_RESULTS_BLOCK.format(results="\n".join(routed))] if routed else []
        blocks.append(passages_block(first))
        messages = self._messages(history, prompts.RAG_USER.format(context="\n\n".join(blocks), question=q))
        tools = self._tools()
        for round_no in range(self.settings.llm.max_tool_rounds):
            try:
                content, calls = yield from self._complete(messages, ledger, streaming, tools=tools)
            except _ToolsRejected:
                if round_no == 0:
                    raise
                raise LLMError(prompts.LLM_TOOLS_REFUSED) from None
            if not calls:
                return content
            messages.append(
                {
                    "role": "assistant",
                    "content": content or None,
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in calls
                    ],
                }
            )
            for n, call in enumerate(calls):
                result = self._run_tool(call, ledger) if n < MAX_CALLS_PER_ROUND else prompts.TOOL_SKIPPED
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        messages.append({"role": "user", "content": prompts.TOOL_ROUNDS_EXHAUSTED})
        content, _ = yield from self._complete(messages, ledger, streaming, tools=tools, tool_choice="none")
        return content

    def _run_tool(self, call: dict[str, str], ledger: _Ledger) -> str:
        """Run one tool call; a bad call becomes a Chinese error message for the model, never an exception."""
        name, raw = call["name"], call["arguments"] or "{}"
        try:
            args = json.loads(raw)
        except json.JSONDecodeError:
            args = None
        record = ToolCall(name=name, arguments=args if isinstance(args, dict) else {"_raw": raw[:500]})
        ledger.tool_calls.append(record)
        try:
            if name == SEARCH_TOOL:
                return self._search_tool(args, raw, ledger, record)
            from tools.registry import call_tool

            res = call_tool(name, raw)
            label = ledger.add_result(_ToolOutput(name=name, text=res.for_model(), provenance=res.provenance))
            record.label, record.result = label, res
            return prompts.TOOL_RESULTS_BLOCK.format(
                results=prompts.TOOL_RESULT_ITEM.format(label=label, name=name, text=_data(res.for_model()))
            )
        except (BotError, ToolError) as exc:  # ToolError, or InputError from the retriever
            error = str(exc)
        except Exception as exc:  # a tool bug must not end the answer
            log.warning("tool %s failed: %s: %s", name, type(exc).__name__, exc, exc_info=True)
            error = prompts.TOOL_FAILED.format(name=name, error=type(exc).__name__)
        record.result = {"error": error}
        return prompts.TOOL_ERROR.format(error=error)

    def _search_tool(self, args: Any, raw: str, ledger: _Ledger, record: ToolCall) -> str:
        if not isinstance(args, dict):
            raise ToolError(prompts.SEARCH_ARGS_NOT_JSON.format(name=SEARCH_TOOL, raw=raw[:60]))
        query, k = args.get("query"), args.get("k", 5)
        unknown = set(args) - {"query", "k"}
        if unknown:
            raise ToolError(
                prompts.SEARCH_ARGS_UNKNOWN.format(name=SEARCH_TOOL, names="、".join(sorted(unknown)))
            )
        if not isinstance(query, str) or not query.strip():
            raise ToolError(prompts.SEARCH_ARGS_NO_QUERY.format(name=SEARCH_TOOL))
        if isinstance(k, bool) or not isinstance(k, int):
            raise ToolError(
                prompts.SEARCH_ARGS_BAD_K.format(name=SEARCH_TOOL, k=json.dumps(k, ensure_ascii=False))
            )
        hits = self.retriever.search(query, k=max(1, min(k, MAX_SEARCH_K)))
        labelled = ledger.add_hits(hits)
        record.result = {
            "passages": [label for label, _ in labelled],
            "chunk_ids": [h.chunk.chunk_id for _, h in labelled],
        }
        return passages_block(labelled)

    # -- retrieve-then-generate (no function calling) ----------------------------------------------------
    def _generate(
        self,
        q: str,
        previous: list[str],
        history: History | None,
        ledger: _Ledger,
        first: list[tuple[str, Hit]],
        streaming: bool,
    ) -> Generator[str, None, str]:
        blocks = []
        routed = self._routed(q, previous, ledger)
        if routed:
            blocks.append(prompts.TOOL_RESULTS_BLOCK.format(results="\n".join(routed)))
        blocks.append(passages_block(first))
        messages = self._messages(history, prompts.RAG_USER.format(context="\n\n".join(blocks), question=q))
        content, _ = yield from self._complete(messages, ledger, streaming)
        return content

    def _routed(self, q: str, previous: list[str], ledger: _Ledger) -> list[str]:
        """The offline router's tool calls for a structured question, as labelled tool results."""
        from bot.answer import route as router

        try:
            routed = router.route(q, previous)
        except (BotError, ToolError) as exc:  # an unknown name etc.: the model answers from the passages
            log.info("router gave no tool result: %s", exc)
            return []
        if routed is None:
            return []
        items = []
        for tc in routed.tool_calls:
            res: ToolResult = tc.result  # the router's calls hold typed results
            text = res.for_model()
            label = ledger.add_result(_ToolOutput(name=tc.name, text=text, provenance=list(res.provenance)))
            ledger.tool_calls.append(ToolCall(name=tc.name, arguments=tc.arguments, result=res, label=label))
            items.append(prompts.TOOL_RESULT_ITEM.format(label=label, name=tc.name, text=_data(text)))
        if routed.answer:  # the plan's worded result: a composed figure, a scope refusal, its caveats
            text = "".join([routed.answer, *routed.caveats])
            label = ledger.add_result(_ToolOutput(name="router", text=text, citations=list(routed.citations)))
            items.append(prompts.TOOL_RESULT_ITEM.format(label=label, name="router", text=_data(text)))
        return items

    # -- one model call --------------------------------------------------------------------------------
    def _complete(
        self, messages: list[dict[str, Any]], ledger: _Ledger, streaming: bool, **extra: Any
    ) -> Generator[str, None, tuple[str, list[dict[str, str]]]]:
        """One chat completion: (content, tool calls). Streaming yields the content's deltas, markers
        cleaned."""
        llm = self.settings.llm
        kwargs: dict[str, Any] = {
            "model": llm.model,
            "messages": messages,
            "temperature": llm.temperature,
            **extra,
        }
        limit = llm.max_answer_chars
        if not streaming:
            resp = self._create(kwargs, ledger.deadline)
            try:
                msg = resp.choices[0].message
                calls = [
                    {
                        "id": c.id or f"call_{i}",
                        "name": c.function.name or "",
                        "arguments": c.function.arguments or "",
                    }
                    for i, c in enumerate(msg.tool_calls or [])
                ]
                content = msg.content or ""
            except (AttributeError, IndexError, TypeError) as exc:
                raise LLMError(prompts.LLM_BAD_RESPONSE.format(error=type(exc).__name__)) from exc
            if len(content) > limit:
                content, ledger.cut = content[:limit], True
            return content, calls
        content_parts: list[str] = []
        size = 0
        acc: dict[int, dict[str, str]] = {}
        filt = _MarkerStream(ledger.known)
        with self._create({**kwargs, "stream": True}, ledger.deadline) as events:
            for event in events:
                if time.monotonic() > ledger.deadline:  # a stream that keeps dribbling
                    raise self._deadline_passed()
                choices = getattr(event, "choices", None)
                if not choices:
                    continue
                delta = choices[0].delta
                if delta is None:
                    continue
                for tc in delta.tool_calls or []:
                    slot = acc.setdefault(
                        tc.index if tc.index is not None else len(acc),
                        {"id": "", "name": "", "arguments": ""},
                    )
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function is not None:
                        if tc.function.name:
                            slot["name"] += tc.function.name
                        if tc.function.arguments:
                            slot["arguments"] += tc.function.arguments
                if delta.content:
                    piece = delta.content[: limit - size]
                    content_parts.append(piece)
                    size += len(piece)
                    yield filt.feed(piece)
                    if size >= limit:  # an endless answer: stop reading it
                        ledger.cut = True
                        break
        yield filt.flush()
        calls = [
            {"id": s["id"] or f"call_{i}", "name": s["name"], "arguments": s["arguments"]}
            for i, s in sorted(acc.items())
        ]
        return "".join(content_parts), calls

    def complete(self, prompt: str, system: str | None = None) -> str:
        """One plain generation (no tools) under the system prompt (or `system`); used for briefing summaries
        and the eval judge."""
        resp = self._create(
            {
                "model": self.settings.llm.model,
                "temperature": self.settings.llm.temperature,
                "messages": [
                    {
                        "role": "system",
                        "content": system
                        or prompts.SYSTEM_PROMPT.format(not_in_corpus=prompts.NOT_IN_CORPUS),
                    },
                    {"role": "user", "content": prompt},
                ],
            },
            time.monotonic() + self.settings.llm.deadline_s,
        )
        text = (resp.choices[0].message.content or "").strip()
        return sanitize_answer(text[: self.settings.llm.max_answer_chars])

    def _deadline_passed(self) -> _Fallback:
        return _Fallback(prompts.LLM_DEADLINE_NOTE.format(seconds=f"{self.settings.llm.deadline_s:g}"))

    def _create(self, kwargs: dict[str, Any], deadline: float) -> Any:
        """chat.completions.create with exponential backoff on 429/5xx, each try and wait bounded by the
        answer's deadline; 400 with tools = tools not supported."""
        import openai

        attempts = self.settings.llm.max_retries + 1
        for attempt in range(attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._deadline_passed()
            try:
                return self.client.chat.completions.create(
                    **kwargs, timeout=min(self.settings.llm.timeout_s, remaining)
                )
            except openai.APITimeoutError:
                if time.monotonic() >= deadline:
                    raise self._deadline_passed() from None
                raise
            except openai.BadRequestError:
                if "tools" in kwargs:
                    raise _ToolsRejected() from None
                raise
            except openai.APIStatusError as exc:
                if not (exc.status_code == 429 or exc.status_code >= 500) or attempt + 1 >= attempts:
                    raise
                delay = self._delay(attempt, exc)
                if time.monotonic() + delay >= deadline:
                    raise self._deadline_passed() from None
                log.info(
                    "LLM returned %s; retry %d/%d in %.2fs", exc.status_code, attempt + 1, attempts - 1, delay
                )
                time.sleep(delay)
        raise LLMError(prompts.LLM_RETRIES_FAILED)  # pragma: no cover - the loop returns or raises

    def _delay(self, attempt: int, exc: Any) -> float:
        delay = self.backoff_base_s * 2**attempt
        try:
            retry_after = float(exc.response.headers.get("retry-after", ""))
        except (AttributeError, TypeError, ValueError):
            retry_after = 0.0
        return min(max(delay, retry_after), self.backoff_max_s)

    # -- the answer object ---------------------------------------------------------------------------------
    def _finish(self, q: str, text: str, ledger: _Ledger, hits: list[Hit]) -> Answer:
        """The answer object from the model's text: sanitised (no images, HTML or links), sentences resting
        only on fabricated citation markers removed and flagged, markers normalised, length capped."""
        limit = self.settings.llm.max_answer_chars
        raw = text or ""
        if len(raw) > limit:
            raw, ledger.cut = raw[:limit], True
        raw, fabricated = drop_unsupported(sanitize_answer(raw), ledger.known)
        notes = [prompts.LLM_ANSWER_CUT.format(limit=limit)] if ledger.cut else []
        labels = "、".join(fabricated)
        if fabricated:
            notes.append(prompts.LLM_FABRICATED_NOTE.format(labels=labels))
        cleaned = clean_markers(raw, ledger.known).strip()
        if not cleaned:
            if fabricated:
                raise _Fallback(prompts.LLM_UNSUPPORTED_FALLBACK.format(labels=labels))
            raise LLMError(prompts.LLM_EMPTY)
        if self.settings.llm.check_numbers:
            missing = unsupported_numbers(cleaned, [q, *self._cited_texts(cleaned, ledger)])
            if missing:
                raise _Fallback(prompts.LLM_NUMBER_FALLBACK.format(numbers="、".join(missing)))
        note = "；".join(notes)
        citations = self._citations(cleaned, ledger)
        if _norm(prompts.NOT_IN_CORPUS) in _norm(cleaned):
            related = [self._passage_citation(h, "") for h in hits[:3]]
            return Answer(
                question=q,
                answer=cleaned,
                answerable=False,
                related=related,
                tool_calls=ledger.tool_calls,
                mode="llm",
                note=note,
            )
        return Answer(
            question=q,
            answer=cleaned,
            answerable=True,
            citations=citations,
            tool_calls=ledger.tool_calls,
            mode="llm",
            note=note,
        )

    @staticmethod
    def _cited_texts(text: str, ledger: _Ledger) -> list[str]:
        """The text of every passage and tool result the answer cites; all it has seen when it cites none."""
        labels = set(marker_ids(text)) or ledger.known
        texts = [h.chunk.text for label, h in ledger.passages.items() if label in labels]
        return texts + [out.text for label, out in ledger.results.items() if label in labels]

    def _citations(self, text: str, ledger: _Ledger) -> list[Citation]:
        """Citations in order of first mention; a passage's quote is its sentence closest to the claim."""
        out: list[Citation] = []
        seen: set[tuple[str, str, int | None]] = set()
        claim = ""
        for sent in _SENT.finditer(text):
            # "……南京市。[T1]": a marker standing alone cites the sentence before it.
            claim = _MARKER.sub("", sent.group(0)).strip(" 。") or claim
            for label in _MARKER_ID.findall("".join(m.group(1) for m in _MARKER.finditer(sent.group(0)))):
                if label in ledger.passages:
                    cites = [self._passage_citation(ledger.passages[label], claim)]
                elif label in ledger.results:
                    cites = self._tool_citations(ledger.results[label])
                else:
                    continue
                for c in cites:
                    key = (c.chunk_id or c.doc_id, c.quote, c.line)
                    if key not in seen:
                        seen.add(key)
                        out.append(c)
        return out

    @staticmethod
    def _passage_citation(hit: Hit, claim: str) -> Citation:
        c = hit.chunk
        grams = {claim[i : i + 2] for i in range(len(claim) - 1)} if claim else set()
        best, best_score = "", 0
        for m in _SENT.finditer(c.text):
            s = m.group(0).strip()
            score = sum(1 for i in range(len(s) - 1) if s[i : i + 2] in grams)
            if score > best_score:
                best, best_score = s, score
        return cite(hit, best or c.text[:120].strip())  # cite() checks the quote against the source text

    def _tool_citations(self, out: _ToolOutput) -> list[Citation]:
        if out.citations:
            return out.citations
        if self._docs is None:
            from bot.index.corpus import load_manifest

            self._docs = {d.file: d for d in load_manifest(self.settings.paths.corpus_dir)}
        cites = []
        for p in out.provenance[:MAX_TOOL_CITATIONS]:
            file, line = str(p.get("file", "")), p.get("line")
            doc = self._docs.get(file)
            lines = _source_lines(self.settings.paths.corpus_dir / file) if doc else []
            quote = lines[line - 1].strip() if isinstance(line, int) and 0 < line <= len(lines) else ""
            cites.append(
                Citation(
                    doc_id=doc.id if doc else Path(file).stem,
                    title=doc.title if doc else file,
                    section=str(p.get("table", "")),
                    quote=quote,
                    score=1.0,
                    line=line if isinstance(line, int) else None,
                )
            )
        return cites
