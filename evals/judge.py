"""Optional LLM judge: asks the configured model whether an answer matches the expected one. Reported beside
the deterministic score (design.md `accept` rules), never instead of it."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core import prompts

_OBJECT = re.compile(r"\{.*?\}", re.S)


def judge_prompt(item: dict, answer: dict) -> str:
    text = answer.get("answer", "") if answer.get("answerable", True) else prompts.JUDGE_REFUSED
    return prompts.JUDGE_PROMPT.format(
        question=item["question"],
        kind=item["type"],
        expected=item.get("answer", "") or prompts.JUDGE_REFUSED,
        answer=text[:2000],
    )


def parse_verdict(reply: str) -> dict[str, Any]:
    """{"correct": bool | None, "reason": str} from the model's reply (a JSON object, or 正确/错误 first)."""
    for m in _OBJECT.finditer(reply or ""):
        try:
            data = json.loads(m.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("correct"), bool):
            return {"correct": data["correct"], "reason": str(data.get("reason", ""))[:300]}
    head = (reply or "").strip()[:4]
    if head.startswith(("正确", "对")):
        return {"correct": True, "reason": reply.strip()[:300]}
    if head.startswith(("错误", "不正确", "错")):
        return {"correct": False, "reason": reply.strip()[:300]}
    return {"correct": None, "reason": prompts.JUDGE_UNPARSED.format(reply=(reply or "").strip()[:120])}


def judge_answer(model: Any, item: dict, answer: dict) -> dict[str, Any]:
    """The model's verdict on one answer; a failing model gives correct=None (the run goes on)."""
    try:
        reply = model.complete(judge_prompt(item, answer), system=prompts.JUDGE_SYSTEM)
    except Exception as exc:  # noqa: BLE001 - one failed verdict must not end the run
        return {"correct": None, "reason": prompts.JUDGE_FAILED.format(error=f"{type(exc).__name__}: {exc}")}
    return parse_verdict(reply)
