"""Table sections for clusters and cities (and comparisons of them), every figure from the tool layer: the
city ranking table, growth, industries, and the position among the seven clusters."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.briefing.draft import Draft
from bot.briefing.model import Bar, Chart, Derived, Section, Series, Table, Unit
from bot.briefing.subject import Subject, ranked_clusters
from bot.core import prompts
from tools.queries import MEASURES, change_text, num
from tools.result import fmt_number
from tools.tables import COLUMN_LABELS

H = prompts.BRIEF_HEADINGS


@dataclass
class CityRow:
    city: str
    cluster: str
    rank_2021: int = 0
    rank_2022Q1: int = 0
    rank_change: int = 0
    growth_rank: int = 0
    growth: float = 0.0
    lines: dict[str, int] = field(default_factory=dict)  # measure -> report line
    tools: list[int] = field(default_factory=list)


@dataclass
class ClusterFacts:
    """What the tools say about one of the seven clusters (tool indexes kept for the check)."""

    name: str
    rows: list[CityRow]  # by 2022Q1 rank
    n: int
    n_tool: int
    mean: float
    mean_tool: int
    median: float
    median_tool: int
    top3_tool: int

    @property
    def fastest(self) -> CityRow:
        return min(self.rows, key=lambda r: r.growth_rank)


def _pct(x: float) -> str:
    return num(x) + "%"


def _mean_text(x: float) -> str:
    return fmt_number(x, 1) + "%"


def _signed(x: int) -> str:
    return f"+{x}" if x > 0 else str(x)


class Regions:
    """Builds the cluster / city sections on a Draft; facts of each cluster are gathered once."""

    def __init__(self, d: Draft):
        self.d = d
        self._facts: dict[str, ClusterFacts] = {}

    # ------------------------------------------------------------ facts

    def facts(self, cluster: str) -> ClusterFacts:
        if cluster in self._facts:
            return self._facts[cluster]
        d = self.d
        n_tool, listing = d.tool("cluster_cities", cluster=cluster)
        n = len(listing.rows)
        rows: dict[str, CityRow] = {}
        for m in MEASURES:
            i, res = d.tool("top_cities", cluster=cluster, measure=m, k=n)
            for r in res.rows:
                row = rows.setdefault(r["city"], CityRow(city=r["city"], cluster=cluster))
                row.rank_2021, row.rank_2022Q1 = int(r["rank_2021"]), int(r["rank_2022Q1"])
                row.rank_change, row.growth_rank = int(r["rank_change"]), int(r["growth_rank"])
                row.growth = float(r["growth"])
                row.lines[m] = int(r["line"])
                row.tools.append(i)
        stats = {}
        for stat in ("mean", "median"):
            i, res = d.tool("aggregate_cities", cluster=cluster, stat=stat, value="growth")
            stats[stat] = (float(res.rows[-1]["growth"]), i)
        top3_tool, _ = d.tool("cluster_top_industries", cluster=cluster)
        facts = ClusterFacts(
            name=cluster,
            rows=sorted(rows.values(), key=lambda r: r.rank_2022Q1),
            n=n,
            n_tool=n_tool,
            mean=stats["mean"][0],
            mean_tool=stats["mean"][1],
            median=stats["median"][0],
            median_tool=stats["median"][1],
            top3_tool=top3_tool,
        )
        self._facts[cluster] = facts
        return facts

    def seven(self) -> list[ClusterFacts]:
        return [self.facts(c) for c in ranked_clusters()]

    def mean_rank(self, f: ClusterFacts) -> tuple[int, Derived, list[int]]:
        """The cluster's position among the seven by mean city growth, derived from the seven means."""
        seven = self.seven()
        derived = Derived.make("rank", [x.mean for x in seven], f.mean)
        return int(derived.value), derived, [x.mean_tool for x in seven]

    # ------------------------------------------------------------ pieces

    def table(self, rows: list[CityRow], caption: Unit, strong: str = "", cluster_col: bool = False) -> Table:
        cols = (["cluster"] if cluster_col else []) + [
            "rank_2022Q1",
            "city",
            "rank_2021",
            "rank_change",
            "growth_rank",
            "growth",
        ]
        header = self.d.unit(
            cells=[COLUMN_LABELS[c] for c in cols], lines=[x for r in rows for x in r.lines.values()]
        )
        body = []
        for r in rows:
            cells = [
                str(r.rank_2022Q1),
                r.city,
                str(r.rank_2021),
                _signed(r.rank_change),
                str(r.growth_rank),
                num(r.growth),
            ]
            body.append(
                self.d.unit(
                    cells=([r.cluster] if cluster_col else []) + cells,
                    lines=r.lines.values(),
                    titles=False,
                    strong=r.city == strong,
                )
            )
        return Table(header=header, rows=body, caption=caption)

    def growth_chart(self, rows: list[CityRow], scope: str, strong: str = "") -> Chart:
        rows = sorted(rows, key=lambda r: (r.growth_rank, r.city))
        bars = [
            Bar(label=r.city, value=r.growth, lines=[r.lines["growth"]], strong=r.city == strong)
            for r in rows
        ]
        caption = self.d.unit(
            prompts.BRIEF_CHART_GROWTH.format(scope=scope), lines=[b.lines[0] for b in bars]
        )
        return Chart(caption=caption, axis=prompts.BRIEF_AXIS_GROWTH, series=[Series(bars=bars)])

    def clusters_chart(self, strong: list[str]) -> Chart:
        seven = self.seven()
        bars = [Bar(label=f.name, value=f.mean, tools=[f.mean_tool], strong=f.name in strong) for f in seven]
        caption = self.d.unit(prompts.BRIEF_CHART_CLUSTERS, tools=[f.mean_tool for f in seven])
        return Chart(caption=caption, axis=prompts.BRIEF_AXIS_MEAN, series=[Series(bars=bars)])

    def pick(self, f: ClusterFacts) -> tuple[list[CityRow], Unit]:
        """All cities when few, else the top and bottom ones; with the caption saying which."""
        s = self.d.settings
        lines = [x for r in f.rows for x in r.lines.values()]
        if f.n <= s.all_rows_up_to:
            text = prompts.BRIEF_TABLE_ALL.format(cluster=f.name, n=f.n)
            return f.rows, self.d.unit(text, lines=lines, tools=[f.n_tool])
        top, bottom = f.rows[: s.top_rows], f.rows[len(f.rows) - s.bottom_rows :] if s.bottom_rows else []
        text = prompts.BRIEF_TABLE_PART.format(cluster=f.name, n=f.n, top=len(top), bottom=len(bottom))
        derived = [
            Derived.make("count", [float(r.rank_2022Q1) for r in top]),
            Derived.make("count", [float(r.rank_2022Q1) for r in bottom]),
        ]
        return top + bottom, self.d.unit(text, lines=lines, tools=[f.n_tool], derived=derived)

    def growth_bullets(self, f: ClusterFacts, k: int = 3) -> list[Unit]:
        d, out = self.d, []
        for order, template in (("top", prompts.BRIEF_GROWTH_TOP), ("bottom", prompts.BRIEF_GROWTH_BOTTOM)):
            i, res = d.tool("top_cities", cluster=f.name, measure="growth", k=min(k, f.n), order=order)
            items = "、".join(f"{r['city']}（{_pct(r['growth'])}）" for r in res.rows)
            out.append(d.unit(template.format(cluster=f.name, k=len(res.rows), items=items), tools=[i]))
        out.append(
            d.unit(
                prompts.BRIEF_GROWTH_MEAN.format(
                    cluster=f.name, n=f.n, mean=_mean_text(f.mean), median=_mean_text(f.median)
                ),
                tools=[f.mean_tool, f.median_tool],
            )
        )
        calls = []
        for direction, template in (("rose", prompts.BRIEF_GROWTH_ROSE), ("fell", prompts.BRIEF_GROWTH_FELL)):
            i, res = d.tool("rank_movers", cluster=f.name, direction=direction, largest_only=True)
            calls.append(i)
            if res.rows:
                items = "、".join(f"{r['city']}（{change_text(int(r['rank_change']))}）" for r in res.rows)
                out.append(d.unit(template.format(cluster=f.name, items=items), tools=[i]))
        if not any(d.result(i).rows for i in calls):
            out.append(d.unit(prompts.BRIEF_GROWTH_STILL.format(cluster=f.name), tools=calls))
        i, res = d.tool("tied_cities", cluster=f.name)
        if res.rows:
            out.append(d.unit(res.text, tools=[i]))
        return out

    def seven_table(self, strong: list[str]) -> Table:
        d = self.d
        header = d.unit(
            cells=[prompts.BRIEF_COL_CLUSTER, prompts.BRIEF_COL_N, prompts.BRIEF_COL_MEAN,
                   prompts.BRIEF_COL_FASTEST, prompts.BRIEF_COL_TOP1],
            tools=[f.top3_tool for f in self.seven()],
        )  # fmt: skip
        rows = []
        for f in self.seven():
            top1 = d.result(f.top3_tool).rows[0]
            fast = f.fastest
            rows.append(
                d.unit(
                    cells=[f.name, str(f.n), fmt_number(f.mean, 1), f"{fast.city}（{_pct(fast.growth)}）",
                           str(top1["industry_source"])],
                    lines=[fast.lines["growth"], int(top1["line"])],
                    tools=[f.n_tool, f.mean_tool],
                    titles=False,
                    strong=f.name in strong,
                )
            )  # fmt: skip
        caption = d.unit(prompts.BRIEF_SEVEN_CAPTION, tools=[f.top3_tool for f in self.seven()])
        return Table(header=header, rows=rows, caption=caption)

    def position(self, f: ClusterFacts) -> Unit:
        rank, derived, tools = self.mean_rank(f)
        text = prompts.BRIEF_SEVEN_POSITION.format(cluster=f.name, mean=_mean_text(f.mean), rank=rank)
        return self.d.unit(text, tools=tools, derived=[derived])

    def top3(self, cluster: str) -> Unit:
        i, res = self.d.tool("cluster_top_industries", cluster=cluster)
        return self.d.unit(res.text, tools=[i])

    def province_table(self, provinces: list[str], industries: list[str]) -> Table | None:
        """省份 × 行业 rows of the given provinces (ranks in the top-10 lists), limited to `industries` when
        that leaves any."""
        d = self.d
        rows: list[Unit] = []
        tools: list[int] = []
        found: list[tuple[str, str, dict[str, dict]]] = []
        for p in provinces:
            i, res = d.tool("province_rank", province=p)
            tools.append(i)
            by_ind: dict[str, dict[str, dict]] = {}
            for r in res.rows:
                by_ind.setdefault(r["industry"], {})[r["measure"]] = r
            found += [(p, ind, ranks) for ind, ranks in by_ind.items()]
        keep = [x for x in found if x[1] in industries] or found
        if not keep:
            return None
        for p, ind, ranks in keep:
            cells = [p, ind] + [str(ranks[m]["rank"]) if m in ranks else "—" for m in ("share", "growth")]
            rows.append(d.unit(cells=cells, lines=[r["line"] for r in ranks.values()], titles=False))
        header = d.unit(
            cells=[COLUMN_LABELS["province"], COLUMN_LABELS["industry"], prompts.BRIEF_SERIES_SHARE,
                   prompts.BRIEF_SERIES_GROWTH],
        )  # fmt: skip
        names = "、".join(dict.fromkeys(p for p, _, _ in keep))
        caption = d.unit(
            prompts.BRIEF_PROVINCE_CAPTION.format(provinces=names),
            lines=[x for u in rows for x in u.lines],
            tools=tools,
            cite_tools=False,
        )
        return Table(header=header, rows=rows, caption=caption)

    # ------------------------------------------------------------ kinds

    def cluster(self, s: Subject, provinces: list[str]) -> dict[str, Section]:
        d = self.d
        top3 = self.top3(s.name)
        top3_rows = d.result(top3.tools[0]).rows
        industries = [str(r["industry"]) for r in top3_rows]
        out: dict[str, Section] = {}
        line = int(top3_rows[0]["line"])
        names = "、".join(str(r["industry_source"]) for r in top3_rows)
        inds = d.unit(prompts.BRIEF_CLUSTER_INDUSTRIES.format(industries=names), lines=[line])
        if not s.ranked:
            intro = d.unit(prompts.BRIEF_CLUSTER_UNRANKED.format(cluster=s.name), lines=[line])
            out["overview"] = Section(
                key="overview", heading=H["overview"], style="paragraph", units=[intro, inds]
            )
            out["industries"] = _section("industries", [top3], self.province_table(provinces, industries))
            return out
        f = self.facts(s.name)
        leaders = f.rows[:3]
        rank, derived, tools = self.mean_rank(f)
        i_top, _ = d.tool("top_cities", cluster=s.name, measure="2022Q1", k=len(leaders))
        fast = f.fastest
        overview = [
            d.unit(prompts.BRIEF_CLUSTER_SIZE.format(cluster=s.name, n=f.n), tools=[f.n_tool]),
            d.unit(
                prompts.BRIEF_CLUSTER_LEADERS.format(
                    k=len(leaders), cities="、".join(r.city for r in leaders)
                ),
                tools=[i_top],
            ),
            d.unit(
                prompts.BRIEF_CLUSTER_FASTEST.format(
                    city=fast.city, growth=_pct(fast.growth), mean=_mean_text(f.mean), rank=rank
                ),
                lines=[fast.lines["growth"]],
                tools=tools,
                derived=[derived],
            ),
            inds,
        ]
        out["overview"] = Section(key="overview", heading=H["overview"], style="paragraph", units=overview)
        rows, caption = self.pick(f)
        out["key_data"] = Section(key="key_data", heading=H["key_data"], table=self.table(rows, caption))
        out["chart"] = Section(key="chart", heading=H["chart"], chart=self.growth_chart(rows, s.name))
        out["growth"] = Section(key="growth", heading=H["growth"], units=self.growth_bullets(f))
        out["industries"] = _section("industries", [top3], self.province_table(provinces, industries))
        out["compare"] = Section(
            key="compare", heading=H["compare"], units=[self.position(f)], table=self.seven_table([s.name])
        )
        return out

    def city(self, s: Subject) -> dict[str, Section]:
        d = self.d
        i_profile, profile = d.tool("city_profile", city=s.name)
        cluster = str(profile.rows[0]["cluster"])
        f = self.facts(cluster)
        me = next(r for r in f.rows if r.city == s.name)
        out: dict[str, Section] = {}
        out["overview"] = Section(
            key="overview",
            heading=H["overview"],
            style="paragraph",
            units=[d.unit(profile.text, tools=[i_profile])],
        )
        if f.n <= d.settings.all_rows_up_to:
            near = f.rows
        else:
            pos = f.rows.index(me)
            near = f.rows[: min(3, pos)] + f.rows[max(0, pos - 3) : pos + 4]
            near = list({r.city: r for r in near}.values())
        caption = d.unit(
            prompts.BRIEF_TABLE_NEAR.format(cluster=cluster, n=f.n, city=s.name),
            lines=[x for r in near for x in r.lines.values()],
            tools=[f.n_tool],
        )
        out["key_data"] = Section(
            key="key_data", heading=H["key_data"], table=self.table(near, caption, strong=s.name)
        )
        out["chart"] = Section(
            key="chart", heading=H["chart"], chart=self.growth_chart(near, cluster, s.name)
        )
        diff = Derived.make("diff", [me.growth, f.mean])
        if abs(diff.value) < 0.05:
            vs = prompts.BRIEF_CITY_AT_MEAN.format(cluster=cluster, mean=_mean_text(f.mean), city=s.name)
        else:
            side = prompts.BRIEF_ABOVE if diff.value > 0 else prompts.BRIEF_BELOW
            vs = prompts.BRIEF_CITY_VS_MEAN.format(
                cluster=cluster, mean=_mean_text(f.mean), city=s.name, side=side,
                diff=fmt_number(abs(diff.value), 1),
            )  # fmt: skip
        out["growth"] = Section(
            key="growth",
            heading=H["growth"],
            units=[
                d.unit(
                    prompts.BRIEF_CITY_GROWTH.format(
                        city=s.name, growth=_pct(me.growth), cluster=cluster, n=f.n, rank=me.growth_rank
                    ),
                    lines=[me.lines["growth"]],
                    tools=[f.n_tool],
                ),
                d.unit(vs, lines=[me.lines["growth"]], tools=[f.mean_tool], derived=[diff]),
            ],
        )
        provinces = [p for p in [_as_province(s.short)] if p]
        top3 = self.top3(cluster)
        industries = [str(r["industry"]) for r in d.result(top3.tools[0]).rows]
        out["industries"] = _section("industries", [top3], self.province_table(provinces, industries))
        rank, derived, tools = self.mean_rank(f)
        where = d.unit(
            prompts.BRIEF_CITY_POSITION.format(city=s.name, cluster=cluster, rank=rank),
            tools=tools,
            derived=[derived],
        )
        out["compare"] = Section(
            key="compare", heading=H["compare"], units=[where], table=self.seven_table([cluster])
        )
        return out

    def compare(self, subjects: list[Subject]) -> dict[str, Section]:
        if subjects[0].kind == "city":
            return self._compare_cities(subjects)
        d = self.d
        overview, growth, inds, positions = [], [], [], []
        ranked = [s for s in subjects if s.ranked]
        for s in subjects:
            top3 = self.top3(s.name)
            inds.append(top3)
            if not s.ranked:
                line = int(d.result(top3.tools[0]).rows[0]["line"])
                overview.append(d.unit(prompts.BRIEF_CLUSTER_UNRANKED.format(cluster=s.name), lines=[line]))
                continue
            f = self.facts(s.name)
            rank, derived, tools = self.mean_rank(f)
            overview.append(
                d.unit(
                    prompts.BRIEF_COMPARE_CLUSTER.format(
                        cluster=s.name, n=f.n, first=f.rows[0].city, mean=_mean_text(f.mean), rank=rank
                    ),
                    lines=[f.rows[0].lines["2022Q1"]],
                    tools=[f.n_tool, *tools],
                    derived=[derived],
                )
            )
            growth += self.growth_bullets(f)[:2]
            positions.append(self.position(f))
        out = {"overview": Section(key="overview", heading=H["overview"], style="paragraph", units=overview)}
        if ranked:
            header = d.unit(
                cells=[prompts.BRIEF_COL_CLUSTER, prompts.BRIEF_COL_N, prompts.BRIEF_COL_FIRST,
                       prompts.BRIEF_COL_FASTEST, prompts.BRIEF_COL_MEAN],
                lines=[self.facts(s.name).rows[0].lines["2022Q1"] for s in ranked],
            )  # fmt: skip
            rows = []
            for s in ranked:
                f = self.facts(s.name)
                fast = f.fastest
                rows.append(
                    d.unit(
                        cells=[s.name, str(f.n), f.rows[0].city, f"{fast.city}（{_pct(fast.growth)}）",
                               fmt_number(f.mean, 1)],
                        lines=[f.rows[0].lines["2022Q1"], fast.lines["growth"]],
                        tools=[f.n_tool, f.mean_tool],
                        titles=False,
                    )
                )  # fmt: skip
            out["key_data"] = Section(
                key="key_data", heading=H["key_data"], table=Table(header=header, rows=rows)
            )
            out["chart"] = Section(
                key="chart", heading=H["chart"], chart=self.clusters_chart([s.name for s in ranked])
            )
            out["growth"] = Section(key="growth", heading=H["growth"], units=growth)
            out["compare"] = Section(
                key="compare",
                heading=H["compare"],
                units=positions,
                table=self.seven_table([s.name for s in ranked]),
            )
        out["industries"] = Section(key="industries", heading=H["industries"], units=inds)
        return out

    def _compare_cities(self, subjects: list[Subject]) -> dict[str, Section]:
        d = self.d
        overview, mine, clusters = [], [], []
        for s in subjects:
            i, profile = d.tool("city_profile", city=s.name)
            overview.append(d.unit(profile.text, tools=[i]))
            cluster = str(profile.rows[0]["cluster"])
            clusters.append(cluster)
            mine.append(next(r for r in self.facts(cluster).rows if r.city == s.name))
        out = {"overview": Section(key="overview", heading=H["overview"], style="paragraph", units=overview)}
        caption = d.unit(prompts.BRIEF_TABLE_CITIES, lines=[x for r in mine for x in r.lines.values()])
        out["key_data"] = Section(
            key="key_data", heading=H["key_data"], table=self.table(mine, caption, cluster_col=True)
        )
        out["chart"] = Section(
            key="chart",
            heading=H["chart"],
            chart=self.growth_chart(mine, "、".join(s.name for s in subjects)),
        )
        pairs = []
        for other in subjects[1:]:
            for measure in ("2022Q1", "growth"):
                i, res = d.tool("compare_cities", city_a=subjects[0].name, city_b=other.name, measure=measure)
                pairs.append(d.unit(res.text, tools=[i]))
        cl = list(dict.fromkeys(clusters))
        out["compare"] = Section(key="compare", heading=H["compare"], units=pairs, table=self.seven_table(cl))
        out["industries"] = Section(
            key="industries", heading=H["industries"], units=[self.top3(c) for c in cl]
        )
        return out


def _section(key: str, units: list[Unit], table: Table | None) -> Section:
    return Section(key=key, heading=H[key], units=units, table=table)


def _as_province(name: str) -> str | None:
    """A city that is also a provincial-level region (重庆, 北京…), by the province vocabulary."""
    from tools.tables import known_names

    return known_names()["province"].get(name)
