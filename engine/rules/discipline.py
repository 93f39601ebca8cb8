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
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast, resolved
from callqa.dsl.format import format_expr
from callqa.dsl.i18n import current
from callqa.engine.codegen.conditions import Condition
from callqa.engine.rules.thresholds import as_float
from callqa.engine.runtime.windows import (
    Counted,
    RollingWindow,
    Tally,
    calendar_bounds,
    calendar_key,
)

# whose windows: an agent's, or (agent, value) for a rule counting apart per a value
Whose = str | tuple[str, str]


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


@dataclass(frozen=True)
class WindowRuleSpec:
    """A window rule compiled once per policy: its filter is a function, its measure's
    converter chosen. Shared by every engine of the policy; each engine's windows are a
    WindowRule."""

    rule: resolved.WindowRule
    where: Condition | None
    zone: ZoneInfo
    # the measured field's converter (engine.values), for a value given as text ('5m')
    number: Callable[[object, str], Any]

    def measure_words(self) -> str:
        """The measure, its filter included, with the keywords of the language spoken:
        `count(complaint where complaint.substantiated)`, `计数(投诉 满足 投诉.substantiated)`
        (a reason is read in that language, whichever set the policy was written in)."""
        return format_expr(self.rule.measure, current())

    @classmethod
    def compile(
        cls,
        rule: resolved.WindowRule,
        compile_condition: Callable[[ast.Expr], Condition],
        zone: ZoneInfo,
        numbers: Mapping[str, Callable[[object, str], Any]],
    ) -> WindowRuleSpec:
        where = rule.measure.where
        return cls(
            rule,
            None if where is None else compile_condition(where),
            zone,
            numbers.get(rule.measure.name, as_float),
        )


@dataclass(frozen=True)
class EventRuleSpec:
    """An event rule compiled once per policy: its where is a function."""

    rule: resolved.EventRule
    where: Condition | None

    @classmethod
    def compile(
        cls, rule: resolved.EventRule, compile_condition: Callable[[ast.Expr], Condition]
    ) -> EventRuleSpec:
        return cls(rule, None if rule.where is None else compile_condition(rule.where))


@dataclass
class WindowRule:
    """One engine's windows of a window rule (its `spec`), per agent."""

    spec: WindowRuleSpec
    # agent -> period -> its tally; only periods not yet ended are kept, so a long-running
    # service holds one month (or week, day...) per agent, not its whole history
    calendar: dict[Whose, dict[str, Tally]] = field(default_factory=dict)
    rolling: dict[Whose, RollingWindow] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.spec
        rule = self.rule = spec.rule
        # what `observe` reads for every event, as attributes of its own
        self.where = spec.where
        self.zone = spec.zone
        self.number = spec.number
        self.kind = rule.measure.kind
        self.function = rule.measure.function
        self.fact = rule.measure.name
        self.unit = rule.calendar
        self.length = 0.0 if rule.rolling is None else rule.rolling
        self.compare = COMPARE[rule.op]
        self.limit = rule.limit
        self.per = rule.per  # `per deduction.item`: the fact whose values count apart
        self._last_period, self._last_end = "", 0.0  # the latest period opened, its end

    def observe(self, agent: Whose, event_id: Counted, at: dt.datetime,
                facts: dict[str, Any]) -> Any:  # fmt: skip
        """Add one matching event. Returns None, or (verdict, value, count, evidence,
        window) where verdict is "act" or "insufficient" — each at most once per window."""
        if self.where is not None and not self.where(facts):
            return None
        value = 1.0
        if self.function != "count":
            raw = facts.get(self.fact)
            if raw is None:
                return None
            value = raw if raw.__class__ is float else float(self.number(raw, self.fact))
        if self.unit is not None:
            period = calendar_key(at, self.unit, self.zone)
            periods = self.calendar.get(agent)
            if periods is None:
                periods = self.calendar[agent] = {}
            tally = periods.get(period)
            if tally is None:
                tally = self._open(periods, period, at)
            tally.add(event_id, value)
            return self._verdict(tally, f"calendar {self.unit} {period}")
        window = self.rolling.get(agent)
        if window is None:
            window = self.rolling[agent] = RollingWindow(self.length)
        now = at.timestamp()
        window.expire(now)
        if not self._holds(window):
            window.fired = ()  # the condition was false: the rule may report and act again
        window.add(now, event_id, value)
        return self._verdict(window, f"the last {self.rule.rolling_text}")

    def withdraw(self, agent: str, event_ids: Collection[Counted]) -> None:
        """Take back events counted for `agent`, under whatever value they were counted
        apart by: an upheld appeal amends a deduction, an action spends what brought it.
        A decision already made stands."""
        for key in self._keys(self.calendar, agent):
            for tally in self.calendar[key].values():
                tally.withdraw(event_ids)
        for key in self._keys(self.rolling, agent):
            window = self.rolling[key]
            window.withdraw(event_ids)
            if not window.times:  # as `forget_ended` does: an empty window never holds
                del self.rolling[key]

    def restart(self, agent: str) -> None:
        """Forget the agent's windows (under every value counted apart): the count starts
        again from the next event, and so does the once-per-window rule."""
        for key in self._keys(self.calendar, agent):
            del self.calendar[key]
        for key in self._keys(self.rolling, agent):
            del self.rolling[key]

    def _keys(self, table: Mapping[Whose, object], agent: str) -> list[Whose]:
        """The agent's keys in `table`: the agent, or each (agent, value) counted apart."""
        if self.per is None:
            return [agent] if agent in table else []
        return [key for key in table if isinstance(key, tuple) and key[0] == agent]

    def _open(self, periods: dict[str, Tally], period: str, at: dt.datetime) -> Tally:
        """A new period's tally, dropping the agent's periods that have ended: events come
        in time order, so none can fall in them again."""
        assert self.unit is not None
        now = at.timestamp()
        for ended in [p for p, tally in periods.items() if tally.end <= now]:
            del periods[ended]
        if period != self._last_period:  # agents open the same few periods in turn
            self._last_period = period
            self._last_end = calendar_bounds(period, self.unit, self.zone)[1].timestamp()
        tally = periods[period] = Tally(self._last_end)
        return tally

    def forget_ended(self, now: float) -> None:
        """Drop what no later event can count in: calendar periods that have ended, and
        rolling windows whose events are all older than the window. An agent's next event
        finds a fresh window, as it would have after dropping them itself; the state of
        agents who have left the center is freed (it grew by ~4 KB per agent before)."""
        for agent, periods in list(self.calendar.items()):
            for ended in [p for p, tally in periods.items() if tally.end <= now]:
                del periods[ended]
            if not periods:
                del self.calendar[agent]
        for agent, window in list(self.rolling.items()):
            window.expire(now)
            if not window.times:  # an empty window never holds: `fired` would be reset
                del self.rolling[agent]

    def _verdict(self, window: Tally | RollingWindow, label: str) -> Any:
        if not self._holds(window):
            return None
        minimum = self.rule.minimum
        verdict = "insufficient" if minimum is not None and len(window) < minimum else "act"
        if verdict in window.fired:
            return None
        window.fired += (verdict,)
        evidence = tuple(window.evidence())
        return verdict, self._measure(window), len(window), evidence, label

    def _measure(self, window: Tally | RollingWindow) -> float:
        function = self.function
        if function == "count":
            return float(len(window))
        if function == "sum":
            return window.total if isinstance(window, Tally) else sum(window.values)
        if function == "avg":
            total = window.total if isinstance(window, Tally) else sum(window.values)
            return total / len(window)
        return min(window.values) if function == "min" else max(window.values)

    def _holds(self, window: Tally | RollingWindow) -> bool:
        return len(window) > 0 and self.compare(self._measure(window), self.limit)
