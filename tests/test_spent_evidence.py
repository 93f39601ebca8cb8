"""Counting after an action (issue 19, point 5). What brought an action brings it no more:
a month rule and a 365-day rule over the same complaints take an agent off the floor once,
not twice. A rule counting `since back_on_floor` judges an agent back from retraining on
what happened after returning."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine

ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = """policy "t" version "1" timezone "Asia/Shanghai"
action off "下岗培训" notify 主管 sets status "retraining"
action back "回岗" notify 班长 sets status "on_floor"
action warn "警告" notify 班长
discipline d {
  rule month when count(complaint) in calendar month >= 3 then off
  rule year when count(complaint) in 365 days >= 5 then off
  rule returned on exam where exam.passed then back
  rule warned when count(violation) in 30 days >= 2 then warn
}
"""
SPENDING = load_policy(text=RULES, file="t.policy")
SINCE = load_policy(text=RULES.replace("in 365 days >=", "in 365 days since back >="),
                    file="t.policy")  # fmt: skip


def complaint(n: int, at: dt.datetime, agent: str = "A1") -> dict[str, Any]:
    return {"kind": "complaint", "id": f"c{n}", "agent": agent, "at": at}


def day(month: int, n: int, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, n, 9, tzinfo=ZONE)


def actions(decisions: list[Decision], action: str = "off") -> list[Decision]:
    return [d for d in decisions if d.kind == "action" and d.action == action]


def test_five_complaints_in_a_month_act_once_not_once_per_rule() -> None:
    engine = Engine(SPENDING)
    out: list[Decision] = []
    for n in range(5):
        out += engine.feed(complaint(n, day(11, 2 + 3 * n)))
    [off] = actions(out)
    assert (off.rule, off.evidence) == ("d.month", ("c0", "c1", "c2"))


def test_complaints_not_yet_spent_still_count_for_the_other_rule() -> None:
    """Three in November bring the month rule; five more over the year bring the year
    rule, on those five alone."""
    engine = Engine(SPENDING)
    out: list[Decision] = []
    times = [day(11, 2), day(11, 3), day(11, 4), day(12, 5), day(1, 6, 2027), day(2, 6, 2027),
             day(3, 6, 2027), day(4, 6, 2027)]  # fmt: skip
    for n, at in enumerate(times):
        out += engine.feed(complaint(n, at))
    [month, year] = actions(out)
    assert month.rule == "d.month" and month.evidence == ("c0", "c1", "c2")
    assert year.rule == "d.year" and year.evidence == ("c3", "c4", "c5", "c6", "c7")


def test_the_same_event_counts_once_when_two_rules_would_act_on_it_at_once() -> None:
    """A rolling 30-day rule and a calendar month rule both reaching 3 on one complaint."""
    text = RULES.replace("in 365 days >= 5", "in 30 days >= 3")
    engine = Engine(load_policy(text=text, file="t.policy"))
    out: list[Decision] = []
    for n in range(3):
        out += engine.feed(complaint(n, day(11, 2 + n)))
    assert [d.rule for d in actions(out)] == ["d.month"]


def four_complaints_then_an_exam_passed(engine: Engine) -> list[Decision]:
    """January to April, one complaint a month (no month rule acts); back on May 1."""
    out: list[Decision] = []
    for n, month in enumerate((1, 2, 3, 4)):
        out += engine.feed(complaint(n, day(month, 10)))
    out += engine.feed({"kind": "exam", "id": "x1", "agent": "A1", "passed": True,
                        "at": day(5, 1)})  # fmt: skip
    return out


def test_an_agent_back_on_the_floor_is_judged_on_what_came_after() -> None:
    engine = Engine(SINCE)
    out = four_complaints_then_an_exam_passed(engine)
    for n, month in enumerate((6, 7, 8, 9), start=4):
        out += engine.feed(complaint(n, day(month, 10)))
    assert actions(out) == []
    out += engine.feed(complaint(9, day(10, 10)))
    [off] = actions(out)
    assert off.evidence == ("c4", "c5", "c6", "c7", "c9")


def test_an_action_awaiting_approval_restarts_the_count_once_approved() -> None:
    text = RULES.replace('action back "回岗" notify 班长', 'action back "回岗" notify 班长 '
                         "requires approval by 主管")  # fmt: skip
    policy = load_policy(text=text.replace("in 365 days >=", "in 365 days since back >="),
                         file="t.policy")  # fmt: skip
    for approved in (False, True):
        engine = Engine(policy)
        out = four_complaints_then_an_exam_passed(engine)
        if approved:
            out += engine.feed({"kind": "approval", "id": "ok", "by": "主管", "approved": True,
                                "decision": "d.returned/A1/x1", "at": day(5, 2)})  # fmt: skip
        out += engine.feed(complaint(4, day(5, 10)))
        # pending, the count runs on: 5 in 365 days; approved, it starts again: 1
        assert len(actions(out)) == (0 if approved else 1)


def test_since_names_a_declared_action() -> None:
    text = RULES.replace("in 365 days >=", "in 365 days since bak >=")
    _, found = check_text(text, "t.policy")
    [problem] = [d for d in found if d.is_error]
    assert problem.message == "bak is not a declared action"
    assert problem.hint == "did you mean back?"
    assert (problem.line, problem.col) == (7, text.splitlines()[6].index("bak") + 1)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 24 * 360), min_size=1, max_size=30))
def test_no_complaint_brings_the_action_twice(hours: list[int]) -> None:
    """Over random histories of one agent, the complaints that brought `off` are never
    evidence of another `off`, and each action has all the complaints its rule needs."""
    start = day(1, 1)
    engine = Engine(SPENDING)
    out: list[Decision] = []
    for n, hour in enumerate(sorted(hours)):
        out += engine.feed(complaint(n, start + dt.timedelta(hours=hour)))
    used: set[str] = set()
    for off in actions(out):
        assert not used & set(off.evidence)
        used |= set(off.evidence)
        assert len(off.evidence) == (3 if off.rule == "d.month" else 5)
