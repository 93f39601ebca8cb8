"""Sampling plans of daily, weekly and monthly rules, against the live engine.

A plan for a day, a week or a month lists every sampling period that overlaps it, of
every sampling rule; its picks and shortfalls must be exactly what the engine decides
when it is fed the whole history. `build_plan` leaves out the calls that cannot change
the plan, unread, and steps over years with only status changes: the property checks
that neither changes a pick, with and without a discipline rule that counts calls (its
actions set the statuses that quotas read, so then every call counts).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.windows import calendar_bounds, calendar_key
from callqa.engine.sampling.plan import build_plan, plan_span, verify_plan
from callqa.tui.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = """
policy "plans" version "1" timezone "Asia/Shanghai"
sampling daily "每日抽检" {
  per agent per day
  pick 2nd call where call.duration >= 60s
  pick 1 random call
  quota 3 per day when agent.status == "probation"
}
sampling weekly "每周抽检" {
  per agent per week
  pick 2 random calls where call.duration >= 30s
}
sampling monthly "每月抽检" {
  per agent per month
  pick 1 random call where call.duration >= 120s
}
"""
COUNTING_CALLS = """
action probation "试用期" notify 班长 sets status "probation"
discipline short "短通话" {
  rule short_calls when count(call where call.duration < 10s) in calendar week >= 2 then probation
}
"""
PLANS = load_policy(text=RULES, file="plans.policy")
PLANS_COUNTING_CALLS = load_policy(text=RULES + COUNTING_CALLS, file="plans.policy")
UNITS = {"daily": "day", "weekly": "week", "monthly": "month"}
FIRST_DAY = dt.date(2026, 10, 19)  # a Monday: six weeks over three months
DAYS = 42
AGENTS = ["A1", "A2", "A3"]

Event = dict[str, Any]


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """Calls over six weeks, written as aware or naive datetimes or as ISO text, and status
    changes (one of them, maybe, eleven years earlier)."""
    events: list[Event] = []
    for index in range(draw(st.integers(1, 40))):
        at = dt.datetime.combine(FIRST_DAY, dt.time(), SHANGHAI) + dt.timedelta(
            minutes=draw(st.integers(0, DAYS * 24 * 60 - 1))
        )
        written: Any = draw(st.sampled_from([
            at, at.replace(tzinfo=None), at.isoformat(), at.astimezone(dt.UTC)
        ]))  # fmt: skip
        events.append({
            "kind": "call", "id": f"c{index}", "agent": draw(st.sampled_from(AGENTS)),
            "at": written, "duration": draw(st.sampled_from([5, 45, 90, 200])),
        })  # fmt: skip
    starts = [dt.datetime(2015, 3, 1, 9, tzinfo=SHANGHAI)] if draw(st.booleans()) else []
    starts += [
        dt.datetime.combine(FIRST_DAY, dt.time(8), SHANGHAI) + dt.timedelta(days=day)
        for day in draw(st.lists(st.integers(0, DAYS - 1), max_size=4))
    ]
    for index, at in enumerate(starts):
        events.append({
            "kind": "agent_status", "id": f"s{index}", "agent": draw(st.sampled_from(AGENTS)),
            "at": at, "status": draw(st.sampled_from(["probation", "on_floor"])),
        })  # fmt: skip
    return draw(st.permutations(events))


def periods() -> st.SearchStrategy[str]:
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(DAYS)]
    return st.one_of(
        st.sampled_from(days).map(dt.date.isoformat),
        st.sampled_from(days).map(lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"),
        st.sampled_from(["2026-10", "2026-11", "2026-12"]),
    )


def instant(event: Event) -> dt.datetime:
    at = event["at"]
    at = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
    return at if at.tzinfo is not None else at.replace(tzinfo=SHANGHAI)


def live_decisions(policy: Policy, events: list[Event]) -> list[Decision]:
    """What the engine decides fed the whole history, in time order, never refusing a step."""
    engine = Engine(policy, max_gap=dt.timedelta(days=400 * 366))
    decisions: list[Decision] = []
    for event in sorted(events, key=lambda e: (instant(e), e["id"])):
        decisions += engine.feed(event)
    last = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS + 40), dt.time(), SHANGHAI)
    return decisions + engine.advance(last)


def overlapping(decisions: list[Decision], period: str) -> tuple[set[Any], set[Any]]:
    """The live picks and shortfalls of the sampling periods overlapping `period`."""
    unit = "day" if len(period) == 10 else "week" if "W" in period else "month"
    start, end = calendar_bounds(period, unit, SHANGHAI)
    picks, shortfalls = set(), set()
    for d in decisions:
        if d.kind not in ("sample", "shortfall"):
            continue
        key = calendar_key(d.at - dt.timedelta(microseconds=1), UNITS[d.rule], SHANGHAI)
        first, after = calendar_bounds(key, UNITS[d.rule], SHANGHAI)
        if first < end and after > start:
            if d.kind == "sample":
                picks.add((d.rule, key, d.subject, d.action, d.reason))
            else:
                shortfalls.add((d.rule, key, d.subject, d.reason))
    return picks, shortfalls


def planned(plan: dict[str, Any]) -> tuple[set[Any], set[Any]]:
    picks = {(e["sampling"], e["period"], p["agent"], p["call"], p["why"])
             for e in plan["periods"] for p in e["picks"]}  # fmt: skip
    shortfalls = {(e["sampling"], e["period"], s["agent"], s["why"])
                  for e in plan["periods"] for s in e["shortfalls"]}  # fmt: skip
    return picks, shortfalls


@settings(max_examples=80, deadline=None)
@given(histories(), periods(), st.sampled_from([PLANS, PLANS_COUNTING_CALLS]))
def test_a_plan_lists_what_the_engine_samples_in_every_overlapping_period(
    events: list[Event], period: str, policy: Policy
) -> None:
    rejected: list[str] = []
    plan = build_plan(policy, events, period, rejected)
    assert rejected == []
    assert planned(plan) == overlapping(live_decisions(policy, events), period)
    last = max(instant(event) for event in events)
    for entry in plan["periods"]:  # each period with its own rule's seed
        assert entry["seed"] == f"plans|1|{entry['sampling']}|{entry['period']}"
        # final once the log reaches the period's end: no later call can change it
        end = calendar_bounds(entry["period"], UNITS[entry["sampling"]], SHANGHAI)[1]
        assert entry["final"] == (last >= end)
    assert verify_plan(plan, build_plan(policy, events[::-1], period, [])) == []


def test_the_span_of_a_plan_reaches_the_weeks_and_months_around_it() -> None:
    midnight = dt.time()
    opens, closes = plan_span(PLANS, "2026-11-02")  # a Monday, in W45 and November
    assert opens == dt.datetime.combine(dt.date(2026, 11, 1), midnight, SHANGHAI)
    assert closes == dt.datetime.combine(dt.date(2026, 12, 1), midnight, SHANGHAI)
    opens, closes = plan_span(PLANS, "2026-11")  # W44 starts in October, W49 ends in December
    assert opens == dt.datetime.combine(dt.date(2026, 10, 26), midnight, SHANGHAI)
    assert closes == dt.datetime.combine(dt.date(2026, 12, 7), midnight, SHANGHAI)
    assert plan_span(PLANS_COUNTING_CALLS, "2026-11")[0] is None  # every call counts


@pytest.fixture
def weekly_calls(tmp_path: Path) -> tuple[Path, Path]:
    policy = tmp_path / "weekly.policy"
    policy.write_text(
        'policy "weekly" version "1" timezone "Asia/Shanghai"\n'
        'sampling weekly "每周抽检" {\n  per agent per week\n'
        "  pick 2 random calls where call.duration >= 30s\n}\n",
        encoding="utf-8",
    )
    calls = tmp_path / "calls.csv"
    rows = [f"c{day}{n},A1,2026-11-{day} 10:0{n},100" for day in range(23, 30) for n in range(3)]
    calls.write_text("id,agent,at,duration\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return policy, calls


def test_callqa_sample_plans_a_weekly_rule_for_its_week_or_a_day_in_it(
    weekly_calls: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A weekly rule's plan said "no calls in 2026-W48: nothing to sample"."""
    policy, calls = weekly_calls
    args = ["sample", "--policy", str(policy), "--calls", str(calls)]
    out_file = tmp_path / "plan.json"
    assert main([*args, "--period", "2026-W48", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "2026-W48  seed weekly|1|weekly|2026-W48" in out
    assert out.count("→ random, rank") == 2
    # the log stops on Sunday morning: a call that afternoon could change the sample
    assert "the call log ends 2026-11-29 10:02, before this period does" in out
    plan = json.loads(out_file.read_text(encoding="utf-8"))
    assert [(e["sampling"], e["period"], len(e["picks"])) for e in plan["periods"]] == [
        ("weekly", "2026-W48", 2)
    ]
    assert main([*args, "--verify", str(out_file)]) == 0
    assert "the plan matches" in capsys.readouterr().out
    # a day of the week plans the week it is in: its sample holds the day's calls too
    assert main([*args, "--period", "2026-11-25"]) == 0
    assert "2026-W48  seed weekly|1|weekly|2026-W48" in capsys.readouterr().out
    # a call of the week after: the log has gone past the week's end
    with calls.open("a", encoding="utf-8") as log:
        log.write("d1,A1,2026-11-30 09:00,100\n")
    assert main([*args, "--period", "2026-W48"]) == 0
    assert "the call log ends" not in capsys.readouterr().out


def test_callqa_sample_reads_status_changes_from_the_call_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probation agents get 4 calls a day in center.policy: a status row in the log says so."""
    calls = tmp_path / "calls.csv"
    rows = [f"call,k{h},A1,2026-11-02 {h}:00,100," for h in range(9, 15)]
    calls.write_text(
        "kind,id,agent,at,duration,status\n"
        + "\n".join(["agent_status,s1,A1,2026-11-01 08:00,,probation", *rows])
        + "\n",
        encoding="utf-8",
    )
    center = Path(__file__).resolve().parent.parent / "policies" / "center.policy"
    args = ["sample", "--policy", str(center), "--calls", str(calls), "--period", "2026-11-02"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("  A1  ") == 4 and "→ quota, rank 1" in out
