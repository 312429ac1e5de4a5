"""The regression gate: run a gated set (dev, blind) and check it against its committed baseline; write a new
baseline only when asked (`python -m bot eval --update-baseline`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import prompts
from bot.core.settings import REPO_ROOT, Settings
from evals.compare import baseline_path, gate, read_report, slim
from evals.dataset import load_dataset
from evals.runner import evaluate


@dataclass
class GateResult:
    name: str
    passed: bool
    message: str
    report: dict


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def check(
    settings: Settings,
    name: str,
    engine: Any = None,
    retriever: Any = None,
    baseline: Path | None = None,
    items: list[dict] | None = None,
) -> GateResult:
    """Evaluate dataset `name` and gate it against its baseline (evals/reports/<name>-baseline.json)."""
    path = baseline or baseline_path(name)
    if not path.exists():
        return GateResult(name, False, prompts.GATE_NO_BASELINE.format(name=name, path=_label(path)), {})
    old = read_report(path)
    report = evaluate(settings, items or load_dataset(name), engine=engine, retriever=retriever, name=name)
    passed, message = gate(report, old, name, _label(path))
    return GateResult(name, passed, message, report)


def write_baseline(report: dict, name: str, path: Path | None = None) -> Path:
    """Write `report` (slimmed) as the baseline of `name`."""
    path = path or baseline_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(slim(report), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
