"""Sensitivity sweep: replay the same history once per value of one rule's limit and show
how the outcome counts move (`--sweep bottom_removal.complaints_month=2..5`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from engine.errors import EngineError
from engine.events import EventError
from engine.policy import Policy, load_policy
from engine.runtime import REPLAY_MAX_GAP, Engine
from engine.simulate import _label, advance_to_end


class SweepError(EngineError):
    pass


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """`block.rule=2..5` or `rule=2,3,5` -> ("block.rule", [2, 3, 4, 5])."""
    match = re.fullmatch(r"\s*([\w.]+)\s*=\s*(.+)", text)
    if not match:
        raise SweepError(
            f"{text!r}: write RULE=FROM..TO, e.g. bottom_removal.complaints_month=2..5"
        )
    target, values = match.groups()
    if ".." in values:
        low, high = (float(v) for v in values.split("..", 1))
        if high < low or high - low > 100:
            raise SweepError(f"{values!r}: the range must go up, and by at most 100 steps")
        return target, [low + step for step in range(int(high - low) + 1)]
    return target, [float(v) for v in values.split(",")]


def sweep(
    policy: Policy, target: str, values: Sequence[float], events: Sequence[Mapping[str, Any]],
    until: dt.datetime | None = None,
) -> dict[float, Counter[str]]:  # fmt: skip
    rule = _find_rule(policy, target)
    assert rule.limit is not None
    lines = policy.checked.source.split("\n")
    span = rule.limit.span
    out: dict[float, Counter[str]] = {}
    for value in values:
        text = f"{value:g}"
        changed = list(lines)
        line = changed[span.line - 1]
        changed[span.line - 1] = line[: span.col - 1] + text + line[span.end_col - 1 :]
        variant = load_policy(text="\n".join(changed), file=policy.file)
        engine = Engine(variant, max_gap=REPLAY_MAX_GAP)
        decisions = []
        rejected = 0
        for event in events:
            try:
                decisions += engine.feed(event)
            except EventError:
                rejected += 1
        problems: list[str] = []
        decisions += advance_to_end(engine, until, problems)
        if problems:
            raise SweepError(problems[0])
        out[value] = Counter(_label(d) for d in decisions)
        if rejected:
            out[value]["rejected events"] = rejected
    return out


def _find_rule(policy: Policy, target: str) -> Any:
    block_name, _, rule_name = target.rpartition(".")
    found = []
    for block in policy.checked.tree.disciplines:
        for rule in block.rules:
            if rule.id == rule_name and block_name in ("", block.id) and rule.limit is not None:
                found.append(rule)
    if len(found) != 1:
        names = [f"{b.id}.{r.id}" for b in policy.checked.tree.disciplines for r in b.rules
                 if r.limit is not None]  # fmt: skip
        raise SweepError(f"no single window rule {target!r}; rules: {', '.join(names)}")
    return found[0]
