"""KPI thresholds: a value per team, agent or evaluator per calendar period, compared with a
target when the period ends. A period without data is reported as "no data", never as 0%.

An appeal counts when it is decided (upheld or not), for the agent and for the evaluator
who scored the evaluation: `count(appeal where appeal.upheld) / count(appeal)` per
evaluator is the evaluator's upheld-appeal rate."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from callqa.dsl import ast, resolved
from callqa.dsl.format import format_expr
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import Condition, compile_expression
from callqa.engine.decisions import Later
from callqa.engine.runtime.windows import calendar_bounds, calendar_key


@dataclass(frozen=True)
class Closed:
    subject: str
    period: str
    end: dt.datetime
    value: float | None
    explanation: str | Later  # `explain`, made when a decision's reason is read
    evidence: tuple[str, ...]
    slots: Mapping[str, Any]  # every aggregate's result (@0, @1, ...), for the alerts


def as_float(value: object, name: str) -> float:
    """A measured fact as a float, for a field the policy does not type as a number."""
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Aggregator:
    """One aggregate a threshold's value or alerts read (`count(survey where ...)`),
    with its filter compiled: its result is the slot `@n` of a closed period."""

    aggregate: ast.Aggregate
    where: Condition | None
    # the field's converter (engine.values), for a value given as text such as '5m'
    number: Callable[[object, str], Any] = as_float


class CompiledAlert(NamedTuple):
    roles: tuple[str, ...]
    when: Condition  # reads `value` and the slots @0, @1, ...
    line: str  # the alert as written
    location: str


@dataclass(frozen=True)
class ThresholdSpec:
    """A threshold block compiled once per policy: its value, alerts and the aggregates
    they read are functions. Shared by every engine of the policy; each engine's open
    periods are a ThresholdState."""

    block: resolved.Threshold
    value: Condition  # reads @0, @1, ... from a mapping
    aggregators: tuple[Aggregator, ...]
    alerts: tuple[CompiledAlert, ...]
    zone: ZoneInfo
    # how many of the aggregators the value reads (the first ones); the alerts' own, such
    # as a minimum count of evidence, come after and do not make a period "no data"
    valued: int

    @classmethod
    def compile(
        cls,
        block: resolved.Threshold,
        fields: Mapping[str, Type],
        zone: ZoneInfo,
        numbers: Mapping[str, Callable[[object, str], Any]],
    ) -> ThresholdSpec:
        """`numbers`: the converters of the fields read as numbers (engine.values)."""
        aggregates: list[ast.Aggregate] = []  # filled as the value and alerts compile
        value = compile_expression(block.value, fields, zone, aggregates, missing=None)
        valued = len(aggregates)
        alerts = tuple(
            CompiledAlert(alert.roles, compile_expression(alert.when, fields, zone, aggregates),
                          alert.line, alert.location)
            for alert in block.alerts
        )  # fmt: skip
        aggregators = tuple(
            Aggregator(
                a,
                None if a.where is None else compile_expression(a.where, fields, zone),
                numbers.get(a.name, as_float),
            )
            for a in aggregates
        )
        return cls(block, value, aggregators, alerts, zone, valued)


@dataclass
class ThresholdState:
    """One engine's open periods of a threshold block (its `spec`)."""

    spec: ThresholdSpec
    totals: dict[tuple[str, str], list[list[float]]] = field(default_factory=dict)
    evidence: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # a heap of (instant, end, subject, period): instants, because datetimes in one
    # timezone compare by wall clock
    ends: list[tuple[float, dt.datetime, str, str]] = field(default_factory=list)
    wake: Callable[[float], None] | None = None  # told when a new period will end

    def __post_init__(self) -> None:
        spec = self.spec
        self.block = spec.block
        self.subject = spec.block.subject
        self.period = spec.block.period
        self.zone = spec.zone
        self.aggregators = spec.aggregators

    def observe(
        self,
        kind: str,
        event_id: str,
        subjects: Mapping[str, str | None],
        at: dt.datetime,
        facts: Mapping[str, Any],
    ) -> None:
        """Count one event of `kind` for its subject (`subjects`: agent, team, evaluator)."""
        subject = subjects.get(self.subject)
        if subject is None:
            return
        period = calendar_key(at, self.period, self.zone)
        key = (subject, period)
        # any event of the subject opens its period, so a period without the measured
        # events is reported as "no data" rather than skipped
        totals = self.totals.get(key)
        if totals is None:
            totals = self.totals[key] = [[] for _ in self.aggregators]
            end = calendar_bounds(period, self.period, self.zone)[1]
            heapq.heappush(self.ends, (end.timestamp(), end, subject, period))
            if self.wake is not None:
                self.wake(end.timestamp())
        matched = False
        for index, aggregator in enumerate(self.aggregators):
            aggregate = aggregator.aggregate
            if aggregate.kind != kind:
                continue
            if aggregator.where is not None and not aggregator.where(facts):
                continue
            raw = 1.0 if aggregate.function == "count" else facts.get(aggregate.name)
            if raw is None:
                continue
            if raw.__class__ is not float:
                raw = aggregator.number(raw, aggregate.name)
            totals[index].append(float(raw))
            matched = True
        if matched:
            self.evidence.setdefault(key, []).append(event_id)

    def next_due(self) -> float | None:
        """When the earliest open period ends, as a POSIX instant."""
        return self.ends[0][0] if self.ends else None

    def close(self, now: dt.datetime) -> list[Closed]:
        """Periods that ended by `now`, with their value (None when there is no data)."""
        out = []
        limit = now.timestamp()
        while self.ends and self.ends[0][0] <= limit:
            _, end, subject, period = heapq.heappop(self.ends)
            key = (subject, period)
            totals = self.totals.pop(key)
            evidence = tuple(self.evidence.pop(key, []))
            slots: dict[str, Any] = {}
            results = []
            empty = False
            for index, (aggregator, values) in enumerate(
                zip(self.aggregators, totals, strict=True)
            ):
                result = _apply(aggregator.aggregate.function, values)
                results.append(result)
                if result is None and index < self.spec.valued:
                    empty = True
                slots[f"@{index}"] = result
            value: float | None = None
            if not empty:
                try:
                    value = float(self.spec.value(slots))
                except ZeroDivisionError:
                    value = None
            explanation = Later((explain, self.aggregators, results))
            out.append(Closed(key[0], key[1], end, value, explanation, evidence, slots))
        return out


def explain(aggregators: tuple[Aggregator, ...], results: list[float | None]) -> str:
    """A closed period's aggregates as written, each with its result."""
    return ", ".join(
        f"{_text(aggregator.aggregate)} = {_fmt(result)}"
        for aggregator, result in zip(aggregators, results, strict=True)
    )


def _apply(function: str, values: list[float]) -> float | None:
    if function == "count":
        return float(len(values))
    if not values:
        return None
    if function == "sum":
        return sum(values)
    if function == "avg":
        return sum(values) / len(values)
    return min(values) if function == "min" else max(values)


def _text(aggregate: ast.Aggregate) -> str:
    """The aggregate as written, its filter included: two counts of calls that differ only
    in their filters read alike without it."""
    return format_expr(aggregate)


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"
