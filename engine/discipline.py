"""Discipline and recognition rules: counts, sums and averages of an agent's events in
calendar or rolling windows, leading to the policy's actions.

An action fires once per window, not once per event: a calendar rule fires at most once
per agent and calendar period; a rolling rule fires when its condition becomes true and
fires again only after it has been false in between. A rule that needs a minimum number
of events (`with at least 5 evaluations`) reports "insufficient evidence" (once per
window) instead of acting on too little data.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dsl import ast
from engine.conditions import Condition
from engine.windows import RollingWindow, calendar_key

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


@dataclass
class WindowRule:
    rule: ast.Rule
    block: str
    location: str
    where: Condition | None
    zone: ZoneInfo
    calendar: dict[tuple[str, str], list[tuple[str, float]]] = field(default_factory=dict)
    rolling: dict[str, RollingWindow] = field(default_factory=dict)
    fired: set[tuple[str, str]] = field(default_factory=set)  # once per window and verdict

    @property
    def kind(self) -> str:
        assert self.rule.measure is not None
        return self.rule.measure.kind

    def observe(self, agent: str, event_id: str, at: dt.datetime, facts: dict[str, Any]) -> Any:
        """Add one matching event. Returns None, or (verdict, value, count, evidence,
        window) where verdict is "act" or "insufficient" — each at most once per window."""
        rule = self.rule
        assert rule.measure is not None and rule.window is not None
        if self.where is not None and not self.where(facts):
            return None
        value = 1.0
        if rule.measure.function != "count":
            raw = facts.get(rule.measure.name)
            if raw is None:
                return None
            value = float(raw)
        if rule.window.calendar is not None:
            period = calendar_key(at, rule.window.calendar, self.zone)
            entries = self.calendar.setdefault((agent, period), [])
            entries.append((event_id, value))
            values = [v for _, v in entries]
            evidence = tuple(e for e, _ in entries)
            label = f"calendar {rule.window.calendar} {period}"
            return self._verdict((agent, period), values, evidence, label)
        assert rule.window.rolling is not None
        length = float(rule.window.rolling.value)  # type: ignore[arg-type]
        window = self.rolling.setdefault(agent, RollingWindow(length))
        window.expire(at.timestamp())
        if not self._holds([v for _, _, v in window.times]):
            # the condition was false: the rule may report and act again
            self.fired.discard((agent, "insufficient"))
            self.fired.discard((agent, "act"))
        window.add(at.timestamp(), event_id, value)
        values = [v for _, _, v in window.times]
        label = f"the last {rule.window.rolling.text}"
        return self._verdict((agent, ""), values, tuple(window.evidence()), label)

    def _verdict(
        self, key: tuple[str, str], values: list[float], evidence: tuple[str, ...], label: str
    ) -> Any:
        if not self._holds(values):
            return None
        minimum = self.rule.minimum
        verdict = "insufficient" if minimum is not None and len(values) < minimum else "act"
        once = (key[0], verdict) if key[1] == "" else (f"{key[0]}|{key[1]}", verdict)
        if once in self.fired or (verdict == "act" and self._acted(key)):
            return None
        self.fired.add(once)
        return verdict, self._measure(values), len(values), evidence, label

    def _acted(self, key: tuple[str, str]) -> bool:
        once = (key[0], "act") if key[1] == "" else (f"{key[0]}|{key[1]}", "act")
        return once in self.fired

    def _measure(self, values: list[float]) -> float:
        assert self.rule.measure is not None
        function = self.rule.measure.function
        if function == "count":
            return float(len(values))
        if function == "sum":
            return sum(values)
        if function == "avg":
            return sum(values) / len(values)
        return min(values) if function == "min" else max(values)

    def _holds(self, values: list[float]) -> bool:
        if not values:
            return False
        assert self.rule.op is not None and self.rule.limit is not None
        return COMPARE[self.rule.op](self._measure(values), float(self.rule.limit.value))  # type: ignore[arg-type]
