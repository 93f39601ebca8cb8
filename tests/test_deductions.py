"""Rules that read an evaluation's items (issue 19, point 6): each deducted item is a
`deduction` of its own, counted and acted on like an event, and `per deduction.item`
counts each item apart — the same item failed three times in a month brings coaching
on that item (seed 003: problems that recur uncorrected). An item amended on appeal no
longer counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = f"""policy "items" version "1" timezone "Asia/Shanghai"
include "{ROOT / "policies" / "standard.policy"}"
action drill "专项辅导" notify 班长
action warned "扣分过多" notify 班长
discipline items {{
  rule same_item when count(deduction) per deduction.item in calendar month >= 3 then drill
  rule heavy when sum(deduction.points where deduction.points >= 10) in 7 days >= 30 then warned
}}
threshold points "人均扣分" {{
  per evaluator per month
  value sum(deduction.points) / count(evaluation)
  alert 质检主管 when value > 0
}}
"""
POLICY = load_policy(text=RULES, file="items.policy")
TABLE = POLICY.rubric("standard_call").table
PASS: dict[str, Any] = {
    item.id: 0 if item.per_occurrence else "fail" if item.kind == "bonus" else "pass"
    for item in TABLE.items
}
# billing calls of 2 minutes: identity_check, wait_ack and recap do not apply
FACTS = {"call": {"type": "billing", "duration": 120, "hold_time": 0}}
FAILABLE = ["greeting", "tone", "accuracy", "ownership", "closing"]


def evaluation(n: int, agent: str, at: dt.datetime, *failed: str) -> dict[str, Any]:
    return {"kind": "evaluation", "id": f"e{n}", "agent": agent, "evaluator": "QA1",
            "rubric": "standard_call", "answers": {**PASS, **dict.fromkeys(failed, "fail")},
            "facts": FACTS, "at": at}  # fmt: skip


def of_rule(decisions: list[Decision], rule: str) -> list[Decision]:
    return [d for d in decisions if d.rule == f"items.{rule}" and d.kind == "action"]


def test_the_same_item_three_times_in_a_month_acts_once_naming_the_item() -> None:
    engine = Engine(POLICY)
    out: list[Decision] = []
    days = [(3, "accuracy", "tone"), (9, "accuracy"), (15, "tone"), (21, "accuracy"),
            (27, "accuracy", "tone")]  # fmt: skip
    for n, (day, *failed) in enumerate(days):
        out += engine.feed(
            evaluation(n, "A1", dt.datetime(2026, 11, day, 10, tzinfo=ZONE), *failed)
        )
    [accuracy, tone] = of_rule(out, "same_item")
    assert accuracy.id == "items.same_item/A1/accuracy/calendar month 2026-11"
    assert accuracy.at == dt.datetime(2026, 11, 21, 10, tzinfo=ZONE)
    assert accuracy.evidence == ("e0", "e1", "e3")
    assert accuracy.facts == {"value": 3.0, "count": 3, "deduction.item": "accuracy"}
    assert "count(deduction) for deduction.item accuracy in calendar month 2026-11 is 3" in (
        accuracy.reason
    )
    assert (tone.subject, tone.facts["deduction.item"], tone.evidence) == ("A1", "tone",
                                                                           ("e0", "e2", "e4"))  # fmt: skip


def test_an_evaluation_is_named_once_in_evidence_however_many_of_its_items_count() -> None:
    engine = Engine(POLICY)
    at = dt.datetime(2026, 11, 3, 10, tzinfo=ZONE)
    out = engine.feed(evaluation(1, "A1", at, "accuracy", "tone", "ownership", "greeting"))
    [heavy] = of_rule(out, "heavy")  # 15 + 10 + 10; greeting's 5 is filtered out
    assert (heavy.evidence, heavy.facts) == (("e1",), {"value": 35.0, "count": 3})
    out += engine.advance(dt.datetime(2026, 12, 1, 1, tzinfo=ZONE))
    [alert] = [d for d in out if d.rule == "points" and d.kind == "alert"]
    assert alert.evidence == ("e1",)
    assert alert.facts["value"] == 40.0  # 5 + 10 + 15 + 10 over one evaluation


def test_an_item_upheld_on_appeal_is_taken_back_from_its_window() -> None:
    engine = Engine(POLICY)
    out: list[Decision] = []
    for n, day in enumerate((3, 9)):
        out += engine.feed(evaluation(n, "A1", dt.datetime(2026, 11, day, 10, tzinfo=ZONE),
                                      "accuracy"))  # fmt: skip
    out += engine.feed({"kind": "appeal", "id": "p1", "evaluation": "e1", "item": "accuracy",
                        "at": dt.datetime(2026, 11, 10, 9, tzinfo=ZONE)})  # fmt: skip
    out += engine.feed({"kind": "appeal_accepted", "id": "a1", "appeal": "p1", "by": "L01",
                        "role": "班长", "at": dt.datetime(2026, 11, 10, 10, tzinfo=ZONE)})  # fmt: skip
    out += engine.feed({"kind": "appeal_decision", "id": "d1", "appeal": "p1", "upheld": True,
                        "decided_by": "S01", "role": "主管",
                        "at": dt.datetime(2026, 11, 11, 9, tzinfo=ZONE)})  # fmt: skip
    out += engine.feed(evaluation(2, "A1", dt.datetime(2026, 11, 15, 10, tzinfo=ZONE), "accuracy"))
    assert of_rule(out, "same_item") == []
    out += engine.feed(evaluation(3, "A1", dt.datetime(2026, 11, 20, 10, tzinfo=ZONE), "accuracy"))
    [coaching] = of_rule(out, "same_item")
    assert coaching.evidence == ("e0", "e2", "e3")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A1", "A2"]), st.integers(0, 60 * 24 * 3),
                          st.sets(st.sampled_from(FAILABLE), max_size=3)),
                max_size=25))  # fmt: skip
def test_counting_apart_per_item_agrees_with_counting_by_hand(
    evaluations: list[tuple[str, int, set[str]]],
) -> None:
    """Over two months, each (agent, item, calendar month) acts once, when its third
    deduction comes, naming the first three evaluations that deducted it."""
    start = dt.datetime(2026, 10, 20, tzinfo=ZONE)
    timed = sorted(
        (start + dt.timedelta(minutes=20 * minutes), agent, sorted(failed), n)
        for n, (agent, minutes, failed) in enumerate(evaluations)
    )
    engine = Engine(POLICY)
    out: list[Decision] = []
    counted: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    expected = {}
    for at, agent, failed, n in timed:
        out += engine.feed(evaluation(n, agent, at, *failed))
        for item in failed:
            key = (agent, item, f"{at:%Y-%m}")
            counted[key].append(f"e{n}")
            if len(counted[key]) == 3:
                expected[key] = (at, tuple(counted[key]))
    got = {(d.subject, d.facts["deduction.item"], d.id.rsplit(" ", 1)[1]): (d.at, d.evidence)
           for d in of_rule(out, "same_item")}  # fmt: skip
    assert got == expected
    assert len(of_rule(out, "same_item")) == len(got)


def test_counting_apart_needs_a_text_fact_of_the_counted_events() -> None:
    base = 'policy "t" timezone "UTC"\naction a "x" notify 班长\ndiscipline d {\n  rule r when '
    cases = {
        "count(violation) per complaint.severity in calendar month >= 2 then a":
            ("violation events have no complaint.severity to count apart by",
             "per violation.type"),
        "count(deduction) per deduction.points in calendar month >= 2 then a":
            ("deduction.points is a number", "per deduction.item"),
        "count(deduction) per deduction.itme in calendar month >= 2 then a":
            ("unknown field deduction.itme", "did you mean deduction.item?"),
    }  # fmt: skip
    for rule, (message, hint) in cases.items():
        _, diagnostics = check_text(base + rule + "\n}\n", "t.policy")
        [problem] = [d for d in diagnostics if d.is_error]
        assert message in problem.message and hint in (problem.hint or ""), problem
        # 1-based, at the field after `per`
        assert (problem.line, problem.col) == (4, len("  rule r when ") + rule.index(" per ") + 6)
    good = "count(violation) per violation.type in calendar month >= 2 then a"
    assert not [d for d in check_text(base + good + "\n}\n", "t.policy")[1] if d.is_error]


def test_a_test_or_a_feed_cannot_give_a_deduction() -> None:
    text = ('policy "t" timezone "UTC"\ntest "x" {\n'
            '  deduction item "tone" at 2026-11-02 09:00\n}\n')  # fmt: skip
    [problem] = [d for d in check_text(text, "t.policy")[1] if d.is_error]
    assert "deduction" in problem.message
