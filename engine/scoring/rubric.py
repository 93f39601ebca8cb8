"""A rubric as plain tables: what the generated code and the explanations both read."""

from __future__ import annotations

from dataclasses import dataclass, field

from callqa.dsl import ast
from callqa.dsl.resolved_rubric import GradeBand, ResolvedRubric, RubricSettings


@dataclass(frozen=True, slots=True)
class RubricItem:
    index: int
    id: str
    label: str
    section: int  # index into Rubric.sections
    kind: str  # "deduct" | "bonus" | "critical" (a red line with no points)
    points: float  # per failure or per occurrence
    cap: float | None  # per-occurrence cap
    per_occurrence: bool
    critical: bool
    condition: ast.Expr | None
    condition_text: str | None
    location: str  # file:line

    @property
    def possible(self) -> float:
        """Points this item puts at stake (0 for bonus items and bare red lines)."""
        if self.kind != "deduct":
            return 0.0
        return self.cap if self.per_occurrence and self.cap is not None else self.points

    def amount(self, count: int) -> float:
        """Points deducted (or added, for a bonus) for `count` occurrences."""
        if count <= 0 or self.kind == "critical":
            return 0.0
        if not self.per_occurrence:
            return self.points
        total = count * self.points
        return min(total, self.cap) if self.cap is not None else total


@dataclass(frozen=True, slots=True)
class RubricSection:
    index: int
    id: str
    label: str
    weight: float | None  # a share of 1.0, when the rubric is weighted
    items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RubricTable:
    id: str
    label: str
    settings: RubricSettings
    sections: tuple[RubricSection, ...]
    items: tuple[RubricItem, ...]
    grades: tuple[GradeBand, ...]
    location: str
    # item id -> item, made once: explaining a bad evaluation looks up each answer
    _by_id: dict[str, RubricItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {item.id: item for item in reversed(self.items)})

    @property
    def weighted(self) -> bool:
        return any(s.weight is not None for s in self.sections)

    def grade_of(self, score: float) -> str | None:
        """The grade the generated scorer gives a score of an evaluation that passed:
        the band covering it, else `otherwise` (None without one: a score above a top
        band's `<`, which the checker allows above the scale)."""
        for band in self.grades:
            if band.covers(score):
                return band.label
        return next((band.label for band in self.grades if band.fallback), None)

    def lowest_grade(self) -> str | None:
        """The grade a failed evaluation takes: `otherwise`, else the lowest band."""
        for band in self.grades:
            if band.fallback:
                return band.label
        bounded = [b for b in self.grades if not b.fallback]
        return min(bounded, key=lambda b: b.low).label if bounded else None

    def item(self, item_id: str) -> RubricItem | None:
        return self._by_id.get(item_id)


def build_table(rubric: ResolvedRubric, file: str, source: str) -> RubricTable:
    """The tables of a rubric as the checker resolved it; `source` is the text of the
    `file` it is written in (for each condition as written)."""
    lines = source.split("\n")
    sections: list[RubricSection] = []
    items: list[RubricItem] = []
    for s_index, section in enumerate(rubric.sections):
        first = len(items)
        for item in section.items:
            items.append(
                RubricItem(
                    index=len(items),
                    id=item.id,
                    label=item.label,
                    section=s_index,
                    kind=item.kind,
                    points=item.points,
                    cap=item.cap,
                    per_occurrence=item.per_occurrence,
                    critical=item.critical,
                    condition=item.condition,
                    condition_text=_text_of(item.condition, lines) if item.condition else None,
                    location=f"{file}:{item.span.line}",
                )
            )
        indices = tuple(range(first, len(items)))
        sections.append(RubricSection(s_index, section.id, section.label, section.weight, indices))
    # highest first, so the generated code tests the common good grades first
    grades = sorted(rubric.grades, key=lambda b: (b.fallback, -b.low))
    return RubricTable(
        rubric.id,
        rubric.label,
        rubric.settings,
        tuple(sections),
        tuple(items),
        tuple(grades),
        f"{file}:{rubric.span.line}",
    )


def _text_of(expr: ast.Expr, lines: list[str]) -> str:
    """The condition as the manager wrote it (for reasons such as "N/A: call.type == ...")."""
    span = expr.span
    if span.line == span.end_line and 1 <= span.line <= len(lines):
        return lines[span.line - 1][span.col - 1 : span.end_col - 1]
    first = lines[span.line - 1][span.col - 1 :] if 1 <= span.line <= len(lines) else ""
    return first.strip() + " ..."
