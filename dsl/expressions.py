"""Type checking of expressions, and the "can this condition ever be true?" analysis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from callqa.dsl import ast
from callqa.dsl.diagnostics import listed
from callqa.dsl.i18n import _, current, field_name, named
from callqa.dsl.source import Span
from callqa.dsl.suggest import closest
from callqa.dsl.types import PARTS, Type
from callqa.dsl.vocabulary import COMPARISONS, EVENT_KINDS
from callqa.dsl.vocabulary_zh import keyword

ORDERED = {Type.NUMBER, Type.DURATION, Type.TIME, Type.DATE, Type.DATETIME}

Report = Callable[[Span, str, str | None], None]


@dataclass(frozen=True, slots=True)
class Scope:
    """The fields a condition may read (built-in plus the policy's own), with their types."""

    fields: Mapping[str, Type]
    aggregates: bool = False  # count(...), avg(...): only a threshold's value and alerts

    def resolve(self, path: tuple[str, ...]) -> tuple[Type, str] | None:
        """Type of `call.start.time`: the longest declared prefix, then value parts."""
        for cut in range(len(path), 0, -1):
            name = ".".join(path[:cut])
            if name in self.fields:
                kind = self.fields[name]
                for part in path[cut:]:
                    parts = PARTS.get(kind, {})
                    if part not in parts:
                        return None
                    kind = parts[part]
                return kind, name
        return None

    def candidates(self) -> list[str]:
        out = list(self.fields)
        for name, kind in self.fields.items():
            out.extend(f"{name}.{part}" for part in PARTS.get(kind, {}))
        return out


def infer(expr: ast.Expr, scope: Scope, report: Report) -> Type:
    """The type of `expr`; every problem goes to `report(span, message, hint)`."""
    if isinstance(expr, ast.Literal):
        return expr.type
    if isinstance(expr, ast.FieldRef):
        resolved = scope.resolve(expr.path)
        if resolved is None:
            guess = closest(expr.name, scope.candidates())
            name = field_name(expr.name)
            hint = (
                _("did you mean {word}?").format(word=field_name(guess))
                if guess
                else _("declare it: field {name} text").format(name=name)
            )
            report(expr.span, _("unknown field {name}").format(name=name), hint)
            return Type.UNKNOWN
        return resolved[0]
    if isinstance(expr, ast.Unary):
        inner = infer(expr.operand, scope, report)
        if expr.op == "not":
            _expect_bool(expr.operand, inner, report, "not")
            return Type.BOOL
        if inner not in (Type.NUMBER, Type.DURATION, Type.UNKNOWN):
            report(expr.span, _("cannot negate {example}").format(example=inner.example), None)
            return Type.UNKNOWN
        return inner
    if isinstance(expr, ast.Aggregate):
        if not scope.aggregates:
            report(
                expr.span,
                _(
                    "{function}(...) cannot be used here: it is read over a period, in a "
                    "threshold's value or alerts, or as what a discipline rule counts"
                ).format(function=expr.function),
                _(
                    "for a count in a window, write a rule: "
                    "rule r when count(complaint) in calendar month >= 3 then ..."
                ),
            )
            return Type.UNKNOWN
        return _infer_aggregate(expr, scope, report)
    if isinstance(expr, ast.InList):
        kind = infer(expr.operand, scope, report)
        for item in expr.items:
            if Type.UNKNOWN not in (kind, item.type) and item.type is not kind:
                report(
                    item.span,
                    _("{value} is {example}, but the value before `in` is {type}").format(
                        value=item.text, example=item.type.example, type=named(kind.value, "type")
                    ),
                    _literal_hint(item, kind),
                )
        return Type.BOOL
    return _infer_binary(expr, scope, report)


def _infer_aggregate(expr: ast.Aggregate, scope: Scope, report: Report) -> Type:
    if expr.kind not in EVENT_KINDS:
        guess = closest(expr.kind, EVENT_KINDS)
        report(
            expr.span,
            _("{kind} is not a kind of event that can be counted").format(kind=expr.kind),
            _("did you mean {word}?").format(word=guess)
            if guess
            else _("use one of: {names}").format(names=listed(EVENT_KINDS, "event")),
        )
        return Type.UNKNOWN
    if expr.where is not None:  # about one event: no aggregates in it
        kind = infer(expr.where, Scope(scope.fields), report)
        if kind not in (Type.BOOL, Type.UNKNOWN):
            report(expr.where.span, _("the where condition must be true or false"), None)
    if expr.function == "count":
        if len(expr.path) > 1:
            report(
                expr.span,
                _("count counts events: write count({kind}), not count({name})").format(
                    kind=expr.kind, name=expr.name
                ),
                _("to add up values use sum({name}) or avg({name})").format(name=expr.name),
            )
        return Type.NUMBER
    if len(expr.path) < 2:
        report(
            expr.span,
            _("{function} needs a value to work on, such as {function}({kind}.score)").format(
                function=expr.function, kind=expr.kind
            ),
            None,
        )
        return Type.UNKNOWN
    resolved = infer(ast.FieldRef(expr.path, expr.span), scope, report)
    if resolved not in (Type.NUMBER, Type.DURATION, Type.UNKNOWN):
        report(
            expr.span,
            _("{function} works on numbers and durations, not {type}").format(
                function=expr.function, type=named(resolved.value, "type")
            ),
            None,
        )
        return Type.UNKNOWN
    return resolved


def _infer_binary(expr: ast.Binary, scope: Scope, report: Report) -> Type:
    left = infer(expr.left, scope, report)
    right = infer(expr.right, scope, report)
    op = expr.op
    if op in ("and", "or"):
        _expect_bool(expr.left, left, report, op)
        _expect_bool(expr.right, right, report, op)
        return Type.BOOL
    if Type.UNKNOWN in (left, right):
        return Type.BOOL if op in COMPARISONS else Type.UNKNOWN
    if op in COMPARISONS:
        if left is not right:
            _mismatch(expr, left, right, report)
        elif op not in ("==", "!=") and left not in ORDERED:
            report(
                expr.span,
                _("{type} values cannot be compared with {op}").format(
                    type=named(left.value, "type"), op=op
                ),
                _("use == or != for text and true/false values"),
            )
        return Type.BOOL
    result = _arithmetic(op, left, right)
    if result is None:
        report(
            expr.span,
            _("cannot compute {left} {op} {right}").format(
                left=named(left.value, "type"), op=op, right=named(right.value, "type")
            ),
            _arithmetic_hint(expr, left, right),
        )
        return Type.UNKNOWN
    divisor = expr.right
    if op == "/" and isinstance(divisor, ast.Literal) and divisor.value == 0:
        # every evaluation would then be rejected with "a condition divides by zero"
        report(
            divisor.span,
            _("{number} divides by zero").format(number=divisor.text),
            _("divide by a number other than 0"),
        )
    return result


def _arithmetic(op: str, left: Type, right: Type) -> Type | None:
    n, d = Type.NUMBER, Type.DURATION
    table: dict[tuple[str, Type, Type], Type] = {
        ("+", n, n): n, ("-", n, n): n, ("*", n, n): n, ("/", n, n): n,
        ("+", d, d): d, ("-", d, d): d, ("*", d, n): d, ("*", n, d): d,
        ("/", d, n): d, ("/", d, d): n,
        ("+", Type.DATETIME, d): Type.DATETIME, ("-", Type.DATETIME, d): Type.DATETIME,
        ("-", Type.DATETIME, Type.DATETIME): d,
        ("+", Type.DATE, d): Type.DATE, ("-", Type.DATE, d): Type.DATE,
        ("-", Type.DATE, Type.DATE): d,
    }  # fmt: skip
    return table.get((op, left, right))


def _arithmetic_hint(expr: ast.Binary, left: Type, right: Type) -> str | None:
    for side, other in ((expr.right, left), (expr.left, right)):
        if isinstance(side, ast.Literal):
            hint = _literal_hint(side, other)
            if hint:
                return hint
    return None


def _expect_bool(expr: ast.Expr, kind: Type, report: Report, op: str) -> None:
    if kind not in (Type.BOOL, Type.UNKNOWN):
        report(
            expr.span,
            _("`{op}` needs a true/false condition here, not {example}").format(
                op=keyword(op, current()), example=kind.example
            ),
            _("compare it with something, e.g. call.duration >= 60s"),
        )


def _mismatch(expr: ast.Binary, left: Type, right: Type, report: Report) -> None:
    literal, other = (
        (expr.right, left) if isinstance(expr.right, ast.Literal) else (expr.left, right)
    )
    hint = _literal_hint(literal, other) if isinstance(literal, ast.Literal) else None
    if hint is None:
        hint = _("compare {type} with {example}").format(
            type=named(left.value, "type"), example=left.example
        )
    report(
        expr.span,
        _("cannot compare {left} with {right}").format(
            left=named(left.value, "type"), right=named(right.value, "type")
        ),
        hint,
    )


def _literal_hint(literal: ast.Literal, wanted: Type) -> str | None:
    """How to write `literal` as a value of type `wanted` (`60` as a duration is `60s`)."""
    text = literal.text
    if wanted is Type.DURATION and literal.type is Type.NUMBER:
        return _("write {number}s (seconds), {number}m (minutes) or {number}h (hours)").format(
            number=text
        )
    if wanted is Type.NUMBER and literal.type is Type.DURATION:
        digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
        return _("write the plain number {number}").format(number=digits) if digits else None
    if wanted is Type.TIME and literal.type is Type.NUMBER:
        return _("write a time of day such as {hour}:00").format(hour=text)
    if wanted is Type.TEXT and literal.type is not Type.TEXT:
        return _('write the text in double quotes: "{text}"').format(text=text)
    if wanted is Type.BOOL and literal.type is Type.TEXT:
        return _("write true or false without quotes")
    if wanted is Type.NUMBER and literal.type is Type.TEXT and _is_number(str(literal.value)):
        return _("write the number without quotes: {number}").format(number=literal.value)
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.replace(".", "", 1).isdigit()


# --------------------------------------------------------------- satisfiability


def never_true(expr: ast.Expr) -> str | None:
    """A reason why `expr` can never be true, or None when it might be.

    Sound but incomplete: it folds constants and finds contradictions among
    comparisons of one field with literals joined by `and` (`call.type == "a" and
    call.type == "b"`, `call.duration < 0s`, `x in []`).
    """
    if isinstance(expr, ast.Literal):
        return _("the condition is always false") if expr.value is False else None
    if isinstance(expr, ast.Unary) and expr.op == "not" and isinstance(expr.operand, ast.Literal):
        return _("the condition is always false") if expr.operand.value is True else None
    if isinstance(expr, ast.Binary) and expr.op == "or":
        left, right = never_true(expr.left), never_true(expr.right)
        return left if left and right else None
    conjuncts = _conjuncts(expr)
    for part in conjuncts:
        if isinstance(part, ast.InList) and not part.items and not part.negated:
            return _("nothing is in an empty list")
        reason = never_true(part) if part is not expr else None  # once: or/and may nest
        if reason:
            return reason
    constraints: dict[str, _Range] = {}
    for part in conjuncts:
        parsed = _constraint(part)
        if parsed is None:
            continue
        name, update = parsed
        current = constraints.setdefault(name, _Range())
        update(current)
        if current.empty():
            return _("{name} can never meet all of these conditions at once").format(name=name)
    return None


def _conjuncts(expr: ast.Expr) -> list[ast.Expr]:
    if isinstance(expr, ast.Binary) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


class _Range:
    """The values a field may still take: an allowed set, a forbidden set, bounds."""

    def __init__(self) -> None:
        self.allowed: set[object] | None = None
        self.forbidden: set[object] = set()
        self.low: tuple[object, bool] | None = None  # (value, inclusive)
        self.high: tuple[object, bool] | None = None

    def empty(self) -> bool:
        if self.allowed is not None:
            alive = {v for v in self.allowed if v not in self.forbidden and self._inside(v)}
            return not alive
        if self.low and self.high:
            (lo, lo_in), (hi, hi_in) = self.low, self.high
            try:
                if lo > hi or (lo == hi and not (lo_in and hi_in)):  # type: ignore[operator]
                    return True
            except TypeError:
                return False
        return False

    def _inside(self, value: object) -> bool:
        try:
            if self.low is not None:
                lo, inclusive = self.low
                if value < lo or (value == lo and not inclusive):  # type: ignore[operator]
                    return False
            if self.high is not None:
                hi, inclusive = self.high
                if value > hi or (value == hi and not inclusive):  # type: ignore[operator]
                    return False
        except TypeError:
            return True
        return True

    def restrict(self, values: set[object]) -> None:
        self.allowed = values if self.allowed is None else self.allowed & values

    def above(self, value: object, inclusive: bool) -> None:
        if self.low is None or _tighter(value, self.low[0], greater=True):
            self.low = (value, inclusive)

    def below(self, value: object, inclusive: bool) -> None:
        if self.high is None or _tighter(value, self.high[0], greater=False):
            self.high = (value, inclusive)


def _tighter(new: object, old: object, *, greater: bool) -> bool:
    try:
        return bool(new > old) if greater else bool(new < old)  # type: ignore[operator]
    except TypeError:
        return False


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _constraint(expr: ast.Expr) -> tuple[str, Callable[[_Range], None]] | None:
    if isinstance(expr, ast.InList) and isinstance(expr.operand, ast.FieldRef):
        values = {item.value for item in expr.items}
        if expr.negated:
            return expr.operand.name, lambda r: r.forbidden.update(values)
        return expr.operand.name, lambda r: r.restrict(values)
    if not isinstance(expr, ast.Binary) or expr.op not in FLIP:
        return None
    op = expr.op
    if isinstance(expr.left, ast.FieldRef) and isinstance(expr.right, ast.Literal):
        field, value = expr.left, expr.right.value
    elif isinstance(expr.right, ast.FieldRef) and isinstance(expr.left, ast.Literal):
        field, value, op = expr.right, expr.left.value, FLIP[op]
    else:
        return None
    actions: dict[str, Callable[[_Range], None]] = {
        "==": lambda r: r.restrict({value}),
        "!=": lambda r: r.forbidden.add(value),
        ">": lambda r: r.above(value, False),
        ">=": lambda r: r.above(value, True),
        "<": lambda r: r.below(value, False),
        "<=": lambda r: r.below(value, True),
    }
    return field.name, actions[op]
