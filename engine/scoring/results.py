"""Score results: the number and grade at once, the reasons (deductions, N/A, red lines,
section subtotals) worked out from the per-item counts when someone asks for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callqa.dsl.i18n import N_, _
from callqa.engine.scoring.fast_path import NA_ANSWER, NA_CONDITION
from callqa.engine.scoring.rubric import RubricTable


@dataclass(frozen=True, slots=True)
class Deduction:
    item: str
    label: str
    section: str
    points: float
    count: int
    location: str  # file:line of the item in the policy

    def __str__(self) -> str:
        times = f" ×{self.count}" if self.count > 1 else ""
        return f"-{_num(self.points)} {self.label}{times} ({self.location})"


@dataclass(frozen=True, slots=True)
class Bonus:
    item: str
    label: str
    section: str
    points: float
    count: int
    location: str


@dataclass(frozen=True, slots=True)
class CriticalFailure:
    item: str
    label: str
    section: str
    location: str
    effect: str  # what the rubric's critical mode did


@dataclass(frozen=True, slots=True)
class NotApplicable:
    item: str
    label: str
    reason: str
    location: str


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    label: str
    possible: float
    deducted: float
    zeroed: bool  # by a red line under `critical means zero_section`

    @property
    def earned(self) -> float:
        return self.possible - self.deducted


CRITICAL_EFFECT = {  # said with _() where a result is explained
    "zero_score": N_("the total score is 0"),
    "fail_keep_score": N_("the evaluation fails; the score is kept"),
    "zero_section": N_("its section earns 0"),
}


class ScoreResult:
    """One scored evaluation. Built by generated code, so it stays small and cheap."""

    __slots__ = ("_details", "counts", "evaluation_id", "grade", "rubric", "score", "x")

    def __init__(
        self,
        rubric: RubricTable,
        score: float,
        grade: str | None,
        critical_hit: bool,
        counts: tuple[int, ...],
        evaluation_id: Any = None,
    ) -> None:
        self.rubric = rubric
        self.score = score
        self.grade = grade
        self.x = critical_hit
        self.counts = counts
        self.evaluation_id = evaluation_id
        self._details: _Details | None = None

    def __repr__(self) -> str:
        return (
            f"ScoreResult(rubric={self.rubric.id!r}, score={self.score!r}, grade={self.grade!r}, "
            f"critical={len(self.critical)})"
        )

    @property
    def passed(self) -> bool:
        """False when a red line was crossed, whatever the critical mode."""
        return not self.x

    @property
    def critical_mode(self) -> str:
        return self.rubric.settings.critical

    @property
    def na_mode(self) -> str:
        return self.rubric.settings.na

    @property
    def deductions(self) -> list[Deduction]:
        return self._explain().deductions

    @property
    def bonuses(self) -> list[Bonus]:
        return self._explain().bonuses

    @property
    def critical(self) -> list[CriticalFailure]:
        return self._explain().critical

    @property
    def not_applicable(self) -> list[NotApplicable]:
        return self._explain().not_applicable

    @property
    def sections(self) -> list[SectionScore]:
        return self._explain().sections

    def _explain(self) -> _Details:
        if self._details is None:
            self._details = _explain(self.rubric, self.counts)
        return self._details

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.evaluation_id,
            "rubric": self.rubric.id,
            "score": self.score,
            "grade": self.grade,
            "passed": self.passed,
            "critical_mode": self.critical_mode,
            "na_mode": self.na_mode,
            "deductions": [_as_dict(d) for d in self.deductions],
            "bonuses": [_as_dict(b) for b in self.bonuses],
            "critical": [_as_dict(c) for c in self.critical],
            "not_applicable": [_as_dict(n) for n in self.not_applicable],
            "sections": [{**_as_dict(s), "earned": s.earned} for s in self.sections],
        }


@dataclass(slots=True)
class _Details:
    deductions: list[Deduction]
    bonuses: list[Bonus]
    critical: list[CriticalFailure]
    not_applicable: list[NotApplicable]
    sections: list[SectionScore]


def _explain(rubric: RubricTable, counts: tuple[int, ...]) -> _Details:
    settings = rubric.settings
    details = _Details([], [], [], [], [])
    possible = [0.0] * len(rubric.sections)
    deducted = [0.0] * len(rubric.sections)
    zeroed = [False] * len(rubric.sections)
    for item, count in zip(rubric.items, counts, strict=True):
        section = rubric.sections[item.section]
        if count in (NA_ANSWER, NA_CONDITION):
            passes = settings.na == "pass"
            if count == NA_ANSWER:
                reason = _("answered na (counted as passed)") if passes else _("answered na")
            elif passes:
                reason = _("does not apply: {condition} is false (counted as passed)").format(
                    condition=item.condition_text
                )
            else:
                reason = _("does not apply: {condition} is false").format(
                    condition=item.condition_text
                )
            if passes:
                possible[item.section] += item.possible
            details.not_applicable.append(NotApplicable(item.id, item.label, reason, item.location))
            continue
        possible[item.section] += item.possible
        if count <= 0:
            continue
        amount = item.amount(count)
        if item.kind == "deduct":
            deducted[item.section] += amount
            details.deductions.append(
                Deduction(item.id, item.label, section.label, amount, count, item.location)
            )
        elif item.kind == "bonus":
            details.bonuses.append(
                Bonus(item.id, item.label, section.label, amount, count, item.location)
            )
        if item.critical:
            details.critical.append(
                CriticalFailure(
                    item.id,
                    item.label,
                    section.label,
                    item.location,
                    _(CRITICAL_EFFECT[settings.critical]),
                )
            )
            if settings.critical == "zero_section":
                zeroed[item.section] = True
    for section in rubric.sections:
        i = section.index
        lost = possible[i] if zeroed[i] else deducted[i]
        details.sections.append(
            SectionScore(section.id, section.label, possible[i], lost, zeroed[i])
        )
    return details


def _as_dict(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


@dataclass(frozen=True, slots=True)
class BatchScores:
    """What `score_many` returns: one entry per row; rows that could not be scored have
    None and their error in `errors` (row index -> EvaluationError)."""

    scores: list[float | None]
    grades: list[str | None]
    critical: list[bool | None]
    errors: dict[int, Exception]

    def __len__(self) -> int:
        return len(self.scores)
