"""Compile condition expressions into Python source fragments.

Only the engine's own code is generated: policy text never reaches Python's parser.
Every text value, list and name from the policy is passed in as a named constant
(engine.codegen.emit.Constants);
numbers are written with `repr` of the float/int the parser produced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from callqa.dsl import ast
from callqa.dsl.expressions import Scope, infer
from callqa.dsl.types import PARTS, Type
from callqa.engine.codegen.emit import Constants as Constants  # also imported from here
from callqa.engine.runtime.windows import real_time_after

_PY_OPS = {
    "and": "and", "or": "or", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">",
    ">=": ">=", "+": "+", "-": "-", "*": "*", "/": "/",
}  # fmt: skip


@dataclass
class FactSlots:
    """The facts an expression reads, each fetched once into a local variable."""

    names: dict[str, str] = field(default_factory=dict)  # "call.type" -> "f0"
    types: dict[str, Type] = field(default_factory=dict)

    def slot(self, name: str, kind: Type) -> str:
        if name not in self.names:
            self.names[name] = f"f{len(self.names)}"
            self.types[name] = kind
        return self.names[name]


class ExprCompiler:
    def __init__(
        self, scope: Scope, constants: Constants, facts: FactSlots, zone: dt.tzinfo
    ) -> None:
        self.scope = scope
        self.constants = constants
        self.facts = facts
        self.zone = zone  # the policy's: a date and time written without an offset is in it

    def type_of(self, expr: ast.Expr) -> Type:
        return infer(expr, self.scope, lambda *_: None)

    def compile(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Literal):
            value = expr.value
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=self.zone)
            return self.literal(value)
        if isinstance(expr, ast.FieldRef):
            return self.field_ref(expr)
        if isinstance(expr, ast.Unary):
            inner = self.compile(expr.operand)
            return f"(not {inner})" if expr.op == "not" else f"(-{inner})"
        if isinstance(expr, ast.InList):
            members = frozenset(item.value for item in expr.items)
            name = self.constants.add(members, "S")
            op = "not in" if expr.negated else "in"
            return f"({self.compile(expr.operand)} {op} {name})"
        if isinstance(expr, ast.Aggregate):
            raise ValueError(f"{expr.function}(...) can only be used in a threshold value")
        left, right = self.compile(expr.left), self.compile(expr.right)
        if expr.op in ("+", "-"):
            kinds = (self.type_of(expr.left), self.type_of(expr.right))
            if Type.DATETIME in kinds or Type.DATE in kinds:
                helper = self.constants.add(_calendar_arithmetic, "H")
                return f"{helper}({left}, {self.literal(expr.op)}, {right})"
        return f"({left} {_PY_OPS[expr.op]} {right})"

    def literal(self, value: object) -> str:
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, int | float):
            return repr(value)
        return self.constants.add(value)

    def field_ref(self, expr: ast.FieldRef) -> str:
        resolved = self.scope.resolve(expr.path)
        assert resolved is not None, f"checked policy has unknown field {expr.name}"
        _, base = resolved
        slot = self.facts.slot(base, self.scope.fields[base])
        depth = len(base.split("."))
        code = slot
        kind = self.scope.fields[base]
        for name in expr.path[depth:]:
            template = INLINE_PARTS[kind][name]
            code = template.format(code)
            kind = PARTS[kind][name]
        return code


# `call.start.time` and friends, as code: slots already hold their field's type (aware
# datetimes in the policy's timezone, seconds for durations), so a part is one attribute.
INLINE_PARTS: dict[Type, dict[str, str]] = {
    Type.DATETIME: {
        "time": "{}.time()",
        "date": "{}.date()",
        "hour": "{}.hour",
        "weekday": "{}.isoweekday()",
    },
    Type.DATE: {"weekday": "{}.isoweekday()", "day": "{}.day", "month": "{}.month"},
    Type.DURATION: {"seconds": "{}", "minutes": "({} / 60)", "hours": "({} / 3600)"},
}


def _calendar_arithmetic(left: object, op: str, right: object) -> object:
    """datetime/date +- duration (seconds), and datetime - datetime -> seconds. Aware
    datetimes count real time (in UTC): in one timezone Python counts by wall clock, and a
    day with a daylight-saving change is 23 or 25 hours long."""
    if isinstance(right, int | float):
        if isinstance(left, dt.datetime):
            return real_time_after(left, right if op == "+" else -right)
        delta = dt.timedelta(seconds=right)
        return left + delta if op == "+" else left - delta  # type: ignore[operator]
    if (
        isinstance(left, dt.datetime) and isinstance(right, dt.datetime)
        and left.tzinfo is not None and right.tzinfo is not None
    ):  # fmt: skip
        return left.timestamp() - right.timestamp()
    difference = left - right  # type: ignore[operator]
    assert isinstance(difference, dt.timedelta)
    return difference.total_seconds()
