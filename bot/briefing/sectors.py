"""Table sections for provinces and industries: the province × industry rankings (top-10 lists, ranks only)
and the clusters' top-3 industries, every figure from the tool layer."""

from __future__ import annotations

from bot.briefing.draft import Draft
from bot.briefing.model import Bar, Chart, Derived, Section, Series, Table, Unit
from bot.briefing.subject import Subject
from bot.core import prompts
from tools.names import RANKED_INDUSTRIES
from tools.tables import COLUMN_LABELS

H = prompts.BRIEF_HEADINGS
_MEASURES = ("share", "growth")


def _rank_chart(
    d: Draft, caption: str, groups: list[tuple[str, dict[str, dict]]], tools: list[int]
) -> Chart | None:
    """Share and growth ranks as two bar series over `groups` (label -> {measure: row}); None when fewer than
    two bars."""
    series = []
    for m, name in zip(_MEASURES, (prompts.BRIEF_SERIES_SHARE, prompts.BRIEF_SERIES_GROWTH), strict=True):
        bars = [
            Bar(label=label, value=float(rows[m]["rank"]), lines=[int(rows[m]["line"])])
            for label, rows in groups
            if m in rows
        ]
        series.append(Series(name=name, bars=bars))
    if sum(len(s.bars) for s in series) < 2:
        return None
    lines = [b.lines[0] for s in series for b in s.bars]
    return Chart(
        caption=d.unit(caption, lines=lines, tools=tools),
        axis=prompts.BRIEF_AXIS_RANK,
        series=series,
        lower_is_better=True,
    )


def province(d: Draft, s: Subject) -> dict[str, Section]:
    i, res = d.tool("province_rank", province=s.name)
    out = {
        "overview": Section(
            key="overview", heading=H["overview"], style="paragraph", units=[d.unit(res.text, tools=[i])]
        )
    }
    by_ind: dict[str, dict[str, dict]] = {}
    for r in res.rows:
        by_ind.setdefault(str(r["industry"]), {})[str(r["measure"])] = r
    if not by_ind:
        return out
    groups = [(ind, by_ind[ind]) for ind in RANKED_INDUSTRIES if ind in by_ind]
    header = d.unit(
        cells=[COLUMN_LABELS["industry"], prompts.BRIEF_SERIES_SHARE, prompts.BRIEF_SERIES_GROWTH],
        lines=[int(r["line"]) for r in res.rows],
    )
    rows = [
        d.unit(
            cells=[ind] + [str(ranks[m]["rank"]) if m in ranks else "—" for m in _MEASURES],
            lines=[int(r["line"]) for r in ranks.values()],
            titles=False,
        )
        for ind, ranks in groups
    ]
    caption = d.unit(prompts.BRIEF_PROVINCE_TABLE.format(province=s.name), lines=header.lines, tools=[i])
    out["key_data"] = Section(
        key="key_data", heading=H["key_data"], table=Table(header=header, rows=rows, caption=caption)
    )
    chart = _rank_chart(d, prompts.BRIEF_CHART_RANKS.format(subject=s.name), groups, [i])
    if chart is not None:
        out["chart"] = Section(key="chart", heading=H["chart"], chart=chart)
    j, both = d.tool("double_high")
    mine = [r for r in both.rows if r["province"] == s.name]
    if mine:
        items = "、".join(
            prompts.BRIEF_DOUBLE_ITEM.format(
                industry=r["industry"], share=r["share_rank"], growth=r["growth_rank"]
            )
            for r in mine
        )
        lines = [int(x["line"]) for r in mine for x in by_ind[str(r["industry"])].values()]
        unit = d.unit(
            prompts.BRIEF_PROVINCE_DOUBLE.format(province=s.name, items=items), lines=lines, tools=[j]
        )
        out["industries"] = Section(key="industries", heading=H["industries"], units=[unit])
    return out


def industry(d: Draft, s: Subject) -> dict[str, Section]:
    i_cl, clusters = d.tool("clusters_with_industry", industry=s.name)
    cl_unit = d.unit(clusters.text, tools=[i_cl])
    if not s.ranked:
        out = {
            "overview": Section(
                key="overview",
                heading=H["overview"],
                style="paragraph",
                units=[d.unit(prompts.BRIEF_INDUSTRY_UNRANKED.format(industry=s.name)), cl_unit]
                if clusters.rows
                else [d.unit(prompts.BRIEF_INDUSTRY_UNLISTED.format(industry=s.name))],
            )
        }
        if clusters.rows:
            header = d.unit(
                cells=[COLUMN_LABELS["cluster"], COLUMN_LABELS["position"]],
                lines=[int(r["line"]) for r in clusters.rows],
            )
            rows = [
                d.unit(
                    cells=[str(r["cluster"]), f"NO.{r['position']}"],
                    lines=[int(r["line"])],
                    tools=[i_cl],  # the position comes from the column the name stands in
                    titles=False,
                    cite_tools=False,
                )
                for r in clusters.rows
            ]
            out["key_data"] = Section(
                key="key_data", heading=H["key_data"], table=Table(header=header, rows=rows)
            )
        return out

    i_s, share = d.tool("industry_top_provinces", industry=s.name, measure="share", k=10)
    i_g, growth = d.tool("industry_top_provinces", industry=s.name, measure="growth", k=10)
    i_dh, dh = d.tool("double_high", industry=s.name)
    s1, g1 = share.rows[0], growth.rows[0]
    overview: list[Unit] = [
        d.unit(
            prompts.BRIEF_INDUSTRY_LEADERS.format(
                industry=s.name, share=s1["province"], growth=g1["province"]
            ),
            lines=[int(s1["line"]), int(g1["line"])],
        )
    ]
    if dh.rows:
        count = Derived.make("count", [float(r["share_rank"]) for r in dh.rows])
        doubles = {str(r["province"]) for r in dh.rows}
        overview.append(
            d.unit(
                prompts.BRIEF_INDUSTRY_DOUBLE.format(
                    k=len(dh.rows), items="、".join(str(r["province"]) for r in dh.rows)
                ),
                lines=[int(r["line"]) for r in share.rows if r["province"] in doubles],
                tools=[i_dh],
                derived=[count],
            )
        )
    else:
        overview.append(d.unit(prompts.BRIEF_INDUSTRY_NO_DOUBLE, tools=[i_dh]))
    out = {"overview": Section(key="overview", heading=H["overview"], style="paragraph", units=overview)}

    by_rank: dict[int, dict[str, dict]] = {}
    for m, res in (("share", share), ("growth", growth)):
        for r in res.rows:
            by_rank.setdefault(int(r["rank"]), {})[m] = r
    header = d.unit(
        cells=[COLUMN_LABELS["rank"], prompts.BRIEF_COL_SHARE_PROVINCE, prompts.BRIEF_COL_GROWTH_PROVINCE],
        lines=[int(r["line"]) for res in (share, growth) for r in res.rows],
    )
    rows = [
        d.unit(
            cells=[str(rank)] + [str(ranks[m]["province"]) if m in ranks else "—" for m in _MEASURES],
            lines=[int(r["line"]) for r in ranks.values()],
            titles=False,
        )
        for rank, ranks in sorted(by_rank.items())
    ]
    caption = d.unit(
        prompts.BRIEF_INDUSTRY_TABLE.format(industry=s.name, k=len(rows)),
        lines=header.lines,
        tools=[i_s, i_g],
    )
    out["key_data"] = Section(
        key="key_data", heading=H["key_data"], table=Table(header=header, rows=rows, caption=caption)
    )
    groups = []
    for r in dh.rows:
        ranks = {m: row for m, res in (("share", share), ("growth", growth)) for row in res.rows
                 if row["province"] == r["province"]}  # fmt: skip
        groups.append((str(r["province"]), ranks))
    chart = _rank_chart(d, prompts.BRIEF_CHART_DOUBLE.format(industry=s.name), groups, [i_dh])
    if chart is not None:
        out["chart"] = Section(key="chart", heading=H["chart"], chart=chart)
    out["industries"] = Section(key="industries", heading=H["industries"], units=[cl_unit])
    return out
