"""The time-aware blocks of a checked policy as typed, named values: escalations,
thresholds, sampling and discipline rules.

The syntax tree keeps a block's lines as it was written, a bag of entries in any order
(`ast.Escalation.entries` holds chains, start rules and time limits alike). The checker
made sure each block has what it needs (one chain, one `per`, a limit for a window
rule...); `resolve` reads that once into the values below, so the engine asks for an
escalation's `roles` or a window rule's `limit` in seconds instead of searching entries
and converting literals itself. Durations are seconds (float), locations `file:line`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from callqa.dsl import ast
from callqa.dsl.check import CheckedPolicy
from callqa.dsl.vocabulary import WEEKDAYS, weekdays

# ------------------------------------------------------------------- time limits


@dataclass(frozen=True, slots=True)
class Wait:
    """A time limit: `seconds` of real time, or, when `working`, of the center's working
    time (`8 working hours`: 28800), or whole working days (`2 working days`: 172800)."""

    seconds: float
    text: str  # as written, for reasons
    working: bool = False
    days: bool = False  # whole working days: the same time of day, n working days on


def _wait(wait: ast.Wait) -> Wait:
    return Wait(wait.number, wait.written, wait.working, wait.days)


@dataclass(frozen=True, slots=True)
class Calendar:
    """The center's working time: the hours of each weekday (Monday first), holidays
    and make-up working days (date -> the weekday whose hours it works)."""

    id: str
    location: str
    hours: tuple[tuple[tuple[dt.time, dt.time], ...], ...]  # 7 weekdays, ranges in order
    holidays: Mapping[dt.date, str]  # date -> its name ("" when none is given)
    workdays: Mapping[dt.date, tuple[int, str]]  # date -> (weekday worked like, name)


# ------------------------------------------------------------------- escalation


@dataclass(frozen=True, slots=True)
class StartRule:
    """`start at 主管 when complaint.severity == "high"`: a complaint for which `when`
    holds (any complaint, when None) starts at `role`."""

    role: str
    when: ast.Expr | None
    location: str


@dataclass(frozen=True, slots=True)
class Escalation:
    """A chain of roles a complaint climbs while unresolved."""

    id: str
    label: str | None
    location: str
    roles: tuple[str, ...]  # the chain, first level first
    starts: tuple[StartRule, ...]  # the first that holds sets the start level
    limits: Mapping[str, Wait]  # role -> how long it has; a role without one keeps it


# ------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class Alert:
    """`alert 质检经理 when value < 90%`: who is told when a closed period's value
    satisfies `when` (which reads `value`, and may have aggregates of its own)."""

    roles: tuple[str, ...]
    when: ast.Expr
    line: str  # the alert as written, quoted in the decision's reason
    location: str


@dataclass(frozen=True, slots=True)
class Threshold:
    """A KPI per subject and calendar period, compared when the period ends."""

    id: str
    label: str | None
    location: str
    subject: str  # team | agent | evaluator
    period: str  # day | week | month
    value: ast.Expr  # over aggregates of the period's events
    alerts: tuple[Alert, ...]


# --------------------------------------------------------------------- sampling


@dataclass(frozen=True, slots=True)
class Pick:
    """`pick 2nd call where ...` (an ordinal) or `pick 2 random calls`."""

    ordinal: int | None
    count: int
    where: ast.Expr | None  # which calls it may take (None: any)
    line: str  # as written, quoted in the decisions and the published rule


@dataclass(frozen=True, slots=True)
class Quota:
    """`at least 4 calls per week when agent.status == "new"`: a larger sample for
    the agents for whom `when` holds (all, when None)."""

    count: int
    when: ast.Expr | None


@dataclass(frozen=True, slots=True)
class Publish:
    """`publish 1 day ahead to 班长`: each period's rule and seed, sent before it starts."""

    ahead: float  # seconds before the period starts
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sampling:
    """A sampling block: each agent's calls of a period, and the picks made at its end."""

    id: str
    label: str | None
    location: str
    period: str  # day | week | month
    picks: tuple[Pick, ...]
    quotas: tuple[Quota, ...]
    publish: Publish | None


# ------------------------------------------------------------------- discipline


@dataclass(frozen=True, slots=True)
class WindowRule:
    """`rule r when count(complaint) in calendar month >= 3 then off_floor`: a measure
    of an agent's events in a calendar or rolling window, compared with a limit."""

    block: str  # the discipline block's id
    id: str
    location: str
    measure: ast.Aggregate  # what is counted, summed, averaged...
    calendar: str | None  # the calendar unit (month...), or None for a rolling window
    rolling: float | None  # a rolling window's length in seconds
    rolling_text: str | None  # as written: `365 days`
    op: str  # >=, >, <=, <, ==, !=
    limit: float
    limit_text: str
    minimum: int | None  # `with at least 5 evaluations`: fewer is insufficient evidence
    minimum_word: str | None  # the word after the minimum: evaluations
    then: str  # the action
    # `per deduction.item`: the fact whose values are counted apart (None: the agent's all)
    per: str | None = None
    since: str | None = None  # `since back_on_floor`: counted from that action on

    @property
    def name(self) -> str:
        """`block.rule`, as decisions name their rule."""
        return f"{self.block}.{self.id}"


@dataclass(frozen=True, slots=True)
class EventRule:
    """`rule r on commendation where ... then praise`: an action on each matching event."""

    block: str
    id: str
    location: str
    on: str  # the kind of event
    where: ast.Expr | None
    # `call.answer_delay > 8h` among its where's terms: the limit in seconds (the
    # decision is dated when the call became late) and as written
    late_after: float | None
    late_text: str | None
    then: str
    # `without reply within 8h`: the kind that answers the event, and how long it waits
    without: str | None = None
    within: Wait | None = None

    @property
    def name(self) -> str:
        return f"{self.block}.{self.id}"


# --------------------------------------------------------------------------- rota


@dataclass(frozen=True, slots=True)
class Rota:
    """`rota peer_review { per team per day ... }`: a reviewer per team and period."""

    id: str
    label: str | None
    location: str
    period: str  # day or week
    publish: Publish | None


# --------------------------------------------------------------------- together


@dataclass(frozen=True, slots=True)
class TimeRules:
    """Every time-aware block of a policy, in the order they are written."""

    escalations: tuple[Escalation, ...]
    thresholds: tuple[Threshold, ...]
    samplings: tuple[Sampling, ...]
    window_rules: tuple[WindowRule, ...]
    event_rules: tuple[EventRule, ...]
    calendar: Calendar | None = None  # the working time of `8 working hours`
    rotas: tuple[Rota, ...] = ()


def resolve(checked: CheckedPolicy) -> TimeRules:
    """The time-aware blocks of a policy checked without errors (the checker made sure
    each has the entries read here)."""
    tree = checked.tree
    where = checked.location
    window_rules: list[WindowRule] = []
    event_rules: list[EventRule] = []
    for block in tree.disciplines:
        for rule in block.rules:
            if rule.on is not None:
                late = _lateness(rule.on, rule.where)
                event_rules.append(EventRule(
                    block.id, rule.id, where(rule.span), rule.on, rule.where,
                    None if late is None else late.number, None if late is None else late.text,
                    rule.then, rule.without, None if rule.within is None else _wait(rule.within),
                ))  # fmt: skip
                continue
            measure, window = rule.measure, rule.window
            assert measure is not None and window is not None
            assert rule.op is not None and rule.limit is not None
            rolling = window.rolling
            window_rules.append(WindowRule(
                block.id, rule.id, where(rule.span), measure, window.calendar,
                None if rolling is None else rolling.number,
                None if rolling is None else rolling.text,
                rule.op, rule.limit.number, rule.limit.text, rule.minimum, rule.minimum_word,
                rule.then, None if rule.per is None else rule.per.name, rule.since,
            ))  # fmt: skip
    return TimeRules(
        tuple(_escalation(block, checked) for block in tree.escalations),
        tuple(_threshold(block, checked) for block in tree.thresholds),
        tuple(_sampling(block, checked) for block in tree.samplings),
        tuple(window_rules),
        tuple(event_rules),
        next((_calendar(block, checked) for block in tree.calendars), None),
        tuple(_rota(block, checked) for block in tree.rotas),
    )


def _rota(block: ast.Rota, checked: CheckedPolicy) -> Rota:
    (per,) = [e for e in block.entries if isinstance(e, ast.Per)]
    publish = next(
        (Publish(e.ahead.number, e.roles) for e in block.entries if isinstance(e, ast.Publish)),
        None,
    )
    return Rota(block.id, block.label, checked.location(block.span), per.period, publish)


def _escalation(block: ast.Escalation, checked: CheckedPolicy) -> Escalation:
    (chain,) = [e for e in block.entries if isinstance(e, ast.Chain)]
    limits = {
        limit.role: _wait(limit.after)
        for entry in block.entries
        if isinstance(entry, ast.EscalateAfter)
        for limit in entry.limits
    }
    starts = tuple(
        StartRule(e.role, e.when, checked.location(e.span))
        for e in block.entries
        if isinstance(e, ast.StartAt)
    )
    return Escalation(
        block.id, block.label, checked.location(block.span), chain.roles, starts, limits
    )


def _calendar(block: ast.Calendar, checked: CheckedPolicy) -> Calendar:
    hours: list[list[tuple[dt.time, dt.time]]] = [[] for _ in WEEKDAYS]
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, tuple[int, str]] = {}
    for entry in block.entries:
        if isinstance(entry, ast.WorkHours):
            ranges = [(_time(start), _time(end)) for start, end in entry.ranges]
            for span in entry.days:
                for day in weekdays(span.first, span.last):
                    hours[day].extend(ranges)
        elif isinstance(entry, ast.Holiday):
            first = _date(entry.first)
            last = first if entry.last is None else _date(entry.last)
            for offset in range((last - first).days + 1):
                holidays[first + dt.timedelta(days=offset)] = entry.name or ""
        else:
            like = WEEKDAYS.index(entry.like) if entry.like is not None else 0
            workdays[_date(entry.day)] = (like, entry.name or "")
    return Calendar(
        block.id, checked.location(block.span), tuple(tuple(sorted(h)) for h in hours),
        holidays, workdays,
    )  # fmt: skip


def _time(literal: ast.Literal) -> dt.time:
    assert isinstance(literal.value, dt.time)
    return literal.value


def _date(literal: ast.Literal) -> dt.date:
    assert isinstance(literal.value, dt.date)
    return literal.value


def _threshold(block: ast.Threshold, checked: CheckedPolicy) -> Threshold:
    (per,) = [e for e in block.entries if isinstance(e, ast.Per)]
    (value,) = [e for e in block.entries if isinstance(e, ast.ThresholdValue)]
    alerts = tuple(
        Alert(e.roles, e.when, checked.line(e.span), checked.location(e.span))
        for e in block.entries
        if isinstance(e, ast.Alert)
    )
    return Threshold(
        block.id, block.label, checked.location(block.span), per.subject, per.period,
        value.expr, alerts,
    )  # fmt: skip


def _sampling(block: ast.Sampling, checked: CheckedPolicy) -> Sampling:
    (per,) = [e for e in block.entries if isinstance(e, ast.Per)]
    picks = tuple(
        Pick(e.ordinal, e.count, e.where, checked.line(e.span))
        for e in block.entries
        if isinstance(e, ast.Pick)
    )
    quotas = tuple(Quota(e.count, e.when) for e in block.entries if isinstance(e, ast.Quota))
    publish = next(
        (Publish(e.ahead.number, e.roles) for e in block.entries if isinstance(e, ast.Publish)),
        None,
    )
    return Sampling(
        block.id, block.label, checked.location(block.span), per.period, picks, quotas, publish
    )


def _lateness(kind: str, where: ast.Expr | None) -> ast.Literal | None:
    """The limit of a rule on answering late (`call.answer_delay > 8h`, one of the terms
    its where joins with `and`), if it is one."""
    if not isinstance(where, ast.Binary):
        return None
    if where.op == "and":
        return _lateness(kind, where.left) or _lateness(kind, where.right)
    delay = ast.FieldRef((kind, "answer_delay"))
    left, right = where.left, where.right
    if where.op in (">", ">=") and left == delay and isinstance(right, ast.Literal):
        return right
    if where.op in ("<", "<=") and right == delay and isinstance(left, ast.Literal):
        return left
    return None
