"""A rubric as the checker resolved it: settings with their defaults, points, caps,
section weights and grade bands as numbers, in named fields.

The syntax tree keeps a rubric as written (`deduct 2 per occurrence max 6`, `weight 40%`,
`"B" >= 60 < 85`). The checker reads it once into these values and checks them; the
engine compiles them without reading a literal or a bound itself, so the checker and the
engine cannot disagree about what a rubric means (grade bands were once resolved twice,
with different defaults).

Grade bands: a band covers scores from `low` (inclusive) to `high` (exclusive). Without
`>=` it starts at 0, the lowest score there is; without `<` it runs up to the next band's
lower bound (or without end, above the highest). The `otherwise` band is the `fallback`:
it takes every score no other band covers.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from callqa.dsl import ast
from callqa.dsl.source import NOWHERE, Span

LOWEST_SCORE = 0.0  # where a band without `>=` starts: no score is below it


@dataclass(frozen=True, slots=True)
class RubricSettings:
    """A rubric's settings with the documented defaults filled in."""

    scale: float = 100
    critical: str = "zero_score"
    na: str = "excluded"
    bonus: str = "capped"
    rounding_digits: int = 1
    rounding_mode: str = "half_up"
    appeal_window_seconds: float | None = None
    calibration_tolerance: float = 5.0
    # who takes an appeal through its steps, by role; None: anyone (but who filed it)
    appeal_accepted_by: str | None = None
    appeal_panel: tuple[str, ...] = ()
    appeal_decided_by: str | None = None


@dataclass(frozen=True, slots=True)
class GradeBand:
    """The scores `low <= score < high` get `label`; the `fallback` (`otherwise`) band
    takes the scores no other band covers, and has no bounds of its own."""

    label: str
    low: float  # inclusive
    high: float  # exclusive
    fallback: bool

    def covers(self, score: float) -> bool:
        return not self.fallback and self.low <= score < self.high


@dataclass(frozen=True, slots=True)
class ResolvedItem:
    """An item's worth: `points` per failure (or per occurrence), up to `cap`."""

    id: str
    label: str  # the id when none is written
    kind: str  # "deduct" | "bonus" | "critical" (a red line with no points)
    points: float  # 0 for a bare red line
    cap: float | None  # only with `max`
    per_occurrence: bool
    critical: bool
    condition: ast.Expr | None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class ResolvedSection:
    id: str
    label: str  # the id when none is written
    weight: float | None  # a share of 1.0 (40% and 40 points of 100 are both 0.4)
    items: tuple[ResolvedItem, ...]
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class ResolvedRubric:
    id: str
    label: str  # the id when none is written
    settings: RubricSettings
    sections: tuple[ResolvedSection, ...]
    grades: tuple[GradeBand, ...]  # as written, one per band
    span: Span = field(default=NOWHERE, compare=False)


def resolve_rubric(rubric: ast.Rubric, settings: RubricSettings) -> ResolvedRubric:
    """The rubric's values, read once. Total: a rubric with errors resolves too (to
    values its diagnostics explain), so the checker can check what it resolved."""
    weights = [s.weight for s in rubric.sections if s.weight is not None]
    percent = any(w.text.endswith("%") for w in weights)
    sections = tuple(
        ResolvedSection(
            section.id,
            section.label or section.id,
            _share(section.weight, percent, settings.scale),
            tuple(_item(item) for item in section.items),
            section.span,
        )
        for section in rubric.sections
    )
    return ResolvedRubric(
        rubric.id,
        rubric.label or rubric.id,
        settings,
        sections,
        grade_bands(rubric.grades.bands if rubric.grades else ()),
        rubric.span,
    )


def grade_bands(bands: tuple[ast.Band, ...]) -> tuple[GradeBand, ...]:
    """Each band's scores, in the order written; a band's first `>=` and first `<`
    count (the checker reports a second one). The next band up is found by bisection:
    a rubric may have thousands of bands."""
    lowers = sorted(low for band in bands if (low := first_bound(band, ">=")) is not None)
    resolved: list[GradeBand] = []
    for band in bands:
        if band.otherwise:
            resolved.append(GradeBand(band.label, -math.inf, math.inf, True))
            continue
        low = first_bound(band, ">=")
        low = LOWEST_SCORE if low is None else low
        high = first_bound(band, "<")
        if high is None:
            above = bisect.bisect_right(lowers, low)
            high = lowers[above] if above < len(lowers) else math.inf
        resolved.append(GradeBand(band.label, low, high, False))
    return tuple(resolved)


def first_bound(band: ast.Band, op: str) -> float | None:
    """A grade band's first bound written with `op` (>= or <), if any."""
    for written, value in band.bounds:
        if written == op:
            return value.number
    return None


def _item(item: ast.Item) -> ResolvedItem:
    amount = item.deduct or item.bonus
    return ResolvedItem(
        item.id,
        item.label or item.id,
        "deduct" if item.deduct else "bonus" if item.bonus else "critical",
        amount.points.number if amount else 0.0,
        amount.cap.number if amount and amount.cap is not None else None,
        bool(amount and amount.per_occurrence),
        item.critical,
        item.condition,
        item.span,
    )


def _share(weight: ast.Literal | None, percent: bool, scale: float) -> float | None:
    """A section's weight as a share of 1.0: a percentage is one already, points are
    points of the scale."""
    if weight is None:
        return None
    return weight.number if percent else weight.number / scale
