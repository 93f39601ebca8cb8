"""An incremental simulation (only the units a change touches replayed, the rest counted
from the baseline's replay) reports exactly what a full replay of both versions reports."""

from __future__ import annotations

import datetime as dt
import pickle
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from center_versions import CENTER, POLICY, STRICTER, STRICTER_KINDS, STRICTER_UNITS, TEXT
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from callqa.dsl import ast
from callqa.dsl.diagnostics import PolicyError
from callqa.engine import Engine, load_policy
from callqa.engine.policy import Policy
from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.incremental import (
    Baseline,
    plan_slice,
    replay_baseline,
    simulate_change,
)
from callqa.engine.simulation.simulate import period_end, simulate
from callqa.engine.simulation.sweep import parse_sweep, sweep

NOW = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
ZONE = dt.timezone(dt.timedelta(hours=8))
TIME_BLOCKS = (ast.Discipline, ast.Threshold, ast.Sampling, ast.Escalation, ast.ActionDecl)


def variant(text: str, name: str = "variant.policy") -> Policy:
    return load_policy(text=text, file=str(CENTER.with_name(name)))


def _literals(node: Any) -> Iterable[ast.Literal]:
    """The number, duration and percent literals written in a block."""
    if isinstance(node, ast.Literal):
        if node.type.value in ("number", "duration", "percent") and node.span.line > 0:
            yield node
        return
    if isinstance(node, tuple | list):
        for item in node:
            yield from _literals(item)
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            yield from _literals(getattr(node, name))


# every number of the center's time-aware blocks, where it is written in center.policy
SPOTS = sorted({
    (literal.span.line, literal.span.col, literal.span.end_col, literal.text)
    for statement in POLICY.checked.tree.statements if isinstance(statement, TIME_BLOCKS)
    for literal in _literals(statement)
    if literal.span.file in ("", str(CENTER)) and literal.span.line == literal.span.end_line
})  # fmt: skip
OPS = [(">= 3 then", "> 3 then"), (">= 3 then", ">= 1 then"), ('"probation"', '"retraining"'),
       ("then off_floor_retraining\n", "then praise\n"), ("sets status \"retraining\" ", ""),
       ("requires approval by 主管", ""), ("quota 4 per day", "quota 1 per day"),
       ("in calendar month >= 3", "in 30 days >= 3")]  # fmt: skip


@st.composite
def changes(draw: st.DrawFn, text: str) -> str:
    """`text` with one to three edits: a number of a time-aware block, or a line's meaning."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            line, col, end_col, written = draw(st.sampled_from(SPOTS))
            digits = "".join(ch for ch in written if ch.isdigit() or ch == ".")
            unit = written[len(digits) :]
            value = draw(st.sampled_from(["1", "2", "4", "10", "50", "95"]))
            if digits and written.startswith(digits):
                old = lines[line - 1]
                lines[line - 1] = old[: col - 1] + value + unit + old[end_col - 1 :]
        else:
            old, new = draw(st.sampled_from(OPS))
            whole = "\n".join(lines).replace(old, new, 1)
            lines = whole.split("\n")
    return "\n".join(lines)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A generated center's weeks, with QA evaluations (and their appeals) or without, and
    what the demo leaves out: approvals of pending actions, exams, statuses, complaints."""
    seed, days, agents = (
        draw(st.integers(0, 10_000)),
        draw(st.integers(3, 40)),
        draw(st.integers(2, 6)),
    )
    rubric = POLICY.rubric("standard_call").table if draw(st.booleans()) else None
    events = demo_events(days=days, agents=agents, seed=seed, rubric=rubric)
    rng = random.Random(seed)
    names = sorted({e["agent"] for e in events if e.get("agent")})
    start = dt.datetime(2026, 11, 2, 8, tzinfo=ZONE)
    for n in range(draw(st.integers(0, 30))):
        agent = rng.choice(names)
        at = start + dt.timedelta(minutes=rng.randrange(days * 24 * 60))
        kind = rng.choice(["complaint", "approval", "exam", "agent_status", "violation"])
        event: dict[str, Any] = {"kind": kind, "id": f"x{n}", "at": at}
        if kind == "complaint":
            event.update(agent=agent, substantiated=rng.random() < 0.8)
        elif kind == "approval":
            rule = rng.choice(["complaints_month", "complaints_year", "violations_month"])
            window = "calendar month 2026-11" if rule != "complaints_year" else "365 days"
            event.update(decision=f"bottom_removal.{rule}/{agent}/{window}",
                         approved=rng.random() < 0.8, by="主管")  # fmt: skip
        elif kind == "exam":
            event.update(agent=agent, passed=rng.random() < 0.5)
        elif kind == "agent_status":
            event.update(agent=agent, status=rng.choice(["probation", "retraining", "on_floor"]))
        else:
            event.update(agent=agent, type="late")
        events.append(event)
    return sorted(events, key=lambda e: (e["at"].timestamp(), e["id"]))  # the store's order


def _events_of(events: list[dict[str, Any]]) -> Any:
    def events_of(kinds: frozenset[str] | None) -> list[Mapping[str, Any]]:
        return list(events) if kinds is None else [e for e in events if e["kind"] in kinds]

    return events_of


def drawn_versions(data: st.DataObject, base_changes: bool = True) -> tuple[Policy, Policy]:
    """The center's rulebook (edited, when `base_changes` and drawn so) and an edit of it:
    a baseline and a proposed version; an edit that does not check is not an example."""
    base_text = TEXT
    if base_changes and data.draw(st.booleans()):
        base_text = data.draw(changes(TEXT), label="baseline")
    new_text = data.draw(changes(base_text), label="proposed")
    try:
        return variant(base_text, "old.policy"), variant(new_text, "new.policy")
    except PolicyError:
        assume(False)
        raise


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_an_incremental_simulation_reports_what_a_full_replay_reports(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    old, new = drawn_versions(data)
    full = simulate(new, old, events, now=NOW)
    incremental = simulate_change(new, old, _events_of(events), now=NOW)
    event("replayed whole" if incremental.replayed_units is None else
          f"replayed {len(incremental.replayed_units)} unit(s)")  # fmt: skip
    assert incremental.to_dict() == full.to_dict()
    kept = replay_baseline(old, events, ends_with=(new,))
    again = simulate_change(new, old, _events_of(events), kept, now=NOW)
    assert again.to_dict() == full.to_dict()
    # a live center: the present falls in the last period, and moves between simulations
    last = events[-1]["at"]
    closes = period_end((old, new), last)
    now = last + (closes - last) * data.draw(st.integers(0, 1000), label="now") / 1000
    later = now + (closes - now) * data.draw(st.integers(0, 1200), label="later") / 1000
    made: list[Baseline] = []
    first = simulate_change(new, old, _events_of(events), now=now, made=made.append)
    asked: list[frozenset[str] | None] = []

    def events_of(kinds: frozenset[str] | None) -> list[Mapping[str, Any]]:
        asked.append(kinds)
        return _events_of(events)(kinds)

    kept_at_now = made[-1] if made else None  # none when everything was replayed
    live = simulate_change(new, old, events_of, kept_at_now, now=later, made=made.append)
    assert live.to_dict() == simulate(new, old, events, now=later).to_dict()
    event("the later present in the last period" if later < closes else "after it ended")
    assert (live.replayed_units is None) == (first.replayed_units is None)
    if live.replayed_units is not None:  # the baseline kept at `now` served `later`
        assert len(made) == 1 and None not in asked


def _counting(events: list[dict[str, Any]]) -> tuple[Any, list[int]]:
    handed: list[int] = []

    def events_of(kinds: frozenset[str] | None) -> list[Mapping[str, Any]]:
        chosen = _events_of(events)(kinds)
        handed.append(len(chosen))
        return chosen

    return events_of, handed


def test_a_one_rule_change_replays_that_rule_on_the_events_it_reads() -> None:
    events = sorted(demo_events(days=56, agents=24, seed=2026, rubric=POLICY.rubric(
        "standard_call").table), key=lambda e: (e["at"].timestamp(), e["id"]))  # fmt: skip
    new = STRICTER
    baseline = replay_baseline(POLICY, events, ends_with=(new,))
    events_of, handed = _counting(events)
    report = simulate_change(new, POLICY, events_of, baseline, now=NOW)
    assert report.replayed_units == STRICTER_UNITS
    read = sum(e["kind"] in STRICTER_KINDS for e in events)
    assert handed == [read] and read < len(events) / 20
    assert report.to_dict() == simulate(new, POLICY, events, now=NOW).to_dict()
    assert report.changed()  # the stricter rule does decide differently


def test_a_baseline_kept_while_the_last_month_is_open_serves_a_later_present() -> None:
    """A live center: the last month is not over, so the replay ends at the present, which
    has moved by the next simulation; the kept baseline still serves it."""
    events = sorted(demo_events(days=40, agents=12, seed=7), key=lambda e: (e["at"], e["id"]))
    assert events[-1]["at"] < dt.datetime(2026, 12, 12, tzinfo=ZONE)
    now, later = (
        dt.datetime(2026, 12, 13, 10, tzinfo=ZONE),
        dt.datetime(2026, 12, 20, 15, 30, tzinfo=ZONE),
    )
    made: list[Baseline] = []
    simulate_change(STRICTER, POLICY, _events_of(events), now=now, made=made.append)
    events_of, handed = _counting(events)
    report = simulate_change(STRICTER, POLICY, events_of, made[0], now=later, made=made.append)
    assert len(made) == 1 and report.replayed_units == STRICTER_UNITS
    assert handed == [sum(e["kind"] in STRICTER_KINDS for e in events)]
    full = simulate(STRICTER, POLICY, events, now=later).to_dict()
    assert report.to_dict() == full
    replay = full["replay"]
    assert replay["replayed_to"] == "2026-12-20 15:30+08:00"  # the present: December is open
    assert replay["open_periods"] == [
        "2026-12 (commended_agent, model_agent, most_improved), ends 2027-01-01 00:00"
    ]
    # what fell due between the two presents (the week's KPIs closed, the days' sampling
    # rules published) is counted, from the baseline
    then = simulate(STRICTER, POLICY, events, now=now).to_dict()["counts"]
    moved = {label for label, counted in full["counts"].items() if counted != then[label]}
    assert moved == {"alert", "no_data", "publish"}


def test_a_present_in_the_hour_the_clocks_repeat(tmp_path: Path) -> None:
    """New York's clocks go back at 02:00 on 2027-11-07: a complaint's escalation, due 8h
    after 17:30 the day before, falls due at 01:30 EDT, before 01:10 EST. The baseline
    tells which fell due by their instants, its publications by the clock; where the two
    disagree everything is replayed."""
    for policy in CENTER.parent.glob("*.policy"):
        text = policy.read_text(encoding="utf-8").replace('"Asia/Shanghai"', '"America/New_York"')
        (tmp_path / policy.name).write_text(text, "utf-8")
    old = load_policy(tmp_path / "center.policy")
    text = (tmp_path / "center.policy").read_text(encoding="utf-8")
    changed = text.replace("in calendar month >= 3 then", "in calendar month >= 2 then", 1)
    (tmp_path / "new.policy").write_text(changed, "utf-8")
    new = load_policy(tmp_path / "new.policy")
    zone = ZoneInfo("America/New_York")
    events: list[dict[str, Any]] = [
        {"kind": "call", "id": f"c{hour}", "agent": "A001", "team": "T1", "duration": 90,
         "at": dt.datetime(2027, 11, 6, hour, tzinfo=zone)} for hour in range(9, 14)
    ]  # fmt: skip
    events.append({"kind": "complaint", "id": "k1", "agent": "A001", "team": "T1",
                   "at": dt.datetime(2027, 11, 6, 17, 30, tzinfo=zone)})  # fmt: skip
    made: list[Baseline] = []
    evening = dt.datetime(2027, 11, 6, 20, tzinfo=zone)
    simulate_change(new, old, _events_of(events), now=evening, made=made.append)
    replayed = []
    for now in (dt.datetime(2027, 11, 7, 1, 10, fold=1, tzinfo=zone),  # EST, the 2nd 01:10
                dt.datetime(2027, 11, 7, 1, 40, tzinfo=zone),  # EDT
                dt.datetime(2027, 11, 7, 3, tzinfo=zone)):  # fmt: skip
        report = simulate_change(new, old, _events_of(events), made[0], now=now)
        assert report.to_dict() == simulate(new, old, events, now=now).to_dict()
        assert report.to_dict()["counts"]["escalation to 主管副总经理"]["before"] == 1
        replayed.append(report.replayed_units)
    assert len(made) == 1
    assert replayed == [None, *[STRICTER_UNITS] * 2]


def test_a_change_of_common_ground_is_replayed_whole(tmp_path: Path) -> None:
    """A rubric, a field or the timezone changed: every unit may read it."""
    for policy in CENTER.parent.glob("*.policy"):
        (tmp_path / policy.name).write_text(policy.read_text(encoding="utf-8"), "utf-8")
    standard = tmp_path / "standard.policy"
    written = standard.read_text(encoding="utf-8")
    standard.write_text(written.replace('"规范开场白（报工号、问候）" deduct 5',
                                        '"规范开场白（报工号、问候）" deduct 8', 1), "utf-8")  # fmt: skip
    new = load_policy(tmp_path / "center.policy")
    events = sorted(demo_events(days=10, agents=4, seed=3, rubric=POLICY.rubric(
        "standard_call").table), key=lambda e: (e["at"].timestamp(), e["id"]))  # fmt: skip
    assert plan_slice(POLICY, new) is None
    report = simulate_change(new, POLICY, _events_of(events), now=NOW)
    assert report.replayed_units is None
    assert report.to_dict() == simulate(new, POLICY, events, now=NOW).to_dict()


def test_the_same_version_replays_nothing_twice() -> None:
    events = sorted(demo_events(days=10, agents=4, seed=3), key=lambda e: (e["at"], e["id"]))
    events_of, handed = _counting(events)
    report = simulate_change(POLICY, POLICY, events_of, now=NOW)
    assert report.replayed_units == () and handed == [len(events)]  # the baseline's one pass
    assert report.to_dict() == simulate(POLICY, POLICY, events, now=NOW).to_dict()


def test_a_part_of_a_policy_keeps_only_its_rules_and_pickles_as_such() -> None:
    part = POLICY.only(["bottom_removal.complaints_month", "daily_check"])
    assert [s.rule.name for s in part.rules.window_rules] == ["bottom_removal.complaints_month"]
    assert [s.block.id for s in part.rules.samplings] == ["daily_check"]
    assert not part.rules.thresholds and not part.rules.escalations
    assert part.rubrics.keys() == POLICY.rubrics.keys()
    again = pickle.loads(pickle.dumps(part))
    assert again.kept == part.kept and len(again.rules.window_rules) == 1
    complaint = {"kind": "complaint", "id": "c1", "agent": "A1",
                 "at": dt.datetime(2026, 11, 2, 9, tzinfo=ZONE)}  # fmt: skip
    assert {d.kind for d in Engine(POLICY).feed(complaint)} == {"escalation", "publish"}
    assert {d.kind for d in Engine(part).feed(complaint)} == {"publish"}  # no escalation
    with pytest.raises(AttributeError):
        part.kept = frozenset()  # type: ignore[misc]


def test_a_sweep_counts_what_a_full_replay_of_each_value_counts() -> None:
    """The sweep replays the history once, then each value's slice."""
    events = sorted(demo_events(days=40, agents=12, seed=5), key=lambda e: (e["at"], e["id"]))
    target, values = parse_sweep("bottom_removal.complaints_month=1..4")
    table = sweep(POLICY, target, values, events)
    for value in values:
        text = TEXT.replace(
            "in calendar month since back_on_floor >= 3 then off_floor_retraining\n",
            f"in calendar month since back_on_floor >= {value:g} then off_floor_retraining\n",
            1,
        )
        full = simulate(variant(text), POLICY, events).after
        expected = Counter({label: n for label, n in full.counts().items() if n})
        if full.rejected:
            expected["rejected events"] = len(full.rejected)
        assert table[value] == expected


def test_the_same_rules_from_another_folder_are_the_same_units(tmp_path: Path) -> None:
    """Where a file is (a stored version, a copy in the manager's folder) is no change:
    found when the rubrics' items kept their included file's name in spans of their own."""
    for policy in CENTER.parent.glob("*.policy"):
        (tmp_path / policy.name).write_text(policy.read_text(encoding="utf-8"), "utf-8")
    copy = load_policy(tmp_path / "center.policy")
    stored = load_policy(text=POLICY.checked.stored_text, file="center.policy", stored=True)
    for other in (copy, stored):
        plan = plan_slice(POLICY, other)
        assert plan is not None and plan.units == frozenset()
