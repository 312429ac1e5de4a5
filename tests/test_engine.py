"""Offline answer engine on the real index: contract, citations, refusals, follow-ups, bad input; ask/eval
CLI (briefings: tests/test_briefing.py)."""

from __future__ import annotations

import json

import pytest

from bot.app.cli import main
from bot.core import prompts
from bot.core.errors import InputError
from bot.core.schema import Answer
from bot.index.ingest import squash
from evals.metrics import answer_correct

pytestmark = pytest.mark.slow


def _chunk_text(engine, chunk_id: str) -> str:
    return next(c.text for c in engine.retriever.chunks if c.chunk_id == chunk_id)


def test_prose_answer_quotes_the_corpus_with_checked_citations(engine):
    ans = engine.ask("数字化转型指数由哪几个层次的指数加权平均而得？")
    assert isinstance(ans, Answer) and ans.answerable and ans.mode == "offline"
    assert "基础设施" in ans.answer and ans.citations
    for c in ans.citations:
        assert squash(c.quote) in squash(_chunk_text(engine, c.chunk_id))
        assert c.title and c.doc_id and c.line
    assert ans.latency_ms > 0


def test_offline_mode_is_named_by_what_its_answers_are(engine):
    # The page's badge and the CLI banner: offline prose answers quote the sources.
    assert engine.mode_label() == prompts.MODE_OFFLINE == "离线：摘录原文"
    assert prompts.MODE_BADGE.format(mode=engine.mode_label()) == "当前模式：离线：摘录原文"


def test_answer_object_matches_the_contract(engine):
    data = engine.ask("C2B2B是什么意思？").model_dump()
    for key in ("question", "answer", "answerable", "citations", "tool_calls", "mode", "latency_ms"):
        assert key in data
    for c in data["citations"]:
        assert set(c) >= {"doc_id", "title", "section", "quote", "chunk_id", "score"}


def test_ranking_question_goes_through_the_tools_and_cites_the_table_row(engine):
    ans = engine.ask("关中平原增速前五的平均值？")
    assert ans.tool_calls and ans.answerable
    assert prompts.GROWTH_NOTE[:4] in ans.answer or "两年同比增速均值" in ans.answer
    assert any(c.line for c in ans.citations)


@pytest.mark.parametrize(
    "question",
    [
        "拉萨市的数字化转型指数同比增速是多少？",
        "2024年我国数字经济规模占GDP比重是多少？",
        "呼包鄂榆城市群2022Q1排名第一的城市是哪个？",
    ],
)
def test_questions_outside_the_corpus_are_refused(engine, question):
    ans = engine.ask(question)
    assert ans.answerable is False
    assert answer_correct({"type": "unanswerable"}, ans.model_dump())


@pytest.mark.parametrize(
    "question", ["青海大通县的智慧农业项目一共投入了多少资金？", "永辉生活2023年全年的到家订单有多少单？"]
)
def test_how_many_without_a_number_for_that_year_is_refused(engine, question):
    ans = engine.ask(question)
    assert ans.answerable is False, ans.answer


def test_refusal_shows_related_passages(engine):
    ans = engine.ask("2024年我国数字经济规模占GDP比重是多少？")
    assert ans.answer.startswith(prompts.NOT_IN_CORPUS) and ans.related


def test_follow_up_takes_the_subject_from_the_conversation(engine):
    first = "郑州在中原城市群2021年排第几？"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": engine.ask(first).answer}]
    ans = engine.ask("那它的增速呢？", history=history)
    assert "郑州" in ans.answer and "%" in ans.answer


def test_offline_stream_yields_text_then_the_answer(engine):
    pieces = list(engine.stream("C2B2B是什么意思？"))
    assert isinstance(pieces[-1], Answer) and pieces[-1].answerable
    assert all(isinstance(p, str) for p in pieces[:-1]) and "".join(pieces[:-1]).strip()


def test_compound_question_answers_both_parts(engine):
    ans = engine.ask("成渝2022Q1排名第五的城市？关中平原增速最快的城市？")
    assert "南充" in ans.answer and "运城" in ans.answer


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x07"])
def test_empty_input_is_an_input_error(engine, bad):
    with pytest.raises(InputError):
        engine.ask(bad)


def test_very_long_input_still_answers(engine):
    ans = engine.ask("产业互联网" * 3000)
    assert isinstance(ans, Answer)


@pytest.fixture
def session_env(settings, monkeypatch):
    from bot.core.settings import get_settings

    monkeypatch.setenv("BOT_PATHS__INDEX_DIR", str(settings.paths.index_dir))
    get_settings.cache_clear()


def test_cli_ask_text_and_json(session_env, capsys):
    assert main(["ask", "成渝2022Q1排名第五的城市？"]) == 0
    out = capsys.readouterr().out
    assert "南充" in out and "来源" in out and "city_at_rank" in out
    assert main(["ask", "数字化转型指数由哪几个层次构成？", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "offline" and data["citations"]


def test_cli_ask_llm_without_configuration_says_what_to_do(session_env, capsys):
    assert main(["ask", "你好", "--llm"]) == 1
    assert "OPENAI_BASE_URL" in capsys.readouterr().err


def test_cli_eval_writes_the_documented_json(session_env, tmp_path, capsys):
    from bot.core.settings import REPO_ROOT

    lines = (REPO_ROOT / "evals/datasets/dev.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    small = tmp_path / "small.jsonl"
    pick = [
        next(r for r in rows if r["type"] == t) for t in ("ranking", "calc", "fact", "multi", "unanswerable")
    ]
    small.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in pick), encoding="utf-8")
    report = tmp_path / "report.json"
    assert main(["eval", "--dataset", str(small), "--json", str(report)]) == 0
    agg = json.loads(report.read_text(encoding="utf-8"))["aggregate"]
    for key in (
        "n",
        "retrieval_hit@1",
        "retrieval_hit@3",
        "retrieval_hit@5",
        "mrr",
        "answer_accuracy",
        "false_refusal_rate",
        "latency_ms",
        "by_type",
    ):
        assert key in agg
    assert agg["n"] == 5 and set(agg["by_type"]) == {"ranking", "calc", "fact", "multi", "unanswerable"}
    assert "answer_accuracy" in agg["by_type"]["fact"] and "retrieval_hit@5" in agg["by_type"]["fact"]


def test_cli_eval_rejects_a_broken_dataset(session_env, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q", "type": "ranking"}\n{broken\n', encoding="utf-8")
    assert main(["eval", "--dataset", str(bad)]) == 2
    assert "第 2 行" in capsys.readouterr().err


def test_essay_author_comes_from_the_byline_heading(engine):
    ans = engine.ask("《产业互联网是产业升级的宽平大道》的作者是谁？")
    assert ans.answerable and "陈清泰" in ans.answer and ans.citations


def test_essay_credited_by_its_closing_note(engine):
    ans = engine.ask("“产业互联网及其实体经济赋能”是谁写的？")
    assert "李晓华" in ans.answer


def test_essay_credited_to_a_team_names_the_team(engine):
    ans = engine.ask("“开源：产业互联网的加速器”这篇文章的作者是谁？")
    assert "产业互联网联合课题组" in ans.answer


def test_enumerated_answer_lists_the_items(engine):
    ans = engine.ask("我国发展数字经济有哪五点特色优势？")
    for item in ("制度体系", "市场空间", "平台企业", "工业体系", "人力资源"):
        assert item in ans.answer
    assert len(ans.citations) >= 5


def test_a_slide_bullet_answers_a_how_long_question(engine):
    ans = engine.ask("富驰高科每个产品的AI质检要多长时间？")
    assert ans.answerable and "4秒" in ans.answer


def test_later_part_of_a_compound_question_keeps_the_subject(engine):
    ans = engine.ask("瑞泰马钢的单位产值能耗降到了多少？生产效率提升了多少？")
    assert "35kg" in ans.answer and "30%" in ans.answer


def test_list_announced_and_begun_in_one_sentence(engine):
    ans = engine.ask("企业数字化转型的问题具体体现在哪四个方面？")
    for item in ("不会转", "不能转", "不愿转", "不敢转"):
        assert item in ans.answer
    assert "数据安全隐患" in ans.answer  # short items are quoted whole, not cut at the first comma


def test_who_question_quotes_the_speaker_named_before_the_claim(engine):
    ans = engine.ask("中国在产业数字化核心层面弱于全球领先水平，这是谁的判断？")
    assert "李三希" in ans.answer and len(ans.citations) >= 2


def test_share_computed_from_passage_numbers(engine):
    ans = engine.ask("瑞幸通过企业微信连接的180万用户中，加入门店社群的比例是多少？")
    assert "61.1%" in ans.answer and ans.tool_calls[0].name == "share_from_text"
