"""The report's ranking tables parsed from its tab-separated lines into tidy DataFrames with file/line
provenance."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from tools.errors import ReportMissingError
from tools.names import (
    RANKED_INDUSTRIES,
    Vocabulary,
    city_vocabulary,
    cluster_canonical,
    cluster_vocabulary,
    industry_vocabulary,
    province_vocabulary,
)

REPORT_ID = "tencent-dti-2022"
GROWTH_NOTE = "2021Q1&2022Q1两年同比增速均值"

# Header cell of a city ranking table -> measure stored in the tidy tables.
_CITY_HEADERS = {"2021排名": "2021", "2022Q1排名": "2022Q1", "增速排名": "growth"}
RANK_PERIODS = tuple(v for v in _CITY_HEADERS.values() if v != "growth")  # periods the city ranks cover
_PROVINCE_HEADERS = {"占比排名": "share", "增速排名": "growth"}
_PERCENT = re.compile(r"^(-?\d+(?:\.\d+)?)%$")

# Display labels (Chinese) for the English column names used in the DataFrames and tool rows.
COLUMN_LABELS: dict[str, str] = {
    "cluster": "城市群",
    "city": "城市",
    "province": "省份",
    "industry": "行业",
    "industry_source": "行业（原文）",
    "rank": "排名",
    "rank_2021": "2021排名",
    "rank_2022Q1": "2022Q1排名",
    "rank_change": "排名变化",
    "growth_rank": "增速排名",
    "growth": "同比增速(%)",
    "growth_text": "同比增速",
    "share_rank": "占比排名",
    "position": "名次",
    "measure": "指标",
    "period": "时期",
    "value": "数值",
    "label_in_source": "原表标签",
    "table": "来源表",
    "file": "文件",
    "line": "行号",
    "stat": "统计量",
    "count": "个数",
    "change_consistent": "排名变化与两期排名一致",
    "line_2021": "2021行号",
    "line_2022Q1": "2022Q1行号",
    "line_growth": "增速行号",
    "indicator": "指标",
    "score_sum": "得分合计",
    "weight": "权重",
    "weight_pct": "权重(%)",
    "previous": "上期",
    "current": "本期",
    "growth_pct": "增速(%)",
    "first": "两年前",
    "second": "一年前",
    "third": "本期",
    "yoy_1": "第一年同比(%)",
    "yoy_2": "第二年同比(%)",
    "two_year_mean": "两年同比增速均值(%)",
    "rates": "增速(%)",
    "mean_pct": "均值(%)",
    "start": "起始值",
    "end": "结束值",
    "change_pct": "变化(%)",
    "name": "名称",
    "normalised": "标准化值(%)",
    "industry_value": "行业指数",
    "region_total": "地区整体指数",
    "share_pct": "占比(%)",
}

TABLE_TITLES: dict[str, str] = {
    "city_rank_2021": "城市群内城市 2021 排名",
    "city_rank_2022Q1": "城市群内城市 2022Q1 排名及排名变化",
    "city_growth": f"城市群内城市增速排名（{GROWTH_NOTE}）",
    "city_overview": "城市群内城市排名总览（2021、2022Q1、增速）",
    "cluster_top3_industries": "11大城市群2020Q1-2022Q1行业指标累计排名Top3",
    "province_industry_rank": "各行业省份占比排名[2021]与增速排名Top10",
}


@dataclass(frozen=True)
class ReportSource:
    """The report file the tables come from."""

    doc_id: str
    title: str
    file: str
    path: Path


@dataclass
class _Block:
    start: int  # 1-based line of the header
    rows: list[list[str]]  # header first

    @property
    def header(self) -> list[str]:
        return self.rows[0]


_REPO_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
_corpus_dir: Path | None = None


def use_corpus(corpus_dir: Path | str) -> None:
    """Point the tool layer at a corpus folder (the caller's settings decide; tools read no settings)."""
    global _corpus_dir
    _corpus_dir = Path(corpus_dir)


def _default_corpus_dir() -> Path:
    return _corpus_dir if _corpus_dir is not None else _REPO_CORPUS


def _manifest_entries(corpus_dir: Path) -> list[dict]:
    manifest = corpus_dir / "manifest.json"
    if not manifest.exists():
        return []
    try:
        docs = json.loads(manifest.read_text(encoding="utf-8")).get("documents", [])
    except (ValueError, AttributeError) as exc:
        raise ReportMissingError(f"语料清单 {manifest} 无法解析（{exc}），请检查 JSON 格式。") from exc
    return [d for d in docs if isinstance(d, dict)]


def report_source(corpus_dir: Path | None = None) -> ReportSource:
    """Find the report through the manifest (kind report, id tencent-dti-2022); cached per manifest
    version."""
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else _default_corpus_dir()
    manifest = corpus_dir / "manifest.json"
    stamp = (
        manifest.stat().st_mtime_ns if manifest.exists() else 0,
        corpus_dir.stat().st_mtime_ns if corpus_dir.exists() else 0,
    )
    return _report_source(str(corpus_dir), stamp)


@lru_cache(maxsize=8)
def _report_source(corpus_dir_str: str, stamp: tuple[int, int]) -> ReportSource:
    corpus_dir = Path(corpus_dir_str)
    for meta in _manifest_entries(corpus_dir):
        if meta.get("id") == REPORT_ID and meta.get("kind") == "report":
            file = str(meta.get("file", ""))
            path = corpus_dir / file
            if not file or not path.exists():
                raise ReportMissingError(f"清单中的报告文件 {file} 不存在，请检查 {corpus_dir}。")
            return ReportSource(
                doc_id=REPORT_ID, title=str(meta.get("title", REPORT_ID)), file=file, path=path
            )
    raise ReportMissingError(
        f"语料清单中没有 id 为 {REPORT_ID} 的报告，无法读取排名表，请检查 {corpus_dir}/manifest.json。"
    )


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for i, line in enumerate(lines, start=1):
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            if current is None:
                current = _Block(start=i, rows=[])
                blocks.append(current)
            current.rows.append(cells)
        else:
            current = None
    return blocks


def _heading(lines: list[str], before: int, vocab: Vocabulary) -> tuple[str, int] | None:
    """The nearest line above `before` (1-based) shaped `名称：…` whose name is in `vocab`."""
    for i in range(before - 1, 0, -1):
        line = lines[i - 1].strip()
        if "\t" in line or "：" not in line:
            continue
        found = vocab.get(line.split("：", 1)[0])
        if found is not None:
            return found, i
    return None


def _percent(cell: str, where: str) -> float:
    m = _PERCENT.match(cell.replace(" ", ""))
    if not m:
        raise ReportMissingError(f"{where}：增速“{cell}”不是百分数，报告格式可能已变化。")
    return float(m.group(1))


def _int(cell: str, where: str) -> int:
    try:
        return int(cell)
    except ValueError as exc:
        raise ReportMissingError(f"{where}：“{cell}”不是整数，报告格式可能已变化。") from exc


def _check_ranks(ranks: list[int], where: str) -> None:
    if ranks != list(range(1, len(ranks) + 1)):
        raise ReportMissingError(f"{where}：排名不是从 1 开始的连续整数，报告格式可能已变化。")


def _parse(text: str, file: str) -> dict[str, pd.DataFrame]:
    lines = text.splitlines()
    blocks = _blocks(lines)

    # 1. Cluster top-3 industries: header 城市群 NO.1 NO.2 NO.3; its clusters are the cluster vocabulary.
    top3 = [b for b in blocks if b.header[:1] == ["城市群"] and b.header[1:2] == ["NO.1"]]
    if len(top3) != 1:
        raise ReportMissingError("报告中未找到（或找到多个）“城市群 NO.1 NO.2 NO.3”表，报告格式可能已变化。")
    industries = industry_vocabulary()
    top3_rows = []
    for offset, cells in enumerate(top3[0].rows[1:], start=1):
        line_no = top3[0].start + offset
        for pos, name in enumerate(cells[1:4], start=1):
            top3_rows.append(
                {
                    "cluster": cluster_canonical(cells[0]),
                    "position": pos,
                    "industry": industries.get(name) or name,
                    "industry_source": name,
                    "label_in_source": cells[0],
                    "table": TABLE_TITLES["cluster_top3_industries"],
                    "file": file,
                    "line": line_no,
                }
            )
    clusters = cluster_vocabulary(str(r["label_in_source"]) for r in top3_rows)

    # 2. City tables: the cluster is decided by the section heading above, never by the table's own label.
    city_rows: dict[str, list[dict]] = {"2021": [], "2022Q1": [], "growth": []}
    for block in blocks:
        measure = _CITY_HEADERS.get(block.header[0])
        if measure is None or not block.header[1].endswith("城市群"):
            continue
        heading = _heading(lines, block.start, clusters)
        if heading is None:
            raise ReportMissingError(
                f"{file} 第{block.start}行的排名表前没有城市群小标题，无法确定所属城市群。"
            )
        cluster, _ = heading
        title = f"{cluster} {block.header[0]}" + ("（" + GROWTH_NOTE + "）" if measure == "growth" else "")
        ranks = []
        for offset, cells in enumerate(block.rows[1:], start=1):
            line_no = block.start + offset
            where = f"{file} 第{line_no}行"
            row: dict = {"cluster": cluster, "rank": _int(cells[0], where), "city": cells[1]}
            if measure == "2022Q1":
                row["rank_change"] = _int(cells[2], where)
            elif measure == "growth":
                row["growth"] = _percent(cells[2], where)
                row["growth_text"] = cells[2]
            row.update({"label_in_source": block.header[1], "table": title, "file": file, "line": line_no})
            ranks.append(row["rank"])
            city_rows[measure].append(row)
        _check_ranks(ranks, f"{file} 第{block.start}行起的表")

    # 3. Province x industry: the industry is decided by the section heading above (工业：…, 金融：…).
    prov_vocab = province_vocabulary()
    prov_rows = []
    for block in blocks:
        measure = _PROVINCE_HEADERS.get(block.header[0])
        if measure is None or block.header[1:2] != ["省份"]:
            continue
        heading = _heading(lines, block.start, industries)
        if heading is None or heading[0] not in RANKED_INDUSTRIES:
            raise ReportMissingError(
                f"{file} 第{block.start}行的省份排名表前没有行业小标题，无法确定所属行业。"
            )
        industry = heading[0]
        label = "占比排名[2021]" if measure == "share" else f"增速排名（{GROWTH_NOTE}）"
        ranks = []
        for offset, cells in enumerate(block.rows[1:], start=1):
            line_no = block.start + offset
            where = f"{file} 第{line_no}行"
            prov_rows.append(
                {
                    "industry": industry,
                    "measure": measure,
                    "rank": _int(cells[0], where),
                    "province": prov_vocab.resolve(cells[1]),
                    "table": f"{industry} {label}",
                    "file": file,
                    "line": line_no,
                }
            )
            ranks.append(prov_rows[-1]["rank"])
        _check_ranks(ranks, f"{file} 第{block.start}行起的表")

    tables = {
        "city_rank_2021": pd.DataFrame(city_rows["2021"]),
        "city_rank_2022Q1": pd.DataFrame(city_rows["2022Q1"]),
        "city_growth": pd.DataFrame(city_rows["growth"]),
        "cluster_top3_industries": pd.DataFrame(top3_rows),
        "province_industry_rank": pd.DataFrame(prov_rows),
    }
    tables["city_overview"] = _overview(tables)
    for name, df in tables.items():
        if df.empty:
            raise ReportMissingError(f"报告中没有解析出表 {name}，报告格式可能已变化。")
    return tables


def _overview(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per city: both ranks, the change, growth rank and value, with the line of each source row."""
    keys = ["cluster", "city"]
    r21 = tables["city_rank_2021"][keys + ["rank", "line"]].rename(
        columns={"rank": "rank_2021", "line": "line_2021"}
    )
    r22 = tables["city_rank_2022Q1"][keys + ["rank", "rank_change", "line"]].rename(
        columns={"rank": "rank_2022Q1", "line": "line_2022Q1"}
    )
    gr = tables["city_growth"][keys + ["rank", "growth", "line"]].rename(
        columns={"rank": "growth_rank", "line": "line_growth"}
    )
    merged = r21.merge(r22, on=keys, how="outer", validate="one_to_one").merge(
        gr, on=keys, how="outer", validate="one_to_one"
    )
    missing = merged[merged[["rank_2021", "rank_2022Q1", "growth_rank"]].isna().any(axis=1)]
    if not missing.empty:
        raise ReportMissingError(
            f"这些城市没有同时出现在三张排名表中：{'、'.join(missing['city'])}，报告格式可能已变化。"
        )
    for col in ("rank_2021", "rank_2022Q1", "growth_rank", "line_2021", "line_2022Q1", "line_growth"):
        merged[col] = merged[col].astype(int)
    merged["rank_change"] = merged["rank_change"].astype(int)
    # The printed 排名变化 should equal rank_2021 - rank_2022Q1; the report breaks this in places (成渝).
    merged["change_consistent"] = (merged["rank_2021"] - merged["rank_2022Q1"]) == merged["rank_change"]
    merged["file"] = tables["city_rank_2021"]["file"].iloc[0]
    order = {c: i for i, c in enumerate(tables["city_rank_2021"]["cluster"].unique())}
    merged = merged.sort_values(
        ["cluster", "rank_2021"], key=lambda s: s.map(order) if s.name == "cluster" else s
    )
    return merged[
        [
            "cluster",
            "city",
            "rank_2021",
            "rank_2022Q1",
            "rank_change",
            "growth_rank",
            "growth",
            "change_consistent",
            "line_2021",
            "line_2022Q1",
            "line_growth",
            "file",
        ]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class _Parsed:
    tables: dict[str, pd.DataFrame]
    lines: tuple[str, ...]
    vocab: dict[str, Vocabulary]
    titles: dict[int, str]  # source line -> title of the table it belongs to


@lru_cache(maxsize=4)
def _parse_cached(path: str, mtime_ns: int, file: str) -> _Parsed:
    text = Path(path).read_text(encoding="utf-8")
    tables = _parse(text, file)
    vocab = {
        "city": city_vocabulary(tables["city_overview"]["city"]),
        "cluster": cluster_vocabulary(tables["cluster_top3_industries"]["label_in_source"].unique()),
        "province": province_vocabulary(),
        "industry": industry_vocabulary(),
    }
    titles = {
        int(line): str(title)
        for df in tables.values()
        if "table" in df
        for line, title in zip(df["line"], df["table"], strict=True)
    }
    return _Parsed(tables=tables, lines=tuple(text.splitlines()), vocab=vocab, titles=titles)


def _load(corpus_dir: Path | None) -> tuple[ReportSource, _Parsed]:
    src = report_source(corpus_dir)
    return src, _parse_cached(str(src.path), src.path.stat().st_mtime_ns, src.file)


def tables_readonly(corpus_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """The cached tables themselves (callers must not modify them); used by the query functions."""
    return _load(corpus_dir)[1].tables


def load_tables(corpus_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Named tables (copies, safe to modify), each with `file` and `line` provenance columns.

    Names: city_rank_2021, city_rank_2022Q1, city_growth, city_overview, cluster_top3_industries,
    province_industry_rank. Parsed once per report file version (path + mtime) and cached in memory.
    """
    return {name: df.copy() for name, df in tables_readonly(corpus_dir).items()}


def known_names(corpus_dir: Path | None = None) -> dict[str, Vocabulary]:
    """Vocabularies of the tables: city, cluster, province, industry (for lookups and question parsing)."""
    return _load(corpus_dir)[1].vocab


def table_title(line: int, corpus_dir: Path | None = None) -> str:
    """Title of the table a source line belongs to ("" for lines outside the tables)."""
    return _load(corpus_dir)[1].titles.get(int(line), "")


def source_line(line: int, corpus_dir: Path | None = None) -> str:
    """The text of 1-based `line` of the report, stripped (tabs kept, so it is a substring of the source)."""
    lines = _load(corpus_dir)[1].lines
    if not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()


def table_catalog(corpus_dir: Path | None = None) -> list[dict]:
    """One entry per named table: name, title, rows, source file and first/last source line."""
    src, parsed = _load(corpus_dir)
    out = []
    for name, df in parsed.tables.items():
        line_cols = [c for c in df.columns if c == "line" or c.startswith("line_")]
        out.append(
            {
                "name": name,
                "title": TABLE_TITLES[name],
                "rows": len(df),
                "file": src.file,
                "first_line": int(df[line_cols].min().min()),
                "last_line": int(df[line_cols].max().max()),
            }
        )
    return out
