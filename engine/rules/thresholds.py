"""KPI thresholds: a value per team, agent or evaluator per calendar period, compared with a
target when the period ends. A period without data is reported as "no data", never as 0%.

An appeal counts when it is decided (upheld or not), for the agent and for the evaluator
who scored the evaluation: `count(appeal where appeal.upheld) / count(appeal)` per
evaluator is the evaluator's upheld-appeal rate.

A period's aggregates are kept as tallies (count, exact sum, least, greatest), so that the
tallies of one period from parts of a history replayed apart add up to the whole's, and
its alerts are judged after the merge as one replay judges them (`PeriodTally`, `judge`)."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from callqa.dsl import ast, resolved
from callqa.dsl.format import format_expr
from callqa.dsl.i18n import _, current
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import Condition, compile_expression
from callqa.engine.decisions import Decision, Later
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
    # the subject's value in the period just before, and that period, when it had one
    # (alerts read it as `previous`: month over month)
    previous: tuple[str, float] | None = None


_SCALE = (
    1 << 1074
)  # the smallest step between floats is 2**-1074: every float is a whole number of them


@dataclass
class Tally:
    """One aggregate's values in one period: how many, their sum, the least and the
    greatest. The sum is kept exactly, as a whole number of the smallest float step, so
    tallies added in any order (the parts of a partitioned replay) give the same sum,
    rounded once when read: the correctly rounded sum `math.fsum` gives."""

    count: int = 0
    steps: int = 0  # the sum of the finite values, in steps of 2**-1074
    odd: float = 0.0  # the sum of any value that is not finite (the engine refuses them)
    low: float | None = None
    high: float | None = None

    def add(self, value: float) -> None:
        self.count += 1
        if not math.isfinite(value):
            self.odd += value
            return
        top, bottom = value.as_integer_ratio()
        self.steps += top * (_SCALE // bottom)
        if self.low is None or value < self.low:
            self.low = value
        if self.high is None or value > self.high:
            self.high = value

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.steps += other.steps
        self.odd += other.odd
        for value in (other.low, other.high):
            if value is not None:
                self.low = value if self.low is None else min(self.low, value)
                self.high = value if self.high is None else max(self.high, value)

    def result(self, function: str) -> float | None:
        if function == "count":
            return float(self.count)
        if not self.count:
            return None
        if function in ("sum", "avg"):
            try:
                total = self.steps / _SCALE + self.odd  # int / int: rounded once
            except OverflowError:
                total = math.copysign(math.inf, self.steps)
            return total if function == "sum" else total / self.count
        return self.low if function == "min" else self.high


@dataclass
class PeriodTally:
    """A period of one subject as a threshold leaves it when the period ends: a partitioned
    replay's parts send theirs, which `add` up to the period one replay closes."""

    rule: str  # the threshold's id
    subject: str
    period: str
    end: dt.datetime
    tallies: list[Tally]  # one per aggregator
    evidence: list[tuple[float, str]]  # (instant, event id) of the events counted

    def add(self, other: PeriodTally) -> None:
        for mine, theirs in zip(self.tallies, other.tallies, strict=True):
            mine.merge(theirs)
        self.evidence.extend(other.evidence)


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
    reads_previous: bool = False  # an alert compares with the period before (`previous`)

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
        reads_previous = any(ast.mentions(alert.when, ("previous",)) for alert in block.alerts)
        return cls(block, value, aggregators, alerts, zone, valued, reads_previous)

    def closed(self, ended: PeriodTally, earlier: Earlier | None = None) -> Closed:
        """The value of an ended period (None when there is no data), its evidence in
        time order (then by id: the order of a stored history, whoever counted it).
        `earlier`: the subjects' values so far, when an alert reads `previous` (periods
        of a subject close in order, so its last is the one before)."""
        slots: dict[str, Any] = {}
        results = []
        empty = False
        for index, (aggregator, tally) in enumerate(
            zip(self.aggregators, ended.tallies, strict=True)
        ):
            result = tally.result(aggregator.aggregate.function)
            results.append(result)
            if result is None and index < self.valued:
                empty = True
            slots[f"@{index}"] = result
        value: float | None = None
        if not empty:
            try:
                value = float(self.value(slots))
            except ZeroDivisionError:
                value = None
        explanation = Later((explain, self.aggregators, results))
        evidence = tuple(event_id for _, event_id in sorted(ended.evidence))
        previous = None if earlier is None else earlier.swap(ended, value)
        return Closed(ended.subject, ended.period, ended.end, value, explanation, evidence,
                      slots, previous)  # fmt: skip

    def judge(self, closed: Closed) -> list[Decision]:
        """An ended period's decisions: no data, or the alerts whose condition holds."""
        block = self.block
        ident = f"{block.id}/{closed.subject}/{closed.period}"
        if closed.value is None:
            return [Decision(
                ident, "no_data", closed.subject, None,
                Later((_no_data_reason, closed.period, closed.explanation)),
                block.id, block.location, closed.end, {}, closed.evidence,
            )]  # fmt: skip
        out = []
        read = {"value": closed.value, **closed.slots}
        facts: dict[str, Any] = {"value": closed.value}
        if closed.previous is not None:
            read["previous"] = facts["previous"] = closed.previous[1]
            facts["previous_period"] = closed.previous[0]
        for roles, condition, text, location in self.alerts:
            if condition(read):
                out.append(Decision(
                    ident, "alert", closed.subject, ", ".join(roles),
                    Later((_alert_reason, block.label or block.id, closed.period,
                           closed.value, closed.explanation, text, closed.previous)),
                    block.id, location, closed.end, facts, closed.evidence, roles,
                ))  # fmt: skip
        return out


@dataclass
class Earlier:
    """Each subject's value in its last closed period of a threshold: what an alert
    reading `previous` compares with, when that period is the one just before."""

    unit: str  # the threshold's period: day, week, month...
    zone: ZoneInfo
    # subject -> (the instant its last period ended, that period, its value)
    last: dict[str, tuple[float, str, float | None]] = field(default_factory=dict)

    def swap(self, ended: PeriodTally, value: float | None) -> tuple[str, float] | None:
        """Record `ended`'s value; give the period before it and its value, if it had one."""
        start = calendar_bounds(ended.period, self.unit, self.zone)[0].timestamp()
        before = self.last.get(ended.subject)
        self.last[ended.subject] = (ended.end.timestamp(), ended.period, value)
        if before is None or before[0] != start or before[2] is None:
            return None
        return before[1], before[2]


@dataclass
class ThresholdState:
    """One engine's open periods of a threshold block (its `spec`). With `ended` set (a
    part of a partitioned replay), a period that ends is kept there, not judged."""

    spec: ThresholdSpec
    periods: dict[tuple[str, str], PeriodTally] = field(default_factory=dict)
    # a heap of (instant, end, subject, period): instants, because datetimes in one
    # timezone compare by wall clock
    ends: list[tuple[float, dt.datetime, str, str]] = field(default_factory=list)
    wake: Callable[[float], None] | None = None  # told when a new period will end
    ended: list[PeriodTally] | None = None
    # the subjects on the roster (agents, or teams by their members on it): each period of
    # theirs is opened, and reported, events or not
    rostered: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.spec
        self.block = spec.block
        self.subject = spec.block.subject
        self.period = spec.block.period
        self.zone = spec.zone
        self.aggregators = spec.aggregators
        self.earlier = Earlier(self.period, self.zone) if spec.reads_previous else None

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
        # any event of the subject opens its period, so a period without the measured
        # events is reported as "no data" rather than skipped
        open_period = self.periods.get((subject, period))
        if open_period is None:
            open_period = self._open(subject, period)
        tallies = open_period.tallies
        matched = False
        for index, aggregator in enumerate(self.aggregators):
            aggregate = aggregator.aggregate
            if aggregate.kind != kind:
                continue
            if aggregator.where is not None and not aggregator.where(facts):
                continue
            if aggregate.function == "count":
                tallies[index].count += 1
                matched = True
                continue
            raw = facts.get(aggregate.name)
            if raw is None:
                continue
            if raw.__class__ is not float:
                raw = aggregator.number(raw, aggregate.name)
            tallies[index].add(float(raw))
            matched = True
        if matched:
            seen = (at.timestamp(), event_id)
            evidence = open_period.evidence
            if not evidence or evidence[-1] != seen:  # an evaluation's deductions come with it
                evidence.append(seen)

    def _open(self, subject: str, period: str) -> PeriodTally:
        end = calendar_bounds(period, self.period, self.zone)[1]
        opened = self.periods[(subject, period)] = PeriodTally(
            self.block.id, subject, period, end, [Tally() for _ in self.aggregators], []
        )
        heapq.heappush(self.ends, (end.timestamp(), end, subject, period))
        if self.wake is not None:
            self.wake(end.timestamp())
        return opened

    def enrol(self, subject: str, at: dt.datetime) -> None:
        """One more of the subject on the roster (an agent, or a member of a team): its
        period from `at` on is opened, and each next one when it ends."""
        self.rostered[subject] = self.rostered.get(subject, 0) + 1
        period = calendar_key(at, self.period, self.zone)
        if (subject, period) not in self.periods:
            self._open(subject, period)

    def unenrol(self, subject: str) -> None:
        """One fewer: with none left, the open period still ends as usual, and no next."""
        left = self.rostered.get(subject, 0) - 1
        if left > 0:
            self.rostered[subject] = left
        else:
            self.rostered.pop(subject, None)

    def next_due(self) -> float | None:
        """When the earliest open period ends, as a POSIX instant."""
        return self.ends[0][0] if self.ends else None

    def close(self, now: dt.datetime) -> list[Closed]:
        """Periods that ended by `now`, with their value (None when there is no data)."""
        out = []
        limit = now.timestamp()
        while self.ends and self.ends[0][0] <= limit:
            _instant, end, subject, period = heapq.heappop(self.ends)
            ended = self.periods.pop((subject, period))
            if subject in self.rostered:  # on the roster: its next period opens now
                following = calendar_key(end, self.period, self.zone)
                if (subject, following) not in self.periods:
                    self._open(subject, following)
            if self.ended is not None:
                self.ended.append(ended)
            else:
                out.append(self.spec.closed(ended, self.earlier))
        return out


def explain(aggregators: tuple[Aggregator, ...], results: list[float | None]) -> str:
    """A closed period's aggregates as written, each with its result."""
    return ", ".join(
        f"{_text(aggregator.aggregate)} = {_fmt(result)}"
        for aggregator, result in zip(aggregators, results, strict=True)
    )


def _no_data_reason(period: str, explanation: str | Later) -> str:
    return _("no data for {period} ({explanation}): not reported as 0").format(
        period=period, explanation=explanation
    )


def _alert_reason(label: str, period: str, value: float, explanation: str | Later,
                  text: str, previous: tuple[str, float] | None = None) -> str:  # fmt: skip
    if previous is None:
        return _("{label} for {period} is {value:.4g} ({explanation}); rule: {rule}").format(
            label=label, period=period, value=value, explanation=explanation, rule=text
        )
    return _(
        "{label} for {period} is {value:.4g} ({explanation}; previous ({previous_period}) = "
        "{previous:.4g}); rule: {rule}"
    ).format(label=label, period=period, value=value, explanation=explanation, rule=text,
             previous_period=previous[0], previous=previous[1])  # fmt: skip


def _text(aggregate: ast.Aggregate) -> str:
    """The aggregate as written, its filter included: two counts of calls that differ only
    in their filters read alike without it."""
    return format_expr(aggregate, current())


def _fmt(value: float | None) -> str:
    return _("none") if value is None else f"{value:g}"
