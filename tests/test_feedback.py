"""The coaching loop (issue 19, point 7; seed 000): feedback given by team leads and QA is
an event, and a threshold per giver measures its balance — positive:negative about 3:1,
alerting below. A giver's feedback reaches agents of many teams: replayed in parts, the
giver's tallies are merged as one replay counts them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.engine import load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.simulation.partition import simulate_partitioned
from callqa.engine.simulation.simulate import simulate

ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = """policy "t" version "1" timezone "Asia/Shanghai"
threshold balance "表扬与纠正之比" {
  per giver per month
  value count(feedback where feedback.positive)
  alert 主管 when value < 3 * count(feedback where not feedback.positive)
}
"""
POLICY = load_policy(text=RULES, file="t.policy")
END = dt.datetime(2026, 12, 1, 1, tzinfo=ZONE)


def feedback(n: int, agent: str, by: str, positive: bool, day: int) -> dict[str, Any]:
    return {"kind": "feedback", "id": f"f{n}", "agent": agent, "team": f"T{agent[-1]}",
            "by": by, "positive": positive, "text": "x",
            "at": dt.datetime(2026, 11, day, 10, tzinfo=ZONE)}  # fmt: skip


givings = st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3", "A4"]),
                             st.sampled_from(["班长王", "质检李"]), st.booleans(),
                             st.integers(1, 30)), max_size=25)  # fmt: skip


def history(given_feedback: list[tuple[str, str, bool, int]]) -> list[dict[str, Any]]:
    events = [feedback(n, *given) for n, given in enumerate(given_feedback)]
    return sorted(events, key=lambda e: (e["at"], e["id"]))


@settings(max_examples=50, deadline=None)
@given(givings)
def test_each_giver_is_alerted_exactly_when_praise_is_under_three_per_correction(
    given_feedback: list[tuple[str, str, bool, int]],
) -> None:
    events = history(given_feedback)
    expected = set()
    for giver in ("班长王", "质检李"):
        theirs = [e for e in events if e["by"] == giver]
        praise = sum(e["positive"] for e in theirs)
        if theirs and praise < 3 * (len(theirs) - praise):
            expected.add(giver)
    for fast in (True, False):  # the written-out path of plain events, and the general one
        engine = Engine(POLICY, fast_paths=fast)
        decisions = engine.feed_all(events) + engine.advance(END)
        assert {d.subject for d in decisions if d.kind == "alert"} == expected


@settings(max_examples=30, deadline=None)
@given(givings, st.integers(2, 5))
def test_a_givers_feedback_across_parts_merges_as_one_replay_counts_it(
    given_feedback: list[tuple[str, str, bool, int]], partitions: int
) -> None:
    events = history(given_feedback)
    stricter = load_policy(text=RULES.replace("value < 3 *", "value < 4 *"), file="t.policy")
    whole = simulate(stricter, POLICY, events, until=END)
    assert simulate_partitioned(stricter, POLICY, events, partitions, until=END).to_dict() == (
        whole.to_dict()
    )


def test_a_threshold_names_who_it_is_per() -> None:
    _, found = check_text(RULES.replace("per giver", "per lead"), "t.policy")
    [problem] = [d for d in found if d.is_error]
    assert "per team, per agent, per evaluator or per giver (of feedback)" in problem.message
    assert problem.line == 3
