"""The briefing chart as a PNG, drawn with matplotlib (Agg) in a CJK font found through its font manager. When
no installed font has every character needed, bars and series are labelled with ASCII keys and the documents
print the key -> name legend, so the picture never shows tofu boxes."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.briefing.model import Chart
from bot.core import prompts

_BASE = "#7fa7d1"
_STRONG = "#d1495b"
_SERIES = ("#4c78a8", "#f58518")
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@dataclass
class RenderedChart:
    png: bytes
    legend: list[tuple[str, str]] = field(default_factory=list)  # (key in the picture, name), fallback only
    font: str | None = None  # the CJK family used, None when labels are ASCII keys
    shown: list[str] = field(default_factory=list)  # every text drawn in the picture


@lru_cache(maxsize=8)
def find_cjk_font(families: tuple[str, ...]) -> str | None:
    """The first of `families` that matplotlib's font manager has installed (exact family name), else any
    installed family whose name says CJK / Han / Hei / Song."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in families:
        if name in installed:
            return name
    for name in sorted(installed):
        if any(k in name for k in ("CJK", "Han Sans", "Hei", "Song", "Ming")):
            return name
    return None


def covers(family: str, text: str) -> bool:
    """Whether the font of `family` has a glyph for every character of `text`."""
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = font_manager.get_font(path)
    return all(ch.isspace() or font.get_char_index(ord(ch)) != 0 for ch in set(text))


def render(chart: Chart, families: tuple[str, ...], dpi: int = 150) -> RenderedChart:
    """Horizontal bars (one or two series), value at the end of each bar; the subject's bars highlighted."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    labels = chart.labels
    names = [s.name for s in chart.series]
    with _LOCK:
        family = find_cjk_font(tuple(families))
        text = "".join(labels + names + [chart.axis])
        if family is not None and not covers(family, text):
            family = None
        legend: list[tuple[str, str]] = []
        if family is None:  # ASCII keys: 1, 2, 3… for bars, A, B for series; the documents print the legend
            keys = [str(i) for i in range(1, len(labels) + 1)]
            legend = list(zip(keys, labels, strict=True))
            series_keys = [chr(ord("A") + i) for i in range(len(names))]
            legend += [(k, n) for k, n in zip(series_keys, names, strict=True) if n]
            shown, shown_names, axis = keys, series_keys, prompts.BRIEF_AXIS_ASCII
        else:
            shown, shown_names, axis = labels, names, chart.axis
        font: dict[str, Any] = {"family": family} if family else {}

        n, k = len(labels), max(1, len(chart.series))
        fig = Figure(figsize=(4.2, max(1.6, 0.22 * n * (1 + 0.55 * (k - 1)) + 0.7)), dpi=dpi)
        ax = fig.add_subplot()
        height = 0.8 / k
        top = max((b.value for s in chart.series for b in s.bars), default=1.0)
        for j, series in enumerate(chart.series):
            by_label = {b.label: b for b in series.bars}
            for i, label in enumerate(labels):
                bar = by_label.get(label)
                if bar is None:
                    continue
                y = i + (j - (k - 1) / 2) * height
                color = _SERIES[j % 2] if k > 1 else (_STRONG if bar.strong else _BASE)
                ax.barh(
                    y, bar.value, height=height * 0.9, color=color, label=shown_names[j] if i == 0 else None
                )
                value = f"{bar.value:.0f}" if chart.lower_is_better else f"{bar.value:.1f}"
                ax.text(bar.value + top * 0.01, y, value, va="center", fontsize=8)
        ax.set_yticks(range(n))
        ax.set_yticklabels(shown, fontsize=9.5, **font)
        for tick, label in zip(ax.get_yticklabels(), labels, strict=True):
            if any(b.strong and b.label == label for s in chart.series for b in s.bars) and k == 1:
                tick.set_fontweight("bold")
        ax.invert_yaxis()
        ax.set_xlabel(axis, fontsize=9, **font)
        ax.set_xlim(0, top * 1.12)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        if k > 1:
            handles, _ = ax.get_legend_handles_labels()
            ax.legend(handles, shown_names, loc="lower right", prop={"size": 7, **font})
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    drawn = [t.get_text() for t in ax.get_yticklabels()] + [ax.get_xlabel()] + list(shown_names)
    return RenderedChart(png=buf.getvalue(), legend=legend, font=family, shown=drawn)
