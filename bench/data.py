"""Deterministic benchmark evaluations: mostly good calls, some faults, rare red lines."""

from __future__ import annotations

import random
from typing import Any

from bench.rubric import CALL_TYPES, TABLE


def evaluations(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for index in range(n):
        answers: dict[str, Any] = {}
        for item in TABLE:
            roll = rng.random()
            if item["kind"] == "critical":
                answers[item["id"]] = "fail" if roll < 0.01 else "pass"
            elif item["cap"] is not None:
                answers[item["id"]] = (
                    "na" if roll < 0.03 else (0 if roll < 0.8 else rng.randint(1, 5))
                )
            else:
                answers[item["id"]] = "na" if roll < 0.03 else ("fail" if roll < 0.15 else "pass")
        call = {"type": rng.choice(CALL_TYPES), "duration": int(rng.lognormvariate(5.3, 0.7))}
        out.append({"id": f"E{index}", "call": call, "answers": answers})
    return out


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {item["id"]: [] for item in TABLE}
    cols["call.type"] = []
    cols["call.duration"] = []
    for row in rows:
        for key, value in row["answers"].items():
            cols[key].append(value)
        cols["call.type"].append(row["call"]["type"])
        cols["call.duration"].append(row["call"]["duration"])
    return cols


def large_policy(lines: int = 500) -> str:
    """A policy of about `lines` lines: many rubrics like the benchmark's."""
    from bench.rubric import POLICY_TEXT

    body = POLICY_TEXT.split("rubric bench", 1)[1]
    header = 'policy "large" version "1" timezone "Asia/Shanghai"\n'
    parts = [header]
    count = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(f"rubric bench{count}" + body)
        count += 1
    return "".join(parts)
