"""The benchmark's contenders agree with callqa on every score and grade (no timing here)."""

from __future__ import annotations

import pytest

from bench.contenders import hand_loop, hand_unrolled, zen_scorer
from bench.data import columns, evaluations, large_policy
from bench.rubric import POLICY_TEXT, RUBRIC_ID
from callqa.dsl.check import check_text
from callqa.engine import load_policy

ROWS = evaluations(2000, seed=11)


def callqa_scores() -> list[tuple[float, str]]:
    policy = load_policy(text=POLICY_TEXT)
    return [(r.score, r.grade or "") for r in (policy.score(RUBRIC_ID, row) for row in ROWS)]


def test_hand_written_scorers_agree_with_callqa() -> None:
    expected = callqa_scores()
    assert [hand_loop(r) for r in ROWS] == expected
    assert [hand_unrolled(r) for r in ROWS] == expected
    assert len({s for s, _ in expected}) > 20  # the data exercises many different scores
    assert any(s == 0.0 for s, _ in expected)  # and red lines


def test_score_many_agrees_with_score() -> None:
    batch = load_policy(text=POLICY_TEXT).score_many(RUBRIC_ID, columns(ROWS))
    assert list(zip(batch.scores, batch.grades, strict=True)) == callqa_scores()
    assert batch.errors == {}


def test_zen_engine_agrees_with_callqa() -> None:
    pytest.importorskip("zen")
    zen = zen_scorer()
    assert [zen(r) for r in ROWS[:500]] == callqa_scores()[:500]


def test_the_large_benchmark_policy_checks_clean() -> None:
    text = large_policy(500)
    assert text.count("\n") >= 500
    _, diagnostics = check_text(text, "large.policy")
    assert [d for d in diagnostics if d.is_error] == []


def test_replay_benchmark_engine_agrees_with_the_hand_written_streaming_rules() -> None:
    import datetime as dt
    from collections import Counter

    from bench.events_data import POLICY_TEXT as EVENTS_POLICY
    from bench.events_data import events
    from bench.events_hand import HandWritten
    from callqa.engine.runtime.engine import Engine

    # 500 events per agent a year, as in the 1,000,000-event replay: agents have enough
    # complaints that both the monthly and the yearly rule act
    data = events(20000, agents=20)
    end = data[-1]["at"] + dt.timedelta(days=2)
    hand = HandWritten()
    for event in data:
        hand.feed(event)
    hand.finish(end)
    engine = Engine(load_policy(text=EVENTS_POLICY))
    decisions = engine.feed_all(data) + engine.advance(end)
    ours = sorted((d.kind, d.action or "", d.subject, d.at) for d in decisions)
    assert ours == sorted(hand.out)
    assert {kind for kind, *_ in ours} == {"action", "sample", "shortfall"}
    off = [d for d in decisions if d.action == "off_floor"]
    assert {d.rule for d in off} == {"d.complaints_month", "d.complaints_year"}
    # what brought one action brings it no more: no complaint is evidence twice
    spent = Counter(complaint for d in off for complaint in d.evidence)
    assert set(spent.values()) == {1}
