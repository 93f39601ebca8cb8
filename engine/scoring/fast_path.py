"""Generate straight-line Python for one rubric: the fast path of `score` and `score_many`.

A rubric is known when the policy loads, so instead of looping over an item table per
evaluation (what a hand-written scorer does), we write one function per rubric in which
every item is a few lines of plain Python with its points as literals. The generated
source is kept on the compiled rubric (`source`) for review; policy text never reaches
Python's parser (see codegen_expr).

Counts per item in the returned tuple: >= 0 occurrences (0 = passed), -1 answered `na`,
-2 not applicable because the item's condition was false.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl.expressions import Scope
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import FAST_TYPES
from callqa.engine.codegen.emit import Source, compile_function
from callqa.engine.codegen.expressions import ExprCompiler, FactSlots
from callqa.engine.scoring.rubric import RubricItem, RubricTable
from callqa.engine.values import converter

NA_ANSWER = -1
NA_CONDITION = -2


class _NotApplicable:
    """The sentinel an `na` answer normalises to."""

    def __repr__(self) -> str:
        return "NA"


NA = _NotApplicable()
MISSING = object()

# Answers for deduction and red-line items count faults; for bonus items, good deeds.
FAULT_WORDS: dict[object, object] = {
    "pass": 0, "fail": 1, "na": NA, "PASS": 0, "FAIL": 1, "NA": NA, "Pass": 0, "Fail": 1,
    "N/A": NA, "n/a": NA, "Na": NA, "通过": 0, "不通过": 1, "不适用": NA,
}  # fmt: skip
BONUS_WORDS: dict[object, object] = {
    "pass": 1, "fail": 0, "na": NA, "PASS": 1, "FAIL": 0, "NA": NA, "Pass": 1, "Fail": 0,
    "N/A": NA, "n/a": NA, "Na": NA, "yes": 1, "no": 0, "通过": 1, "不通过": 0, "不适用": NA,
}  # fmt: skip


class BadAnswer(Exception):
    """Raised inside generated code; the caller turns it into an EvaluationError."""


def answer_count(value: object) -> int:
    """The slow path for answers that are not plain ints or known words."""
    if isinstance(value, bool) or value is MISSING or value is None:
        raise BadAnswer(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        lowered = text.lower()
        if lowered in ("pass", "fail"):
            raise BadAnswer(value)  # handled by the word tables; reaching here means odd case
    raise BadAnswer(value)


@dataclass(frozen=True)
class GeneratedScorer:
    one: Callable[[dict[str, Any]], Any]
    many: Callable[[dict[str, Any], int], tuple[list[Any], list[Any], list[Any], dict[int, Any]]]
    source: str
    fact_names: tuple[str, ...]


# Longer sums and if/elif chains than this are written as loops over constants: Python
# compiles `a + b + ...` and `elif` chains as nested trees, and a few thousand levels of
# them overflow its compiler's stack (a RecursionError when the policy loaded).
LONGEST = 32


def generate(
    table: RubricTable,
    fields: dict[str, Type],
    zone: ZoneInfo,
    result_factory: object,
    *,
    longest: int = LONGEST,
) -> GeneratedScorer:
    """The rubric's two scoring functions; sums and grade chains longer than `longest`
    are written as loops."""
    s = Source()
    constants = s.constants
    facts = FactSlots()
    compiler = ExprCompiler(Scope(fields), constants, facts, zone)
    conditions = {
        item.index: compiler.compile(item.condition)
        for item in table.items
        if item.condition is not None
    }
    item_keys = [constants.add(item.id) for item in table.items]
    labels = {band.label: constants.add(band.label) for band in table.grades}
    fact_keys = {name: constants.add(name) for name in facts.names}
    base = {
        "FAULT": FAULT_WORDS,
        "BONUS": BONUS_WORDS,
        "NA": NA,
        "MISSING": MISSING,
        "COUNT": answer_count,
        "FLOOR": math.floor,
        "ROUND": round,
        "RESULT": result_factory,
        "TABLE": table,
        "REPEAT": itertools.repeat,
        "SUM": sum,
        "BANDS": tuple((b.low, b.high, b.label) for b in table.grades if not b.fallback),
        "INF": math.inf,
        "DATETIME": dt.datetime,
        "ZONE": zone,
    }
    for name, value in base.items():
        constants.define(name, value)
    for name, kind in facts.types.items():
        constants.define(f"C_{facts.names[name]}", converter(kind, zone))
    body = _Body(s, table, conditions, labels, longest)

    # ------------------------------------------------------------ one evaluation
    with s.block("def score_one(ev, FAULT=FAULT, BONUS=BONUS, NA=NA, MISSING=MISSING,"
                 " COUNT=COUNT, INF=INF)"):  # fmt: skip
        s("ans = ev.get('answers')")
        with s.block("if ans is None"):
            s("ans = ev")
        s("get = ans.get")
        for name, slot in facts.names.items():
            entity, _, attribute = name.partition(".")
            with s.block("try"):
                s(f"{slot} = ev[{constants.add(entity)}][{constants.add(attribute)}]")
            with s.block("except (KeyError, TypeError)"):
                s(f"{slot} = ev.get({fact_keys[name]}, MISSING)")
            with s.block(f"if {slot} is MISSING"):
                s(f"raise KeyError({fact_keys[name]})")
            _convert_fact(s, slot, facts.types[name], fact_keys[name])
        body.write(lambda i: f"get({item_keys[i]}, MISSING)")
        s(f"return RESULT(TABLE, score, g, X, ({_counts(table)}), ev.get('id'))")

    # ---------------------------------------------------------------- a batch
    columns = [f"a{item.index}" for item in table.items] + [
        f"v_{slot}" for slot in facts.names.values()
    ]
    sources = item_keys + [fact_keys[name] for name in facts.names]
    s("")
    with s.block("def score_many(cols, n, FAULT=FAULT, BONUS=BONUS, NA=NA, MISSING=MISSING,"
                 " COUNT=COUNT, INF=INF)"):  # fmt: skip
        s("scores = []; grades = []; crits = []; errors = {}")
        s("add_score = scores.append; add_grade = grades.append; add_crit = crits.append")
        for column, key in zip(columns, sources, strict=True):
            s(f"col_{column} = cols.get({key})")
            with s.block(f"if col_{column} is None"):
                s(f"col_{column} = REPEAT(MISSING, n)")
        zipped = ", ".join(f"col_{c}" for c in columns)
        targets = ", ".join(columns)
        with s.block(f"for r, ({targets},) in enumerate(zip({zipped}))"):
            with s.block("try"):
                for name, slot in facts.names.items():
                    s(f"{slot} = v_{slot}")
                    with s.block(f"if {slot} is MISSING"):
                        s(f"raise KeyError({fact_keys[name]})")
                    _convert_fact(s, slot, facts.types[name], fact_keys[name])
                body.write(lambda i: f"a{i}")
                s("add_score(score); add_grade(g); add_crit(X)")
            with s.block("except Exception as exc"):
                s("add_score(None); add_grade(None); add_crit(None); errors[r] = exc")
        s("return scores, grades, crits, errors")

    about = f"rubric {table.id}"
    return GeneratedScorer(
        compile_function(s, "score_one", about),
        compile_function(s, "score_many", about),
        s.text,
        tuple(facts.names),
    )


def _convert_fact(s: Source, slot: str, kind: Type, key: str) -> None:
    """A fact brought to its field's type, as conditions do (engine.codegen.conditions.FAST_TYPES):
    NaN, an infinity or a negative duration go to the converter, which refuses them (NaN
    made the item's condition false, the item not applicable)."""
    test = FAST_TYPES.get(kind)
    with s.block(f"if {test.format(slot=slot) if test else 'True'}"):
        s(f"{slot} = C_{slot}({slot}, {key})")


def _counts(table: RubricTable) -> str:
    names = [f"c{item.index}" for item in table.items]
    return ", ".join(names) + ("," if len(names) == 1 else "")


@dataclass(frozen=True)
class _Body:
    """The scoring of one evaluation, given its answers: written into both functions."""

    s: Source
    table: RubricTable
    conditions: dict[int, str]
    labels: dict[str, str]
    longest: int

    def write(self, answer: Callable[[int], str]) -> None:
        s, table = self.s, self.table
        settings = table.settings
        zero_section = settings.critical == "zero_section"
        na_pass = settings.na == "pass"
        for section in table.sections:
            s(f"P{section.index} = 0.0; D{section.index} = 0.0")
            if zero_section:
                s(f"X{section.index} = False")
        s("B = 0.0; X = False")
        for section in table.sections:
            for index in section.items:
                _item(s, table.items[index], self.conditions.get(index), answer(index),
                      zero_section=zero_section, na_pass=na_pass)  # fmt: skip
        scale = float(settings.scale)
        if zero_section:
            for section in table.sections:
                with s.block(f"if X{section.index}"):
                    s(f"D{section.index} = P{section.index}")
        if table.weighted:
            s("num = 0.0; den = 0.0")
            for section in table.sections:
                i = section.index
                weight = repr(float(section.weight or 0.0))
                with s.block(f"if P{i}"):
                    s(f"num += {weight} * (P{i} - D{i}) / P{i}; den += {weight}")
            s(f"score = {scale!r} * num / den if den else {scale!r}")
        else:
            s(f"P = {self._total('P')}")
            s(f"score = {scale!r} * (P - {self._total('D')}) / P if P else {scale!r}")
        if any(item.kind == "bonus" for item in table.items):
            s("score += B")
            if settings.bonus == "capped":
                with s.block(f"if score > {scale!r}"):
                    s(f"score = {scale!r}")
        if settings.critical == "zero_score":
            with s.block("if X"):
                s("score = 0.0")
        factor = float(10**settings.rounding_digits)
        if settings.rounding_mode == "half_up":
            s(f"score = FLOOR(score * {factor!r} + 0.5 + 1e-9) / {factor!r}")
        elif settings.rounding_mode == "down":
            s(f"score = FLOOR(score * {factor!r} + 1e-9) / {factor!r}")
        else:
            s(f"score = ROUND(score, {settings.rounding_digits}) + 0.0")
        self._grade()

    def _total(self, prefix: str) -> str:
        """The sum of the sections' P (possible) or D (deducted) points, added left to
        right."""
        names = [f"{prefix}{s.index}" for s in self.table.sections]
        if len(names) > self.longest:
            return f"SUM(({', '.join(names)},), 0.0)"
        return f"({' + '.join(names) or '0.0'})"

    def _grade(self) -> None:
        s, table = self.s, self.table

        def code(label: str | None) -> str:
            return "None" if label is None else self.labels[label]

        fallback = code(next((b.label for b in table.grades if b.fallback), None))
        keep_score = table.settings.critical == "fail_keep_score"
        if keep_score:
            with s.block("if X"):
                s(f"g = {code(table.lowest_grade())}")
        if sum(not band.fallback for band in table.grades) > self.longest:
            # the same tests in the same order as the chain below, as a loop over BANDS
            with s.block("else") if keep_score else nullcontext():
                s(f"g = {fallback}")
                loop, test = "for low, high, label in BANDS", "if score >= low and score < high"
                with s.block(loop), s.block(test):
                    s("g = label", "break")
            return
        first = not keep_score
        for band in table.grades:
            if band.fallback:
                continue
            tests = []
            if band.low != float("-inf"):
                tests.append(f"score >= {band.low!r}")
            if band.high != float("inf"):
                tests.append(f"score < {band.high!r}")
            with s.block(f"{'if' if first else 'elif'} {' and '.join(tests) or 'True'}"):
                s(f"g = {code(band.label)}")
            first = False
        if first:
            s(f"g = {fallback}")
        else:
            with s.block("else"):
                s(f"g = {fallback}")


def _item(
    s: Source,
    item: RubricItem,
    condition: str | None,
    answer: str,
    *,
    zero_section: bool,
    na_pass: bool,
) -> None:
    """One item as straight-line code: the common answers ("pass", "fail", "na", a count)
    are tested first with plain comparisons; anything else goes through COUNT."""
    i, section = item.index, item.section
    s(f"# item {item.index}")
    if condition is None:
        _answered(s, item, answer, zero_section=zero_section, na_pass=na_pass)
        return
    with s.block(f"if not {condition}"):
        s(f"c{i} = {NA_CONDITION}")
        if na_pass and item.possible:
            s(f"P{section} += {item.possible!r}")
    with s.block("else"):
        _answered(s, item, answer, zero_section=zero_section, na_pass=na_pass)


def _answered(
    s: Source, item: RubricItem, answer: str, *, zero_section: bool, na_pass: bool
) -> None:
    """An applicable item, by its answer."""
    i, section = item.index, item.section

    def counted(count: str | None) -> None:
        """Lines for an applicable answer; `count` is a known literal or None (use `a`)."""
        s(f"c{i} = {count if count is not None else 'a'}")
        if item.possible:
            s(f"P{section} += {item.possible!r}")
        if count == "0":
            return
        effects = _effects(item, zero_section)
        if not effects:
            return
        with s.block("if a") if count is None else nullcontext():
            s(*effects)

    def not_applicable() -> None:
        s(f"c{i} = {NA_ANSWER}")
        if na_pass and item.possible:
            s(f"P{section} += {item.possible!r}")

    s(f"a = {answer}")
    if item.per_occurrence:
        with s.block("if a.__class__ is int and a >= 0"):
            counted(None)
    else:
        passed, failed = ("1", "0") if item.kind == "bonus" else ("0", "1")
        with s.block("if a == 'pass'"):
            counted(passed)
        with s.block("elif a == 'fail'"):
            counted(failed)
    with s.block("elif a == 'na'"):
        not_applicable()
    with s.block("else"):
        s(f"a = {'BONUS' if item.kind == 'bonus' else 'FAULT'}.get(a, a)")
        with s.block("if a is NA"):
            not_applicable()
        with s.block("else"):
            with s.block("if a.__class__ is not int or a < 0"):
                s("a = COUNT(a)")
            counted(None)


def _effects(item: RubricItem, zero_section: bool) -> list[str]:
    s = item.section
    effects: list[str] = []
    target = f"D{s}" if item.kind == "deduct" else "B"
    if item.kind in ("deduct", "bonus"):
        if item.per_occurrence and item.cap is not None:
            effects.append(f"d = a * {item.points!r}")
            effects.append(f"{target} += d if d < {item.cap!r} else {item.cap!r}")
        else:
            effects.append(f"{target} += {item.points!r}")
    if item.critical:
        effects.append("X = True")
        if zero_section:
            effects.append(f"X{s} = True")
    return effects
