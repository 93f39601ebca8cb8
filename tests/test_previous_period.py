"""Recognition by change over periods (issue 19, point 7; seed 004): an alert may compare
a period's value with the subject's value in the period just before (`previous`), so the
most improved agent is recognised, not only the top scorer. A subject with no data in the
period before has no `previous`, and the alert does not hold. Replayed in parts, a team's
periods are merged, then judged in order, as one replay judges them."""

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
threshold improved "进步之星" {
  per agent per month
  value avg(survey.rating)
  alert 主管 when value - previous >= 1
}
threshold team_better "班组进步" {
  per team per week
  value count(survey where survey.satisfied) / count(survey)
  alert 主管 when value > previous
}
"""
POLICY = load_policy(text=RULES, file="t.policy")
END = dt.datetime(2027, 1, 1, 1, tzinfo=ZONE)


def survey(n: int, agent: str, rating: int, month: int, day: int) -> dict[str, Any]:
    return {"kind": "survey", "id": f"s{n}", "agent": agent, "team": f"T{int(agent[1:]) % 2}",
            "rating": rating, "satisfied": rating >= 4,
            "at": dt.datetime(2026, month, day, 10, tzinfo=ZONE)}  # fmt: skip


def alerts(events: list[dict[str, Any]], rule: str) -> list[tuple[str, str]]:
    events = sorted(events, key=lambda e: (e["at"], e["id"]))
    engine = Engine(POLICY)
    decisions = engine.feed_all(events) + engine.advance(END)
    return [(d.subject, f"{d.at:%Y-%m}") for d in decisions if d.kind == "alert" and d.rule == rule]


def test_an_agent_better_than_last_month_is_recognised() -> None:
    events = [survey(1, "A1", 2, 10, 5), survey(2, "A1", 4, 11, 5), survey(3, "A2", 5, 10, 5),
              survey(4, "A2", 5, 11, 5)]  # fmt: skip
    assert alerts(events, "improved") == [("A1", "2026-12")]
    engine = Engine(POLICY)
    decisions = engine.feed_all(sorted(events, key=lambda e: e["at"])) + engine.advance(END)
    [alert] = [d for d in decisions if d.rule == "improved"]
    assert alert.facts == {"value": 4.0, "previous": 2.0, "previous_period": "2026-10"}
    assert "进步之星 for 2026-11 is 4 (avg(survey.rating) = 4; previous (2026-10) = 2)" in (
        alert.reason
    )


def test_no_previous_without_data_in_the_period_just_before() -> None:
    # September, then nothing in October: November is not compared with September
    events = [survey(1, "A1", 1, 9, 5), survey(2, "A1", 5, 11, 5)]
    assert alerts(events, "improved") == []


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = draw(st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3", "A4"]),
                                   st.integers(1, 5), st.integers(9, 12), st.integers(1, 28)),
                         max_size=30))  # fmt: skip
    events = [survey(n, *row) for n, row in enumerate(rows)]
    return sorted(events, key=lambda e: (e["at"], e["id"]))


@settings(max_examples=50, deadline=None)
@given(histories())
def test_improvement_matches_comparing_months_by_hand(events: list[dict[str, Any]]) -> None:
    months: dict[tuple[str, int], list[int]] = {}
    for event in events:
        months.setdefault((event["agent"], event["at"].month), []).append(event["rating"])
    expected = []
    for (agent, month), ratings in months.items():
        before = months.get((agent, month - 1))
        if before and sum(ratings) / len(ratings) - sum(before) / len(before) >= 1:
            expected.append((agent, "2027-01" if month == 12 else f"2026-{month + 1:02d}"))
    assert sorted(alerts(events, "improved")) == sorted(expected)


@settings(max_examples=30, deadline=None)
@given(histories(), st.integers(2, 5))
def test_a_teams_previous_week_across_parts_is_judged_as_one_replay(
    events: list[dict[str, Any]], partitions: int
) -> None:
    stricter = load_policy(text=RULES.replace("value > previous", "value >= previous"),
                           file="t.policy")  # fmt: skip
    whole = simulate(stricter, POLICY, events, until=END)
    assert simulate_partitioned(stricter, POLICY, events, partitions, until=END).to_dict() == (
        whole.to_dict()
    )


def test_previous_is_read_by_alerts_only() -> None:
    text = RULES.replace("value avg(survey.rating)", "value avg(survey.rating) - previous")
    _, found = check_text(text, "t.policy")
    errors = [d for d in found if d.is_error]
    assert errors and "previous" in errors[0].message
