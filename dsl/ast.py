"""The typed syntax tree of a policy, with source positions.

Nodes are frozen dataclasses. Spans are excluded from equality, so two parses of the
same policy laid out differently compare equal (what the formatter's round-trip needs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dsl.source import NOWHERE, Span
from dsl.types import Type

# ------------------------------------------------------------------ expressions


@dataclass(frozen=True, slots=True)
class Literal:
    type: Type
    value: int | float | str | bool | dt.time | dt.date | dt.datetime
    text: str  # as written, so the formatter keeps `5m` as `5m` and `96%` as `96%`
    span: Span = field(default=NOWHERE, compare=False)


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


Expr = Literal | FieldRef | Unary | Binary | InList

# -------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class PolicyHeader:
    name: str
    version: str | None
    timezone: str | None
    span: Span = field(default=NOWHERE, compare=False)
    timezone_span: Span | None = field(default=None, compare=False)


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


Statement = PolicyHeader | FieldDecl | Rubric


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

    @property
    def header(self) -> PolicyHeader | None:
        found = [s for s in self.statements if isinstance(s, PolicyHeader)]
        return found[0] if found else None

    @property
    def rubrics(self) -> tuple[Rubric, ...]:
        return tuple(s for s in self.statements if isinstance(s, Rubric))

    @property
    def fields(self) -> tuple[FieldDecl, ...]:
        return tuple(s for s in self.statements if isinstance(s, FieldDecl))
