"""Reading staff's own CSV files for the index method, with checks that explain every problem in Chinese."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from tools.errors import ToolError

SAMPLES = Path(__file__).resolve().parent / "samples"  # example CSV files for the calculator
MAX_PROBLEMS = 5  # problems listed in one message; the rest are counted
MAX_CSV_BYTES = 5_000_000  # a staff CSV is kilobytes; larger input is refused, never read whole


def read_csv(path: str | Path, what: str) -> pd.DataFrame:
    """A UTF-8 comma-separated file with a header row, as a DataFrame of stripped strings.

    `what` names the file's role in messages (e.g. 指标数据). Raises ToolError when the file is missing,
    not a regular file (a device or pipe), larger than MAX_CSV_BYTES, empty, not UTF-8, not a CSV, has
    ragged rows, duplicate or empty column names, or no data rows.
    """
    path = Path(path)
    if not path.exists():
        raise ToolError(f"{what}文件 {path} 不存在，请检查路径。")
    if path.is_dir():
        raise ToolError(f"{what}路径 {path} 是一个文件夹，请给出 CSV 文件。")
    if not path.is_file():
        raise ToolError(f"{what}路径 {path} 不是普通文件（可能是设备或管道），请给出 CSV 文件。")
    limit = f"{MAX_CSV_BYTES // 1_000_000} MB"
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ToolError(f"{what}文件 {path.name} 超过 {limit}，不像是指标表格，请检查是否选错了文件。")
    with open(path, "rb") as fh:
        raw = fh.read(MAX_CSV_BYTES + 1)  # a file growing while it is read is still bounded
    if len(raw) > MAX_CSV_BYTES:
        raise ToolError(f"{what}文件 {path.name} 超过 {limit}，不像是指标表格，请检查是否选错了文件。")
    if not raw.strip():
        raise ToolError(f"{what}文件 {path.name} 为空，请提供带表头的 CSV。")
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ToolError(
            f"{what}文件 {path.name} 看起来是 Excel 文件，请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”。"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ToolError(
            f"{what}文件 {path.name} 不是 UTF-8 编码（第 {exc.start + 1} 个字节无法解码，"
            "可能是 GBK），请另存为 UTF-8 编码的 CSV。"
        ) from exc
    if "\x00" in text:
        raise ToolError(f"{what}文件 {path.name} 含有二进制内容，不是文本 CSV。")
    return parse_csv_text(text, what, path.name)


def parse_csv_text(text: str, what: str, name: str = "输入") -> pd.DataFrame:
    """Parse CSV text (see read_csv)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ToolError(f"{what}（{name}）为空，请提供带表头的 CSV。")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True))
    except csv.Error as exc:
        raise ToolError(f"{what}（{name}）不是有效的 CSV：{exc}。") from exc
    header = [h.strip() for h in rows[0]]
    if len(header) < 2:
        sep = "制表符" if "\t" in lines[0] else ("分号" if ";" in lines[0] else "")
        hint = f"（表头似乎用{sep}分隔，请改用逗号）" if sep else ""
        raise ToolError(f"{what}（{name}）不是逗号分隔的 CSV：表头只有一列{hint}。")
    if any(not h for h in header):
        raise ToolError(f"{what}（{name}）的表头有空列名，请给每一列命名。")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise ToolError(f"{what}（{name}）的表头有重复列名：{'、'.join(dup)}。")
    body = rows[1:]
    if not body:
        raise ToolError(f"{what}（{name}）只有表头，没有数据行。")
    ragged = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
    if ragged:
        shown = "、".join(str(n) for n in ragged[:MAX_PROBLEMS])
        raise ToolError(
            f"{what}（{name}）第 {shown} 行的列数与表头（{len(header)} 列）不一致，请检查是否多了或少了逗号。"
        )
    return pd.DataFrame([[c.strip() for c in r] for r in body], columns=header)


def numeric_frame(
    df: pd.DataFrame, what: str, id_label: str = "名称", allow_negative: bool = False
) -> pd.DataFrame:
    """First column as the row names (must be unique and non-empty), the other columns as floats.

    Lists non-numeric or empty cells with their row (file line) and column; rejects negative values
    unless allowed.
    """
    if df.shape[1] < 2:
        raise ToolError(f"{what}至少需要两列：第一列为{id_label}，其余为数值列。")
    ids = df.iloc[:, 0].astype(str).str.strip()
    if (ids == "").any():
        lines = [str(i + 2) for i in ids.index[ids == ""]]
        raise ToolError(f"{what}第 {'、'.join(lines[:MAX_PROBLEMS])} 行的{id_label}为空。")
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        raise ToolError(f"{what}中{id_label}重复：{'、'.join(dup[:MAX_PROBLEMS])}。")
    values = df.iloc[:, 1:]
    problems: list[str] = []
    infinite: list[str] = []
    out = pd.DataFrame(index=pd.Index(ids, name=df.columns[0]))
    for col in values.columns:
        parsed = []
        for row_no, cell in enumerate(values[col], start=2):
            try:
                x = float(str(cell).strip())
            except ValueError:
                problems.append(
                    f"第{row_no}行“{col}”列的“{cell}”" if str(cell).strip() else f"第{row_no}行“{col}”列为空"
                )
                x = math.nan
            else:
                if not math.isfinite(x):  # inf, nan, or a number too large for a float (1e999)
                    infinite.append(f"第{row_no}行“{col}”列的“{cell}”")
            parsed.append(x)
        out[col] = parsed
    if problems:
        more = f"等 {len(problems)} 处" if len(problems) > MAX_PROBLEMS else ""
        raise ToolError(f"{what}有非数字的单元格：{'；'.join(problems[:MAX_PROBLEMS])}{more}，请改为数字。")
    if infinite:
        more = f"等 {len(infinite)} 处" if len(infinite) > MAX_PROBLEMS else ""
        raise ToolError(
            f"{what}有无穷大、非数值或超出范围的数：{'；'.join(infinite[:MAX_PROBLEMS])}{more}，请改为有限的数字。"
        )
    if not allow_negative:
        neg = [(i, c) for c in out.columns for i in out.index[out[c] < 0]]
        if neg:
            shown = "；".join(f"“{i}”的“{c}”" for i, c in neg[:MAX_PROBLEMS])
            raise ToolError(f"{what}不能有负数：{shown}。")
    return out


def mapping_frame(df: pd.DataFrame, what: str, key: str, value: str) -> dict[str, str]:
    """A two-column table (key -> value, e.g. indicator -> layer) as a dict; keys unique and non-empty."""
    if df.shape[1] != 2:
        raise ToolError(
            f"{what}应有两列（{key}、{value}），实际有 {df.shape[1]} 列：{'、'.join(df.columns)}。"
        )
    keys = df.iloc[:, 0].astype(str).str.strip()
    vals = df.iloc[:, 1].astype(str).str.strip()
    if (keys == "").any() or (vals == "").any():
        raise ToolError(f"{what}有空单元格，每行都需要{key}和{value}。")
    dup = sorted(set(keys[keys.duplicated()]))
    if dup:
        raise ToolError(f"{what}中{key}重复：{'、'.join(dup)}。")
    return dict(zip(keys, vals, strict=True))


def weights_series(df: pd.DataFrame, what: str = "权重表") -> pd.Series:
    """A two-column table (name, weight) as a Series of non-negative floats with a positive total."""
    if df.shape[1] != 2:
        raise ToolError(f"{what}应有两列（名称、权重），实际有 {df.shape[1]} 列：{'、'.join(df.columns)}。")
    frame = numeric_frame(df, what, id_label="名称")
    series = frame.iloc[:, 0]
    if float(series.sum()) <= 0:
        raise ToolError(f"{what}的权重合计为 0，无法加权平均。")
    return series
