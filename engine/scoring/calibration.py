"""Calibration (校准): several evaluators score the same calls; how far is each from the
expert (or, without one, from the consensus), and on which items do they disagree most?

An evaluator is flagged when their average absolute difference from the reference score
is outside the rubric's `calibration tolerance` (5 points unless the rubric says).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import mean
from typing import Any

from callqa.dsl.i18n import _
from callqa.engine.errors import EvaluationError
from callqa.engine.policy import Policy


@dataclass(frozen=True)
class EvaluatorRow:
    evaluator: str
    calls: int
    mean_difference: float  # signed: above 0 scores more generously than the reference
    mean_absolute_difference: float
    flagged: bool


@dataclass(frozen=True)
class ItemRow:
    item: str
    label: str
    calls: int
    disagreement: float  # share of calls on which the evaluators' answers were not all equal


@dataclass(frozen=True)
class CalibrationReport:
    rubric: str
    reference: str  # "expert NAME" or "consensus (mean score)"
    tolerance: float
    evaluators: list[EvaluatorRow]
    items: list[ItemRow]
    calls: int
    rejected: list[str]


def calibrate(
    policy: Policy,
    rubric_id: str,
    evaluations: Iterable[Mapping[str, Any]],
    expert: str | None = None,
) -> CalibrationReport:
    rubric = policy.rubric(rubric_id)
    by_call: dict[str, list[tuple[str, float, dict[str, Any]]]] = defaultdict(list)
    rejected: list[str] = []
    for evaluation in evaluations:
        if evaluation.get("rubric", rubric_id) != rubric_id:
            continue
        call = evaluation.get("call")
        evaluator = evaluation.get("evaluator")
        if not call or not evaluator:
            rejected.append(
                _("evaluation {evaluation!r}: needs a call and an evaluator").format(
                    evaluation=evaluation.get("id")
                )
            )
            continue
        facts, answers = evaluation.get("facts", {}), evaluation.get("answers", {})
        if not isinstance(facts, Mapping) or not isinstance(answers, Mapping):
            rejected.append(
                _("evaluation {evaluation!r}: facts and answers must each be an object such as "
                  '{{"call.type": "account"}}').format(evaluation=evaluation.get("id"))
            )  # fmt: skip
            continue
        data = {
            "id": evaluation.get("id"),
            **facts,
            "answers": answers,
        }
        try:
            result = rubric.score(data)
        except EvaluationError as error:
            rejected.append(
                _("evaluation {evaluation!r}: {problem}").format(
                    evaluation=evaluation.get("id"), problem=error
                )
            )
            continue
        by_call[str(call)].append((str(evaluator), result.score, dict(data["answers"])))
    differences: dict[str, list[float]] = defaultdict(list)
    disagreements: dict[str, list[bool]] = defaultdict(list)
    compared = 0
    for scores in by_call.values():
        if len(scores) < 2:
            continue
        if expert is not None:
            reference = [s for name, s, _ in scores if name == expert]
            if not reference:
                continue
            others = [(n, s) for n, s, _ in scores if n != expert]
            baseline = reference[0]
        else:
            others = [(n, s) for n, s, _ in scores]
            baseline = mean(s for _, s, _ in scores)
        compared += 1
        for name, score in others:
            differences[name].append(score - baseline)
        for item in rubric.table.items:
            answers = {str(a.get(item.id)) for _, _, a in scores}
            disagreements[item.id].append(len(answers) > 1)
    tolerance = rubric.table.settings.calibration_tolerance
    evaluators = sorted(
        (
            EvaluatorRow(
                name,
                len(diffs),
                mean(diffs),
                mean(abs(d) for d in diffs),
                mean(abs(d) for d in diffs) > tolerance,
            )
            for name, diffs in differences.items()
        ),
        key=lambda row: (-row.mean_absolute_difference, row.evaluator),
    )
    items = sorted(
        (
            ItemRow(
                item.id,
                item.label,
                len(disagreements[item.id]),
                mean(disagreements[item.id]) if disagreements[item.id] else 0.0,
            )
            for item in rubric.table.items
        ),
        key=lambda row: (-row.disagreement, row.item),
    )
    reference_text = (
        _("expert {name}").format(name=expert) if expert else _("consensus (mean score)")
    )
    return CalibrationReport(
        rubric_id, reference_text, tolerance, evaluators, items, compared, rejected
    )
