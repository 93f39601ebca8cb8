"""Appeals as the seeds run them (issue 19, point 1; seed 004: 三方审核): the agent files,
the team lead accepts (组长受理), a panel of the supervisor, the team lead and the QA
evaluator reviews, the supervisor decides. The rubric's appeals line names the roles; an
acceptance or a decision by anyone else is refused with the reason, and the appeal stays
open for the right person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_appeals import FACTS, PASS  # a billing call's answers, all passed

from callqa.dsl.check import check_text
from callqa.dsl.format import format_text
from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import EventError
from callqa.engine.simulation.partition import Router, simulate_partitioned
from callqa.engine.simulation.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
STANDARD = load_policy(ROOT / "policies" / "standard.policy")
AT = dt.datetime(2026, 11, 2, 10, 0)


def hours(n: float) -> dt.datetime:
    return AT + dt.timedelta(hours=n)


def evaluation(ident: str = "ev1", agent: str = "A1") -> dict[str, Any]:
    return {"kind": "evaluation", "id": ident, "at": AT, "agent": agent, "evaluator": "QA1",
            "team": "T1", "rubric": "standard_call", "answers": {**PASS, "accuracy": "fail"},
            "facts": FACTS}  # fmt: skip


def appealed() -> Engine:
    engine = Engine(STANDARD)
    engine.feed(evaluation())
    engine.feed({"kind": "appeal", "id": "p1", "evaluation": "ev1", "item": "accuracy",
                 "reason": "报价无误", "at": hours(1)})  # fmt: skip
    return engine


def accept(engine: Engine, at: float = 2, by: str = "L01", role: str | None = "班长",
           ident: str = "a1") -> list[Decision]:  # fmt: skip
    return engine.feed({"kind": "appeal_accepted", "id": ident, "appeal": "p1", "by": by,
                        "role": role, "at": hours(at)})  # fmt: skip


def decide(engine: Engine, at: float = 3, by: str = "S01", role: str | None = "主管",
           ident: str = "d1") -> list[Decision]:  # fmt: skip
    return engine.feed({"kind": "appeal_decision", "id": ident, "appeal": "p1", "upheld": True,
                        "decided_by": by, "role": role, "at": hours(at)})  # fmt: skip


def test_the_team_lead_accepts_the_panel_is_told_the_supervisor_decides() -> None:
    engine = appealed()
    [review] = accept(engine)
    assert (review.kind, review.subject, review.notify) == ("appeal_review", "A1",
                                                           ("主管", "班长", "evaluator"))  # fmt: skip
    assert review.reason == ("appeal p1 (item accuracy of evaluation ev1) accepted by 班长 L01: "
                             "for review by the panel 主管, 班长, evaluator (QA1); 主管 decides")  # fmt: skip
    assert review.evidence == ("p1", "a1")
    [rescore] = decide(engine)
    assert rescore.kind == "rescore" and rescore.facts["after"] > rescore.facts["before"]
    assert engine.accepted == {} and engine.appeals == {}


def test_a_decision_waits_for_the_acceptance() -> None:
    engine = appealed()
    with pytest.raises(EventError) as refused:
        decide(engine)
    assert str(refused.value) == (
        "appeal decision 'd1': appeal 'p1' has not been accepted yet; rubric standard_call's "
        "appeals are accepted by 班长 first (an appeal_accepted event), and the appeal stays "
        "open until then"
    )
    accept(engine)
    assert decide(engine, at=4, ident="d2")[0].kind == "rescore"


@pytest.mark.parametrize(
    ("role", "said"),
    [("班长", "and S01 did it as 班长"), (None, "and S01 did it without saying in which role")],
)
def test_only_the_supervisor_decides(role: str | None, said: str) -> None:
    engine = appealed()
    accept(engine)
    with pytest.raises(EventError) as refused:
        decide(engine, role=role)
    assert str(refused.value) == (
        f"appeal decision 'd1': rubric standard_call's appeals are decided by 主管, {said}; "
        'give role "主管" when 主管 does it, and the appeal stays open until then'
    )
    assert "p1" in engine.appeals
    assert decide(engine, at=4, ident="d2")[0].kind == "rescore"


def test_acceptance_by_the_wrong_role_the_agent_or_twice_is_refused() -> None:
    engine = appealed()
    with pytest.raises(EventError, match="appeals are accepted by 班长, and Q1 did it as 质检"):
        accept(engine, by="Q1", role="质检")
    with pytest.raises(EventError, match="accepted by A1, who filed appeal 'p1'; someone else "
                                         r"\(班长\) accepts it"):  # fmt: skip
        accept(engine, by="A1")
    accept(engine)
    with pytest.raises(EventError, match="was already accepted by L01; an appeal is accepted once"):
        accept(engine, at=3, ident="a2")
    with pytest.raises(EventError, match="no open appeal 'p9'"):
        engine.feed({"kind": "appeal_accepted", "id": "a3", "appeal": "p9", "at": hours(4)})


def test_appeals_and_their_acceptance_go_to_the_part_of_the_agent() -> None:
    router = Router(5)
    part = router.route(evaluation("ev7", agent="A7"))
    assert router.route({"kind": "appeal", "id": "p7", "evaluation": "ev7"}) == part
    assert router.route({"kind": "appeal_accepted", "id": "a7", "appeal": "p7"}) == part
    assert router.route({"kind": "appeal_decision", "id": "d7", "appeal": "p7"}) == part


def test_a_partitioned_replay_of_accepted_appeals_is_one_replays() -> None:
    events: list[dict[str, Any]] = []
    for n in range(6):
        agent = f"A{n}"
        events.append({**evaluation(f"ev{n}", agent), "at": AT + dt.timedelta(minutes=n)})
    for n in range(6):
        events.append({"kind": "appeal", "id": f"p{n}", "evaluation": f"ev{n}",
                       "item": "accuracy", "at": hours(1) + dt.timedelta(minutes=n)})  # fmt: skip
    for n in range(6):
        events.append({"kind": "appeal_accepted", "id": f"a{n}", "appeal": f"p{n}", "by": "L01",
                       "role": "班长", "at": hours(2) + dt.timedelta(minutes=n)})  # fmt: skip
    for n in range(6):
        events.append({"kind": "appeal_decision", "id": f"d{n}", "appeal": f"p{n}",
                       "upheld": n % 2 == 0, "decided_by": "S01", "role": "主管",
                       "at": hours(3) + dt.timedelta(minutes=n)})  # fmt: skip
    until = dt.datetime(2026, 12, 1, 1)
    old = load_policy(text=(ROOT / "policies" / "standard.policy").read_text(encoding="utf-8")
                      .replace("value > 20%", "value > 30%"), file="standard.policy")  # fmt: skip
    whole = simulate(STANDARD, old, events, until=until)
    assert simulate_partitioned(STANDARD, old, events, 3, until=until).to_dict() == (
        whole.to_dict()
    )


# ------------------------------------------------------------------ the language

RUBRIC = """policy "t" version "1" timezone "Asia/Shanghai"
rubric r {
  section s { item a "开场白" deduct 50 }
  APPEALS
}
"""


def test_the_appeals_line_formats_back_to_itself() -> None:
    line = "appeals within 3 days accepted by 班长 panel 主管, 班长, evaluator decided by 主管"
    text = format_text(RUBRIC.replace("APPEALS", line))
    assert f"  {line}\n" in text and format_text(text) == text


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        (
            "appeals within 3 days panel 主管, 班长 decided by 经理",
            "经理 decides appeals but does not sit on the panel",
            "write: panel 主管, 班长, 经理",
        ),
        (
            "appeals within 3 days decided by 主管 decided by 经理",
            "the appeal line says `decided` twice",
            "keep one decided",
        ),
        ("appeals within 3 days panel 主管, 主管", "a role sits on the panel twice", "once"),
    ],
)
def test_a_wrong_appeals_line_is_explained(line: str, message: str, hint: str) -> None:
    _, diagnostics = check_text(RUBRIC.replace("APPEALS", line), "t.policy")
    [error] = [d for d in diagnostics if d.is_error]
    assert error.message == message and hint in (error.hint or "")
    assert error.line == 4 and error.col == 3
