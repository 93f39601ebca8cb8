"""A simulation replayed in parts, by agent, reports exactly what one replay of
everything reports (engine.simulation.partition)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental_simulation import NOW, drawn_versions, histories

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
