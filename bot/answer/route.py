"""Structured question routing: ranking and calculation questions answered exactly through the tool layer."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from bot.answer.plan import (
    Plan,
    among_plan,
    calc_plan,
    city_plan,
    clusters_stat_plan,
    mean_from_table_plan,
    movers_plan,
    other_year_plan,
    province_industries_plan,
    scope_plan,
    shares_plan,
)
from bot.answer.understand import (
    Intent,
    Query,
    asks_of_answer,
    has_any,
    names_tables,
    normalise,
    split_parts,
    table_query,
    understand,
)
from bot.core import prompts
from bot.core.schema import Citation, ToolCall
from tools.errors import ToolError
from tools.names import RANKED_INDUSTRIES
from tools.question import REFERS_BACK as _REFERS_BACK
from tools.question import CalcRequest, Frame, clean, cluster_of, parse, parse_calc, ranked_clusters
from tools.registry import ToolResult, call_tool
from tools.tables import report_source, source_line, tables_readonly

MAX_HISTORY = 4
_COUNTED = re.compile(r"共\d+")
_SPLIT = re.compile(r"[？?；;。！!]+")
_CHAIN = re.compile(
    r"^(?P<head>.+?(?:最快|最慢|最高|最低|第一|倒数第[\d一二三四五六七八九十]+|第[\d一二三四五六七八九十]+|"
    r"前[\d一二三四五六七八九十]+|后[\d一二三四五六七八九十]+)[^，,]{0,8}?的(?:[\d一二两三四五六七八九十]+个)?城市)"
    r"[，,]?(?P<tail>.+)$"
)
_CHAIN_TAIL = re.compile(
    r"排名|规模|排第|第几|名次|位列|位次|增速|相差|差多少|高多少|低多少|比较|对比|规模|变化"
)
_WHICH_INDUSTRY = re.compile(r"哪些行业|哪个行业|什么行业|哪几个行业|各行业|行业排名")
_STAT_TAIL = re.compile(r"平均|均值|中位|合计|总和|之和|总计|最大值|最小值")
_WHY = re.compile(
    r"为什么|为何|原因|意味着|说明了什么|有什么特点|什么特点|有何特点|怎么做到|如何做到|如何实现"
)
_WH_ONLY = re.compile(r"^(是|为|有)?(哪个|哪些|哪几个|哪两个|谁|什么|哪座)?(城市)?(呢)?$")


class RoutedAnswer(BaseModel):
    """An exact answer from the tables or a calculation, with the tool calls and one citation per
    table row."""

    answer: str = Field(description="Short Chinese sentence(s) with the values, period and growth note.")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    intent: str = Field(description="What was recognised, e.g. city_rank, top_cities, calc_weights.")
    answerable: bool = Field(
        True,
        description="False when the tables show the question cannot be answered "
        "(e.g. a cluster without city rankings, a value the report omits).",
    )
    caveats: list[str] = Field(default_factory=list, description="How the figures must be read.")
    open_parts: list[str] = Field(
        default_factory=list,
        description="Later parts of a compound question the tables do not answer (a plan, a target, a "
        "figure in the prose), their subject filled in from the part before; the prose answers them.",
    )


# ---------------------------------------------------------------- planning


def _measure(f: Frame, default: str = "2022Q1") -> str:
    if f.growth and not f.periods:
        return "growth"
    return f.periods[0] if f.periods else ("growth" if f.growth else default)


def _resolve_ambiguous(f: Frame) -> None:
    industry_context = bool([i for i in f.industries if i in RANKED_INDUSTRIES]) and not f.clusters
    for city, province in f.ambiguous:
        (f.provinces if industry_context else f.cities).append(province if industry_context else city)
    f.ambiguous = []


def _cluster_size(cluster: str) -> int:
    ov = tables_readonly()["city_overview"]
    return int((ov["cluster"] == cluster).sum())


def _not_ranked_message(name: str) -> str:
    short = "、".join(c.removesuffix("城市群") for c in ranked_clusters())
    return prompts.NOT_RANKED_CLUSTER.format(clusters=short, name=name)


def _plan_cluster_industries(f: Frame) -> Plan | None:
    if not (
        f.rank_word
        or f.ordinal
        or f.top_k
        or _WHICH_INDUSTRY.search(f.text)
        or "top" in f.text
        or "大行业" in f.text
        or "no." in f.text
    ):
        return None
    position = f.ordinal if f.ordinal and f.ordinal <= 3 else None
    if f.ordinal and f.ordinal > 3 and f.clusters and not f.cities and not f.provinces:
        # the report lists each cluster's industry Top3 only: say so, with the Top3
        return Plan(
            "cluster_industries",
            [("cluster_top_industries", {"cluster": c}) for c in f.clusters],
            lambda results: prompts.ONLY_TOP3.format(n=f.ordinal) + "".join(r.text for r in results),
            answerable=False,
        )
    if f.clusters and not f.cities and not f.provinces:
        steps = [("cluster_top_industries", {"cluster": c}) for c in f.clusters]
        if position is None:
            return Plan("cluster_industries", steps)

        def compose(results: list[ToolResult]) -> str:
            parts = []
            for res in results:
                row = next(r for r in res.rows if r["position"] == position)
                parts.append(
                    prompts.CLUSTER_INDUSTRY_AT.format(
                        cluster=row["cluster"], position=position, industry=row["industry_source"]
                    )
                )
            return "；".join(parts) + "。"

        return Plan("cluster_industries", steps, compose)
    if f.industries and "城市群" in f.text and not f.clusters:
        args: dict = {"industry": f.industries[0]}
        if position:
            args["position"] = position
        if has_any(f.text, "negation", "words"):
            args["exclude"] = True
        return Plan("clusters_with_industry", [("clusters_with_industry", args)])
    return None


def _province_measure(f: Frame) -> str | None:
    """The province table a question asks: share (占比) or growth (增速); None for both."""
    return "share" if f.share and not f.growth else ("growth" if f.growth and not f.share else None)


def _plan_provinces(f: Frame) -> Plan | None:
    inds = [i for i in f.industries if i in RANKED_INDUSTRIES]
    if (
        not inds
        and f.provinces
        and not f.cities
        and not f.clusters
        and (_WHICH_INDUSTRY.search(f.text) or (f.count and "行业" in f.text))
    ):
        return province_industries_plan(f.provinces, _province_measure(f), f.count)
    if (
        not inds
        or f.cities
        or f.clusters
        or not (f.provinces or f.province_word or f.share or "双高" in f.text)
    ):
        return None
    if not (
        f.rank_word
        or f.ordinal
        or f.top_k
        or f.superlative
        or f.share
        or f.growth
        or "双高" in f.text
        or f.value_request
    ):
        return None
    ind = inds[0]
    measure = _province_measure(f)
    both = "双高" in f.text or (f.share and f.growth and f.both)
    n = f.ordinal or (1 if f.superlative == "top" else None)
    if len(f.provinces) >= 2:
        return Plan(
            "compare_provinces",
            [
                (
                    "compare_provinces",
                    {"province_a": f.provinces[0], "province_b": f.provinces[1], "industry": ind},
                )
            ],
        )
    if f.provinces:
        if f.value_request and not f.rank_word:
            return Plan(
                "value_not_in_report",
                [("province_rank", {"province": f.provinces[0], "industry": ind, "measure": measure})],
                lambda rs: prompts.RANK_ONLY_NO_VALUE.format(ranks=rs[0].text),
                answerable=False,
            )
        steps = [
            ("province_rank", {"province": p, "industry": i, "measure": measure})
            for p in f.provinces
            for i in inds
        ]
        return Plan("province_rank", steps)
    if both and n:

        def compose(results: list[ToolResult]) -> str:
            a, b = results[0].rows[0]["province"], results[1].rows[0]["province"]
            if a == b:
                return prompts.BOTH_RANKS_SAME.format(
                    industry=ind, growth_note=_growth_note(), n=n, province=a
                )
            return prompts.BOTH_RANKS_DIFFER.format(industry=ind, n=n, a=a, b=b)

        return Plan(
            "province_at_rank",
            [
                ("province_at_rank", {"industry": ind, "rank": n, "measure": "share"}),
                ("province_at_rank", {"industry": ind, "rank": n, "measure": "growth"}),
            ],
            compose,
        )
    if both:
        return Plan("double_high", [("double_high", {"industry": ind})])
    if n:
        return Plan(
            "province_at_rank",
            [("province_at_rank", {"industry": ind, "rank": n, "measure": measure or "share"})],
        )
    k = f.top_k or 10
    measures = [measure] if measure else ["share", "growth"]
    return Plan(
        "industry_top_provinces",
        [("industry_top_provinces", {"industry": ind, "measure": m, "k": min(k, 10)}) for m in measures],
    )


def _rank_periods() -> tuple[str, ...]:
    from tools.tables import RANK_PERIODS

    return RANK_PERIODS


def _growth_note() -> str:
    from tools.tables import GROWTH_NOTE

    return GROWTH_NOTE


def _city_level_cue(f: Frame) -> bool:
    return any(
        (
            f.rank_word,
            f.growth,
            f.superlative,
            f.ordinal,
            f.top_k,
            f.bottom_k,
            f.direction,
            f.stat,
            f.above is not None,
            f.below is not None,
            f.wh_city,
            f.compare,
            f.list_cities,
            f.from_end,
        )
    )


def _plan_city_rank(city: str, f: Frame) -> Plan:
    measures = list(dict.fromkeys(f.periods + (["growth"] if f.growth else [])))
    if f.direction and not f.periods and not f.growth:
        measures = ["2022Q1"]
    if len(measures) == 1:
        return Plan("city_rank", [("city_rank", {"city": city, "measure": measures[0]})])
    return Plan("city_profile", [("city_profile", {"city": city})])


def _plan_cities(f: Frame) -> Plan | None:
    ranked = ranked_clusters()
    clusters = [c for c in f.clusters if c in ranked]
    if f.cities and f.member:
        return Plan("city_cluster", [("city_cluster", {"city": c}) for c in f.cities])
    if f.share and not (f.growth or f.rank_word or f.member):
        return None  # a city's share of something is prose, not a ranking table
    if len(f.cities) >= 2:
        if not (f.compare or f.growth or f.rank_word or f.periods or f.direction):
            return None
        if f.each or (f.rank_word and not f.compare):
            plans = [_plan_city_rank(c, f) for c in f.cities]
            return Plan(plans[0].intent, [s for p in plans for s in p.steps])
        return Plan(
            "compare_cities",
            [("compare_cities", {"city_a": f.cities[0], "city_b": f.cities[1], "measure": _measure(f)})],
        )
    if f.cities:
        city = f.cities[0]
        if f.wh_city and not clusters:
            return None  # asks for another city than the one named (e.g. 哪个城市超越北京)
        home = cluster_of(city)
        if clusters and home not in clusters:
            return Plan(
                "city_cluster",
                [("city_cluster", {"city": city})],
                lambda rs: prompts.CITY_NOT_IN_CLUSTER.format(
                    membership=rs[0].text[:-1], cluster=clusters[0]
                ),
                answerable=False,
            )
        if not (_city_level_cue(f) or f.pronoun):
            return None
        return _plan_city_rank(city, f)
    if not clusters and f.all_clusters:
        return _plan_all_clusters(f)
    if not clusters:
        return None
    steps: list[tuple[str, dict]] = []
    intent = ""
    for cluster in clusters:
        plan = _plan_cluster(cluster, f)
        if plan is None:
            return None
        intent = intent or plan.intent
        steps += plan.steps
    return Plan(intent, steps)


def _plan_all_clusters(f: Frame) -> Plan | None:
    """Questions over all seven ranked clusters at once (七大城市群中…)."""
    if f.ties:
        return Plan("tied_cities", [("tied_cities", {})])
    if f.above is not None or f.below is not None:
        return Plan(
            "filter_cities",
            [("filter_cities", {"growth_above": f.above, "growth_below": f.below, "change": f.direction})],
        )
    if f.direction:
        return Plan("rank_movers", [("rank_movers", {"direction": f.direction, "largest_only": f.largest})])
    return None


def _plan_cluster(cluster: str, f: Frame) -> Plan | None:
    n = _cluster_size(cluster)
    measure = _measure(f)
    if f.ties:
        return Plan("tied_cities", [("tied_cities", {"cluster": cluster})])
    if f.above is not None or f.below is not None:
        args: dict = {"cluster": cluster, "growth_above": f.above, "growth_below": f.below}
        if f.direction in ("rose", "fell", "unchanged", "changed"):
            args["change"] = f.direction
        return Plan("filter_cities", [("filter_cities", args)])
    if f.stat:
        args = {
            "cluster": cluster,
            "stat": f.stat,
            "value": "rank_change" if f.direction else "growth",
            "by": f.periods[0] if f.periods else "growth",
        }
        if f.top_k:
            args["top_k"] = min(f.top_k, n)
        elif f.bottom_k:
            args["bottom_k"] = min(f.bottom_k, n)
        return Plan("aggregate_cities", [("aggregate_cities", args)])
    if f.direction:
        return Plan(
            "rank_movers",
            [("rank_movers", {"cluster": cluster, "direction": f.direction, "largest_only": f.largest})],
        )
    if f.from_end:
        return Plan(
            "city_at_rank",
            [("city_at_rank", {"cluster": cluster, "rank": n - f.from_end + 1, "measure": measure})],
        )
    if f.ordinal:
        return Plan(
            "city_at_rank", [("city_at_rank", {"cluster": cluster, "rank": f.ordinal, "measure": measure})]
        )
    if f.top_k or f.bottom_k:
        order = "top" if f.top_k else "bottom"
        if f.superlative == "bottom" and f.top_k and not f.bottom_k:
            order = "bottom"  # 最慢的三个 (parsed as a count of 3)
        k = min(f.top_k or f.bottom_k or 1, n)
        return Plan(
            "top_cities", [("top_cities", {"cluster": cluster, "measure": measure, "k": k, "order": order})]
        )
    if f.superlative:
        rank = 1 if f.superlative == "top" else n
        return Plan(
            "city_at_rank", [("city_at_rank", {"cluster": cluster, "rank": rank, "measure": measure})]
        )
    if f.list_cities or f.count:
        return Plan("cluster_cities", [("cluster_cities", {"cluster": cluster})])
    if f.rank_word or f.growth:
        return Plan("top_cities", [("top_cities", {"cluster": cluster, "measure": measure, "k": n})])
    return None


def plan(f: Frame) -> Plan | None:
    """Tool calls answering frame `f`, a Plan that says the tables cannot answer it, or None (not
    structured)."""
    if _WHY.search(f.text):
        return None  # why / how questions are answered from the prose
    _resolve_ambiguous(f)
    if f.industry_word or f.industries or "双高" in f.text:
        p = _plan_cluster_industries(f) if (f.clusters or "城市群" in f.text) else None
        p = p or _plan_provinces(f)
        if p:
            return p
    cue = _city_level_cue(f)
    strong = any((f.rank_word, f.ordinal, f.top_k, f.bottom_k, f.superlative, f.wh_city)) and not _WHY.search(
        f.text
    )
    if f.unknown_clusters and not f.clusters and not f.cities and strong:
        return Plan("not_in_tables", answerable=False, message=_not_ranked_message(f.unknown_clusters[0]))
    if f.other_periods and not f.periods and not f.growth and (f.cities or f.clusters) and (cue or strong):
        return Plan(
            "not_in_tables",
            answerable=False,
            message=prompts.PERIOD_NOT_IN_TABLES.format(
                periods="、".join(_rank_periods()), growth_note=_growth_note(), period=f.other_periods[0]
            ),
        )
    if f.provinces and not f.cities and not f.clusters:
        return None  # province questions without an industry are about prose (the overall index)
    unranked = [c for c in f.clusters if c not in ranked_clusters()]
    if unranked and cue and not (f.industry_word or f.industries):
        return Plan("not_in_tables", answerable=False, message=_not_ranked_message(unranked[0]))
    if f.unknown_cities and not f.cities and not f.clusters and (f.rank_word or f.growth):
        short = "、".join(c.removesuffix("城市群") for c in ranked_clusters())
        return Plan(
            "not_in_tables",
            answerable=False,
            message=prompts.CITY_NOT_IN_TABLES.format(clusters=short, city=f.unknown_cities[0]),
        )
    if f.cities and f.value_request and not f.growth and not f.rank_word and not f.part_of:
        return Plan(
            "value_not_in_report",
            [("city_profile", {"city": f.cities[0]})],
            lambda rs: prompts.INDEX_VALUE_NOT_GIVEN.format(city=rs[0].rows[0]["city"], ranks=rs[0].text),
            answerable=False,
        )
    return _plan_cities(f)


def _calc_plan(req: CalcRequest) -> Plan:
    def compose(results: list[ToolResult]) -> str:
        res = results[0]
        if req.focus:
            row = next(r for r in res.rows if r["indicator"] == req.focus)
            total = sum(r["score_sum"] for r in res.rows)
            return prompts.WEIGHT_STEP.format(
                indicator=req.focus,
                score=row["score_sum"],
                total=total,
                weight=row["weight"],
                pct=row["weight_pct"],
                details=res.text,
            )
        return res.text

    return Plan(req.intent, [(req.tool, req.args)], compose)


# ---------------------------------------------------------------- frames from questions and history


def _standalone(f: Frame) -> bool:
    return f.has_entity and (f.has_cue or f.member or f.industry_word)


def _frame(question: str, context: Frame | None, same_question: bool = False) -> Frame:
    """Parse; a follow-up (or a later clause of the same question) without its own subject borrows it."""
    f = parse(question)
    if (
        context is not None
        and (same_question or f.is_follow_up)
        and _lacks_place(f)
        and _province_table(context)
    ):
        # "…零售占比排第二的省？医疗增速排第二的呢": the province table the earlier clause asked
        f.provinces, f.province_word = list(context.provinces), context.province_word
    if context is not None and f.refers_back and not (f.cities or f.provinces) and context.answer_provinces:
        # "…哪个省排第一？它在另一张表上第几": the province the previous clause answered
        f.provinces = list(context.answer_provinces)
        f.industries = f.industries or list(context.industries)
        return f
    if context is not None and f.refers_industry and not f.industries and context.answer_industries:
        # "这个行业的省份榜首是谁": the industry the previous clause answered
        f.industries = list(context.answer_industries)
        return f
    if (
        context is not None
        and not f.cities
        and context.answer_cities
        and (f.refers_back or same_question and asks_of_answer(question))
    ):
        # "它在本群增速表上第几" / "这几座城市增速的均值" / "退了几名": the cities answered before
        f.cities, f.refers_back, f.from_answer = list(context.answer_cities), True, True
        if not (f.growth or f.periods or f.rank_word or f.direction):  # "当中最低的": by the same measure
            f.growth, f.periods = context.growth, list(context.periods)
        return f
    if context is not None and not _standalone(f) and (f.is_follow_up or same_question):
        own = f
        f = f.merged_into(context)
        if own.refers_back and context.answer_cities:
            f.wh_city = own.wh_city  # "它的…" names the city the previous answer chose; it asks no new one
    return f


def _lacks_place(f: Frame) -> bool:
    """Names an industry of the province tables but no province, city or cluster."""
    places = f.provinces or f.province_word or f.cities or f.clusters or f.ambiguous
    return bool([i for i in f.industries if i in RANKED_INDUSTRIES]) and not places


def _province_table(f: Frame) -> bool:
    return bool(f.provinces or f.province_word) and not (f.cities or f.clusters)


def _context(history: list[str] | None) -> Frame | None:
    """The frame the latest previous questions leave behind (None after a prose question)."""
    context: Frame | None = None
    for q in (history or [])[-MAX_HISTORY:]:
        for part in split_parts(q):
            if parse_calc(part) is not None and not _names_tables(part):
                context = None
                continue
            f = _frame(part, context)
            try:
                p = plan(_copy(f))
            except ToolError:
                p = None
            context = f if p is not None else None
            if context is not None and p is not None and p.intent in ("city_at_rank", "top_cities"):
                context.answer_cities = _selected_cities(p)
    return context


def _selected_cities(p: Plan) -> list[str]:
    """The cities a selection plan picks (run on the cached tables; a few milliseconds)."""
    try:
        return [
            r["city"]
            for name, args in p.steps
            for r in call_tool(name, {k: v for k, v in args.items() if v is not None}).rows
        ]
    except ToolError:
        return []


def _copy(f: Frame) -> Frame:
    from dataclasses import replace

    return replace(f, cities=list(f.cities), provinces=list(f.provinces), ambiguous=list(f.ambiguous))


# ---------------------------------------------------------------- running


@dataclass
class _Run:
    texts: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    answerable: bool = True
    open_parts: list[str] = field(default_factory=list)

    def execute(self, p: Plan) -> list[ToolResult]:
        results = []
        for name, args in p.steps:
            args = {k: v for k, v in args.items() if v is not None}
            res = call_tool(name, args)
            results.append(res)
            if not any(c.name == name and c.arguments == args for c in self.calls):
                self.calls.append(ToolCall(name=name, arguments=args, result=res))
                self.results.append(res)
        text = p.message or (p.compose(results) if p.compose else "".join(r.text for r in results))
        if text not in self.texts:
            self.texts.append(text)
        self.intents.append(p.intent)
        self.answerable = self.answerable and p.answerable
        return results


def _chain(part: str, context: Frame | None, run: _Run) -> Frame | None:
    """`X里最快的那座城，它去年第几…` / `…最快的城与某市差多少…`: select cities, then ask about them."""
    m = _CHAIN.match(clean(part))
    if not m:
        return None
    tail = m.group("tail").lstrip("，,").removeprefix("其").removeprefix("它们").removeprefix("它")
    if not _CHAIN_TAIL.search(tail) or _WH_ONLY.match(tail) or _STAT_TAIL.search(tail):
        return None
    head = _frame(m.group("head"), context)
    head_plan = plan(_copy(head))
    if (
        head_plan is None
        or head_plan.intent not in ("city_at_rank", "top_cities")
        or not head_plan.answerable
    ):
        return None
    selected = [r["city"] for res in run.execute(head_plan) for r in res.rows]
    tail_frame = parse(tail)
    others = [c for c in tail_frame.cities + [a[0] for a in tail_frame.ambiguous] if c not in selected]
    if others:
        measure = _measure(tail_frame) if (tail_frame.growth or tail_frame.periods) else _measure(head)
        run.execute(
            Plan(
                "compare_cities",
                [("compare_cities", {"city_a": selected[0], "city_b": others[0], "measure": measure})],
            )
        )
    else:
        for city in selected:
            run.execute(_plan_city_rank(city, tail_frame))
    head.cities = selected
    return head


def typed_table_plan(q: Query, f: Frame) -> Plan | None:
    """The typed parse's plan when it says more than the slot router can: a measure the tables do not
    hold, or a composed question (choose by one measure, report another; max-min; a difference)."""
    _resolve_ambiguous(f)
    if q.scope and (f.cities or f.clusters or f.provinces):
        return scope_plan(q, f.cities[0] if f.cities else None)
    if f.from_answer and not (f.clusters or f.industries or f.provinces or f.member or f.compare):
        return among_plan(q, f.cities, _frame_measure(f))
    if q.intent != Intent.TABLE_AGGREGATE or f.industries or f.provinces:
        return None
    clusters = [c for c in f.clusters if c in ranked_clusters()]
    cluster = clusters[0] if len(clusters) == 1 else None
    sel = q.selection
    composed = q.selector is not None and q.measure is not None and q.measure != sel.by
    moved = sel.by == "rank_change" and (
        sel.kind in ("top", "bottom") or _condition_op(q) in ("changed", "swapped")
    )
    if moved and not composed and q.aggregate in ("value", "count") and (cluster or _all_ranked(f, q)):
        return movers_plan(q, cluster)  # "名次滑落最多的是谁" / "哪几座城市互换了名次"
    if cluster and (composed or q.aggregate == "range" or sel.kind == "filter"):
        return city_plan(q, cluster)
    if len(clusters) == 2 and not f.cities and q.aggregate == "difference":
        stat = next((k for k in ("mean", "sum") if has_any(q.text, "aggregate", k)), None)
        if stat is not None:
            return clusters_stat_plan(q, clusters, stat)
    return None


def _condition_op(q: Query) -> str | None:
    return q.selection.condition.op if q.selection.condition is not None else None


def _all_ranked(f: Frame, q: Query) -> bool:
    """Asks about the ranks of cities of no cluster in particular: all seven ranked clusters ("哪座城市位次
    上升最多"); a rank word is needed ("哪个城市的消费下降最多" is about something else)."""
    named = f.clusters or f.unknown_clusters or f.cities or f.unknown_cities or f.provinces or f.ambiguous
    return not named and f.rank_word and bool(f.wh_city or f.all_clusters or "城市" in q.text)


def _frame_measure(f: Frame) -> str | None:
    """The measure a frame asks, as the typed parse names it (rank_change when it names both periods)."""
    if f.growth and not f.periods:
        return "growth"
    if len(f.periods) == 1:
        return "rank_2021" if f.periods[0] == "2021" else "rank_2022Q1"
    return "rank_change" if f.direction or len(f.periods) > 1 else None


def route(question: str, history: list[str] | None = None) -> RoutedAnswer | None:
    """Answer a ranking / table / calculation question exactly, or return None for retrieval to answer.

    `history` lists the user's previous questions, oldest first; a follow-up that omits its subject
    ("那2021年呢？", "第六呢？") takes it from them. Raises ToolError for a table question naming something
    the tables do not know (the message lists the closest names).
    """
    premise = _PREMISE.match(question)
    if premise and not _ASKS_WORD.search(premise.group("premise")):
        # "甲城市群第一是A市，那乙城市群呢": the first clause states, the second asks (in its light)
        first = re.split(r"[？?]", premise.group("asked"))[0]
        if _context([premise.group("premise")]) is None and not _standalone(parse(first)):
            return None  # "武汉的规划目标是14%，那长沙呢": the prose's premise, the prose's follow-up
        return route(premise.group("asked"), [*(history or []), premise.group("premise")])
    parts = split_parts(question)
    if not parts:
        return None
    run = _Run()
    q = understand(question)
    if q.intent == Intent.CALCULATION:
        planned = _calculation(question, q, run)
        if planned is not None:
            return planned
    whole = parse_calc(question)
    if whole is not None and not _names_tables(question):
        run.execute(_calc_plan(whole))
        return _answer(run)
    context = _context(history)
    for i, part in enumerate(parts):
        req = parse_calc(part)
        if req is not None and not _names_tables(part):
            run.execute(_calc_plan(req))
            context = None
            continue
        if i and context is not None and len(context.answer_cities) == 1:
            compared = _compare_with_answer(part, context.answer_cities[0])
            if compared is not None:  # "…最快的是哪个？比深圳高多少": the answer against the named city
                run.execute(compared)
                continue
        if i and _asks_beyond_tables(part):  # "…？这个城市的规划目标是多少": for the prose
            run.open_parts.append(_with_subject(part, context))
            continue
        if not i and parse(part).pronoun and _asks_beyond_tables(part):
            return None  # "那广州的5G基站建了多少": a follow-up word, but nothing the tables hold
        tail = _PRONOUN_TAIL.search(part)
        later = tail.group("tail") if tail and _asks_beyond_tables(tail.group("tail")) else ""
        if tail and later:  # "…第二的城市，它的规划目标是多少": the clause goes to the prose
            part = part[: tail.start()]
        f = _frame(part, context, same_question=i > 0)
        p = typed_table_plan(table_query(normalise(part), f), f)
        if p is None:
            chained = _chain(part, context, run)
            if chained is not None:
                context = chained
                continue
            p = plan(_copy(f))
        if p is None:
            return None
        results = run.execute(p)
        if p.intent in ("city_at_rank", "top_cities", "city_query", "rank_movers"):  # "…？它的增速呢"
            f.answer_cities = [r["city"] for res in results for r in res.rows if "city" in r]
        if p.intent == "province_at_rank":  # "…哪个省？它…": the province answered, when one
            provinces = list(
                dict.fromkeys(r["province"] for res in results for r in res.rows if "province" in r)
            )
            f.answer_provinces = provinces if len(provinces) == 1 else []
        if p.intent == "cluster_industries" and f.ordinal:  # "…NO.1的行业？这个行业…"
            f.answer_industries = [
                r["industry"] for res in results for r in res.rows if r.get("position") == f.ordinal
            ]
        if f.count and p.answerable and not p.message and not _COUNTED.search(run.texts[-1]):
            # "有几个？": a listing answers with its count first
            n = len({json.dumps(r, sort_keys=True, default=str) for res in results for r in res.rows})
            if n:
                run.texts[-1] = prompts.COUNT_PREFIX.format(n=n) + run.texts[-1]
        context = f
        if later:
            run.open_parts.append(_with_subject(later, f))
    if q.derived is not None and q.derived.op == "ratio":  # "…是…的几倍": the compared values' ratio
        _add_ratio(run, q.digits)
    return _answer(run)


_PRONOUN_TAIL = re.compile(r"[，,]\s*(?P<tail>(?:它|其|该市|这个城市|这座城市)[^，,]{4,})$")
_PREMISE = re.compile(r"^(?P<premise>[^，,。？?；;]{4,})[，,]\s*(?:那么|那)(?P<asked>[^，,]{4,}[？?]?)$")
_ASKS_WORD = re.compile(r"什么|哪|谁|多少|几|吗|呢|如何|怎么|怎样|[？?]")


def _add_ratio(run: _Run, digits: int | None) -> None:
    """The first value over the second, for a comparison of two cities asked as a ratio."""
    for call in run.calls:
        if call.name != "compare_cities" or not isinstance(call.result, ToolResult):
            continue
        rows = call.result.rows  # growth is the only measure a ratio makes sense of (ranks are positions)
        if call.arguments.get("measure") != "growth" or len(rows) != 2 or not rows[1].get("growth"):
            return
        a, b = float(rows[0]["growth"]), float(rows[1]["growth"])
        ratio = f"{a / b:.{2 if digits is None else digits}f}"
        run.texts.append(
            prompts.RATIO_OF_VALUES.format(a=rows[0]["city"], b=rows[1]["city"], ratio=ratio, va=a, vb=b)
        )
        return


_FILLER = re.compile(r"多少|几[个位名项]?|哪[个些里]?|什么|谁|吗|呢|是|的|了|要|呀|啊|怎么样|如何")


def _asks_beyond_tables(part: str) -> bool:
    """A later clause that asks no table measure of its own (no rank, growth, period, order, membership,
    industry) and says more than a bare follow-up ("那它呢"): what it asks is in the prose."""
    own = parse(part)
    if understand(part).measure is not None or _city_level_cue(own) or own.periods or own.member:
        return False
    if own.industries or own.provinces or own.value_request:
        return False
    rest = _REFERS_BACK.sub("", re.sub(r"[\ue000-\uf8ff]", "", own.text))
    rest = _FILLER.sub("", re.sub(r"^(那么|那|还有|另外|再问)", "", rest))
    return len(re.findall(r"[\u4e00-\u9fffa-z0-9]", rest)) >= 4


def _with_subject(part: str, context: Frame | None) -> str:
    """The clause with its pronoun replaced by the city the part before answered or named
    ("它到2025年的目标" -> "重庆到2025年的目标"); a clause naming its own city stays as it is."""
    if context is None or parse(part).cities:
        return part
    cities = context.answer_cities or context.cities
    if len(cities) != 1:
        return part
    name = cities[0].removesuffix("市")
    m = _REFERS_BACK.search(part)
    return part[: m.start()] + name + part[m.end() :] if m else name + part


def _compare_with_answer(part: str, answered: str) -> Plan | None:
    """A later clause comparing the city an earlier clause answered with one it names ("比深圳高多少")."""
    f = parse(part)
    text = normalise(part)
    if len(f.cities) != 1 or f.cities[0] == answered:
        return None
    if not (has_any(text, "aggregate", "difference") or re.search(r"比.{1,12}(?:高|低|多|少|快|慢)", text)):
        return None
    args = {"city_a": answered, "city_b": f.cities[0], "measure": _measure(f)}
    return Plan("compare_cities", [("compare_cities", args)])


def _calculation(question: str, q: Query, run: _Run) -> RoutedAnswer | None:
    """A calculation on data typed into the question, planned from its typed parse; None when the data does
    not fit a plan (the older calculation parser may still read it)."""
    assert q.inline is not None
    if q.operation == "other_year":
        mean = q.inline.scalars.get("mean")
        if mean is None:  # "its mean in the report": the named city's from the tables
            f = parse(question)
            _resolve_ambiguous(f)
            if len(f.cities) != 1:
                return None
            mean = float(run.execute(mean_from_table_plan(f.cities[0]))[0].rows[0]["growth"])
        run.execute(other_year_plan(q, mean))
        return _answer(run)
    if q.operation == "shares":
        low = unicodedata.normalize("NFKC", question).lower()
        # the names as the user wrote them ("B省", not the normalised "b省")
        named = [
            (question[i : i + len(n)] if (i := low.find(n)) >= 0 else n, label, part, whole)
            for n, label, part, whole in q.inline.shares
        ]
        run.execute(shares_plan(named, q.digits))
        return _answer(run)
    typed_plan = calc_plan(q)
    if typed_plan is None:
        return None
    run.execute(typed_plan)
    return _answer(run)


def _names_tables(text: str) -> bool:
    return names_tables(parse(text))


def _answer(run: _Run) -> RoutedAnswer:
    return RoutedAnswer(
        answer="".join(run.texts),
        tool_calls=run.calls,
        citations=tool_citations(run.results),
        intent="+".join(dict.fromkeys(run.intents)),
        answerable=run.answerable,
        caveats=caveats(run.results) if run.answerable else [],
        open_parts=run.open_parts,
    )


def caveats(results: list[ToolResult]) -> list[str]:
    """Notes that change how the figures must be read, from what the results hold."""
    keys = {k for res in results for row in res.rows for k in row}
    out = []
    if keys & {"growth", "growth_rank"}:
        out.append(prompts.CAVEAT_GROWTH)
    if "city" in keys and keys & {"rank", "rank_2021", "rank_2022Q1", "growth_rank"}:
        out.append(prompts.CAVEAT_RANK_IN_CLUSTER)
    if any(row.get("change_consistent") is False for res in results for row in res.rows) or any(
        "不一致" in res.text for res in results
    ):
        out.append(prompts.CAVEAT_CHANGE_COLUMN)
    return out


def tool_citations(results: list[ToolResult]) -> list[Citation]:
    """One citation per source table row of the results (doc id, title, table as section, the row as
    quote)."""
    if not any(r.provenance for r in results):
        return []
    src = report_source()
    seen: set[int] = set()
    out = []
    for res in results:
        for p in res.provenance:
            if p["line"] in seen:
                continue
            seen.add(p["line"])
            out.append(
                Citation(
                    doc_id=src.doc_id,
                    title=src.title,
                    section=p["table"],
                    quote=source_line(p["line"]),
                    chunk_id="",
                    score=1.0,
                    line=p["line"],
                )
            )
    return out
