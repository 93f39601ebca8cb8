"""A policy is compiled once: its time-aware blocks read into typed values
(callqa.dsl.resolved), compiled on the Policy, shared by its engines; and it pickles for
worker processes into a policy that decides alike."""

from __future__ import annotations

import builtins
import datetime as dt
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl import resolved
from callqa.engine import load_policy
from callqa.engine.errors import EventError
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.policy_tests import run_policy_tests
from callqa.engine.scoring.demo_data import demo_events

POLICIES = Path(__file__).resolve().parent.parent / "policies"
SHIPPED = {path.name: load_policy(path) for path in sorted(POLICIES.glob("*.policy"))}
CENTER = SHIPPED["center.policy"]
CENTER_TEXT = (POLICIES / "center.policy").read_text(encoding="utf-8")


def replay(policy: Policy, events: list[Any]) -> list[str]:
    """Every decision, and every refusal, of one engine fed `events`, as text."""
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    out: list[str] = []
    for event in events:
        try:
            out += [repr(decision) for decision in engine.feed(event)]
        except EventError as error:
            out.append(f"refused: {error}")
    out += [repr(d) for d in engine.advance(dt.datetime(2028, 1, 1, tzinfo=policy.timezone))]
    return out


def history(policy: Policy, days: int, agents: int, seed: int) -> list[Any]:
    """Demo events, with evaluations and appeals under the policy's first rubric."""
    first = next(iter(policy.rubrics.values()), None)
    rubric = None if first is None else first.table
    return demo_events(days=days, agents=agents, seed=seed, rubric=rubric)


def round_trip(policy: Policy) -> Policy:
    copy = pickle.loads(pickle.dumps(policy))
    assert isinstance(copy, Policy)
    return copy


# ------------------------------------------------------------------ typed blocks


def test_an_escalation_reads_as_roles_start_rules_and_limits_in_seconds() -> None:
    (escalation,) = CENTER.time_blocks.escalations
    assert escalation.roles == ("班长", "主管副总经理", "总经理", "主管领导")
    assert {role: wait.seconds for role, wait in escalation.limits.items()} == {
        "班长": 8 * 3600.0, "主管副总经理": 24 * 3600.0, "总经理": 48 * 3600.0}  # fmt: skip
    assert not any(wait.working for wait in escalation.limits.values())
    (start,) = escalation.starts
    assert start.role == "总经理" and start.when is not None
    line = CENTER_TEXT.split("\n").index('  start at 总经理 when complaint.severity == "major"') + 1
    assert start.location.endswith(f"center.policy:{line}")


def test_thresholds_sampling_and_rules_read_as_named_values() -> None:
    blocks = CENTER.time_blocks
    csat = next(t for t in blocks.thresholds if t.id == "csat")
    assert (csat.subject, csat.period) == ("team", "week")
    (alert,) = csat.alerts
    assert alert.roles == ("主管",) and alert.line == "alert 主管 when value < 96%"
    (sampling,) = blocks.samplings
    assert sampling.period == "day"
    assert [(p.ordinal, p.count) for p in sampling.picks] == [(2, 1), (None, 2)]
    assert [q.count for q in sampling.quotas] == [4]
    assert sampling.publish == resolved.Publish(86400.0, ("班长",))
    year = next(r for r in blocks.window_rules if r.id == "complaints_year")
    assert (year.calendar, year.rolling, year.rolling_text) == (None, 365 * 86400.0, "365 days")
    assert (year.op, year.limit, year.then) == (">=", 5.0, "off_floor_retraining")
    online = next(r for r in blocks.event_rules if r.id == "online_reply")
    assert (online.on, online.late_after, online.late_text) == ("call", 8 * 3600.0, "8h")


def test_a_block_from_an_included_file_names_that_file_and_quotes_its_line() -> None:
    appeals = next(t for t in CENTER.time_blocks.thresholds if t.id == "evaluator_appeals")
    standard = str(POLICIES / "standard.policy")
    lines = (POLICIES / "standard.policy").read_text(encoding="utf-8").split("\n")
    block = lines.index('threshold evaluator_appeals "质检员申诉成立率" {') + 1
    assert appeals.location == f"{standard}:{block}"
    (alert,) = appeals.alerts
    assert alert.location == f"{standard}:{block + 3}"
    assert alert.line == "alert 质检主管 when value > 20%"


# ------------------------------------------------------------------ compile once


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The file names of the code Python compiles while the test runs: every generated
    function goes through the builtin `compile`."""
    names: list[str] = []
    real = builtins.compile

    def counting(source: Any, filename: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(str(filename))
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    yield names


def test_an_engine_compiles_nothing_its_policy_compiled(compiles: list[str]) -> None:
    Engine(CENTER)  # the first in the process may compile what depends on no policy
    compiles.clear()
    engine = Engine(CENTER)
    assert compiles == []
    assert engine.window_rules[0].spec is CENTER.rules.window_rules[0]
    load_policy(POLICIES / "center.policy")  # the seam sees a policy's compiling
    assert "<callqa condition>" in compiles and "<callqa sampling daily_check>" in compiles


def test_engines_of_one_policy_share_its_rules_but_not_their_state() -> None:
    events = history(CENTER, 10, 6, 3)
    alone = replay(CENTER, events)
    first, second = Engine(CENTER, max_gap=REPLAY_MAX_GAP), Engine(CENTER, max_gap=REPLAY_MAX_GAP)
    first.feed_all(events)
    assert replay(CENTER, events) == alone  # what the first counted reaches no other engine
    assert second.clock is None
    assert all(not rule.calendar and not rule.rolling for rule in second.window_rules)
    assert [c.spec for c in first.chains] == [c.spec for c in second.chains]


# ---------------------------------------------------------------------- pickling


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_pickled_policy_decides_as_the_original(name: str) -> None:
    policy = SHIPPED[name]
    copy = round_trip(policy)
    assert (copy.name, copy.version, copy.file, copy.timezone) == (
        policy.name, policy.version, policy.file, policy.timezone,
    )  # fmt: skip
    assert copy.time_blocks == policy.time_blocks
    events = history(policy, 21, 12, 2026)
    assert replay(copy, events) == replay(policy, events)
    assert [repr(r) for r in run_policy_tests(copy)] == [repr(r) for r in run_policy_tests(policy)]
    for rubric in policy.rubrics:
        evaluations = [e for e in events if e["kind"] == "evaluation" and e["rubric"] == rubric]
        for evaluation in evaluations[:20]:
            data = {"id": evaluation["id"], **evaluation.get("facts", {}),
                    "answers": evaluation["answers"]}  # fmt: skip
            assert copy.score(rubric, data).to_dict() == policy.score(rubric, data).to_dict()


def test_a_pickled_policy_with_included_files_keeps_their_texts_and_locations() -> None:
    copy = round_trip(CENTER)
    assert copy.checked.sources == CENTER.checked.sources and CENTER.checked.sources
    assert {r.table.location for r in copy.rubrics.values()} == {
        r.table.location for r in CENTER.rubrics.values()
    }


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 15), st.integers(2, 8))
def test_a_pickled_policy_replays_any_history_alike(seed: int, days: int, agents: int) -> None:
    events = history(CENTER, days, agents, seed)
    assert replay(round_trip(CENTER), events) == replay(CENTER, events)
