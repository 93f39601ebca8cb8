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
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl.expressions import Scope
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import FAST_TYPES
from callqa.engine.codegen.expressions import Constants, ExprCompiler, FactSlots
from callqa.engine.scoring.rubric import RubricItem, RubricSection, RubricTable
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


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def generate(
    table: RubricTable, fields: dict[str, Type], zone: ZoneInfo, result_factory: object
) -> GeneratedScorer:
    constants = Constants()
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
    for name, kind in facts.types.items():
        constants.values[f"C_{facts.names[name]}"] = converter(kind, zone)
    for name in facts.names:
        path = name.split(".")
        constants.values[f"P_{facts.names[name]}"] = tuple(path)

    w = _Writer()
    # ------------------------------------------------------------ one evaluation
    w(0, "def score_one(ev, FAULT=FAULT, BONUS=BONUS, NA=NA, MISSING=MISSING, COUNT=COUNT,"
         " INF=INF):")  # fmt: skip
    w(1, "ans = ev.get('answers')")
    w(1, "if ans is None:")
    w(2, "ans = ev")
    w(1, "get = ans.get")
    for name, slot in facts.names.items():
        entity, _, attribute = name.partition(".")
        w(1, "try:")
        w(2, f"{slot} = ev[{constants.add(entity)}][{constants.add(attribute)}]")
        w(1, "except (KeyError, TypeError):")
        w(2, f"{slot} = ev.get({fact_keys[name]}, MISSING)")
        w(1, f"if {slot} is MISSING:")
        w(2, f"raise KeyError({fact_keys[name]})")
        _convert_fact(w, 1, slot, facts.types[name], fact_keys[name])
    _body(w, 1, table, conditions, labels, lambda i: f"get({item_keys[i]}, MISSING)")
    w(1, f"return RESULT(TABLE, score, g, X, ({_counts(table)}), ev.get('id'))")

    # ---------------------------------------------------------------- a batch
    columns = [f"a{item.index}" for item in table.items] + [
        f"v_{slot}" for slot in facts.names.values()
    ]
    sources = item_keys + [fact_keys[name] for name in facts.names]
    w(0, "")
    one_lines = len(w.lines)
    w(0, "def score_many(cols, n, FAULT=FAULT, BONUS=BONUS, NA=NA, MISSING=MISSING, COUNT=COUNT,"
         " INF=INF):")  # fmt: skip
    w(1, "scores = []; grades = []; crits = []; errors = {}")
    w(1, "add_score = scores.append; add_grade = grades.append; add_crit = crits.append")
    for column, key in zip(columns, sources, strict=True):
        w(1, f"col_{column} = cols.get({key})")
        w(1, f"if col_{column} is None:")
        w(2, f"col_{column} = REPEAT(MISSING, n)")
    zipped = ", ".join(f"col_{c}" for c in columns)
    targets = ", ".join(columns)
    w(1, f"for r, ({targets},) in enumerate(zip({zipped})):")
    w(2, "try:")
    for name, slot in facts.names.items():
        w(3, f"{slot} = v_{slot}")
        w(3, f"if {slot} is MISSING:")
        w(4, f"raise KeyError({fact_keys[name]})")
        _convert_fact(w, 3, slot, facts.types[name], fact_keys[name])
    _body(w, 3, table, conditions, labels, lambda i: f"a{i}")
    w(3, "add_score(score); add_grade(g); add_crit(X)")
    w(2, "except Exception as exc:")
    w(3, "add_score(None); add_grade(None); add_crit(None); errors[r] = exc")
    w(1, "return scores, grades, crits, errors")

    source = "\n".join(w.lines) + "\n"
    namespace: dict[str, Any] = {**base, **constants.values}
    # The two functions are compiled one at a time: Python's compiler holds a whole
    # module's trees at once, about 0.05 MB per item and function (MAX_RUBRIC_ITEMS).
    # The second is placed at its lines of `source`, so tracebacks point into it.
    for part in (w.lines[:one_lines], [""] * one_lines + w.lines[one_lines:]):
        code = compile("\n".join(part) + "\n", f"<callqa rubric {table.id}>", "exec")
        exec(code, namespace)  # our generated source; policy values arrive only as constants
    return GeneratedScorer(
        namespace["score_one"], namespace["score_many"], source, tuple(facts.names)
    )


def _convert_fact(w: _Writer, indent: int, slot: str, kind: Type, key: str) -> None:
    """A fact brought to its field's type, as conditions do (engine.codegen.conditions.FAST_TYPES):
    NaN, an infinity or a negative duration go to the converter, which refuses them (NaN
    made the item's condition false, the item not applicable)."""
    test = FAST_TYPES.get(kind)
    w(indent, f"if {test.format(slot=slot) if test else 'True'}:")
    w(indent + 1, f"{slot} = C_{slot}({slot}, {key})")


def _counts(table: RubricTable) -> str:
    names = [f"c{item.index}" for item in table.items]
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _body(
    w: _Writer,
    ind: int,
    table: RubricTable,
    conditions: dict[int, str],
    labels: dict[str, str],
    answer: Callable[[int], str],
) -> None:
    settings = table.settings
    zero_section = settings.critical == "zero_section"
    na_pass = settings.na == "pass"
    for section in table.sections:
        w(ind, f"P{section.index} = 0.0; D{section.index} = 0.0")
        if zero_section:
            w(ind, f"X{section.index} = False")
    w(ind, "B = 0.0; X = False")
    for section in table.sections:
        for index in section.items:
            _item(w, ind, table.items[index], conditions.get(index), answer(index),
                  zero_section=zero_section, na_pass=na_pass)  # fmt: skip
    scale = float(settings.scale)
    if zero_section:
        for section in table.sections:
            w(ind, f"if X{section.index}:")
            w(ind + 1, f"D{section.index} = P{section.index}")
    if table.weighted:
        w(ind, "num = 0.0; den = 0.0")
        for section in table.sections:
            i = section.index
            weight = repr(float(section.weight or 0.0))
            w(ind, f"if P{i}:")
            w(ind + 1, f"num += {weight} * (P{i} - D{i}) / P{i}; den += {weight}")
        w(ind, f"score = {scale!r} * num / den if den else {scale!r}")
    else:
        w(ind, f"P = {_total('P', table.sections)}")
        w(ind, f"score = {scale!r} * (P - {_total('D', table.sections)}) / P if P else {scale!r}")
    if any(item.kind == "bonus" for item in table.items):
        w(ind, "score += B")
        if settings.bonus == "capped":
            w(ind, f"if score > {scale!r}:")
            w(ind + 1, f"score = {scale!r}")
    if settings.critical == "zero_score":
        w(ind, "if X:")
        w(ind + 1, "score = 0.0")
    factor = float(10**settings.rounding_digits)
    if settings.rounding_mode == "half_up":
        w(ind, f"score = FLOOR(score * {factor!r} + 0.5 + 1e-9) / {factor!r}")
    elif settings.rounding_mode == "down":
        w(ind, f"score = FLOOR(score * {factor!r} + 1e-9) / {factor!r}")
    else:
        w(ind, f"score = ROUND(score, {settings.rounding_digits}) + 0.0")
    _grade(w, ind, table, labels)


# Longer sums and if/elif chains than these are written as loops over constants: Python
# compiles `a + b + ...` and `elif` chains as nested trees, and a few thousand levels of
# them overflow its compiler's stack (a RecursionError when the policy loaded).
LONGEST_SUM = 32
LONGEST_CHAIN = 32


def _total(prefix: str, sections: tuple[RubricSection, ...]) -> str:
    """The sum of the sections' P (possible) or D (deducted) points, added left to right."""
    names = [f"{prefix}{s.index}" for s in sections]
    if len(names) > LONGEST_SUM:
        return f"SUM(({', '.join(names)},), 0.0)"
    return f"({' + '.join(names) or '0.0'})"


def _grade(w: _Writer, ind: int, table: RubricTable, labels: dict[str, str]) -> None:
    def code(label: str | None) -> str:
        return "None" if label is None else labels[label]

    lowest_code = code(table.lowest_grade())
    first = True
    if table.settings.critical == "fail_keep_score":
        w(ind, "if X:")
        w(ind + 1, f"g = {lowest_code}")
        first = False
    if sum(not band.fallback for band in table.grades) > LONGEST_CHAIN:
        # the same tests in the same order as the chain below, as a loop over BANDS
        if not first:
            w(ind, "else:")
            ind += 1
        w(ind, f"g = {code(next((b.label for b in table.grades if b.fallback), None))}")
        w(ind, "for low, high, label in BANDS:")
        w(ind + 1, "if score >= low and score < high:")
        w(ind + 2, "g = label")
        w(ind + 2, "break")
        return
    for band in table.grades:
        if band.fallback:
            continue
        tests = []
        if band.low != float("-inf"):
            tests.append(f"score >= {band.low!r}")
        if band.high != float("inf"):
            tests.append(f"score < {band.high!r}")
        test = " and ".join(tests) or "True"
        w(ind, f"{'if' if first else 'elif'} {test}:")
        w(ind + 1, f"g = {code(band.label)}")
        first = False
    fallback = next((b.label for b in table.grades if b.fallback), None)
    if first:
        w(ind, f"g = {code(fallback)}")
    else:
        w(ind, "else:")
        w(ind + 1, f"g = {code(fallback)}")


def _item(
    w: _Writer,
    ind: int,
    item: RubricItem,
    condition: str | None,
    answer: str,
    *,
    zero_section: bool,
    na_pass: bool,
) -> None:
    """One item as straight-line code: the common answers ("pass", "fail", "na", a count)
    are tested first with plain comparisons; anything else goes through COUNT."""
    i, s = item.index, item.section
    w(ind, f"# item {item.index}")
    if condition is not None:
        w(ind, f"if not {condition}:")
        w(ind + 1, f"c{i} = {NA_CONDITION}")
        if na_pass and item.possible:
            w(ind + 1, f"P{s} += {item.possible!r}")
        w(ind, "else:")
        ind += 1

    def counted(at: int, count: str | None) -> None:
        """Lines for an applicable answer; `count` is a known literal or None (use `a`)."""
        w(at, f"c{i} = {count if count is not None else 'a'}")
        if item.possible:
            w(at, f"P{s} += {item.possible!r}")
        if count == "0":
            return
        effects = _effects(item, zero_section)
        if not effects:
            return
        if count is None:
            w(at, "if a:")
            at += 1
        for effect in effects:
            w(at, effect)

    def not_applicable(at: int) -> None:
        w(at, f"c{i} = {NA_ANSWER}")
        if na_pass and item.possible:
            w(at, f"P{s} += {item.possible!r}")

    w(ind, f"a = {answer}")
    if item.per_occurrence:
        w(ind, "if a.__class__ is int and a >= 0:")
        counted(ind + 1, None)
        w(ind, "elif a == 'na':")
    else:
        passed, failed = ("1", "0") if item.kind == "bonus" else ("0", "1")
        w(ind, "if a == 'pass':")
        counted(ind + 1, passed)
        w(ind, "elif a == 'fail':")
        counted(ind + 1, failed)
        w(ind, "elif a == 'na':")
    not_applicable(ind + 1)
    w(ind, "else:")
    ind += 1
    words = "BONUS" if item.kind == "bonus" else "FAULT"
    w(ind, f"a = {words}.get(a, a)")
    w(ind, "if a is NA:")
    not_applicable(ind + 1)
    w(ind, "else:")
    w(ind + 1, "if a.__class__ is not int or a < 0:")
    w(ind + 2, "a = COUNT(a)")
    counted(ind + 1, None)


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
