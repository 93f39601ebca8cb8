"""Say exactly what is wrong with an evaluation the fast path could not score.

The generated code does not spend time on messages; when it fails, this slow path walks
the rubric in order and names the first item or fact at fault, and what to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callqa.dsl.i18n import _
from callqa.dsl.suggest import closest
from callqa.engine.errors import EngineError, EvaluationError
from callqa.engine.scoring.fast_path import BONUS_WORDS, FAULT_WORDS, NA, BadAnswer, answer_count
from callqa.engine.scoring.rubric import RubricItem, RubricTable


def explain_failure(
    table: RubricTable, evaluation: Mapping[str, Any], fact_names: tuple[str, ...], exc: Exception
) -> EvaluationError:
    if isinstance(exc, EvaluationError):
        return exc
    for name in fact_names:
        if _fact(evaluation, name) is _ABSENT:
            return EvaluationError(
                _("the evaluation has no {fact}, which the rubric's conditions read").format(
                    fact=name
                ),
                fact=name,
            )
    answers = evaluation.get("answers")
    if not isinstance(answers, Mapping):
        answers = evaluation
    for item in table.items:
        if item.id not in answers:
            continue
        problem = _answer_problem(item, answers[item.id])
        if problem:
            return EvaluationError(problem, item=item.id)
    missing = [item for item in table.items if item.id not in answers]
    if missing:
        item = missing[0]
        given = [key for key in answers if isinstance(key, str) and table.item(key) is None]
        guess = closest(item.id, given)
        if guess and item.per_occurrence:
            message = _(
                "item {item} ({label}) is not answered (the evaluation has {guess!r} — "
                'a misspelling?); write "pass", "fail" or "na", or a count'
            )
        elif guess:
            message = _(
                "item {item} ({label}) is not answered (the evaluation has {guess!r} — "
                'a misspelling?); write "pass", "fail" or "na"'
            )
        elif item.per_occurrence:
            message = _(
                'item {item} ({label}) is not answered; write "pass", "fail" or "na", or a count'
            )
        else:
            message = _('item {item} ({label}) is not answered; write "pass", "fail" or "na"')
        return EvaluationError(
            message.format(item=item.id, label=item.label, guess=guess), item=item.id
        )
    if isinstance(exc, ZeroDivisionError):
        return EvaluationError(_("a condition divides by zero"))
    if isinstance(exc, OverflowError):  # a date or a number the condition made too large
        return EvaluationError(
            _("a condition went out of range ({problem}): check the facts' dates and numbers")
            .format(problem=exc)
        )  # fmt: skip
    if isinstance(exc, EngineError | TypeError | ValueError | KeyError):
        return EvaluationError(
            _("the evaluation could not be scored: {problem}").format(problem=exc)
        )
    raise exc


_ABSENT = object()
# occurrences of one fault in one call: a failed evaluation with more blames the count
MAX_COUNT = 1_000_000


def _fact(evaluation: Mapping[str, Any], name: str) -> object:
    entity, _dot, attribute = name.partition(".")
    nested = evaluation.get(entity)
    if isinstance(nested, Mapping) and attribute in nested:
        return nested[attribute]
    return evaluation.get(name, _ABSENT)


def _answer_problem(item: RubricItem, value: object) -> str | None:
    words = BONUS_WORDS if item.kind == "bonus" else FAULT_WORDS
    try:
        normal = words.get(value, value)
    except TypeError:
        normal = value
    if normal is NA:
        return None
    if isinstance(normal, int) and not isinstance(normal, bool) and normal >= 0:
        return None if normal <= MAX_COUNT else _too_many(item, normal)
    if isinstance(normal, str) and normal.strip().isdigit() and len(normal.strip()) > 7:
        return _too_many(item, normal.strip())
    try:
        count = answer_count(normal)
    except (BadAnswer, ValueError):  # ValueError: an int of thousands of digits
        if item.per_occurrence:
            message = _(
                'item {item} ({label}) has the answer {answer}; write "pass", "fail" '
                'or "na" or a count such as 2'
            )
        else:
            message = _(
                'item {item} ({label}) has the answer {answer}; write "pass", "fail" or "na"'
            )
        return message.format(item=item.id, label=item.label, answer=_shown(value))
    return _too_many(item, count) if isinstance(count, int) and count > MAX_COUNT else None


def _too_many(item: RubricItem, count: int | str) -> str:
    return _("item {item} ({label}) has the count {count}, too large to be a number of "
             "occurrences in one call: check the number").format(
        item=item.id, label=item.label, count=_shown(count)
    )  # fmt: skip


def _shown(value: object) -> str:
    """A value as a message quotes it: a number of thousands of digits shortened."""
    text = repr(value)
    if len(text) <= 40:
        return text
    return _("{start}…({count:,} characters)").format(start=text[:20], count=len(text))
