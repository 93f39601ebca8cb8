"""The peer review rota (issue 19, point 1; seed 004: 座席轮番担当复核员): each day one agent
of each team reviews the others' QA scores, in turns, published ahead and reproducible
from the roster alone; replayed in parts, a team whose agents are in many parts gets the
same turns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.dsl.format import format_text
from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine
from callqa.engine.simulation.partition import simulate_partitioned
from callqa.engine.simulation.simulate import simulate

ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = """policy "t" version "1" timezone "Asia/Shanghai"
rota peer_review "座席轮番复核" {
  per team per day
  publish 1 day ahead to 班长
}
"""
POLICY = load_policy(text=RULES, file="t.policy")
START = dt.datetime(2026, 11, 1, 9, tzinfo=ZONE)


def joined(agent: str, team: str, day: float = 0, days: str | None = None) -> dict[str, Any]:
    event = {"kind": "agent_joined", "id": f"j-{agent}-{day}", "agent": agent, "team": team,
             "at": START + dt.timedelta(days=day)}  # fmt: skip
    return {**event, "days": days} if days else event


def left(agent: str, day: float) -> dict[str, Any]:
    return {"kind": "agent_left", "id": f"l-{agent}-{day}", "agent": agent,
            "at": START + dt.timedelta(days=day)}  # fmt: skip


def rota(events: list[dict[str, Any]], days: float = 14) -> list[Decision]:
    engine = Engine(POLICY)
    out = engine.feed_all(events) + engine.advance(START + dt.timedelta(days=days))
    return [d for d in out if d.kind == "rota"]


def test_turns_go_round_the_team_a_day_ahead() -> None:
    decisions = rota([joined(a, "T1") for a in ("A3", "A1", "A2")], days=3.5)
    # joined on 11-01 09:00: the first day published after is 11-03, on 11-02 00:00
    assert [(d.at.day, d.action) for d in decisions] == [(2, "A1"), (3, "A2"), (4, "A3")]
    first = decisions[0]
    assert (first.subject, first.notify, first.rule) == ("T1", ("班长",), "peer_review")
    assert first.reason == ("A1 reviews the QA scores of team T1 for 2026-11-03: turns go "
                            "round its 3 agents on the roster in id order (A1, A2, A3)")  # fmt: skip


def test_an_agent_resting_or_gone_takes_no_turn_and_an_empty_roster_none() -> None:
    events = [joined("A1", "T1", days="mon-fri"), joined("A2", "T1"), left("A2", 8.5)]
    decisions = rota(events, days=14)
    saturday = [d for d in decisions if d.id.endswith("2026-11-07")]
    assert [d.action for d in saturday] == ["A2"]  # A1 rests on Saturdays
    after = [d for d in decisions if d.at > START + dt.timedelta(days=8.5)]
    assert after and all(d.action == "A1" for d in after)
    assert not any(d.id.endswith(("2026-11-14", "2026-11-15")) for d in after)  # a weekend
    assert rota([*events, left("A1", 10)], days=14)[-1].at <= START + dt.timedelta(days=10)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(0, 20))
def test_over_n_days_each_of_n_agents_reviews_once(n: int, offset: int) -> None:
    events = [joined(f"A{k}", "T1") for k in range(n)]
    decisions = rota(events, days=2 + offset + n)[offset : offset + n]
    assert len(decisions) == n
    assert sorted(d.action for d in decisions) == sorted(f"A{k}" for k in range(n))


roster_changes = st.lists(
    st.tuples(st.sampled_from(["A1", "A2", "A3", "A4", "A5"]), st.sampled_from(["T1", "T2"]),
              st.integers(0, 120), st.booleans(), st.sampled_from([None, "mon-fri", "sat-sun"])),
    max_size=14,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(roster_changes, st.integers(2, 5))
def test_a_team_across_parts_gets_the_turns_of_one_replay(
    changes: list[tuple[str, str, int, bool, str | None]], partitions: int
) -> None:
    events = []
    for agent, team, quarter_day, joins, days in changes:
        at = quarter_day / 4
        events.append(joined(agent, team, at, days) if joins else left(agent, at))
    events.sort(key=lambda e: (e["at"], e["id"]))
    events = list({e["id"]: e for e in events}.values())
    until = START + dt.timedelta(days=35)
    other = load_policy(text=RULES.replace("1 day ahead", "2 days ahead"), file="t.policy")
    whole = simulate(other, POLICY, events, until=until)
    assert simulate_partitioned(other, POLICY, events, partitions, until=until).to_dict() == (
        whole.to_dict()
    )


def test_the_rota_formats_back_to_itself() -> None:
    text = format_text(RULES)
    assert 'rota peer_review "座席轮番复核" {\n  per team per day\n' in text
    assert format_text(text) == text


@pytest.mark.parametrize(
    ("entries", "message", "hint"),
    [
        ("per agent per day", "a rota takes turns within each team", "per team per day"),
        ("per team per month", "a rota's turns last a day or a week, not a month", "day"),
        ("publish 1 day ahead to 班长", "rota r does not say how often", "per team per day"),
    ],
)
def test_a_wrong_rota_is_explained(entries: str, message: str, hint: str) -> None:
    _, diagnostics = check_text(f'policy "t"\nrota r {{\n  {entries}\n}}\n', "t.policy")
    errors = [d for d in diagnostics if d.is_error]
    assert [e.message for e in errors] == [message]
    assert hint in (errors[0].hint or "")
