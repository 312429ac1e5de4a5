"""The offline engine: structured questions through the tool layer, prose questions by quoting the corpus."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator

from bot.answer.base import History, cite, user_questions
from bot.answer.extract import (
    answers_amount,
    asked_metrics,
    asks_amount,
    counted_unit,
    counts,
    coverage,
    derive_from_passages,
    derived_digits,
    enumeration_size,
    falls,
    inline_items_at,
    list_items,
    share_from_passages,
    share_terms,
    states_amount,
    states_share,
    years_in,
)
from bot.answer.route import route
from bot.answer.understand import (
    Intent,
    as_written,
    changed_subject,
    derived_ask,
    digits_asked,
    has_any,
    lexicon,
    normalise,
    understand,
    with_period_words,
)
from bot.answer.verify import (
    anchor_fit,
    asked_clause,
    excepted_by_lead,
    measure_anchors,
    measure_groups,
    missing_years,
    only_the_excepted,
    organisations,
    person_candidates,
    place_conflict,
    places_in,
    unsupported,
)
from bot.core import prompts
from bot.core.errors import BotError
from bot.core.schema import Answer, Chunk, Hit, ToolCall
from bot.core.settings import Settings
from bot.index.ingest import TEAM_AUTHOR, squash
from bot.index.retrieve import Retriever, clean_query
from tools.errors import ToolError
from tools.result import ToolResult

_SENT = re.compile(r"[^。！？；!?\n]+[。！？；!?]*[”」』）)]?")
_STOP = {
    "的",
    "了",
    "是",
    "在",
    "和",
    "与",
    "及",
    "或",
    "有",
    "中",
    "对",
    "为",
    "把",
    "被",
    "吗",
    "呢",
    "吧",
    "啊",
    "哪",
    "哪些",
    "哪个",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "为什么",
    "多少",
    "几",
    "请问",
    "一下",
    "是否",
    "可以",
    "能",
    "会",
    "这",
    "那",
    "其",
    "它",
    "他们",
    "我们",
    "报告",
    "文中",
    "书中",
    "文章",
    "提到",
    "认为",
    "指出",
    "根据",
    "说",
    "讲",
    "主要",
    "哪里",
    "谁",
    "哪一",
    "个",
    "之",
    "所",
    "从",
    "到",
    "以",
    "等",
    "里",
    "上",
    "下",
    "中国",
    "我国",
}
_QWORD = re.compile(
    r"^(第几|哪[家几一个些类种年天位座项条]+.*|几[类个种项条]|多少.*|多大|多长(?:时间)?|多久|多高|什么样?|怎样|如何|"
    r"分别|具体|数值|是否|有没有|占多大|职务|职位|头衔|[一二三四五六七八九十两\d]+[个种类项条方点名]|前[一二三四五六七八九十\d]+名?)$"
)
# An essay heading as ingestion labels it: "题目（作者）", the author a person, several, or a team.
_BYLINE = re.compile(r"(.*)（([\u4e00-\u9fff·]{2,5}(?:\s[\u4e00-\u9fff·]{2,5})*|" + TEAM_AUTHOR + r")）")
_WHO_Q = re.compile(r"谁|哪位|什么人")
_PRONOUN_PART = re.compile(
    r"[，,；;](?=(?:那么|那)?(?:他|她|它|其|该)[^，,；;]{1,20}(?:什么|哪|谁|多少|几|怎么|如何|吗|呢))"
)
# Someone speaking: "李三希分析，…" (a speech verb then a comma; "具体来说，" is not one).
_SPEECH = r"(?:分析|表示|指出|认为|介绍|强调|坦言|谈到|提出|(?<![来而])说)"
_ATTRIBUTION = re.compile(r"[\u4e00-\u9fff]{2,}" + _SPEECH + r"[，,:：]")
_SPEAKS = re.compile(_SPEECH)
_YEAR = re.compile(r"(19|20)\d\d")
_FOLLOWUP = re.compile(r"^(那|那么|它|他|她|其|这|该|此|还有|再|另外|同样)|[它其该此]")


def _is_caption(sentence: str) -> bool:
    """A short line without sentence punctuation, such as a chart title
    ("各城市群指数TOP5城市")."""
    return len(sentence) < 30 and sentence[-1] not in "。！？；!?;”」』）)" and "\t" not in sentence


_CONJ = {"和", "与", "及", "、"}
_LEFT_STOP = {"的", "让", "对", "在", "，", ",", "使", "把", "将", "从", "据", "中"}


def _split_respectively(question: str) -> list[str]:
    """ "A和B的X分别是多少 / 各是多少" -> ["A的X是多少", "B的X是多少"]; other questions stay whole."""
    import rjieba

    if not re.search(r"分别|各自|各(?:是|为|有|达到|定)", question):
        return [question]
    toks = list(rjieba.cut(question))
    at = next((i for i, t in enumerate(toks) if t in ("分别", "各自") or t.startswith("各")), -1)
    if at < 0:
        return [question]
    conj = max((i for i in range(at) if toks[i] in _CONJ), default=-1)
    if conj <= 0:
        return [question]
    a_start = conj
    while a_start > 0 and conj - a_start < 3 and toks[a_start - 1] not in _LEFT_STOP:
        a_start -= 1
    b_end = conj + 1
    # B is as long as A (in words) unless a particle ends it sooner: "A1A2和B1B2…".
    while b_end < at and b_end - conj <= conj - a_start and toks[b_end][0] not in _LEFT_STOP:
        b_end += 1
    if a_start == conj or b_end == conj + 1:
        return [question]
    head, left, right = "".join(toks[:a_start]), "".join(toks[a_start:conj]), "".join(toks[conj + 1 : b_end])
    marker = toks[at]
    rest = marker[1:] if marker.startswith("各") and marker != "各自" else ""  # "各是" -> "是"
    tail = "".join(toks[b_end:at]) + rest + "".join(toks[at + 1 :])
    return [head + left + tail, head + right + tail]


def expand_abbreviations(question: str) -> str:
    """'京津两地…' -> '北京和天津…': one-character province names before 两地/三地/两省/两市/三省市."""
    names = lexicon()["places"]["abbreviations"]
    chars = "".join(names)

    def expand(m: re.Match[str]) -> str:
        full = [names[c] for c in m.group(1)]
        return "、".join(full[:-1]) + "和" + full[-1]

    return re.sub(rf"([{chars}]{{2,4}})(?:两地|三地|四地|两省市?|三省市?|两市|三市)", expand, question)


_INSTRUCTION = re.compile(
    r"(?:请|要|需要)?(?:保留|精确到|四舍五入到?|取)[\d一二两三四五六]*位?(?:小数|有效数字)?(?:点后\w+位)?"
    r"|(?:请|要)?(?:用|以)(?:百分比|百分数|%)(?:表示|给出|作答)?"
)


def _asking_clauses(text: str) -> list[str]:
    """A piece split at "；" when each side asks something ("A说了多少；B说了多少？")."""
    pieces = [p for p in re.split(r"(?<=[；;])", text) if p.strip()]
    if len(pieces) > 1 and all(_ASKS.search(p) for p in pieces):
        return pieces
    return [text]


def _subquestions(question: str) -> list[str]:
    """A compound question ("…？…？", "A和B…分别…") split into its parts; a single question stays whole."""
    question = expand_abbreviations(question)
    parts: list[str] = []
    pieces = [p for q in re.findall(r"[^？?]+[？?]?", question) for p in _asking_clauses(q)]
    for p in (p.strip() for p in pieces if len(squash(p)) >= 4):
        if parts and _INSTRUCTION.fullmatch(squash(unicodedata.normalize("NFKC", p)).rstrip("？?。.")):
            parts[-1] += p  # "…多少？保留两位小数": how to state the answer, not another question
        else:
            parts.append(p)
    if len(parts) > 1:
        return [sub for p in parts for sub in _split_respectively(p)]
    # "…标题是什么，他在哪个机构任职？": a clause that starts with a pronoun and asks again is a second part
    m = _PRONOUN_PART.search(question)
    if m and len(squash(question[: m.start()])) >= 4 and _ASKS.search(question[: m.start()]):
        return [question[: m.start()].strip() + "？", question[m.start() + 1 :].strip()]
    return _split_respectively(question)


def measure_synonyms(text: str) -> str:
    """The other words of each measure a question names ("省了多少钱" -> "节约 节省"): searched too, and
    counted at the subject's weight when sentences are ranked."""
    low = unicodedata.normalize("NFKC", text).lower()
    return " ".join(dict.fromkeys(w for group in measure_groups(text) for w in group[:2] if w not in low))


_FIGURE = re.compile(
    r"(?:约|近|逾)?\d+(?:\.\d+)?\s*(?:%|‰|万亿|千亿|百亿|亿|万|千|百)?"
    r"(?:元|人次|人|个|家|台|次|辆|座|项|户|名|位|倍|小时|天|秒|分钟|公里|吨|核|件|笔|单)?"
)


def question_for(sentence: str) -> tuple[str, str]:
    """'截至2020年4月初，某服务单周销售额突破1亿元。' -> ('截至2020年4月初，某服务单周销售额突破多少？',
    '突破1亿元'): the clause stating the sentence's first figure (with the clauses before it that date it),
    its figure turned into 多少; ('', '') when the sentence states no figure."""
    clauses = [c for c in re.split(r"[，,；;。！!]|——", sentence.strip()) if c.strip()]
    for i, clause in enumerate(clauses):
        masked = _DATE_IN_CLAUSE.sub(lambda m: "#" * len(m.group(0)), clause)
        m = next((f for f in _FIGURE.finditer(masked) if re.search(r"\d", f.group(0))), None)
        if m is None:
            continue
        dated = [c for c in clauses[:i] if _DATE_IN_CLAUSE.search(c)]
        lead = "，".join(dated[-1:] + [clause[: m.start()] + "多少"])
        if len(squash(lead)) < 10 or len(lead) > 60:
            return "", ""
        return lead + "？", clause[m.start() : m.end()]
    return "", ""


_DATE_IN_CLAUSE = re.compile(
    r"(?:19|20)\d\d\s*年?(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"
    r"|(?:19|20)\d\d\s*[qQ][1-4]"
)


_OPEN, _CLOSE = "（(《“‘[【", "）)》”’]】"
_LEAD_WORD = re.compile(
    r"^(?:而且|而|但是|但|因此|所以|同时|其中|例如|此外|另外|并且|并|也|即)(?=[\u4e00-\u9fffA-Za-z0-9])"
)


def clauses_of(sentence: str) -> list[str]:
    """The clauses of a sentence, split at commas, semicolons and dashes outside brackets and quotes."""
    out, depth, start = [], 0, 0
    text = sentence.strip()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in "，,；;。！!" or text.startswith("——", i)):
            out.append(text[start:i].strip())
            i += 2 if ch == "—" else 1
            start = i
            continue
        i += 1
    out.append(text[start:].strip())
    return [c for c in out if c]


def _why(reason: str) -> str:
    """Why the closest sentence does not answer, from verify.unsupported's reason ("year:2021" ...)."""
    kind, _, value = reason.partition(":")
    return {
        "year": prompts.WHY_YEAR.format(year=value),
        "period": prompts.WHY_PERIOD,
        "measure": prompts.WHY_MEASURE,
        "place": prompts.WHY_PLACE,
        "flow": prompts.WHY_FLOW,
        "date": prompts.WHY_DATE,
        "ordinal": prompts.WHY_ORDINAL.format(n=value),
        "count": prompts.WHY_COUNT,
        "amount": prompts.WHY_AMOUNT,
        "premise": prompts.WHY_PREMISE,
        "subject": prompts.WHY_SUBJECT,
        "target": prompts.WHY_TARGET,
        "kind": prompts.WHY_KIND.format(kind=value),
        "operands": prompts.WHY_OPERANDS,
        "rate": prompts.WHY_RATE,
        "duration": prompts.WHY_DURATION,
    }.get(kind, "")


_ASKS = re.compile(r"什么|哪|谁|多少|几|是否|吗|如何|怎么|怎样|为何|为什么|啥")
_FOLLOW_UP_CLAUSE = re.compile(r"^(?:那么?|而|但|可|相比之下|相比)|呢[？?]?$")


def _states_result(op: str, b_term: str, sentence: str) -> bool:
    """The sentence states the derived figure itself ("…是中国的30倍", "…比B高出5个百分点")."""
    if op == "ratio":
        return re.search(r"[\d一二两三四五六七八九十]\s*倍", sentence) is not None
    return op == "difference" and "比" in sentence and coverage(b_term, sentence) == 1


_PERIOD = re.compile(
    r"(?:19|20)\d\d\s*年?(?:第?[一二三四]季度|q[1-4]|上半年|下半年|全年)?|[一二三四]季度|q[1-4]", re.I
)


def _with_lead_period(question: str, lead: str) -> str:
    """A later part that continues the first part's subject ("…？环比转正了没") and names no period of its
    own, read with the period the first part named. A part about a person or a company may be about
    another time ("…？他又如何评价…")."""
    text = unicodedata.normalize("NFKC", question)
    if (
        not lead
        or _PERIOD.search(text)
        or re.search(r"他|她|又", text)
        or places_in(text)
        or organisations(text)
    ):
        return question
    periods = _PERIOD.findall(unicodedata.normalize("NFKC", lead))
    return f"{''.join(periods)}，{question}" if periods else question


def _closed_quote(text: str, sentence: str, limit: int = 160) -> str:
    """A sentence that opens a quotation ("…感慨，“三年来，…。") continued to where the quotation closes,
    so a speaker's words are quoted whole."""
    if sentence.count("“") <= sentence.count("”"):
        return sentence
    at = text.find(sentence)
    if at < 0:
        return sentence
    end = text.find("”", at + len(sentence))
    if end < 0 or end - at > limit + len(sentence) or "\n\n" in text[at + len(sentence) : end]:
        return sentence
    return text[at : end + 1]


_THIS_YEAR = re.compile(r"当年|同年|这一年|那一年")


def _year_resolved(text: str, sentence: str, line: str) -> str:
    """The line with "当年/同年" replaced by the year the text names last before the sentence; "" when it says
    neither."""
    m = _THIS_YEAR.search(line)
    at = text.find(sentence)
    years = re.findall(r"((?:19|20)\d\d)\s*年", text[max(0, at - 300) : at]) if m and at > 0 else []
    return line[: m.start()] + f"{years[-1]}年" + line[m.end() :] if m and years else ""


class OfflineEngine:
    """No LLM: structured questions through the tool layer, prose questions answered by quoting the corpus."""

    name = "离线"

    def __init__(self, settings: Settings, retriever: Retriever):
        self.settings = settings
        self.retriever = retriever
        self._idf: dict[str, float] | None = None

    # -- public interface -------------------------------------------------------------------------
    def answer(self, question: str, history: History | None = None) -> Answer:
        q = clean_query(question, self.settings.retrieval.max_query_chars)
        previous = user_questions(history)
        parts = _subquestions(q)
        if len(parts) > 1:
            # A compound table question is planned whole: a later part inherits the first part's subject.
            routed, open_parts = self._route(q, previous)
            if routed is not None and routed.answerable:
                return self._with_open_parts(q, routed, open_parts, previous, parts[0])
            answers: list[Answer] = []
            for i, p in enumerate(parts):
                lead = parts[0] if i else ""
                lead_answer = answers[0].answer if answers and answers[0].answerable else ""
                answers.append(self._one(p, previous + parts[:i], lead, lead_answer))
            return self._combine(q, answers)
        return self._one(q, previous)

    def _one(self, question: str, previous: list[str], lead: str = "", lead_answer: str = "") -> Answer:
        """`lead`: the first part of the compound question this one continues
        ("…？每个产品需要多长时间？"); `lead_answer`: what the engine answered to it (a later part may ask
        about the person it named: "…的作者是谁？他的职务是什么？")."""
        routed, open_parts = self._route(question, previous)
        if routed is not None and not routed.answerable and routed.tool_calls:
            # The tables do not hold it (a national rank, a city's index value): the prose may state it.
            stated = self._stated_in_prose(question, previous, routed)
            if stated is not None:
                return stated
        if routed is not None:
            return self._with_open_parts(question, routed, open_parts, previous, question)
        if understand(question).intent == Intent.AUTHOR:
            found = self._author(question) or self._essay_by(question)
            if found is not None:
                return found
        return self._person_role(question, lead_answer) or self._prose(question, previous, lead)

    def _person_role(self, question: str, lead_answer: str = "") -> Answer | None:
        """ "X是什么身份 / 在哪个机构任职": the corpus sentence that puts the name X next to a role word
        ("李晓华，中国社会科学院…主任、研究员" or "…研究中心主任李三希分析"). Names are looked for in the
        question, then in the answer to the question's first part."""
        q = unicodedata.normalize("NFKC", question)
        if not has_any(q, "person", "role_question"):
            return None
        if lead_answer and re.search(r"他|她", q):  # "他在哪里工作": the person the first part named
            return self._role_of(question, lead_answer) or self._role_of(question, q)
        return self._role_of(question, q) or (self._role_of(question, lead_answer) if lead_answer else None)

    def _role_of(self, question: str, q: str) -> Answer | None:
        roles = "|".join(map(re.escape, lexicon()["person"]["roles"]))
        names = dict.fromkeys(m.group(0) for m in re.finditer(r"[\u4e00-\u9fff]{2,4}", q))
        candidates = [
            n[i:j] for n in names for i in range(len(n)) for j in range(i + 2, min(len(n), i + 4) + 1)
        ]
        asked = person_candidates(q)
        if asked:  # "X是什么职务": X, not any other run of the question's characters
            candidates = asked
        for name in sorted(dict.fromkeys(candidates), key=len, reverse=True):
            after = re.compile(rf"{re.escape(name)}[，,（(][^。；\n]{{0,60}}?(?:{roles})[^。；\n]{{0,20}}")
            before = re.compile(rf"[^。；，,\n]{{2,40}}(?:{roles}){re.escape(name)}")
            for rank, chunk in enumerate(self.retriever.chunks):
                if name not in chunk.text:
                    continue
                m = after.search(chunk.text) or before.search(chunk.text)
                if m:
                    hit = Hit(chunk=chunk, score=1.0, rank=rank + 1)
                    quote = m.group(0).strip()
                    text = prompts.OFFLINE_QUOTE.format(title=chunk.title, quote=quote)
                    return Answer(
                        question=question,
                        answer=text,
                        answerable=True,
                        mode="offline",
                        citations=[cite(hit, quote)],
                    )
        return None

    def _author(self, question: str) -> Answer | None:
        """ "《题目》是谁写的？" / "序言一的作者是谁？": from the essay headings "题目（作者）" found at
        ingestion."""
        if not has_any(normalise(question), "author", "asks_author_re"):
            return None
        doc_titles = [squash(c.title) for c in self.retriever.chunks[:1]] + [
            squash(t) for names in self.retriever.aliases.values() for t in names
        ]
        titles = [
            squash(unicodedata.normalize("NFKC", booked or quoted))
            for booked, quoted in re.findall(r"《([^》]+)》|“([^”]+)”", question)
        ]
        wanted = re.findall(r"序言[一二三四五六七八九十]+", question) + [
            t for t in titles if len(t) >= 2 and not any(d.startswith(t) for d in doc_titles)
        ]
        for key in wanted:
            for chunk in self.retriever.chunks:
                parts = chunk.section.split(" > ")
                for i, part in enumerate(parts):
                    m = _BYLINE.fullmatch(part)
                    label = squash(unicodedata.normalize("NFKC", m.group(1) if m else part))
                    if label != key and not label.startswith(
                        key + "——"
                    ):  # a title asked without its subtitle
                        continue
                    # The essay itself, or the first essay under a part such as 序言一.
                    for candidate in parts[i:]:
                        m = _BYLINE.fullmatch(candidate)
                        if m:
                            essay, author = m.group(1), m.group(2)
                            text = (
                                prompts.ESSAY_AUTHOR.format(essay=essay, author=author)
                                if essay
                                else prompts.AUTHOR_ONLY.format(author=author)
                            )
                            hit = Hit(chunk=chunk, score=1.0, rank=1)
                            return Answer(
                                question=question,
                                answer=text,
                                answerable=True,
                                mode="offline",
                                citations=[cite(hit, chunk.text[:80])],
                            )
        return None

    def _essay_by(self, question: str) -> Answer | None:
        """ "X写的文章题目是什么 / X写了哪篇": the essay headings "题目（作者）" that name X as an author."""
        if not has_any(normalise(question), "author", "asks_title_re"):
            return None
        q = squash(unicodedata.normalize("NFKC", question))
        found: dict[str, Hit] = {}
        names: list[str] = []
        for rank, chunk in enumerate(self.retriever.chunks):
            for part in chunk.section.split(" > "):
                m = _BYLINE.fullmatch(part)
                if not m or not m.group(1):
                    continue
                authors = m.group(2).split()
                if any(len(a) >= 2 and a in q for a in authors) and m.group(1) not in found:
                    found[m.group(1)] = Hit(chunk=chunk, score=1.0, rank=rank + 1)
                    names.append(m.group(2))
        if not found or len(found) > 3:
            return None
        text = (
            "；".join(prompts.ESSAY_BY.format(author=a, essay=e) for a, e in zip(names, found, strict=True))
            + "。"
        )
        cites = [cite(h, h.chunk.text[:80]) for h in found.values()]
        return Answer(question=question, answer=text, answerable=True, mode="offline", citations=cites)

    @staticmethod
    def _combine(question: str, answers: list[Answer]) -> Answer:
        """Answers to the parts of a compound question, joined; answerable when any part is."""
        good = [a for a in answers if a.answerable]
        if not good:
            return answers[0].model_copy(update={"question": question})
        lines = list(dict.fromkeys(line for a in good for line in a.answer.split("\n")))
        return Answer(
            question=question,
            answer="\n".join(lines),
            answerable=True,
            citations=[c for a in good for c in a.citations],
            tool_calls=[t for a in good for t in a.tool_calls],
            caveats=list(dict.fromkeys(c for a in good for c in a.caveats)),
            mode="offline",
        )

    def stream(self, question: str, history: History | None = None) -> Iterator[str | Answer]:
        ans = self.answer(question, history)
        yield ans.answer
        yield ans

    # -- structured questions -------------------------------------------------------------------
    def _route(self, question: str, previous: list[str]) -> tuple[Answer | None, list[str]]:
        """The tables' answer (None when the question is not a table one) and the later parts of a
        compound question they leave to the prose."""
        try:
            routed = route(question, previous)
        except (BotError, ToolError) as exc:
            # A table question with a name we do not know: say so (with the closest names).
            return Answer(question=question, answer=str(exc), answerable=False, mode="offline"), []
        if routed is None:
            return None, []
        answer = Answer(
            question=question,
            answer=routed.answer,
            answerable=routed.answerable,
            citations=routed.citations,
            tool_calls=routed.tool_calls,
            caveats=routed.caveats,
            mode="offline",
        )
        return answer, routed.open_parts

    def _stated_in_prose(self, question: str, previous: list[str], routed: Answer) -> Answer | None:
        """The prose answer to a question the tables cannot answer, when its quote names the city the
        question is about ("东莞…排名全国第15"); None otherwise."""
        names = {
            str(row["city"]).removesuffix("市")
            for call in routed.tool_calls
            if isinstance(call.result, ToolResult)
            for row in call.result.rows
            if row.get("city")
        }
        if not names:
            return None
        scope = understand(question).scope
        stated = [re.compile(p) for issue in scope for p in lexicon()["scope"]["stated_re"].get(issue, [])]
        if not stated:
            return None
        prose = self._prose(question, previous, helpful=False)
        quotes = [unicodedata.normalize("NFKC", c.quote) for c in prose.citations]
        if prose.answerable and any(
            any(n in q for n in names) and any(p.search(q) for p in stated) for q in quotes
        ):
            return prose
        return None

    def _with_open_parts(
        self, question: str, routed: Answer, open_parts: list[str], previous: list[str], lead: str
    ) -> Answer:
        """A routed answer completed with the prose answers to the parts the tables do not hold."""
        if not open_parts or not routed.answerable:
            return routed
        rest = [self._prose(p, previous + [lead]) for p in open_parts]  # subjects already filled in
        return self._combine(question, [routed, *rest])

    # -- prose questions ---------------------------------------------------------------------------
    def idf(self) -> dict[str, float]:
        if self._idf is None:
            from bot.index.store import passage_text, tokenize

            df: dict[str, int] = {}
            for c in self.retriever.chunks:
                for t in set(tokenize(passage_text(c))):
                    df[t] = df.get(t, 0) + 1
            n = len(self.retriever.chunks)
            self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        return self._idf

    def _terms(self, text: str) -> dict[str, float]:
        from bot.index.store import tokenize

        idf = self.idf()
        default = max(idf.values()) if idf else 1.0
        terms = {}
        for t in tokenize(text):
            if t in _STOP or (len(t) == 1 and not t.isdigit() and not t.isascii()):
                continue
            terms[t] = idf.get(t, default)  # a term absent from the corpus weighs the most
        return terms

    def _search_query(self, question: str, previous: list[str]) -> str:
        """A follow-up without its own subject borrows the previous question's terms."""
        if previous and (
            len(self._terms(question)) <= 1 or (len(question) <= 12 and _FOLLOWUP.search(question))
        ):
            return previous[-1] + " " + question
        return question

    def _without_source_names(self, query: str) -> str:
        """The question minus the names of documents it cites ("科技日报提到…"): those name the source, not
        the content, and would otherwise favour sentences like "（文章来源：科技日报）"."""
        return self.retriever.without_names(query, self.retriever.named_docs(query))

    def rank_sentences(
        self, query: str, hits: list[Hit], subject: str = ""
    ) -> list[tuple[float, float, Hit, str]]:
        """Sentences of the hits scored by weighted term coverage of the query (terms of a borrowed `subject`
        at half weight), plus a small rank prior, plus or minus `anchor_weight` when the sentence names the
        asked thing's measure ("产业数字化规模") or the same measure of another thing: (score, coverage, hit,
        sentence), best first."""
        cfg = self.settings.engine
        anchors = measure_anchors(query)
        # A question that names no place asks an overall figure: a sentence about one city or province is
        # a weaker match for it.
        placeless = asks_amount(query) and not places_in(query)
        terms = self._terms(query)
        for t, w in self._terms(subject).items():
            terms.setdefault(t, cfg.subject_weight * w)
        total = sum(terms.values()) or 1.0
        scored: list[tuple[float, float, Hit, str]] = []
        for h in hits:
            prior = 1.0 / (h.rank + 1)
            text = unicodedata.normalize("NFKC", h.chunk.text).lower()
            for m in _SENT.finditer(h.chunk.text):
                s = m.group(0).strip()
                if len(squash(s)) < 6:
                    continue
                ns = unicodedata.normalize("NFKC", s).lower()
                # Terms just above the sentence (a slide's heading naming the company) count for half.
                above = text[max(0, m.start() - cfg.heading_chars) : m.start()]
                cov = (
                    sum(
                        w if t in ns else cfg.heading_weight * w if t in above else 0.0
                        for t, w in terms.items()
                    )
                    / total
                )
                penalty = cfg.long_sentence_penalty * max(0, len(s) - cfg.long_sentence_chars)
                anchor = cfg.anchor_weight * anchor_fit(anchors, s) if anchors else 0.0
                if placeless and places_in(s) - {"中国"}:
                    anchor -= cfg.anchor_weight
                scored.append((cov + cfg.rank_prior * prior - penalty + anchor, cov, h, s))
        scored.sort(key=lambda x: -x[0])
        return scored

    def _subject(self, question: str, lead: str) -> str:
        """The first uncommon key terms of the lead part's first clause that this part does not repeat: its
        likely subject ("富驰高科采用…，缺陷检出率…？" -> "富驰 高科")."""
        mine = self._key_terms(question)
        lead = re.split(r"[，,：:]", self._without_source_names(lead), maxsplit=1)[0]
        terms = [
            t
            for t, w in self._key_terms(lead).items()
            if t not in mine and not t.isdigit() and w >= self.settings.engine.subject_min_idf
        ]
        return " ".join(terms[:2])

    def _prose(self, question: str, previous: list[str], lead: str = "", helpful: bool = True) -> Answer:
        """`helpful`: a refusal names the closest sentence and suggests a question the corpus answers."""
        # "２０２２" = "2022"; "保留两位小数" says how to state the answer, it is not searched for
        core = _INSTRUCTION.sub("", question)
        checked = _with_lead_period(question, lead)  # "…2031年三季度…？环比呢": checked against that quarter
        query = unicodedata.normalize("NFKC", self._search_query(core, previous))
        # A later part of a compound question searches with the lead's subject; its sentences are scored on
        # its own words, the subject's at half weight.
        subject = self._subject(question, lead) if lead and query == core else ""
        excepted = excepted_by_lead(question, lead) if lead else ""  # "另设的一个部叫什么"
        cfg = self.settings.engine
        # "2022Q1" is also searched and matched as prose writes it ("2022年一季度"); support counts the
        # user's own words only.
        synonyms = measure_synonyms(query)
        hits = self.retriever.search(
            f"{with_period_words(query)} {synonyms} {subject}".strip(), k=cfg.prose_hits
        )
        content = self._without_source_names(query)
        scored = self.rank_sentences(with_period_words(content), hits, f"{subject} {synonyms}".strip())
        support, critical = self.support(hits, content)

        def refuse(closest: tuple[float, float, Hit, str] | None = None, why: str = "") -> Answer:
            return self._refusal(question, hits, closest if helpful else None, why)

        derived = self._derived(question, query, subject, hits, lead)
        if derived is not None:
            return derived
        if not scored or critical or support < cfg.refuse_threshold:
            return refuse()
        best = scored[0]
        terms = share_terms(question)
        share_hits = hits
        if terms:  # a share is computed from the passages of the asked words and of each term
            if synonyms:
                share_hits = self.retriever.search(
                    f"{with_period_words(query)} {subject}".strip(), k=cfg.prose_hits
                )
            share_hits = self._term_pool(share_hits, list(terms), subject, query)
        computed = self._share(question, share_hits, best[3])
        if computed is not None:
            return computed
        amount = asks_amount(question)
        if not amount and self._chart_only(scored):
            return refuse()
        years = years_in(checked)
        # A Latin-lettered metric asked about ("线上GMV是多少") must be named where the number is stated.
        metrics = asked_metrics(question)

        # "多少" without a counted unit asks a figure: a count in words ("九个季度") does not state it
        figure_only = not counted_unit(question)

        def fits(sentence: str) -> bool:
            low = unicodedata.normalize("NFKC", sentence).lower()
            return answers_amount(sentence, years, figure_only) and all(t in low for t in metrics)

        if amount and not fits(best[3]):
            # "多少" is answered by a sentence that states a number (for the year asked about), or not at all.
            numeric = [c for c in scored[1 : cfg.sentence_candidates] if fits(c[3])]
            if not numeric or numeric[0][1] < cfg.numeric_ratio * best[1]:
                return refuse(
                    numeric[0] if numeric else best, self._unsupported(checked, best, excepted) or "amount"
                )
            scored = numeric
            best = scored[0]
        counted = counted_unit(question)
        if counted and amount and not counts(best[3], counted):
            # "几个新职业": of equally relevant sentences, the one counting that thing ("147 个新职业")
            # answers.
            exact = next(
                (
                    c
                    for c in scored[1 : cfg.sentence_candidates]
                    if c[1] >= cfg.count_ratio * best[1] and fits(c[3]) and counts(c[3], counted)
                ),
                None,
            )
            if exact is not None:
                scored = [exact] + [c for c in scored if c is not exact]
                best = exact
        if self._unsupported(checked, best, excepted):
            # The best sentence is about the subject but not the asked measure, period or count: quote the
            # next one that is, if it is nearly as relevant, else say the corpus does not answer.
            alt = next(
                (
                    c
                    for c in scored[1 : cfg.sentence_candidates]
                    if c[1] >= cfg.numeric_ratio * best[1]
                    and (not amount or fits(c[3]))
                    and not self._unsupported(checked, c, excepted)
                ),
                None,
            )
            if alt is None:
                return refuse(best, self._unsupported(checked, best, excepted))
            scored = [alt] + [c for c in scored if c is not alt]
            best = alt
        amount_line = amount and fits(best[3])  # a slide's bullet "每个产品质检仅需4秒"
        if not amount_line and self._chart_only(scored):
            return refuse()
        listed = self._enumeration(question, best)
        if listed is not None:
            return listed
        picks = [best]
        speaker = self._speaker(question, best)
        if speaker is not None:
            picks.insert(0, speaker)
        for cand in scored[1:4]:
            if len(picks) > 1:
                break
            if (
                cand[3] != best[3]
                and cand[1] >= cfg.second_quote_ratio * best[1]
                and not cand[3].endswith(("？", "?"))
                and not self._unsupported(checked, cand, excepted)
                and len(best[3]) + len(cand[3]) <= cfg.max_quote_chars
            ):
                picks.append(cand)
                break
        direct = self._direct(content, best[3], amount)
        if has_any(normalise(question), "prose_period", "when"):  # "当年9月" -> "2018年9月"
            direct = _year_resolved(best[2].chunk.text, best[3], direct or best[3]) or direct
        parts = [prompts.DIRECT_ANSWER.format(answer=direct)] if direct else []
        citations = []
        for _, _, h, s in picks:
            s = _closed_quote(h.chunk.text, s)
            parts.append(prompts.OFFLINE_QUOTE.format(title=h.chunk.title, quote=s))
            citations.append(cite(h, s))
        return Answer(
            question=question, answer="\n".join(parts), answerable=True, citations=citations, mode="offline"
        )

    def _direct(self, question: str, sentence: str, amount: bool) -> str:
        """One line that answers first: the clause of the quoted sentence that covers the question best (for a
        "多少" question, the one stating the figure, with the clause that dates it); "" when the sentence is
        short enough to be its own answer."""
        if len(squash(sentence)) <= self.settings.engine.direct_min_chars:
            return ""
        clauses = [_LEAD_WORD.sub("", c) for c in clauses_of(sentence) if len(squash(c)) >= 4]
        if len(clauses) < 2:
            return ""
        terms = self._terms(question)

        def score(clause: str) -> float:
            low = unicodedata.normalize("NFKC", clause).lower()
            return sum(w for t, w in terms.items() if t in low)

        asked = set(re.findall(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", question)))

        def new_figure(clause: str) -> bool:  # states a figure (not a date) the question did not already give
            undated = _DATE_IN_CLAUSE.sub(" ", unicodedata.normalize("NFKC", clause))
            found = set(re.findall(r"\d+(?:\.\d+)?", undated))
            return states_amount(clause) and bool(found) and not found <= asked

        pool = [c for c in clauses if new_figure(c)] if amount else clauses
        if has_any(normalise(question), "prose_period", "asks_duration_re"):  # "多久": the length of time
            pool = [c for c in pool if has_any(normalise(c), "prose_period", "duration_re")] or pool
        if not pool:
            return ""
        best = max(pool, key=score)
        if score(best) <= 0:
            return ""
        i = clauses.index(best)
        dated = [c for c in clauses[:i] if _DATE_IN_CLAUSE.search(c) and not _DATE_IN_CLAUSE.search(best)]
        line = "，".join(dated[-1:] + [best])
        return line if len(squash(line)) < 0.8 * len(squash(sentence)) else ""

    def _title_missing(self, question: str, hit: Hit, evidence: str) -> bool:
        """A question about a work named in 《》 that is not the passage's own document: the evidence must
        name that work (a sentence about some other book's publisher does not answer)."""
        titles = [t for t in re.findall(r"《([^》]{2,})》", question) if t not in hit.chunk.title]
        if not titles:
            return False
        low = squash(unicodedata.normalize("NFKC", evidence + hit.chunk.section))
        return not any(squash(unicodedata.normalize("NFKC", t))[:6] in low for t in titles)

    def _new_subject_missing(self, question: str, evidence: str) -> bool:
        """'甲和乙多由外企生产，那丙呢？': a follow-up clause ("那…", "…呢") brings new key terms; the
        evidence must name at least one of them, not only restate the premise."""
        asked = asked_clause(question)
        if asked is question or not _FOLLOW_UP_CLAUSE.search(asked):
            return False
        premise = question[: max(0, len(question) - len(asked))]
        new = [t for t in self._key_terms(asked) if t not in self._key_terms(premise) and not t.isdigit()]
        low = unicodedata.normalize("NFKC", evidence).lower()
        return bool(new) and not any(t in low for t in new)

    def _chart_only(self, scored: list[tuple[float, float, Hit, str]]) -> bool:
        """The best match is a figure caption whose chart is not in the text (and no sentence comes close):
        nothing to quote."""
        best = scored[0]
        return _is_caption(best[3]) and (
            len(scored) < 2
            or _is_caption(scored[1][3])
            or scored[1][1] < self.settings.engine.caption_ratio * best[1]
        )

    def _unsupported(self, question: str, cand: tuple[float, float, Hit, str], excepted: str = "") -> str:
        """Why a candidate sentence does not answer the question ("" when it does): the asked measure, year,
        part of year or counted thing is missing (bot/answer/verify.py)."""
        _, _, hit, sentence = cand
        text = hit.chunk.text
        at = max(text.find(sentence), 0)
        heading = (
            hit.chunk.title + hit.chunk.section + text[max(0, at - self.settings.engine.heading_chars) : at]
        )
        reason = unsupported(question, sentence, heading, asks_amount(question))
        start = text.rfind("\n", 0, at)  # the sentence's paragraph; without line breaks, the text just above
        start = start + 1 if start >= 0 else max(0, at - self.settings.engine.heading_chars)
        paragraph = text[start : at + len(sentence)]
        if reason.startswith("year") and not missing_years(question, hit.chunk.section + paragraph):
            # the year is stated above it (its section, or the paragraph opening "2021年，…"): check the rest
            reason = unsupported(question, sentence, heading + paragraph, asks_amount(question))
        if not reason and self._new_subject_missing(question, heading + sentence):
            reason = "subject"
        if not reason and self._title_missing(question, hit, heading + sentence):
            reason = "subject"
        if not reason and excepted and only_the_excepted(question, sentence, excepted):
            reason = "excepted"
        ask = derived_ask(normalise(question)) if not reason else None  # per candidate: not the whole parse
        if ask is not None and ask.b and not _states_result(ask.op, ask.b, sentence):
            if min(coverage(t, sentence) for t in (ask.a, ask.b)) < 1:
                reason = "operands"  # "A比B多多少" is not answered by a sentence about one of them
        if reason or not asks_amount(question):
            return reason
        # A number must be stated about the asked place, not a neighbour's ("深圳…" answered by "江苏…"); a
        # place the sentence names itself counts before the heading's.
        place = place_conflict(question, sentence if places_in(sentence) - {"中国"} else heading + sentence)
        return f"place:{place}" if place else ""

    def _speaker(
        self, question: str, best: tuple[float, float, Hit, str]
    ) -> tuple[float, float, Hit, str] | None:
        """ "是谁指出…": when the best sentence names no speaker, the nearest sentence before it in the
        passage
        that does ("李三希分析，…") is quoted too."""
        score, cov, hit, sentence = best
        if not _WHO_Q.search(question) or _SPEAKS.search(sentence):
            return None
        text = hit.chunk.text
        at = text.find(sentence)
        window = text[max(0, at - self.settings.engine.speaker_chars) : max(at, 0)]
        before = [m.group(0).strip() for m in _SENT.finditer(window)]
        for s in reversed(before):
            if _ATTRIBUTION.search(s) and len(squash(s)) >= 6:
                return score, cov, hit, s
        return None

    def _enumeration(self, question: str, best: tuple[float, float, Hit, str]) -> Answer | None:
        """When the best sentence announces a list ("以下三点"), answer with the items that follow it."""
        _, _, hit, sentence = best
        size = enumeration_size(sentence)
        if size is None:
            return None
        text = hit.chunk.text
        inline = inline_items_at(sentence)
        start = text.find(sentence) + (len(sentence) if inline is None else inline)
        following = [(hit, text[start:])]
        chunk: Chunk | None = hit.chunk
        for _ in range(self.settings.engine.neighbour_window):  # the items may run over the next chunks
            chunk = self.retriever.neighbours(chunk)[1] if chunk is not None else None
            if chunk is None:
                break
            following.append((Hit(chunk=chunk, score=hit.score, rank=hit.rank), chunk.text))
        items = list_items(following, size)
        if not items:
            return None
        listing = "；".join(f"（{i}）{clause}" for i, (_, _, clause) in enumerate(items, 1))
        answer = prompts.OFFLINE_QUOTE.format(title=hit.chunk.title, quote=sentence) + f"\n{listing}。"
        cites = [cite(hit, sentence)] + [cite(h, s) for h, s, _ in items]
        return Answer(question=question, answer=answer, answerable=True, citations=cites, mode="offline")

    def _share(self, question: str, hits: list[Hit], best_sentence: str) -> Answer | None:
        """A part-of-whole share asked in prose and not stated in the best passage, computed from its
        numbers."""
        terms = share_terms(question)
        if not terms or states_share(best_sentence, terms):
            return None
        share = share_from_passages(question, hits)
        if share is None:
            return None
        digits = digits_asked(normalise(question))
        pct = f"{share.percent:.{1 if digits is None else digits}f}%"
        text = prompts.SHARE_COMPUTED.format(
            part=share.part_term,
            total=share.total_term,
            pct=pct,
            part_text=share.part.text,
            total_text=share.total.text,
        )
        cites = [cite(q.hit, q.sentence) for q in (share.total, share.part) if q.hit is not None]
        call = ToolCall(
            name="share_from_text",
            arguments={"part": share.part_term, "total": share.total_term},
            result={"part": share.part.value, "total": share.total.value, "percent": round(share.percent, 2)},
        )
        unique = list({c.chunk_id + c.quote: c for c in cites}.values())
        return Answer(
            question=question,
            answer=text,
            answerable=True,
            citations=unique,
            tool_calls=[call],
            mode="offline",
        )

    def _term_pool(self, hits: list[Hit], terms: list[str], subject: str, question: str) -> list[Hit]:
        """The question's passages and each term's own (two figures may stand far apart; searched with the
        question's years), ranked in that order."""
        pool = list(hits)
        years = " ".join(f"{y}年" for y in sorted(years_in(question)))
        for term in filter(None, terms):
            query = f"{with_period_words(term)} {years} {subject}".strip()
            more = self.retriever.search(query, k=self.settings.engine.prose_hits)
            pool += [h for h in more if all(h.chunk.chunk_id != p.chunk.chunk_id for p in pool)]
        return [h.model_copy(update={"rank": i + 1}) for i, h in enumerate(pool)]

    def _derived(
        self, question: str, query: str, subject: str, hits: list[Hit], lead: str = ""
    ) -> Answer | None:
        """A ratio, difference or change of figures the prose states ("…是…的几倍", "…比…多多少",
        "…从…降到…，降了百分之多少"), computed from the numbers next to the question's terms; None when
        the question asks none or its figures are not both found. A later part asking only the rate
        ("…？降幅是多少") is about what the part before (`lead`) said changed."""
        ask = understand(question).derived
        if ask is not None and not ask.a and lead:
            ask = ask.model_copy(update={"a": changed_subject(normalise(lead))})
        if ask is None or len(ask.a) < 2:
            return None
        pool = self._term_pool(hits, [ask.a, ask.b], subject, query)
        found = derive_from_passages(ask.op, ask.a, ask.b, pool, years_in(query))
        if found is None:
            return None
        ask = ask.model_copy(update={"a": as_written(question, ask.a), "b": as_written(question, ask.b)})
        asked = digits_asked(normalise(question))
        digits = derived_digits(found) if asked is None else asked
        value = f"{abs(found.value):.{digits}f}{found.unit}"
        down = falls(found)
        if found.op == "ratio":
            text = prompts.DERIVED_RATIO.format(
                a=ask.a, b=ask.b, value=f"{found.value:.{digits}f}", a_text=found.a.text, b_text=found.b.text
            )
        elif found.op == "difference":
            text = prompts.DERIVED_DIFFERENCE.format(
                a=ask.a,
                b=ask.b,
                more="少" if down else "多",
                value=value,
                a_text=found.a.text,
                b_text=found.b.text,
            )
        else:
            x, y = found.a.text, found.b.text
            formula = f"{x} − {y}" if down else f"{y} − {x}"
            formula = f"({formula}) ÷ {x}" if found.op == "percent_change" else formula
            template = prompts.DERIVED_PERCENT if found.op == "percent_change" else prompts.DERIVED_CHANGE
            verb = {
                "percent_change": "降" if down else "增",
                "points": "下降" if down else "提高",
            }.get(found.op, "减少" if down else "增加")
            text = template.format(a=ask.a, x_text=x, y_text=y, verb=verb, value=value, formula=formula)
        sources = list(
            {
                (q.hit.chunk.chunk_id, q.sentence): (q.hit, q.sentence) for q in (found.a, found.b) if q.hit
            }.values()
        )
        lines = [text] + [prompts.OFFLINE_QUOTE.format(title=h.chunk.title, quote=s) for h, s in sources]
        call = ToolCall(
            name="derive_from_text",
            arguments={"op": found.op, "a": ask.a, "b": ask.b},
            result={"a": found.a.value, "b": found.b.value, "value": round(found.value, 4)},
        )
        return Answer(
            question=question,
            answer="\n".join(dict.fromkeys(lines)),
            answerable=True,
            citations=[cite(h, s) for h, s in sources],
            tool_calls=[call],
            mode="offline",
        )

    def support(self, hits: list[Hit], question: str) -> tuple[float, list[str]]:
        """Evidence strength: the share of the question's weighted key terms found in the top 3 chunks
        (title and section included), and the critical terms (years, Latin words) missing from them."""
        terms = self._key_terms(question)
        if not hits or not terms:
            return 0.0, []  # no content words: nothing can support an answer
        ctx = unicodedata.normalize(
            "NFKC",
            "".join(
                h.chunk.title + h.chunk.section + h.chunk.text
                for h in hits[: self.settings.engine.support_passages]
            ),
        ).lower()
        total = sum(terms.values())
        covered = sum(w for t, w in terms.items() if t in ctx) / total
        critical = [
            t
            for t in terms
            if t not in ctx
            and (_YEAR.fullmatch(t) or (t.isascii() and len(t) >= 2 and any(ch.isalpha() for ch in t)))
        ]  # years and Latin names; a number range ("1-5") is written many ways
        return covered, critical

    def _key_terms(self, question: str) -> dict[str, float]:
        import rjieba

        idf = self.idf()
        default = max(idf.values()) if idf else 1.0
        q = unicodedata.normalize("NFKC", question).lower()
        return {
            t: idf.get(t, default)
            for t in rjieba.cut(q)
            if t not in _STOP
            and not _QWORD.match(t)
            and any(ch.isalnum() for ch in t)
            and (len(t) >= 2 or t.isdigit())
        }

    def _refusal(
        self,
        question: str,
        hits: list[Hit],
        closest: tuple[float, float, Hit, str] | None = None,
        why: str = "",
    ) -> Answer:
        """ "Not in the corpus", the related passages, and (given the closest sentence and why it does not
        answer) that sentence and a question the corpus does answer, checked by answering it."""
        related = [cite(h, h.chunk.text[:120]) for h in hits[:3]]
        lines = [prompts.OFFLINE_REFUSAL]
        if closest is not None:
            _, _, hit, sentence = closest
            lines.append(prompts.REFUSAL_CLOSEST.format(title=hit.chunk.title, quote=sentence, why=_why(why)))
            related.insert(0, cite(hit, sentence))
            suggestion = self._suggestion(sentence)
            if suggestion:
                lines.append(prompts.REFUSAL_SUGGEST.format(question=suggestion))
        return Answer(
            question=question,
            answer="\n".join(lines),
            answerable=False,
            related=list({c.chunk_id + c.quote: c for c in related}.values())[:4],
            mode="offline",
        )

    def _suggestion(self, sentence: str) -> str:
        """A question the sentence answers: its figure asked as "多少", kept only when the engine answers it
        with that figure."""
        question, figure = question_for(sentence)
        if not question:
            return ""
        ans = self._prose(question, [], helpful=False)
        return question if ans.answerable and squash(figure) in squash(ans.answer) else ""
