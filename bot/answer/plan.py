"""Plans: a typed Query turned into tool calls, and the tool results worded as the answer.

Table questions become one `city_query` call (any selection × any measure × any aggregate, see
tools/compose.py); calculations on typed-in data call the report's method (tools/calc.py) and show the
formula, the values substituted and the result; questions about measures the tables do not hold become a
refusal that names the nearest figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.answer.understand import Query, asked_name, has_any, measure_of
from bot.core import prompts
from tools.queries import INCONSISTENT_NOTE, change_text, pct
from tools.result import ToolResult, fmt_number


@dataclass
class Plan:
    """The tool calls for one (sub)question and how to phrase their results."""

    intent: str
    steps: list[tuple[str, dict]] = field(default_factory=list)
    compose: Callable[[list[ToolResult]], str] | None = None
    answerable: bool = True
    message: str = ""
    caveats: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- wording of table values

MEASURE_LABEL = {
    "rank_2021": prompts.LABEL_RANK_2021,
    "rank_2022Q1": prompts.LABEL_RANK_2022Q1,
    "rank_change": prompts.LABEL_RANK_CHANGE,
    "growth": prompts.LABEL_GROWTH,
    "growth_rank": prompts.LABEL_GROWTH_RANK,
}


def say_value(measure: str, value: Any) -> str:
    if measure == "growth":
        return pct(float(value))
    if measure == "rank_change":
        return change_text(int(value))
    return prompts.RANK_VALUE.format(n=int(value))


def _difference(measure: str, value: float) -> str:
    if measure == "growth":
        return prompts.DIFF_POINTS.format(value=fmt_number(abs(value), 2))
    return prompts.DIFF_PLACES.format(value=int(abs(value)))


def _selection_words(q: Query) -> str:
    sel = q.selection
    by = MEASURE_LABEL.get(sel.by or "rank_2022Q1", "")
    if sel.kind == "nth" and sel.n:
        pos = prompts.NTH.format(n=sel.n) if sel.n > 0 else prompts.NTH_FROM_END.format(n=-sel.n)
        return prompts.SELECT_POSITION.format(by=by, position=pos)
    if sel.kind in ("top", "bottom"):
        if sel.by == "rank_change":
            return prompts.SELECT_MOST_ROSE if sel.kind == "top" else prompts.SELECT_MOST_FELL
        edge = prompts.BEST if sel.kind == "top" else prompts.WORST
        return prompts.SELECT_EDGE.format(by=by, edge=edge)
    if sel.kind in ("top_k", "bottom_k"):
        side = prompts.TOP_K if sel.kind == "top_k" else prompts.BOTTOM_K
        return prompts.SELECT_K.format(by=by, side=side.format(k=sel.n or 3))
    if sel.kind == "filter" and sel.condition is not None:
        cond = sel.condition
        if cond.op in ("gt", "lt"):
            word = prompts.ABOVE if cond.op == "gt" else prompts.BELOW
            return prompts.SELECT_THRESHOLD.format(by=by, side=word, value=fmt_number(cond.value or 0, 2))
        return prompts.SELECT_CHANGE[cond.op]
    return prompts.SELECT_ALL


def _cities(rows: list[dict]) -> str:
    return "、".join(r["city"] for r in rows)


def _value_of(row: dict, measure: str) -> str:
    """A row's value; a rank change with the two ranks it is between (as the tables state them)."""
    if measure == "rank_change":
        change, before, after = int(row["rank_change"]), row["rank_2021"], row["rank_2022Q1"]
        if change == 0 and before == after:
            return prompts.CHANGE_NONE.format(change=change_text(change), after=after)
        return prompts.CHANGE_WITH_RANKS.format(change=change_text(change), before=before, after=after)
    return say_value(measure, row[measure])


def _listing(rows: list[dict], measure: str, ranks: bool = True) -> str:
    """'城市（值）、…'; a rank change with its two ranks unless `ranks` is False."""
    say = _value_of if ranks else (lambda r, m: say_value(m, r[m]))
    return "、".join(f"{r['city']}（{say(r, measure)}）" for r in rows)


def _with_change(row: dict) -> str:
    return prompts.WITH_CHANGE.format(change=change_text(row["rank_change"]))


def word_city_query(q: Query, where: str, res: ToolResult, chosen: str | None = None) -> str:
    """One sentence for a city_query result (`chosen` words the selection when the question's own words do
    not: the cities an earlier clause answered and listed)."""
    data, rows = res.data, res.rows
    report, by = data["report"], data["by"]
    agg, value = data["aggregate"], data["value"]
    if by == "rank_change" and report in ("rank_2021", "rank_2022Q1") and agg in ("list", "count"):
        report = by  # the move is stated with both ranks
    label = MEASURE_LABEL[report]
    among = chosen is not None
    chosen = chosen or _selection_words(q)
    note = prompts.GROWTH_READING if "growth" in (report, by) else ""
    if not rows:
        moves, n = data.get("moves") or {}, data.get("n_total", 0)
        context = ""
        if by == "rank_change" and moves:
            context = (
                prompts.ALL_UNCHANGED.format(n=n)
                if moves["unchanged"] == n
                else prompts.MOVES.format(n=n, **moves)
            )
        return prompts.NONE_SELECTED.format(where=where, chosen=chosen).removesuffix("。") + context + "。"
    if agg == "count" or (agg == "list" and q.selection.kind == "filter" and report == by):
        value = value if agg == "count" else len(rows)
        return (
            prompts.COUNT_RESULT.format(where=where, chosen=chosen, n=value, cities=_listing(rows, by)) + note
        )
    if agg in ("mean", "sum"):
        word = prompts.MEAN if agg == "mean" else prompts.SUM
        if q.digits is not None:
            shown = f"{value:.{q.digits}f}" + ("%" if report == "growth" else "")
        else:
            shown = pct(value) if report == "growth" else fmt_number(value, 2)
        if among:  # the cities were listed by the clause before: the statistic alone
            return prompts.STAT_OF_THESE.format(
                chosen=chosen, n=len(rows), label=label, stat=word, value=shown
            )
        return (
            prompts.STAT_RESULT.format(
                where=where,
                chosen=chosen,
                label=label,
                stat=word,
                value=shown,
                items=_listing(rows, report, ranks=False),
            )
            + note
        )
    if agg == "range" and len(rows) >= 2:
        top, bottom = rows[0], rows[-1]
        return (
            prompts.RANGE_RESULT.format(
                where=where,
                label=label,
                top=top["city"],
                top_value=say_value(report, top[report]),
                bottom=bottom["city"],
                bottom_value=say_value(report, bottom[report]),
                diff=_difference(report, value),
            )
            + note
        )
    if agg == "difference" and len(rows) >= 2:
        a, b = rows[0], rows[1]
        return (
            prompts.DIFF_RESULT.format(
                a=a["city"],
                a_value=say_value(report, a[report]),
                b=b["city"],
                b_value=say_value(report, b[report]),
                label=label,
                diff=_difference(report, value),
            )
            + note
        )
    if report == by:
        return prompts.SELECTED_CITIES.format(where=where, chosen=chosen, items=_listing(rows, report)) + note
    by_label = "" if by == "rank_change" else MEASURE_LABEL[by]
    items = "；".join(
        f"{r['city']}（{by_label}{say_value(by, r[by])}）{label}{say_value(report, r[report])}"
        + (_with_change(r) if report == "rank_2022Q1" and by != "rank_change" else "")
        for r in rows
    )
    if q.selection.kind == "filter":
        return prompts.COUNT_RESULT.format(where=where, chosen=chosen, n=len(rows), cities=items) + note
    return prompts.SELECTED_THEN.format(where=where, chosen=chosen, items=items) + note


def city_plan(q: Query, cluster: str | None, among: list[str] | None = None) -> Plan:
    """The composed table question as one city_query call; `among`: the cities an earlier clause answered,
    which this clause chooses from or aggregates ("这几座城市增速的均值", "当中最低的")."""
    sel = q.selection
    args: dict[str, Any] = {
        "cluster": cluster,
        "select": sel.kind,
        "by": sel.by or "rank_2022Q1",
        "report": q.measure or sel.by or "rank_2022Q1",
    }
    if sel.kind == "named" or among:
        args["cities"] = among or q.entities.cities
        args["cluster"] = None
    if sel.n is not None:
        args["n"] = sel.n
    if sel.condition is not None:
        args["condition"] = "changed" if sel.condition.op == "swapped" else sel.condition.op
        args["threshold"] = sel.condition.value
    agg = q.aggregate
    args["aggregate"] = "list" if agg == "value" else agg
    where = cluster or ""
    chosen = None
    if among:
        where = "" if sel.kind == "named" else prompts.AMONG_THEM
        chosen = prompts.SELECT_THESE if sel.kind == "named" else ""
        if agg in ("mean", "sum") and q.digits is None:
            q = q.model_copy(update={"digits": 2})  # a statistic of a few table values: two decimals

    def compose(results: list[ToolResult]) -> str:
        return word_city_query(q, where, results[0], chosen)

    caveats = [prompts.CAVEAT_GROWTH] if "growth" in (args["by"], args["report"]) else []
    if cluster:
        caveats.append(prompts.CAVEAT_RANK_IN_CLUSTER)
    return Plan("city_query", [("city_query", args)], compose, caveats=caveats)


def among_plan(q: Query, cities: list[str], inherited: str | None) -> Plan | None:
    """A clause about the cities the previous clause answered: a statistic of them, or the one of them that
    is highest / lowest by a measure (`inherited`, the previous clause's, when the clause names none); their
    move ("退了几名"). None for one value of each: the slot router words those."""
    sel = q.selection
    if q.aggregate not in ("value", "mean", "sum", "range") or q.selector is not None:
        return None
    if sel.kind in ("named", "all"):
        if q.aggregate == "value":
            if q.measure != "rank_change":
                return None
            return Plan("city_rank", [("city_rank", {"city": c, "measure": "2022Q1"}) for c in cities])
        sel = sel.model_copy(update={"kind": "named"})
    elif sel.kind not in ("top", "bottom", "top_k", "bottom_k", "nth"):
        return None
    if measure_of(q.text) is None and inherited is not None:
        sel = sel.model_copy(update={"by": inherited})
    return city_plan(q.model_copy(update={"selection": sel, "measure": q.measure or sel.by}), None, cities)


def movers_plan(q: Query, cluster: str | None) -> Plan:
    """Cities chosen by the 排名变化 column, each with its 2021 and 2022Q1 ranks and the move the column
    states: the largest rise or fall (ties kept), every city that moved, or the pairs that exchanged
    places. `cluster` None: all seven ranked clusters (ranks are within each cluster)."""
    sel = q.selection
    if sel.kind in ("top", "bottom"):
        args: dict[str, Any] = {
            "cluster": cluster,
            "direction": "rose" if sel.kind == "top" else "fell",
            "largest_only": True,
        }
        return Plan("rank_movers", [("rank_movers", args)])
    swapped = sel.condition is not None and sel.condition.op == "swapped"
    where = cluster or prompts.ALL_RANKED_CLUSTERS

    def compose(results: list[ToolResult]) -> str:
        res = results[0]
        if not swapped:
            return res.text
        pairs = swapped_pairs(res.rows)
        if not pairs:  # say so, with every city that moved
            return prompts.NO_SWAPPED_PAIRS.format(where=where) + res.text
        items = "；".join(
            prompts.SWAPPED_PAIR.format(a=a["city"], b=b["city"], a_move=_move(a), b_move=_move(b))
            for a, b in pairs
        )
        text = prompts.SWAPPED_PAIRS.format(where=where, pairs=items)
        odd = [
            r["cluster"]
            for pair in pairs
            for r in pair
            if r["rank_2021"] - r["rank_2022Q1"] != r["rank_change"]
        ]
        if odd:  # the report's change column disagrees with its two ranks: stated as printed
            text = (
                text.removesuffix("。")
                + f"（{INCONSISTENT_NOTE.format(clusters='、'.join(dict.fromkeys(odd)))}）。"
            )
        return text

    return Plan("rank_movers", [("rank_movers", {"cluster": cluster, "direction": "changed"})], compose)


def _move(row: dict) -> str:
    return prompts.MOVE.format(
        before=row["rank_2021"], after=row["rank_2022Q1"], change=change_text(int(row["rank_change"]))
    )


def swapped_pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    """Pairs of rows of one cluster that exchanged places by the 排名变化 column: each city holds in 2022Q1
    the place the column says the other held before (2022Q1 rank + change)."""
    before = {(r["cluster"], r["rank_2022Q1"] + r["rank_change"]): r for r in rows if r["rank_change"]}
    pairs: list[tuple[dict, dict]] = []
    for r in rows:
        other = before.get((r["cluster"], r["rank_2022Q1"]))
        if (
            other is not None
            and other["city"] != r["city"]
            and r["rank_2022Q1"] + r["rank_change"] == other["rank_2022Q1"]
            and not any(other is a and r is b for a, b in pairs)
        ):
            pairs.append((r, other))
    return pairs


def clusters_stat_plan(q: Query, clusters: list[str], stat: str) -> Plan:
    """The same selection and statistic in two clusters, and how far apart they are ("A的增速均值比B高
    多少个百分点")."""
    one = q.model_copy(update={"aggregate": stat})
    plans = [city_plan(one, c) for c in clusters[:2]]
    measure = plans[0].steps[0][1]["report"]

    def compose(results: list[ToolResult]) -> str:
        lines = [word_city_query(one, c, r) for c, r in zip(clusters, results, strict=False)]
        a, b = (float(r.data["value"]) for r in results[:2])
        if measure == "growth":
            a, b = round(a, 2), round(b, 2)  # the difference of the figures as shown
        side = prompts.HIGHER if a >= b else prompts.LOWER
        diff = _difference(measure, a - b)
        return "".join(lines) + prompts.GROUPS_DIFF.format(a=clusters[0], b=clusters[1], side=side, diff=diff)

    steps = [step for p in plans for step in p.steps]
    return Plan("clusters_compare", steps, compose, caveats=plans[0].caveats)


# ---------------------------------------------------------------- questions the tables cannot answer


def scope_plan(q: Query, city: str | None) -> Plan | None:
    """A refusal that names what the report has instead (the nearest figure, under its exact label)."""
    issue = q.scope[0] if q.scope else None
    if issue is None:
        return None
    message = {
        "single_quarter_growth": prompts.SCOPE_SINGLE_QUARTER,
        "national_rank": prompts.SCOPE_NATIONAL_RANK,
        "index_value": prompts.SCOPE_INDEX_VALUE,
        "share_value": prompts.SCOPE_SHARE_VALUE,
    }[issue]
    if city is None:
        return Plan("out_of_scope", answerable=False, message=message.format(nearest=""))
    nearest_measure = "growth" if issue == "single_quarter_growth" else "rank_2022Q1"

    def compose(results: list[ToolResult]) -> str:
        row = results[0].rows[0] if results[0].rows else None
        if row is None:
            return message.format(nearest="")
        nearest = prompts.NEAREST.format(
            city=row["city"],
            cluster=row["cluster"],
            label=MEASURE_LABEL[nearest_measure],
            value=say_value(nearest_measure, row[nearest_measure]),
        )
        return message.format(nearest=nearest)

    args = {"cities": [city], "select": "named", "by": nearest_measure, "aggregate": "list"}
    return Plan("out_of_scope", [("city_query", args)], compose, answerable=False)


# ---------------------------------------------------------------- calculations on typed-in data


def _round(x: float, digits: int | None, default: int = 4) -> str:
    """The decimals the question asked for, exactly; otherwise up to `default`, trailing zeros dropped."""
    return f"{x:.{digits}f}" if digits is not None else fmt_number(x, default)


def calc_plan(q: Query) -> Plan | None:
    """The report's method on the numbers typed into the question; None when the data does not fit."""
    data, op = q.inline, q.operation
    if data is None or op is None:
        return None
    if op in ("weights", "weights_then_weighted"):
        return _weights_plan(q)
    if op == "normalise":
        return _normalise_plan(q)
    if op == "weighted":
        return _weighted_plan(q)
    if op == "growth":
        return _growth_plan(q)
    if op in ("part_of_total", "whole_from_part", "base_from_growth"):
        given, pct, unit = data.scalars["value"], data.scalars["pct"], q.measure_unit
        if op == "whole_from_part":
            if pct <= 0:
                return None
            value = _round(given / (pct / 100), q.digits, 4)
            text = prompts.CALC_WHOLE_FROM_PART.format(
                part=f"{fmt_number(given, 4)}{unit}", pct=fmt_number(pct, 4), value=f"{value}{unit}"
            )
        elif op == "part_of_total":
            value = _round(given * pct / 100, q.digits, 4)
            text = prompts.CALC_PART_OF_TOTAL.format(
                total=f"{fmt_number(given, 4)}{unit}", pct=fmt_number(pct, 4), value=f"{value}{unit}"
            )
        else:
            if pct <= -100:
                return None
            value = _round(given / (1 + pct / 100), q.digits, 2)
            text = prompts.CALC_BASE_FROM_GROWTH.format(
                value=f"{fmt_number(given, 4)}{unit}",
                sign="+" if pct >= 0 else "−",
                pct=fmt_number(abs(pct), 4),
                base=f"{value}{unit}",
            )
        return Plan(f"calc_{op}", [], message=text)
    return None


def _score_vectors(q: Query) -> tuple[list[list[float]], list[str]] | None:
    """Expert rows of equal width (one score per indicator), and the indicator names."""
    assert q.inline is not None
    vectors = [v for v in q.inline.vectors if not any(w in v.label for w in ("分指数", "指数值", "权重"))]
    vectors = [v for v in vectors if all(1 <= x <= 5 for x in v.values)]
    if len(vectors) < 2 or len({len(v.values) for v in vectors}) != 1:
        return None
    by_indicator = has_any(q.text, "calc", "indicator_rows")
    if by_indicator and not all("指标" in v.label for v in vectors):
        # "规模 3 4 2；效率 5 2 4": each row an indicator named by its label
        names = [v.label.split("：")[-1].split(":")[-1] or f"指标{j + 1}" for j, v in enumerate(vectors)]
        return [list(col) for col in zip(*(v.values for v in vectors), strict=True)], names
    if all("指标" in v.label and "专家" not in v.label for v in vectors):
        # one row per indicator ("指标甲的得分分别为5、4"): turn it into one row per expert
        names = [v.label.split("指标", 1)[1] or v.label for v in vectors]
        names = [f"指标{n}" for n in names]
        return [list(col) for col in zip(*(v.values for v in vectors), strict=True)], names
    rows = [v.values for v in vectors]
    width = len(rows[0])
    names = q.inline.names if len(q.inline.names) == width else [f"指标{j + 1}" for j in range(width)]
    return rows, names


_TOTAL_LABEL = re.compile(r"加总|合计|总数|总和|总量|全国")


def _weights_plan(q: Query) -> Plan | None:
    got = _score_vectors(q)
    if got is None or (q.inline is not None and q.inline.total is not None and len(q.inline.vectors) == 1):
        return _weight_from_sums(q)  # one indicator's scores (or their sum) over the total of all scores
    rows, names = got
    scores = {name: [r[j] for r in rows] for j, name in enumerate(names)}
    values = totals = None
    if q.operation == "weights_then_weighted":
        assert q.inline is not None
        rest = [v for v in q.inline.vectors if v.values not in rows and len(v.values) == len(names)]
        totals = next((v.values for v in rest if _TOTAL_LABEL.search(v.label)), None)
        values = next((v.values for v in rest if v.values is not totals), None)
        if totals is not None and not all(totals):
            return None
        if values is None:  # no values to weight: the weights alone
            totals = None
    focus = q.inline.focus if q.inline and q.inline.focus in names else asked_name(q.text, names)
    total = sum(sum(r) for r in rows)
    sums = {n: sum(scores[n]) for n in names}
    weights = {n: sums[n] / total for n in names}
    steps: list[tuple[str, dict]] = [("calc_expert_weights", {"scores": scores})]
    inputs: list[float] = []
    if values is not None:
        inputs = [v / t for v, t in zip(values, totals, strict=True)] if totals else list(values)
        if totals:
            base = dict(zip(names, totals, strict=True))
            for n, v in zip(names, values, strict=True):
                steps.append(("calc_normalise", {"values": {n: v}, "base_total": base[n]}))
        steps.append(
            ("calc_weighted_index", {"values": dict(zip(names, inputs, strict=True)), "weights": weights})
        )

    def compose(results: list[ToolResult]) -> str:
        shown = [n for n in names if focus in (None, n)]
        if q.percent and values is None:
            parts = [
                prompts.WEIGHT_ITEM_PCT.format(
                    name=n,
                    score=fmt_number(sums[n], 4),
                    total=fmt_number(total, 4),
                    pct=_round(weights[n] * 100, q.digits, 2),
                )
                for n in shown
            ]
        else:
            parts = [
                prompts.WEIGHT_ITEM.format(
                    name=n,
                    score=fmt_number(sums[n], 4),
                    total=fmt_number(total, 4),
                    weight=_round(weights[n], q.digits if values is None else None),
                    pct=fmt_number(weights[n] * 100, 1),
                )
                for n in shown
            ]
        text = prompts.CALC_WEIGHTS.format(items="；".join(parts))
        if values is not None:
            if totals:
                items = "；".join(
                    prompts.NORMALISE_ITEM.format(
                        name=n,
                        value_in=fmt_number(v, 4),
                        total=fmt_number(t, 4),
                        result=fmt_number(x, 6),
                        also="",
                    )
                    for n, v, t, x in zip(names, values, totals, inputs, strict=True)
                )
                text += prompts.CALC_NORMALISED.format(items=items)
            composite = sum(weights[n] * x for n, x in zip(names, inputs, strict=True))
            terms = " + ".join(
                f"{_round(weights[n], 4)}×{fmt_number(x, 6)}" for n, x in zip(names, inputs, strict=True)
            )
            text += prompts.CALC_COMPOSITE.format(
                terms=terms, value=_round(composite, q.digits, 4 if totals else 2)
            )
        return text

    return Plan("calc_weights", steps, compose)


def _weight_from_sums(q: Query) -> Plan | None:
    """'该指标得分加起来22，全部得分总分60，权重？': the report's weight is the one sum over the other."""
    data = q.inline
    if data is None or data.total is None or data.total <= 0:
        return None
    if len(data.vectors) == 1 and data.total not in data.vectors[0].values:
        others = [sum(data.vectors[0].values)]  # the experts' scores of the one indicator: their sum
    else:
        body = _COUNT.sub(" ", q.text)
        others = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", body) if float(x) != data.total]
    if len(others) != 1 or not 0 < others[0] <= data.total:
        return None
    part, total = others[0], data.total
    named = re.search(r"([\u4e00-\u9fff]{1,6}?|指标[a-z\d甲乙丙丁]|(?<![a-z])[a-z]\d?)的?权重", q.text)
    if named and re.search(r"它|其|这|该|此|方法|报告|公式|是|多少", named.group(1)):
        named = None  # "按报告方法它的权重": no name
    labelled = [m.group(0) for v in data.vectors if (m := re.search(r"指标[a-z\d甲乙丙丁]", v.label))]
    name = data.focus or (named.group(1) if named else labelled[0] if labelled else prompts.THIS_INDICATOR)
    name = name.upper() if re.fullmatch(r"[a-z]\d?", name) else name

    def compose(results: list[ToolResult]) -> str:
        if q.percent:
            item = prompts.WEIGHT_ITEM_PCT.format(
                name=name,
                score=fmt_number(part, 4),
                total=fmt_number(total, 4),
                pct=_round(part / total * 100, q.digits, 2),
            )
        else:
            item = prompts.WEIGHT_ITEM.format(
                name=name,
                score=fmt_number(part, 4),
                total=fmt_number(total, 4),
                weight=_round(part / total, q.digits),
                pct=fmt_number(part / total * 100, 2),
            )
        return prompts.CALC_WEIGHTS.format(items=item)

    return Plan("calc_weights", [], compose)


_COUNT = re.compile(r"\d+\s*(?:位|名|个)(?:专家|指标)")


def _normalise_plan(q: Query) -> Plan | None:
    data = q.inline
    assert data is not None
    if data.vectors:
        values = data.vectors[0].values
        names = data.names if len(data.names) == len(values) else [f"城市{j + 1}" for j in range(len(values))]
    elif data.scalars:
        names, values = ["该城市"], [next(iter(data.scalars.values()))]
    else:
        return None
    total = data.total if data.total is not None else sum(values)
    if total <= 0:
        return None
    focus = data.focus if data.focus in names else None
    shown = [(n, v) for n, v in zip(names, values, strict=True) if focus in (None, n)]

    def compose(results: list[ToolResult]) -> str:
        parts = []
        for n, v in shown:
            share = v / total
            value = _round(share * 100, q.digits, 2) + "%" if q.percent else _round(share, q.digits)
            also = "" if q.percent else prompts.PERCENT_ALSO.format(value=fmt_number(share * 100, 2))
            parts.append(
                prompts.NORMALISE_ITEM.format(
                    name=n, value_in=fmt_number(v, 4), total=fmt_number(total, 4), result=value, also=also
                )
            )
        source = prompts.TOTAL_GIVEN if data.total is not None else prompts.TOTAL_SUMMED
        return prompts.CALC_NORMALISE.format(source=source, items="；".join(parts))

    args = {"values": {n: v for n, v in shown}, "base_total": total}
    return Plan("calc_normalise", [("calc_normalise", args)], compose)


def _weighted_plan(q: Query) -> Plan | None:
    data = q.inline
    assert data is not None
    weights = next((v.values for v in data.vectors if "权重" in v.label), None)
    values = next((v.values for v in data.vectors if "权重" not in v.label), None)
    if weights is None or values is None or len(weights) != len(values):
        return None
    names = data.names if len(data.names) == len(values) else [f"指标{j + 1}" for j in range(len(values))]

    def compose(results: list[ToolResult]) -> str:
        total_w = sum(weights)
        value = sum(w * v for w, v in zip(weights, values, strict=True)) / total_w
        terms = " + ".join(
            f"{fmt_number(w, 4)}×{fmt_number(v, 4)}" for w, v in zip(weights, values, strict=True)
        )
        return prompts.CALC_WEIGHTED.format(
            terms=terms, weight_sum=fmt_number(total_w, 4), value=_round(value, q.digits, 2)
        )

    args = {
        "values": dict(zip(names, values, strict=True)),
        "weights": dict(zip(names, weights, strict=True)),
    }
    return Plan("calc_weighted_index", [("calc_weighted_index", args)], compose)


def _growth_plan(q: Query) -> Plan | None:
    data = q.inline
    assert data is not None
    periods = sorted(data.periods.items())
    if len(periods) == 3:  # the report's 同比增速 over three Q1 values is the two-year mean
        (p0, v0), (p1, v1), (p2, v2) = periods

        def compose3(results: list[ToolResult]) -> str:
            g1, g2 = (v1 / v0 - 1) * 100, (v2 / v1 - 1) * 100
            return prompts.CALC_TWO_YEAR.format(
                p0=p0,
                p1=p1,
                p2=p2,
                v0=fmt_number(v0, 4),
                v1=fmt_number(v1, 4),
                v2=fmt_number(v2, 4),
                g1=_round(g1, 2),
                g2=_round(g2, 2),
                value=_round((g1 + g2) / 2, q.digits, 2),
            )

        return Plan(
            "calc_growth", [("calc_two_year_growth", {"first": v0, "second": v1, "third": v2})], compose3
        )
    if len(periods) == 2:
        (p0, v0), (p1, v1) = periods

        def compose2(results: list[ToolResult]) -> str:
            g = (v1 / v0 - 1) * 100
            return prompts.CALC_GROWTH.format(
                p0=p0, p1=p1, v0=fmt_number(v0, 4), v1=fmt_number(v1, 4), value=_round(g, q.digits, 2)
            )

        return Plan("calc_growth", [("calc_growth", {"current": v1, "previous": v0})], compose2)
    return None


def other_year_plan(q: Query, mean: float) -> Plan:
    """One year's rate from the two-year mean and the other year's rate; the index, given 2020Q1's."""
    assert q.inline is not None
    data = q.inline
    known, first = data.scalars["known"], data.known_year != "second"
    args: dict[str, Any] = {"mean": mean, "known": known, "known_year": "first" if first else "second"}
    if "base" in data.scalars:
        args["base"] = data.scalars["base"]

    def compose(results: list[ToolResult]) -> str:
        row = results[-1].rows[0]
        other = row["second_rate"] if first else row["first_rate"]
        text = prompts.CALC_OTHER_YEAR.format(
            other_period="2022Q1" if first else "2021Q1",
            mean=fmt_number(mean, 4),
            known=fmt_number(known, 4),
            known_period="2021Q1" if first else "2022Q1",
            other=_round(other, q.digits, 2),
        )
        if "base" in row:
            text += prompts.CALC_OTHER_YEAR_INDEX.format(
                base=fmt_number(row["base"], 4),
                g1=fmt_number(row["first_rate"], 2),
                second=fmt_number(row["second"], 4),
                g2=fmt_number(row["second_rate"], 2),
                third=_round(row["third"], q.digits, 4),
            )
        return text

    return Plan("calc_other_year", [("calc_other_year_growth", args)], compose)


def mean_from_table_plan(city: str) -> Plan:
    """A city's two-year mean growth from the tables, worded, for a calculation that starts from it."""

    def compose(results: list[ToolResult]) -> str:
        row = results[0].rows[0]
        return prompts.MEAN_FROM_TABLE.format(city=row["city"], value=say_value("growth", row["growth"]))

    args = {"cities": [city], "select": "named", "by": "growth", "aggregate": "list"}
    return Plan("city_query", [("city_query", args)], compose, caveats=[prompts.CAVEAT_GROWTH])


def shares_plan(shares: list[tuple[str, str, float, float]], digits: int | None) -> Plan:
    """Each named region's industry share by the report's definition (part ÷ whole), and which is higher."""
    steps = [
        ("calc_industry_share", {"industry_value": part, "region_total": whole})
        for _, _, part, whole in shares
    ]

    def compose(results: list[ToolResult]) -> str:
        pcts = [part / whole * 100 for _, _, part, whole in shares]
        items = "；".join(
            prompts.SHARE_ITEM.format(
                name=name,
                label=label,
                part=fmt_number(part, 4),
                whole=fmt_number(whole, 4),
                pct=_round(p, digits, 2),
            )
            for (name, label, part, whole), p in zip(shares, pcts, strict=True)
        )
        text = prompts.CALC_SHARES.format(items=items)
        order = sorted(range(len(shares)), key=lambda i: -pcts[i])
        if len(shares) == 2 and pcts[order[0]] != pcts[order[1]]:
            text += prompts.SHARES_COMPARE.format(
                top=shares[order[0]][0],
                label=shares[0][1],
                diff=_round(pcts[order[0]] - pcts[order[1]], digits, 2),
            )
        return text

    return Plan("calc_share", steps, compose)


def province_industries_plan(provinces: list[str], measure: str | None, count: bool) -> Plan:
    """The industries in whose TOP10 tables (2021 share, growth) each named province appears; how many."""
    label = {"share": prompts.LABEL_SHARE_TOP10, "growth": prompts.LABEL_GROWTH_TOP10}.get(measure or "", "")
    steps = [
        ("province_query", {"provinces": [p], "measure": measure, "aggregate": "count" if count else "list"})
        for p in provinces
    ]

    def compose(results: list[ToolResult]) -> str:
        parts = []
        for res in results:
            rows = res.rows
            if not rows:
                parts.append(prompts.PROVINCE_IN_NONE.format(label=label or prompts.LABEL_ANY_TOP10))
                continue
            items = "、".join(
                f"{r['industry']}{'' if measure else MEASURE_WORD[r['measure']]}第{r['rank']}" for r in rows
            )
            n = len({r["industry"] for r in rows})
            parts.append(
                prompts.PROVINCE_IN_INDUSTRIES.format(
                    province=rows[0]["province"], label=label or prompts.LABEL_ANY_TOP10, n=n, items=items
                )
            )
        return "".join(parts) + prompts.TOP10_ONLY

    return Plan("province_query", steps, compose)


MEASURE_WORD = {"share": prompts.WORD_SHARE, "growth": prompts.WORD_GROWTH}
