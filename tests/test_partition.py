"""A simulation replayed in parts, by agent, reports exactly what one replay of
everything reports (engine.simulation.partition)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_incremental_simulation import NOW, drawn_versions, histories

from callqa.engine import load_policy
from callqa.engine.simulation.partition import Router, part_of, simulate_partitioned
from callqa.engine.simulation.simulate import simulate


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_a_partitioned_simulation_reports_what_one_replay_reports(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    old, new = drawn_versions(data)
    moved = data.draw(st.integers(0, len(events)), label="moved at")
    for e in events[moved:]:  # an agent changes team, from one event on
        if e.get("agent") == events[0].get("agent") and e.get("team"):
            e["team"] = "T-moved"
    partitions = data.draw(st.integers(1, 7), label="partitions")
    last = events[-1]["at"]
    now = data.draw(st.sampled_from([NOW, last + dt.timedelta(hours=1)]), label="now")
    whole = simulate(new, old, events, now=now)
    parts = simulate_partitioned(new, old, events, partitions, now=now)
    assert parts.to_dict() == whole.to_dict()


def test_events_that_name_no_agent_go_where_what_they_name_went() -> None:
    router = Router(5)
    at = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    assert router.route({"kind": "complaint", "id": "c1", "agent": "A7", "at": at}) == part_of(
        "A7", 5
    )
    assert router.route({"kind": "complaint_resolved", "id": "r1", "complaint": "c1"}) == part_of(
        "A7", 5
    )
    router.route({"kind": "evaluation", "id": "e1", "agent": "A/2", "at": at})
    assert router.route({"kind": "appeal", "id": "p1", "evaluation": "e1"}) == part_of("A/2", 5)
    assert router.route({"kind": "appeal_decision", "id": "d1", "appeal": "p1"}) == part_of(
        "A/2", 5
    )
    approval = {"kind": "approval", "id": "a1", "decision": "d.rule/A/2/calendar month 2026-11"}
    assert router.route(approval) == part_of("A/2", 5)
    # what names nothing known goes to the first part, where it is refused as in one replay
    assert router.route({"kind": "complaint_resolved", "id": "r2", "complaint": "zz"}) == 0


MEASURES = """
policy "measures" version "1" timezone "Asia/Shanghai"
threshold handle "平均通话时长" {
  per team per week
  value avg(call.duration)
  alert 主管 when value > 300 and sum(call.duration) > 1000s and min(call.duration) < 60s and max(call.duration) > 400s
}
threshold held "保持时长" {
  per evaluator per month
  value sum(call.hold_time) / count(call)
  alert 质检主管 when value > 10
}
"""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40 * 24 * 60),  # minute of the history
            st.sampled_from(["A1", "A2", "B1", "B2", "C1"]),
            st.sampled_from(["T1", "T2", "T-moved"]),
            st.sampled_from(["Q1", "Q2", None]),  # evaluators score agents of every team
            st.floats(0, 900, allow_nan=False),  # sums that round differently in any order
            st.floats(0, 60, allow_nan=False),
        ),
        min_size=1,
        max_size=80,
    ),
    st.integers(1, 7),
)
def test_averages_and_sums_across_parts_merge_exactly(
    rows: list[tuple[int, str, str, str | None, float, float]], partitions: int
) -> None:
    """A team's average and sum of durations, least and greatest, and an evaluator's sum
    over agents of many teams: the parts' tallies add up to the very floats (and alerts)
    one replay gives, whatever the order the parts' values are added in."""
    old = load_policy(text=MEASURES, file="measures.policy")
    silent = re.sub(r"when value [^\n]*", "when value < 0", MEASURES)
    new = load_policy(text=silent, file="silent.policy")  # old's alerts have no twin
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    events = sorted(
        (
            {"kind": "call", "id": f"c{n}", "agent": agent, "team": team,
             "at": start + dt.timedelta(minutes=minute), "duration": duration,
             "hold_time": hold, **({"evaluator": evaluator} if evaluator else {})}
            for n, (minute, agent, team, evaluator, duration, hold) in enumerate(rows)
        ),
        key=lambda e: (e["at"], e["id"]),
    )  # fmt: skip
    whole = simulate(new, old, events, now=NOW)
    parts = simulate_partitioned(new, old, events, partitions, now=NOW)
    event("alerts" if whole.before.decisions else "no alert")
    assert parts.to_dict() == whole.to_dict()
    assert [(d.id, d.facts, d.evidence, d.reason) for d in parts.before.decisions] == [
        (d.id, d.facts, d.evidence, d.reason) for d in whole.before.decisions
    ]
