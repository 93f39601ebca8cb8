"""The typed syntax tree of a policy, with source positions.

Nodes are frozen dataclasses. Spans are excluded from equality, so two parses of the
same policy laid out differently compare equal (what the formatter's round-trip needs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, is_dataclass
from dataclasses import fields as dataclass_fields
from typing import TypeVar, cast

from callqa.dsl.source import NOWHERE, Span
from callqa.dsl.types import Type

# ------------------------------------------------------------------ expressions


@dataclass(frozen=True, slots=True)
class Literal:
    type: Type
    value: int | float | str | bool | dt.time | dt.date | dt.datetime
    text: str  # as written, so the formatter keeps `5m` as `5m` and `96%` as `96%`
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def number(self) -> float:
        """The value of a number, percentage (a fraction) or duration (seconds), typed:
        where the grammar or the checker guarantees a number, read it with this instead
        of `float(value)` over the union. A non-number here is a bug in the checker."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"internal error: {self.text!r} ({self.type.name}) is not a number")
        return float(value)


@dataclass(frozen=True, slots=True)
class FieldRef:
    path: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    operand: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "or" "and" "==" "!=" "<" "<=" ">" ">=" "+" "-" "*" "/"
    left: Expr
    right: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class InList:
    operand: Expr
    items: tuple[Literal, ...]
    negated: bool
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`count(complaint where complaint.substantiated)`, `avg(evaluation.score)`."""

    function: str  # count | sum | avg | min | max
    path: tuple[str, ...]  # ("complaint",) or ("evaluation", "score")
    where: Expr | None
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def kind(self) -> str:
        return self.path[0]

    @property
    def name(self) -> str:
        return ".".join(self.path)


Expr = Literal | FieldRef | Unary | Binary | InList | Aggregate

# -------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class PolicyHeader:
    name: str
    version: str | None
    timezone: str | None
    span: Span = field(default=NOWHERE, compare=False)
    timezone_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Include:
    """`include "standard.policy"`: another policy file's blocks join this policy."""

    path: str  # as written, relative to the including file's folder
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class FieldDecl:
    path: tuple[str, ...]
    type_name: str
    span: Span = field(default=NOWHERE, compare=False)
    type_span: Span = field(default=NOWHERE, compare=False)

    @property
    def name(self) -> str:
        return ".".join(self.path)


# ------------------------------------------------------------------------ rubric


@dataclass(frozen=True, slots=True)
class Amount:
    """`deduct 2 per occurrence max 6` or `bonus 5`."""

    points: Literal
    per_occurrence: bool
    cap: Literal | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    label: str | None
    deduct: Amount | None
    bonus: Amount | None
    critical: bool
    condition: Expr | None
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    label: str | None
    weight: Literal | None
    items: tuple[Item, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    bounds: tuple[tuple[str, Literal], ...]  # (">=", 95), ("<", 95)
    otherwise: bool
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Grades:
    bands: tuple[Band, ...]
    span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Setting:
    """A one-line rubric setting: `scale 100`, `critical means zero_score`, `rounding 1`..."""

    key: str  # "scale" | "critical" | "na" | "bonus" | "rounding" | "appeals"
    value: Literal | None
    word: str | None  # the mode word: zero_score, excluded, capped, half_up ...
    span: Span = field(default=NOWHERE, compare=False)
    word_span: Span | None = field(default=None, compare=False)
    # `appeals within 3 days accepted by 班长 panel 主管, 班长, evaluator decided by 主管`:
    # each step ("accepted", "panel", "decided") with its roles, as written
    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()


RubricEntry = Setting | Section | Grades


@dataclass(frozen=True, slots=True)
class Rubric:
    id: str
    label: str | None
    entries: tuple[RubricEntry, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(e for e in self.entries if isinstance(e, Section))

    @property
    def grades(self) -> Grades | None:
        found = [e for e in self.entries if isinstance(e, Grades)]
        return found[0] if found else None

    def settings(self, key: str) -> list[Setting]:
        return [e for e in self.entries if isinstance(e, Setting) and e.key == key]


# ----------------------------------------------------------- time-aware blocks


@dataclass(frozen=True, slots=True)
class ActionDecl:
    id: str
    label: str | None
    notify: tuple[str, ...]
    sets_status: str | None
    approval_by: str | None
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Pick:
    ordinal: int | None  # pick 2nd call
    count: int  # pick 2 random calls (1 for an ordinal pick)
    ordinal_text: str | None
    call_word: str
    where: Expr | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Quota:
    count: int
    period: str
    when: Expr | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Publish:
    ahead: Literal
    roles: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Per:
    """`per agent per day`."""

    subject: str
    period: str
    span: Span = field(default=NOWHERE, compare=False)


SamplingEntry = Per | Pick | Quota | Publish


@dataclass(frozen=True, slots=True)
class Sampling:
    id: str
    label: str | None
    entries: tuple[SamplingEntry, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Chain:
    roles: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class StartAt:
    role: str
    when: Expr | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Wait:
    """`8h` (real time) or `8 working hours` (only the hours the center's calendar says
    are worked count): how long an escalation level, or a rule waiting on silence, gives."""

    length: Literal  # a duration: real time, or working time (`8 working hours` is 8h)
    working: bool = False
    days: bool = False  # `2 working days`: whole working days, not 48 working hours
    text: str = ""  # as written; the length's text when empty
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def number(self) -> float:
        return self.length.number

    @property
    def written(self) -> str:
        return self.text or self.length.text


@dataclass(frozen=True, slots=True)
class TimeLimit:
    after: Wait
    role: str
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class EscalateAfter:
    limits: tuple[TimeLimit, ...]
    while_unresolved: bool
    span: Span = field(default=NOWHERE, compare=False)


EscalationEntry = Chain | StartAt | EscalateAfter


@dataclass(frozen=True, slots=True)
class Escalation:
    id: str
    label: str | None
    entries: tuple[EscalationEntry, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Rota:
    """`rota peer_review { per team per day  publish 1 day ahead to 班长 }`."""

    id: str
    label: str | None
    entries: tuple[Per | Publish, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class ThresholdValue:
    expr: Expr
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Alert:
    roles: tuple[str, ...]
    when: Expr
    span: Span = field(default=NOWHERE, compare=False)


ThresholdEntry = Per | ThresholdValue | Alert


@dataclass(frozen=True, slots=True)
class Threshold:
    id: str
    label: str | None
    entries: tuple[ThresholdEntry, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Window:
    calendar: str | None  # "month" for `in calendar month`
    rolling: Literal | None  # a duration for `in 365 days`
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """`rule x when count(complaint) in calendar month >= 3 then off_floor` (a window
    rule) or `rule y on commendation where ... then praise` (an event rule)."""

    id: str
    measure: Aggregate | None
    window: Window | None
    op: str | None
    limit: Literal | None
    minimum: int | None
    minimum_word: str | None
    on: str | None
    where: Expr | None
    then: str
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    then_span: Span = field(default=NOWHERE, compare=False)
    # `count(deduction) per deduction.item in ...`: each value of the fact counted apart
    per: FieldRef | None = None
    # `in 365 days since back_on_floor`: counted from the agent's last such action on
    since: str | None = None
    since_span: Span = field(default=NOWHERE, compare=False)
    # `on message without reply within 8h`: what answers the event, and how soon
    without: str | None = None
    within: Wait | None = None
    without_span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Discipline:
    id: str
    label: str | None
    rules: tuple[Rule, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class DaySpan:
    """`mon-fri` or `sat` in a calendar's `hours` line: weekdays as written."""

    first: str
    last: str | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class WorkHours:
    """`hours mon-fri 09:00-12:00, 13:30-18:00`: when those weekdays are worked."""

    days: tuple[DaySpan, ...]
    ranges: tuple[tuple[Literal, Literal], ...]  # times of day, from and to
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Holiday:
    """`holiday 2026-10-01 to 2026-10-08 "国庆节"`: days not worked, whatever the weekday."""

    first: Literal  # a date
    last: Literal | None
    name: str | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class MakeUpDay:
    """`workday 2026-09-27 like mon "国庆调休"`: a weekend day worked, with the hours of
    `like` (Monday's when not said)."""

    day: Literal  # a date
    like: str | None
    name: str | None
    span: Span = field(default=NOWHERE, compare=False)
    like_span: Span = field(default=NOWHERE, compare=False)


CalendarEntry = WorkHours | Holiday | MakeUpDay


@dataclass(frozen=True, slots=True)
class Calendar:
    """The center's working time, for the limits written in working hours."""

    id: str
    label: str | None
    entries: tuple[CalendarEntry, ...]
    span: Span = field(default=NOWHERE, compare=False)
    id_span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class GivenEvent:
    kind: str
    attributes: tuple[tuple[str, Literal], ...]
    at: Literal
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Expect:
    negated: bool
    what: str  # an action, a role, a decision kind or a grade
    which: str | None  # `expect sample "c4"`: the decision's action (the call, the role)
    subject: str | None
    at: Literal | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class TestBlock:
    name: str
    entries: tuple[GivenEvent | Expect, ...]
    span: Span = field(default=NOWHERE, compare=False)
    end: Span = field(default=NOWHERE, compare=False)


Statement = (
    PolicyHeader | Include | FieldDecl | Rubric | ActionDecl | Sampling | Escalation | Threshold
    | Discipline | Calendar | Rota | TestBlock
)  # fmt: skip


def mentions(node: object, path: tuple[str, ...]) -> bool:
    """Whether a syntax tree (a block, an expression...) reads a field starting with `path`
    (`("agent", "status")`, `("previous",)`)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, FieldRef) and item.path[: len(path)] == path:
            return True
        if isinstance(item, tuple | list):
            stack.extend(item)
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclass_fields(item))
    return False


S = TypeVar("S", bound=Statement)  # a kind of statement: what `PolicyFile.of_kind` returns


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # including the leading '#'
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class PolicyFile:
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    file: str = field(default="<policy>", compare=False)
    # statements by kind, sorted once: the checker asks for the rubrics once per test
    # block, and a scan of every statement each time made a long policy quadratic
    _by_kind: dict[type, tuple[Statement, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        grouped: dict[type, list[Statement]] = {}
        for statement in self.statements:
            grouped.setdefault(type(statement), []).append(statement)
        object.__setattr__(self, "_by_kind", {k: tuple(v) for k, v in grouped.items()})

    def of_kind(self, kind: type[S]) -> tuple[S, ...]:
        """The statements of one kind (`Rubric`, `Threshold`...), in the order written."""
        return cast("tuple[S, ...]", self._by_kind.get(kind, ()))

    @property
    def header(self) -> PolicyHeader | None:
        found = self.of_kind(PolicyHeader)
        return found[0] if found else None

    @property
    def includes(self) -> tuple[Include, ...]:
        return self.of_kind(Include)

    @property
    def rubrics(self) -> tuple[Rubric, ...]:
        return self.of_kind(Rubric)

    @property
    def fields(self) -> tuple[FieldDecl, ...]:
        return self.of_kind(FieldDecl)

    @property
    def actions(self) -> tuple[ActionDecl, ...]:
        return self.of_kind(ActionDecl)

    @property
    def samplings(self) -> tuple[Sampling, ...]:
        return self.of_kind(Sampling)

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        return self.of_kind(Escalation)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        return self.of_kind(Threshold)

    @property
    def disciplines(self) -> tuple[Discipline, ...]:
        return self.of_kind(Discipline)

    @property
    def rotas(self) -> tuple[Rota, ...]:
        return self.of_kind(Rota)

    @property
    def calendars(self) -> tuple[Calendar, ...]:
        return self.of_kind(Calendar)

    @property
    def tests(self) -> tuple[TestBlock, ...]:
        return self.of_kind(TestBlock)
