"""A roster (issue 19, point 2): agents and teams known to the engine, so that a team or
an agent with no events in a period is reported as `no_data`, never left out; an agent
on the roster with no call on a day it works is sampled short."""

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
sampling daily "每日抽检" {
  per agent per day
  pick 1 random call
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
    st.tuples(st.sampled_from(["join", "leave", "survey", "call"]),
              st.sampled_from(["A1", "A2", "A3"]), st.sampled_from(["T1", "T2"]),
              st.integers(0, 24 * 60), st.sampled_from([None, "mon-fri", "sat,sun"])),
    max_size=20,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(roster_ops, st.integers(2, 4))
def test_a_roster_split_in_parts_reports_what_one_replay_reports(
    ops: list[tuple[str, str, str, int, str | None]], partitions: int
) -> None:
    start = at(10, 1)
    events: list[dict[str, Any]] = []
    for n, (op, agent, team, hours, days) in enumerate(ops):
        when = start + dt.timedelta(hours=hours)
        if op == "join":
            events.append({**joined(n, agent, team, when), "days": days})
        elif op == "leave":
            events.append(left(n, agent, when))
        elif op == "call":
            events.append({"kind": "call", "id": f"c{n}", "agent": agent, "team": team,
                           "duration": 60, "at": when})  # fmt: skip
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


SAMPLED = load_policy(
    text='policy "s" version "1" timezone "Asia/Shanghai"\n'
    "sampling daily {\n  per agent per day\n  pick 1 random call\n}\n",
    file="s.policy",
)


def test_a_rostered_agent_with_no_call_on_a_working_day_is_sampled_short() -> None:
    engine = Engine(SAMPLED)
    monday = dt.datetime(2026, 11, 2, 8, tzinfo=ZONE)
    out = engine.feed({**joined(1, "A1", "T1", monday), "days": "mon-fri"})
    out += engine.feed(joined(2, "A2", "T1", monday))  # the roster does not say A2's days
    for day in range(7):
        out += engine.feed({"kind": "call", "id": f"c{day}", "agent": "A3", "duration": 90,
                            "at": monday + dt.timedelta(days=day, hours=2)})  # fmt: skip
    out += engine.advance(monday + dt.timedelta(days=7))  # Monday 9 November has not ended
    short = [(d.subject, d.id.split("/")[1]) for d in out if d.kind == "shortfall"]
    assert short == [("A1", f"2026-11-0{day}") for day in range(2, 7)]
    [friday] = [d for d in out if d.kind == "shortfall" and "2026-11-06" in d.id]
    assert friday.reason.startswith("0 of 1 calls sampled for A1 on 2026-11-06")
    assert sum(d.kind == "sample" for d in out) == 7  # A3's calls, a day each


def test_weekdays_are_written_as_names() -> None:
    import pytest

    from callqa.engine.runtime.events import EventError, working_days

    assert working_days("mon-fri") == frozenset(range(5))
    assert working_days("sat-mon") == frozenset({5, 6, 0})
    assert working_days("Mon, wed,SAT") == frozenset({0, 2, 5})
    with pytest.raises(EventError, match="write them such as mon-fri"):
        Engine(SAMPLED).feed({**joined(1, "A1", "T1", at(11, 2)), "days": "weekdays"})
