"""Integration tier: the regression gate over the real engine (dev and blind against the committed baselines,
and a planted regression that must fail it readably), the `eval` CLI's history, comparison and baseline
commands, and one run scoring the LLM engine and the offline engine side by side with an LLM judge (over
HTTP against the replay server)."""

from __future__ import annotations

import json

import pytest

from bot.answer.engine import Engine
from bot.app.cli import main
from bot.app.eval_history import EvalHistory
from bot.core import prompts
from bot.core.settings import Settings
from evals import compare as compare_mod
from evals.compare import GATED, baseline_path, gate, read_report, restrict
from evals.dataset import load_dataset
from evals.gate import check
from evals.runner import evaluate
from tests.llm_server import ReplayServer

pytestmark = pytest.mark.slow


@pytest.mark.gate
@pytest.mark.parametrize("name", GATED)
def test_gate_against_committed_baseline(settings, engine, name):
    """`make test` fails here when a headline metric dropped by more than one item's worth; the message names
    the metric and the items that flipped. Refresh on purpose: python -m bot eval --update-baseline."""
    result = check(settings, name, engine=engine)
    assert result.passed, result.message
    written = read_report(baseline_path(name)).get("dataset", {}).get("hash")
    assert written in (None, result.report["dataset"]["hash"]), (
        f"{name}: the dataset changed since its baseline; run python -m bot eval --update-baseline"
    )


def test_planted_regression_fails_the_gate_with_a_readable_message(settings, retriever):
    """An engine setting that breaks ranking answers (the tool layer switched off) must fail the gate."""
    broken = settings.model_copy(update={"engine": settings.engine.model_copy(update={"table_tools": False})})
    items = [it for it in load_dataset("dev") if it["type"] == "ranking"]
    baseline = restrict(read_report(baseline_path("dev")), {it["id"] for it in items})
    report = evaluate(broken, items, engine=Engine(broken, retriever=retriever), name="dev")
    passed, message = gate(report, baseline, "dev", "evals/reports/dev-baseline.json")
    assert not passed
    before = baseline["aggregate"]["answer_accuracy"]
    assert message.startswith("评测门槛未通过（dev）：")
    assert f"答案准确率从 {before:.3f} 降到 {report['aggregate']['answer_accuracy']:.3f}" in message
    lost = [r["id"] for r in report["items"] if r["correct"] is False]
    assert len(lost) > 10 and lost[0] in message and "新答错" in message
    assert "evals/reports/dev-baseline.json" in message and "--update-baseline" in message


@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path):
    """The CLI over the session index, with baselines written to a temporary folder."""
    from bot.core.settings import get_settings

    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    monkeypatch.setattr(compare_mod, "REPORTS_DIR", tmp_path / "reports")
    get_settings.cache_clear()
    items = [it for it in load_dataset("dev") if it["type"] in ("ranking", "unanswerable")][:6]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(json.dumps(it, ensure_ascii=False) for it in items) + "\n", encoding="utf-8")
    return small


def test_cli_history_compare_and_deliberate_baseline_update(cli_env, tmp_path, capsys, monkeypatch):
    small = cli_env
    assert main(["eval", "--dataset", str(small)]) == 0
    assert "已记入评测历史：运行 #1" in capsys.readouterr().out
    assert main(["eval", "--dataset", str(small), "--compare", "1", "--csv", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "与运行 #1对比" in out and "新答错 0 题，新答对 0 题" in out
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith("id,type,question")
    assert main(["eval", "--history"]) == 0
    listing = capsys.readouterr().out
    assert "#1" in listing and "#2" in listing and "small" in listing and "cli" in listing
    assert main(["eval", "--compare", "2", "1"]) == 0
    assert "与运行 #1对比" in capsys.readouterr().out
    assert main(["eval", "--compare", "99"]) == 2
    assert "没有编号为 99 的运行" in capsys.readouterr().err

    # The gate needs a baseline, which only the deliberate command writes.
    assert main(["eval", "--gate", "--dataset", str(small)]) == 3
    assert "没有 small 的基线" in capsys.readouterr().out
    assert main(["eval", "--update-baseline", "--dataset", str(small)]) == 0
    assert "基线已写入" in capsys.readouterr().out
    written = json.loads((tmp_path / "reports" / "small-baseline.json").read_text(encoding="utf-8"))
    assert written["code_version"] and written["dataset"]["name"] == "small" and len(written["items"]) == 6
    assert main(["eval", "--gate", "--dataset", str(small)]) == 0
    assert "评测门槛通过（small）" in capsys.readouterr().out
    runs = EvalHistory(tmp_path / "data").runs()
    assert [r.origin for r in runs] == ["baseline", "cli", "cli"]

    # A planted regression through the environment, as CI would see it: exit code 3 and the flipped items.
    monkeypatch.setenv("BOT_ENGINE__TABLE_TOOLS", "false")
    from bot.core.settings import get_settings

    get_settings.cache_clear()
    assert main(["eval", "--gate", "--dataset", str(small)]) == 3
    out = capsys.readouterr().out
    assert (
        "评测门槛未通过（small）" in out
        and "答案准确率从" in out
        and "新答错" in out
        and "dev-rank-001" in out
    )


def test_llm_and_offline_side_by_side_with_a_judge_beside_the_score(settings, retriever):
    c2b = "Consumer to Business"
    items = [
        {
            "id": "s-1",
            "question": "产业互联网的C2B是什么意思？",
            "type": "fact",
            "answer": c2b,
            "accept": [c2b],
        },
        {"id": "s-2", "question": "火星上有多少人口？", "type": "unanswerable", "answer": "", "accept": []},
    ]

    def reply(text: str) -> dict:
        return {"body": {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}}

    responses = [
        reply("C2B 即 Consumer to Business，由消费者需求驱动生产[P1]。"),
        reply('{"correct": true, "reason": "与参考答案一致"}'),
        reply(prompts.NOT_IN_CORPUS + "。"),
        reply('{"correct": false, "reason": "没有给出数字"}'),  # the judge disagrees with the score
    ]
    with ReplayServer(responses) as server:
        llm = {"base_url": server.url, "api_key": "sk-test", "model": "replay-model", "max_retries": 0}
        s = Settings(paths=settings.paths.model_dump(), retrieval=settings.retrieval.model_dump(), llm=llm)
        report = evaluate(s, items, engine=Engine(s, retriever=retriever), side_by_side=True, judge=True)
        bodies = server.bodies()
    assert len(bodies) == 4 and bodies[1]["messages"][0]["content"] == prompts.JUDGE_SYSTEM
    assert "参考答案：Consumer to Business" in bodies[1]["messages"][1]["content"]
    assert report["settings"]["mode"] == "llm" and report["settings"]["model"] == "replay-model"
    first, second = report["items"]
    assert first["answer"]["mode"] == "llm" and first["correct"] and second["correct"]
    assert first["judge"]["correct"] is True and second["judge"]["correct"] is False
    assert report["aggregate"]["answer_accuracy"] == 1.0  # the judge never replaces the score
    assert report["aggregate"]["llm_judge"] == {"n": 2, "accuracy": 0.5, "agreement": 0.5}
    assert first["offline"]["answerable"] and "offline" in report["side_by_side"]
    offline = report["side_by_side"]["offline"]
    assert offline["n"] == 2 and offline["answer_accuracy"] == (
        sum(r["offline"]["correct"] for r in report["items"]) / 2
    )
