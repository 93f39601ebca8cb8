"""Compile a condition or value over an event's facts into a Python function.

The same code generator as the rubric scorer (codegen.expressions, written with
codegen.emit): policy values arrive as named constants, never as code. A fact the event
does not have makes a condition false. Aggregates (`count(survey where ...)`) in a
threshold value read pre-computed slots `@0`, `@1`, ... from the facts mapping."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast
from callqa.dsl.expressions import Scope
from callqa.dsl.types import Type
from callqa.dsl.vocabulary import ALERT_VALUES
from callqa.engine.codegen.emit import Constants, Source, compile_function
from callqa.engine.codegen.expressions import ExprCompiler, FactSlots
from callqa.engine.values import converter

_MISSING = object()

# Values already of the right type skip the converter (the common case, tested inline,
# here and in a rubric's generated scorer). A number that is NaN or infinite, and a
# negative duration, go to the converter, which refuses them (engine.values.real_number):
# NaN would make a condition silently false. An int is tested first, as cheaply as can be.
FAST_TYPES = {
    Type.TEXT: "{slot}.__class__ is not str",
    Type.NUMBER: "{slot}.__class__ is not int"
    " and ({slot}.__class__ is not float or not -INF < {slot} < INF)",
    Type.DURATION: "({slot}.__class__ is not int or {slot} < 0)"
    " and ({slot}.__class__ is not float or not 0.0 <= {slot} < INF)",
    Type.BOOL: "{slot}.__class__ is not bool",
    Type.DATETIME: "{slot}.__class__ is not DATETIME or {slot}.tzinfo is not ZONE",
}

_COMPUTED = "{slot}.__class__ is not float"  # a threshold's value and its aggregates

Condition = Callable[[Mapping[str, Any]], Any]
# code reading a fact, and whether it surely gives a value of the fact's type (not None)
FactCode = tuple[str, bool]
_SHARED_FLAGS = 8  # up to this many flags, every combination is built in advance


def compile_expression(
    expr: ast.Expr,
    fields: Mapping[str, Type],
    zone: ZoneInfo,
    aggregates: list[ast.Aggregate] | None = None,
    *,
    missing: object = False,
) -> Condition:
    """A function of a facts mapping; returns `missing` when a fact is absent."""
    s = Source()
    facts = FactSlots()
    scope_fields = dict(fields)
    scope_fields.update(dict.fromkeys(ALERT_VALUES, Type.NUMBER))
    compiler = _AggregateAwareCompiler(Scope(scope_fields), s.constants, facts, zone, aggregates)
    body = compiler.compile(expr)
    s.constants.define("MISSING", _MISSING)
    s.constants.define("MISSING_RESULT", missing)
    with s.block("def condition(facts, MISSING=MISSING, MISSING_RESULT=MISSING_RESULT)"):
        for name, slot in facts.names.items():
            s(f"{slot} = facts.get({s.constant(name)}, MISSING)")
            with s.block(f"if {slot} is MISSING or {slot} is None"):
                s("return MISSING_RESULT")
            _convert(s, slot, name, facts.types[name], zone)
        s(f"return {body}")
    function: Condition = compile_function(s, "condition", "condition")
    return function


def compile_flags(
    exprs: Sequence[ast.Expr | None], fields: Mapping[str, Type], zone: ZoneInfo
) -> Callable[[Mapping[str, Any]], tuple[bool, ...]]:
    """One function giving a flag per condition (None: always true), reading each fact
    once: which picks of a sampling rule a call is eligible for. A condition whose facts
    are absent is false."""
    s = Source()
    with s.block("def flags(facts)"):
        flags = write_flags(
            s, exprs, fields, zone, lambda fact: (f"facts.get({s.constant(fact)})", False)
        )
        s(f"return {flags}")
    function: Callable[[Mapping[str, Any]], tuple[bool, ...]]
    function = compile_function(s, "flags", "flags")
    return function


def flags_code(
    exprs: Sequence[ast.Expr | None],
    fields: Mapping[str, Type],
    zone: ZoneInfo,
    constants: Constants,
    read: Callable[[str], FactCode],
) -> tuple[list[str], str]:
    """`write_flags` for a caller that takes lines (a function body's, indented once)."""
    s = Source(constants, depth=1)
    flags = write_flags(s, exprs, fields, zone, read)
    return s.lines, flags


def write_flags(
    s: Source,
    exprs: Sequence[ast.Expr | None],
    fields: Mapping[str, Type],
    zone: ZoneInfo,
    read: Callable[[str], FactCode],
) -> str:
    """`compile_flags` as code, for a function that has the facts at hand (one kind of
    event's path, engine.runtime.kind_path): writes lines that fetch each fact the
    conditions read, by the code `read(fact)` gives (None when absent), and gives the
    expression giving the flags."""
    constants = s.constants
    _define_shared(constants, zone)
    facts = _TouchedSlots()
    compiler = _AggregateAwareCompiler(Scope(dict(fields)), constants, facts, zone, None)
    flags = []
    for expr in exprs:
        if expr is None:
            flags.append("True")
            continue
        facts.touched = set()
        body = compiler.compile(expr)
        maybe_absent = [slot for name, slot in facts.names.items()
                        if slot in facts.touched and not read(name)[1]]  # fmt: skip
        present = [f"{slot} is not None" for slot in sorted(maybe_absent)]
        flag = body if _gives_bool(expr) else f"bool({body})"
        flags.append(f"({' and '.join([*present, flag])})")
    for name, slot in facts.names.items():  # an absent fact reads as None
        code, of_its_type = read(name)
        s(f"{slot} = {code}")
        if not of_its_type:
            with s.block(f"if {slot} is not None"):
                _convert(s, slot, name, facts.types[name], zone)
    if len(flags) <= _SHARED_FLAGS:
        # Every combination is built once and shared: a call's flags are one index into
        # them, not a new tuple to allocate (and for the garbage collector to track).
        combinations = tuple(
            tuple(bool(index >> bit & 1) for bit in range(len(flags)))
            for index in range(2 ** len(flags))
        )
        table = constants.add(combinations, "FLAGS")
        index = " + ".join(f"{1 << bit} * {flag}" for bit, flag in enumerate(flags))
        return f"{table}[{index or 0}]"
    return f"({', '.join(flags)},)"


def _gives_bool(expr: ast.Expr) -> bool:
    """Whether the compiled expression is already True or False: comparisons, membership
    and `not` are, and `and`/`or` of them (Python returns one of the operands)."""
    if isinstance(expr, ast.Binary):
        if expr.op in ("and", "or"):
            return _gives_bool(expr.left) and _gives_bool(expr.right)
        return expr.op in ("==", "!=", "<", "<=", ">", ">=")
    if isinstance(expr, ast.Unary):
        return expr.op == "not"
    return isinstance(expr, ast.InList)


def _convert(s: Source, slot: str, fact: str, kind: Type, zone: ZoneInfo) -> None:
    """Brings a fact to its field's type; values of that type already skip the converter
    (the common case, tested inline)."""
    _define_shared(s.constants, zone)
    call = f"{slot} = {s.constant(converter(kind, zone), 'C')}({slot}, {s.constant(fact)})"
    test = FAST_TYPES.get(kind)
    if fact.startswith("@") or fact in ALERT_VALUES:  # the engine's own: not data
        test = _COMPUTED
    if test is None:
        s(call)
        return
    with s.block("if " + test.format(slot=slot)):
        s(call)


def _define_shared(constants: Constants, zone: ZoneInfo) -> None:
    """The names FAST_TYPES' tests are written with."""
    constants.define("DATETIME", dt.datetime)
    constants.define("ZONE", zone)
    constants.define("INF", math.inf)


class _TouchedSlots(FactSlots):
    """Fact slots that also note which slots the expression being compiled reads."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()

    def slot(self, name: str, kind: Type) -> str:
        slot = super().slot(name, kind)
        self.touched.add(slot)
        return slot


class _AggregateAwareCompiler(ExprCompiler):
    def __init__(
        self,
        scope: Scope,
        constants: Constants,
        facts: FactSlots,
        zone: ZoneInfo,
        aggregates: list[ast.Aggregate] | None,
    ) -> None:
        super().__init__(scope, constants, facts, zone)
        self.aggregates = aggregates

    def compile(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Aggregate):
            if self.aggregates is None:
                raise ValueError("aggregates are only allowed in threshold values")
            self.aggregates.append(expr)
            return self.facts.slot(f"@{len(self.aggregates) - 1}", Type.NUMBER)
        return super().compile(expr)

    def type_of(self, expr: ast.Expr) -> Type:
        if isinstance(expr, ast.Aggregate):
            return Type.NUMBER
        return super().type_of(expr)
