"""Deterministic demo evaluations for the shipped rubrics: a realistic mix, not uniform noise.

Most agents do most things right; a few agents are weaker; red lines are rare; conditional
items follow the call's facts. The same seed always gives the same evaluations.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from callqa.engine.policy import Policy
from callqa.engine.scoring.rubric import RubricTable

CALL_TYPES = ["account", "card", "billing", "general", "walk_in"]
AGENTS = [f"A{n:03d}" for n in range(1, 25)]


def demo_evaluations(table: RubricTable, count: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{table.id}")
    skill = {agent: rng.uniform(0.80, 0.99) for agent in AGENTS}
    out: list[dict[str, Any]] = []
    for n in range(count):
        agent = AGENTS[n % len(AGENTS)]
        p_ok = skill[agent]
        call = {
            "type": rng.choice(CALL_TYPES),
            "duration": int(rng.lognormvariate(5.3, 0.6)),  # median ~3.3 min
            "hold_time": rng.choice([0, 0, 0, 30, 90]),
            "escalated": rng.random() < 0.2,
            "agent": agent,
        }
        answers = demo_answers(table, rng, p_ok)
        out.append({"id": f"{table.id}-{n + 1:05d}", "call": call, "answers": answers})
    return out


def demo_answers(table: RubricTable, rng: random.Random, p_ok: float) -> dict[str, Any]:
    """An evaluator's answers for an agent who gets each item right with chance `p_ok`."""
    answers: dict[str, Any] = {}
    for item in table.items:
        if item.kind == "bonus":
            answers[item.id] = "pass" if rng.random() < 0.15 else "fail"
        elif item.critical:
            answers[item.id] = "fail" if rng.random() < 0.01 else "pass"
        elif item.per_occurrence:
            answers[item.id] = 0 if rng.random() < p_ok else rng.randint(1, 4)
        elif rng.random() < 0.02:
            answers[item.id] = "na"
        else:
            answers[item.id] = "fail" if rng.random() > p_ok else "pass"
    return answers


def demo_events(
    days: int = 28, agents: int = 24, seed: int = 2026, rubric: RubricTable | None = None
) -> list[dict[str, Any]]:
    """A month of a small center's events, in time order: calls on a daily arrival curve
    (peaks mid-morning and mid-afternoon), complaints, violations, commendations, surveys;
    with a `rubric`, also QA evaluations of two of each agent's calls a day (scored the
    next day, the weaker agents lower) and appeals of some of them."""
    rng = random.Random(f"{seed}:events")
    zone = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2026, 11, 2, tzinfo=zone)
    names = AGENTS[:agents]
    teams = {agent: f"T{1 + index % 3}" for index, agent in enumerate(names)}
    weak = set(rng.sample(names, min(3, len(names))))
    out: list[dict[str, Any]] = []
    serial = 0

    def add(kind: str, at: dt.datetime, **fields: Any) -> None:
        nonlocal serial
        serial += 1
        prefix = {"complaint": "CP", "commendation": "CM", "call": "CL", "violation": "VI",
                  "survey": "SV"}[kind]  # fmt: skip
        out.append({"kind": kind, "id": f"{prefix}{serial:06d}", "at": at, **fields})

    for day in range(days):
        date = start + dt.timedelta(days=day)
        if date.weekday() == 6:
            continue
        for agent in names:
            for _ in range(rng.randint(8, 14)):
                hour = rng.choice([9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 17])
                at = date + dt.timedelta(hours=hour, minutes=rng.randrange(60))
                kind = rng.choice(CALL_TYPES)
                if rng.random() < 0.03:  # rang out or hung up before it was answered
                    add("call", at, agent=agent, team=teams[agent], type=kind, duration=0,
                        answered=False)  # fmt: skip
                    continue
                duration = int(rng.lognormvariate(5.0, 0.7))
                resolved = rng.random() < 0.85
                delay = int(rng.lognormvariate(1.6, 0.6))  # seconds to pick up, median ~5
                add("call", at, agent=agent, team=teams[agent], type=kind, duration=duration,
                    resolved=resolved, answer_delay=delay)  # fmt: skip
            p_complaint = 0.1 if agent in weak else 0.01
            if rng.random() < p_complaint:
                severity = "major" if rng.random() < 0.2 else "normal"
                add("complaint", date + dt.timedelta(hours=rng.randint(9, 17)), agent=agent,
                    team=teams[agent], severity=severity)  # fmt: skip
            if rng.random() < (0.05 if agent in weak else 0.01):
                add("violation", date + dt.timedelta(hours=8, minutes=rng.randint(31, 59)),
                    agent=agent, type=rng.choice(["late", "left_desk", "eating"]))  # fmt: skip
            if rng.random() < 0.03:
                add("commendation", date + dt.timedelta(hours=rng.randint(9, 17)), agent=agent,
                    channel=rng.choice(["口头", "短信"]), text="感谢耐心解答")  # fmt: skip
            if rng.random() < 0.5:
                add("survey", date + dt.timedelta(hours=18), agent=agent, team=teams[agent],
                    satisfied=rng.random() < 0.95)  # fmt: skip
    out.sort(key=lambda e: (e["at"], e["id"]))
    if rubric is not None:
        out += _evaluations(out, rubric, weak, rng)
    complaints = [e for e in out if e["kind"] == "complaint"]
    for complaint in complaints:
        if rng.random() < 0.7:
            hours = rng.choice([2, 4, 6, 12, 30])
            out.append({"kind": "complaint_resolved", "id": f"res-{complaint['id']}",
                        "at": complaint["at"] + dt.timedelta(hours=hours),
                        "complaint": complaint["id"]})  # fmt: skip
    out.sort(key=lambda e: (e["at"], e["id"]))
    return out


def demo_history(policy: Policy, days: int = 56) -> list[dict[str, Any]]:
    """The demo's stored history for a policy: `demo_events`, with evaluations against
    the policy's first rubric when it has one (the rulebook includes its scorecards)."""
    first = next(iter(policy.rubrics.values()), None)
    return demo_events(days=days, rubric=first.table if first is not None else None)


def _evaluations(
    events: list[dict[str, Any]], rubric: RubricTable, weak: set[str], rng: random.Random
) -> list[dict[str, Any]]:
    """Evaluations of two calls per agent and day, scored the next working hours by one of
    three evaluators; one in ten with a failed item is appealed, and half of those upheld."""
    by_day: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for event in events:
        if event["kind"] == "call" and event.get("answered", True):
            by_day.setdefault((event["agent"], event["at"].date()), []).append(event)
    skill = {agent: rng.uniform(0.55, 0.7) if agent in weak else rng.uniform(0.85, 0.98)
             for agent, _ in by_day}  # fmt: skip
    out: list[dict[str, Any]] = []
    for (agent, _), calls in by_day.items():
        for call in rng.sample(calls, min(2, len(calls))):
            at = call["at"] + dt.timedelta(days=1, hours=rng.randint(1, 3))
            answers = demo_answers(rubric, rng, skill[agent])
            # every fact the shipped scorecards read
            facts = {"call": {"type": call["type"], "duration": call["duration"],
                              "hold_time": rng.choice([0, 0, 0, 30, 90]),
                              "escalated": rng.random() < 0.2}}  # fmt: skip
            evaluation_id = f"EV-{call['id']}"
            out.append({"kind": "evaluation", "id": evaluation_id, "at": at, "agent": agent,
                        "team": call["team"], "rubric": rubric.id, "call": call["id"],
                        "evaluator": rng.choice(["QA1", "QA2", "QA3"]), "answers": answers,
                        "facts": facts})  # fmt: skip
            failed = [item for item, answer in answers.items() if answer == "fail"]
            if failed and rng.random() < 0.1:
                appeal_at = at + dt.timedelta(hours=rng.randint(2, 20))
                item, upheld = rng.choice(failed), rng.random() < 0.5
                appealed = rubric.item(item)
                # an appeal is of a deducted item: not a bonus, nor one that may not apply
                if appealed is None or appealed.kind == "bonus" or appealed.condition is not None:
                    continue
                out.append({"kind": "appeal", "id": f"AP-{call['id']}", "at": appeal_at,
                            "evaluation": evaluation_id, "item": item,
                            "reason": "录音显示已按规范操作"})  # fmt: skip
                steps = rubric.settings  # who accepts and decides, by role
                if steps.appeal_accepted_by is not None:
                    out.append({"kind": "appeal_accepted", "id": f"AA-{call['id']}",
                                "at": appeal_at + dt.timedelta(hours=2),
                                "appeal": f"AP-{call['id']}", "by": f"L-{call['team']}",
                                "role": steps.appeal_accepted_by})  # fmt: skip
                out.append({"kind": "appeal_decision", "id": f"AD-{call['id']}",
                            "at": appeal_at + dt.timedelta(days=1), "appeal": f"AP-{call['id']}",
                            "upheld": upheld, "decided_by": "质检主管",
                            "role": steps.appeal_decided_by})  # fmt: skip
    return out


def demo_calibration(
    table: RubricTable, calls: int = 40, evaluators: tuple[str, ...] = ("QA1", "QA2", "QA3"),
    expert: str = "EXPERT", seed: int = 2026,
) -> list[dict[str, Any]]:  # fmt: skip
    """Several evaluators score the same calls: QA1 is close to the expert, QA2 is lenient
    on one item, QA3 answers at random now and then."""
    truth = demo_evaluations(table, calls, seed)
    rng = random.Random(f"{seed}:calibration")
    out: list[dict[str, Any]] = []
    for index, base in enumerate(truth):
        call_id = f"call-{index + 1:04d}"
        for evaluator in (expert, *evaluators):
            answers = dict(base["answers"])
            for item in table.items:
                lenient = evaluator == "QA2" and item.kind == "deduct"
                fixed_fault = not item.per_occurrence and answers[item.id] == "fail"
                if lenient and fixed_fault and rng.random() < 0.7:
                    answers[item.id] = "pass"
                if evaluator == "QA3" and rng.random() < 0.08 and not item.per_occurrence:
                    answers[item.id] = rng.choice(["pass", "fail"])
            out.append({"kind": "evaluation", "id": f"{call_id}-{evaluator}", "call": call_id,
                        "evaluator": evaluator, "rubric": table.id, "agent": base["call"]["agent"],
                        "facts": {"call": base["call"]}, "answers": answers})  # fmt: skip
    return out
