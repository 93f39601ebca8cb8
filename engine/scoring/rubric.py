"""A rubric as plain tables: what the generated code and the explanations both read."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from callqa.dsl import ast
from callqa.dsl.check import RubricSettings


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
class GradeBand:
    label: str
    low: float  # inclusive
    high: float  # exclusive
    fallback: bool  # the `otherwise` band


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
        for band in self.grades:
            if not band.fallback and band.low <= score < band.high:
                return band.label
        return self.lowest_grade()

    def lowest_grade(self) -> str | None:
        """The grade a failed evaluation takes: `otherwise`, else the lowest band."""
        for band in self.grades:
            if band.fallback:
                return band.label
        bounded = [b for b in self.grades if not b.fallback]
        return min(bounded, key=lambda b: b.low).label if bounded else None

    def item(self, item_id: str) -> RubricItem | None:
        return self._by_id.get(item_id)


def build_table(
    rubric: ast.Rubric, settings: RubricSettings, file: str, source: str
) -> RubricTable:
    lines = source.split("\n")
    sections: list[RubricSection] = []
    items: list[RubricItem] = []
    weights = [s.weight for s in rubric.sections]
    percent = any(w is not None and w.text.endswith("%") for w in weights)
    for s_index, section in enumerate(rubric.sections):
        indices: list[int] = []
        for item in section.items:
            amount = item.deduct or item.bonus
            kind = "deduct" if item.deduct else "bonus" if item.bonus else "critical"
            cap = amount.cap.value if amount and amount.cap is not None else None
            items.append(
                RubricItem(
                    index=len(items),
                    id=item.id,
                    label=item.label or item.id,
                    section=s_index,
                    kind=kind,
                    points=float(amount.points.value) if amount else 0.0,  # type: ignore[arg-type]
                    cap=float(cap) if cap is not None else None,  # type: ignore[arg-type]
                    per_occurrence=bool(amount and amount.per_occurrence),
                    critical=item.critical,
                    condition=item.condition,
                    condition_text=_text_of(item.condition, lines) if item.condition else None,
                    location=f"{file}:{item.span.line}",
                )
            )
            indices.append(len(items) - 1)
        weight: float | None = None
        if section.weight is not None:
            raw = float(section.weight.value)  # type: ignore[arg-type]
            weight = raw if percent else raw / settings.scale
        sections.append(
            RubricSection(s_index, section.id, section.label or section.id, weight, tuple(indices))
        )
    return RubricTable(
        rubric.id,
        rubric.label or rubric.id,
        settings,
        tuple(sections),
        tuple(items),
        _bands(rubric.grades),
        f"{file}:{rubric.span.line}",
    )


def _bands(grades: ast.Grades | None) -> tuple[GradeBand, ...]:
    if grades is None:
        return ()
    lowers = sorted(
        float(v.value)  # type: ignore[arg-type]
        for b in grades.bands
        for op, v in b.bounds
        if op == ">="
    )
    out: list[GradeBand] = []
    for band in grades.bands:
        if band.otherwise:
            out.append(GradeBand(band.label, float("-inf"), float("inf"), True))
            continue
        low = [float(v.value) for op, v in band.bounds if op == ">="]  # type: ignore[arg-type]
        high = [float(v.value) for op, v in band.bounds if op == "<"]  # type: ignore[arg-type]
        lo = low[0] if low else float("-inf")
        if high:
            hi = high[0]
        else:  # up to the next band's lower bound (found by bisection: bands may be many)
            above = bisect_right(lowers, lo)
            hi = lowers[above] if above < len(lowers) else float("inf")
        out.append(GradeBand(band.label, lo, hi, False))
    # highest first, so the generated code tests the common good grades first
    out.sort(key=lambda b: (b.fallback, -b.low))
    return tuple(out)


def _text_of(expr: ast.Expr, lines: list[str]) -> str:
    """The condition as the manager wrote it (for reasons such as "N/A: call.type == ...")."""
    span = expr.span
    if span.line == span.end_line and 1 <= span.line <= len(lines):
        return lines[span.line - 1][span.col - 1 : span.end_col - 1]
    first = lines[span.line - 1][span.col - 1 :] if 1 <= span.line <= len(lines) else ""
    return first.strip() + " ..."
