"""Calibration across evaluators, and the sensitivity sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from callqa.engine import load_policy
from callqa.engine.scoring.calibration import calibrate
from callqa.engine.scoring.demo_data import demo_calibration, demo_events
from callqa.engine.simulation.sweep import SweepError, limit_text, parse_sweep, sweep

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def test_calibration_flags_the_evaluator_outside_the_tolerance() -> None:
    policy = load_policy(POLICIES / "standard.policy")
    rows = demo_calibration(policy.rubric("standard_call").table, calls=30)
    report = calibrate(policy, "standard_call", rows, expert="EXPERT")
    by_name = {row.evaluator: row for row in report.evaluators}
    assert set(by_name) == {"QA1", "QA2", "QA3"}
    assert by_name["QA1"].mean_absolute_difference == 0.0 and not by_name["QA1"].flagged
    assert by_name["QA2"].mean_difference > 0  # lenient
    assert by_name["QA3"].flagged and report.tolerance == 5.0
    assert report.items[0].disagreement >= report.items[-1].disagreement
    assert report.calls == 30 and report.rejected == []


@pytest.mark.parametrize("bad", ["str", [1], None])
def test_calibration_rejects_facts_that_are_not_an_object_and_goes_on(bad: object) -> None:
    policy = load_policy(POLICIES / "standard.policy")
    rows = demo_calibration(policy.rubric("standard_call").table, calls=30)
    broken = {**rows[0], "id": "broken", "facts": bad}
    report = calibrate(policy, "standard_call", [broken, *rows], expert="EXPERT")
    assert report.rejected == [
        "evaluation 'broken': facts and answers must each be an object such as "
        '{"call.type": "account"}'
    ]
    assert report.calls == 30


def test_calibration_tolerance_comes_from_the_rubric() -> None:
    text = (
        (POLICIES / "standard.policy")
        .read_text(encoding="utf-8")
        .replace("  scale 100\n", "  scale 100\n  calibration tolerance 20\n", 1)
    )
    policy = load_policy(text=text)
    rows = demo_calibration(policy.rubric("standard_call").table, calls=30)
    report = calibrate(policy, "standard_call", rows)
    assert report.tolerance == 20.0 and report.reference == "consensus (mean score)"


def test_sweep_moves_the_counts_monotonically() -> None:
    policy = load_policy(POLICIES / "center.policy")
    events = demo_events(days=56)
    target, values = parse_sweep("bottom_removal.complaints_month=1..4")
    table = sweep(policy, target, values, events)
    counts = [table[v]["action: off_floor_retraining"] for v in values]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert len({table[v]["sample"] for v in values}) == 1  # sampling does not depend on it


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("complaints_month", "write RULE=FROM..TO"),
        ("x.nope=1..2", "no single window rule"),
        ("m=a..b", "'a' is not a number"),
        ("m=nan..inf", "'nan' is not a limit a rule can have"),
        ("m=-5..-1", "'-5' is not a limit a rule can have"),
        ("m=1,1e400", "'1e400' is not a limit a rule can have"),
        ("m=99999999999999999999..99999999999999999999", "is not a limit a rule can have"),
    ],
)
def test_sweep_errors(text: str, message: str) -> None:
    """Each said in words; non-numbers, NaN, negative and huge limits were tracebacks."""
    policy = load_policy(POLICIES / "center.policy")
    with pytest.raises(SweepError, match=message):
        target, values = parse_sweep(text)
        sweep(policy, target, values, [])


def test_a_swept_limit_is_written_as_the_policy_writes_it() -> None:
    assert [limit_text(v) for v in (3.0, 2.5, 2_000_000.0, 0.125)] == [
        "3",
        "2.5",
        "2000000",
        "0.125",
    ]
