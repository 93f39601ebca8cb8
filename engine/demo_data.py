"""Deterministic demo evaluations for the shipped rubrics: a realistic mix, not uniform noise.

Most agents do most things right; a few agents are weaker; red lines are rare; conditional
items follow the call's facts. The same seed always gives the same evaluations.
"""

from __future__ import annotations

import random
from typing import Any

from engine.rubric import RubricTable

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
        out.append({"id": f"{table.id}-{n + 1:05d}", "call": call, "answers": answers})
    return out
