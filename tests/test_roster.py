"""A roster (issue 19, point 2): agents and teams known to the engine, so that a team or
an agent with no events in a period is reported as `no_data`, never left out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine
from callqa.engine.simulation.partition import simulate_partitioned
from callqa.engine.simulation.simulate import simulate

ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = """policy "t" version "1" timezone "Asia/Shanghai"
threshold mine "个人满意度" {
  per agent per month
  value count(survey where survey.satisfied) / count(survey)
  alert 主管 when value < 90%
}
threshold ours "班组满意度" {
  per team per week
  value count(survey where survey.satisfied) / count(survey)
  alert 主管 when value < 90%
}
"""
POLICY = load_policy(text=RULES, file="t.policy")


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 9, tzinfo=ZONE)


def joined(n: int, agent: str, team: str | None, when: dt.datetime) -> dict[str, Any]:
    return {"kind": "agent_joined", "id": f"j{n}", "agent": agent, "team": team, "at": when}


def left(n: int, agent: str, when: dt.datetime) -> dict[str, Any]:
    return {"kind": "agent_left", "id": f"l{n}", "agent": agent, "at": when}


def no_data(decisions: list[Decision], rule: str) -> list[tuple[str, str]]:
    return [(d.subject, d.id.split("/")[-1]) for d in decisions
            if d.kind == "no_data" and d.rule == rule]  # fmt: skip


def test_an_agent_on_the_roster_with_no_events_is_reported_each_month_until_leaving() -> None:
    engine = Engine(POLICY)
    out = engine.feed(joined(1, "A1", "T1", at(9, 15)))
    out += engine.feed(left(1, "A1", at(11, 20)))
    out += engine.advance(at(12, 31))
    assert no_data(out, "mine") == [("A1", "2026-09"), ("A1", "2026-10"), ("A1", "2026-11")]


def test_a_team_is_reported_while_any_member_is_on_the_roster() -> None:
    engine = Engine(POLICY)
    out = engine.feed(joined(1, "A1", "T1", at(11, 2)))  # a Monday: week 45
    out += engine.feed(joined(2, "A2", "T1", at(11, 3)))
    out += engine.feed(left(1, "A1", at(11, 10)))
    out += engine.feed(left(2, "A2", at(11, 18)))
    out += engine.advance(at(12, 31))
    assert no_data(out, "ours") == [("T1", "2026-W45"), ("T1", "2026-W46"), ("T1", "2026-W47")]


def test_an_agent_moving_team_takes_the_roster_with_it() -> None:
    engine = Engine(POLICY)
    out = engine.feed(joined(1, "A1", "T1", at(11, 2)))
    out += engine.feed(joined(2, "A1", "T2", at(11, 11)))  # moved in week 46
    out += engine.advance(at(11, 24))
    reported = no_data(out, "ours")
    assert [w for t, w in reported if t == "T1"] == ["2026-W45", "2026-W46"]
    assert [w for t, w in reported if t == "T2"] == ["2026-W46", "2026-W47"]


def test_a_rostered_subject_with_events_is_judged_as_before() -> None:
    engine = Engine(POLICY)
    out = engine.feed(joined(1, "A1", "T1", at(11, 2)))
    out += engine.feed({"kind": "survey", "id": "s1", "agent": "A1", "team": "T1",
                        "satisfied": False, "at": at(11, 3)})  # fmt: skip
    out += engine.advance(at(11, 10))
    assert [(d.kind, d.subject) for d in out if d.rule == "ours"] == [("alert", "T1")]


roster_ops = st.lists(
    st.tuples(st.sampled_from(["join", "leave", "survey"]), st.sampled_from(["A1", "A2", "A3"]),
              st.sampled_from(["T1", "T2"]), st.integers(0, 24 * 60)),
    max_size=20,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(roster_ops, st.integers(2, 4))
def test_a_roster_split_in_parts_reports_what_one_replay_reports(
    ops: list[tuple[str, str, str, int]], partitions: int
) -> None:
    start = at(10, 1)
    events: list[dict[str, Any]] = []
    for n, (op, agent, team, hours) in enumerate(ops):
        when = start + dt.timedelta(hours=hours)
        if op == "join":
            events.append(joined(n, agent, team, when))
        elif op == "leave":
            events.append(left(n, agent, when))
        else:
            events.append({"kind": "survey", "id": f"s{n}", "agent": agent, "team": team,
                           "satisfied": n % 3 > 0, "at": when})  # fmt: skip
    events.sort(key=lambda e: (e["at"], e["id"]))
    stricter = load_policy(text=RULES.replace("< 90%", "< 95%"), file="t.policy")
    end = at(12, 31)
    whole = simulate(stricter, POLICY, events, until=end)
    assert simulate_partitioned(stricter, POLICY, events, partitions, until=end).to_dict() == (
        whole.to_dict()
    )
