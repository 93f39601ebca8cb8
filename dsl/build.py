"""Lark trees -> the typed syntax tree (dsl.ast), checking what the grammar leaves open.

Literals are decoded here (`5m` -> 300 seconds, `96%` -> 0.96, dates, times); a literal
that the grammar accepts but that is not a real value (`2026-02-30`, `25:00`) becomes
a diagnostic, not an exception.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from lark import Token, Tree

from callqa.dsl import ast
from callqa.dsl.diagnostics import Diagnostic
from callqa.dsl.i18n import _
from callqa.dsl.source import NOWHERE, Span
from callqa.dsl.types import Type
from callqa.dsl.vocabulary import UNIT_SECONDS, WORKING_UNITS
from callqa.dsl.vocabulary_zh import (
    AGGREGATES,
    AMOUNT_UNIT,
    CALENDAR_PREFIX,
    CALL_WORD,
    KEYWORDS,
    OPERATORS,
    WORKING_WORD,
    english,
    unit_letter,
    unit_word,
)

_AGGREGATE_EN = {zh: en for en, zh in AGGREGATES.items()}

MAX_NUMBER = 10**12  # a trillion: more than any count, points or seconds a policy means
MAX_DURATION = 36_525 * 86_400  # seconds in 100 years: longer than any window or limit
# A scorecard has tens of items; each item is compiled into the rubric's scoring code, and
# Python's compiler needs about 0.1 MB per item at once, so a rubric far beyond any real
# scorecard is refused while it is read, before anything is compiled.
MAX_RUBRIC_ITEMS = 1_000
# A sampling rule picks a few calls per agent and period; its picks are compiled into one
# function (engine.sampling.close), so a rule with thousands is refused the same way.
MAX_PICKS = 100


def span_of(node: Tree[Any] | Token) -> Span:
    if isinstance(node, Token):
        line = node.line or 1
        col = node.column or 1
        return Span(line, col, node.end_line or line, node.end_column or col + len(node))
    meta = node.meta
    if getattr(meta, "empty", True):
        return NOWHERE
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def kids(node: Tree[Any]) -> list[Any]:
    """A node's children, typed loosely: the grammar, not the type checker, fixes their shape."""
    return list(node.children)


def operator(token: Token) -> str:
    """`≥` -> `>=`: full-width operators, as a Chinese input method types them."""
    return OPERATORS.get(str(token), str(token))


def _ordinal(number: int) -> str:
    """2 -> `2nd`, 11 -> `11th`, 21 -> `21st`."""
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def kind_path(path: Tree[Any]) -> tuple[str, ...]:
    """`count(投诉)` counts complaints: an event kind may be named in Chinese."""
    first, *rest = (str(t) for t in kids(path))
    return (english(first, "event"), *rest)


def unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Builder:
    """Turns the trees of one file into `ast.PolicyFile`, collecting diagnostics."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def error(self, span: Span, message: str, hint: str | None = None, code: str = "") -> None:
        self.diagnostics.append(Diagnostic.at(span, message, file=self.file, hint=hint, code=code))

    # ------------------------------------------------------------------ statements

    def statements(self, tree: Tree[Any]) -> list[ast.Statement]:
        out: list[ast.Statement] = []
        for child in kids(tree):
            built = self.statement(child)
            if built is not None:
                out.append(built)
        return out

    def statement(self, tree: Tree[Any]) -> ast.Statement | None:
        kind = tree.data
        if kind == "policy_header":
            return self.policy_header(tree)
        if kind == "include":
            return ast.Include(unquote(kids(tree)[0]), span_of(tree))
        if kind == "field_decl":
            path, type_token = kids(tree)
            return ast.FieldDecl(
                kind_path(path),
                english(str(type_token), "type"),
                span_of(tree),
                span_of(type_token),
            )
        if kind == "rubric":
            return self.rubric(tree)
        if kind == "action_decl":
            return self.action(tree)
        if kind in ("sampling", "escalation", "threshold", "discipline", "rota"):
            return self.block(tree)
        if kind == "calendar":
            return self.calendar(tree)
        if kind == "test_block":
            return self.test_block(tree)
        self.error(span_of(tree), _("unknown statement {kind}").format(kind=kind))
        return None

    # ---------------------------------------------------------- time-aware blocks

    def action(self, tree: Tree[Any]) -> ast.ActionDecl:
        id_token, label, *clauses = kids(tree)
        notify: list[str] = []
        sets_status: str | None = None
        approval: str | None = None
        for clause in clauses:
            if clause.data == "notify":
                notify.extend(str(t) for t in kids(kids(clause)[0]))
            elif clause.data == "sets_status":
                sets_status = unquote(kids(clause)[0])
            else:
                approval = str(kids(clause)[0])
        return ast.ActionDecl(
            str(id_token),
            unquote(label) if label is not None else None,
            tuple(notify),
            sets_status,
            approval,
            span_of(tree),
            span_of(id_token),
        )

    def block(self, tree: Tree[Any]) -> ast.Statement:
        id_token, label, *entries, rbrace = kids(tree)
        label_text = unquote(label) if label is not None else None
        built = [self.block_entry(e) for e in entries]
        picks = [entry for entry in built if isinstance(entry, ast.Pick)]
        if len(picks) > MAX_PICKS:
            self.error(
                picks[MAX_PICKS].span,
                _(
                    "sampling {id} has more than {count} picks, the most one sampling rule may "
                    "hold, from this pick on"
                ).format(id=id_token, count=MAX_PICKS),
                _("split it into several sampling rules"),
                code="too-large",
            )
        args = (str(id_token), label_text, tuple(built), span_of(tree), span_of(id_token))
        if tree.data == "sampling":
            return ast.Sampling(*args, span_of(rbrace))
        if tree.data == "escalation":
            return ast.Escalation(*args, span_of(rbrace))
        if tree.data == "threshold":
            return ast.Threshold(*args, span_of(rbrace))
        if tree.data == "rota":
            return ast.Rota(*args, span_of(rbrace))
        return ast.Discipline(*args, span_of(rbrace))

    def block_entry(self, tree: Tree[Any]) -> Any:
        kind = tree.data
        span = span_of(tree)
        parts = kids(tree)
        if kind in ("sample_per", "threshold_per"):
            subject = english(str(parts[0]), "subject")
            return ast.Per(subject, english(str(parts[1]), "period"), span)
        if kind == "pick_ordinal":
            ordinal, word, where = parts
            digits = "".join(ch for ch in str(ordinal) if ch.isdigit())
            number = int(self.read_number(digits, span_of(ordinal)))
            written = str(ordinal) if str(ordinal)[0].isdigit() else _ordinal(number)
            call = "call" if str(word) == CALL_WORD else str(word)
            return ast.Pick(number, 1, written, call, self.opt_expr(where), span)
        if kind == "pick_random":
            count, word, where = parts
            many = self.whole(count)
            call = ("call" if many == 1 else "calls") if str(word) == CALL_WORD else str(word)
            return ast.Pick(None, many, None, call, self.opt_expr(where), span)
        if kind == "quota":
            count, period, when = parts
            period_word = english(str(period), "period")
            return ast.Quota(self.whole(count), period_word, self.opt_expr(when), span)
        if kind == "publish":
            duration, roles = parts
            return ast.Publish(self.duration(duration), tuple(str(t) for t in kids(roles)), span)
        if kind == "chain":
            return ast.Chain(tuple(str(t) for t in parts if t.type == "NAME"), span)
        if kind == "start_at":
            role, when = parts
            return ast.StartAt(str(role), self.opt_expr(when), span)
        if kind == "escalate_after":
            *limits, unresolved = parts
            built = tuple(
                ast.TimeLimit(self.wait(kids(t)[0]), str(kids(t)[1]), span_of(t)) for t in limits
            )
            return ast.EscalateAfter(built, unresolved is not None, span)
        if kind == "threshold_value":
            return ast.ThresholdValue(self.expr(parts[0]), span)
        if kind == "alert":
            roles, when = parts
            return ast.Alert(tuple(str(t) for t in kids(roles)), self.expr(when), span)
        return self.rule(tree)

    def wait(self, tree: Tree[Any]) -> ast.Wait:
        """`8h`, or `8 working hours`: a working wait is kept as the duration it counts
        (8h) with the words as written."""
        span = span_of(tree)
        if tree.data == "wait":
            return ast.Wait(self.duration(kids(tree)[0]), span=span)
        number_tree, word = kids(tree)
        if word.type == "WORKING_WORD":  # `8 工作小时`
            word = Token("DURATION_WORD", str(word)[len(WORKING_WORD) :], 0, 0, 0, 0, 0, 0)
        length = self.duration(Tree("duration", [number_tree, word], tree.meta))
        amount = AMOUNT_UNIT.fullmatch(length.text).group(1)  # type: ignore[union-attr]
        letter = unit_letter(str(word))
        written = str(word) if str(word).isascii() else unit_word(amount, letter)
        text = f"{amount} working {written}"
        if letter not in WORKING_UNITS:
            self.error(span, _("working time is counted in minutes, hours or days, not {unit}"
                               ).format(unit=word),
                       _("write it in hours or days, e.g. {amount} working days").format(
                           amount=amount), code="working-time")  # fmt: skip
        return ast.Wait(length, True, letter == "d", text, span)

    def calendar(self, tree: Tree[Any]) -> ast.Calendar:
        id_token, label, *entries, rbrace = kids(tree)
        built: list[ast.CalendarEntry] = []
        for entry in entries:
            parts, span = kids(entry), span_of(entry)
            if entry.data == "work_hours":
                days = tuple(
                    ast.DaySpan(english(str(kids(p)[0]), "weekday"),
                                None if kids(p)[1] is None else english(str(kids(p)[2]), "weekday"),
                                span_of(p))
                    for p in parts if isinstance(p, Tree) and p.data == "day_span"
                )  # fmt: skip
                ranges = tuple(
                    (self.time_of_day(kids(p)[0]), self.time_of_day(kids(p)[2]))
                    for p in parts if isinstance(p, Tree) and p.data == "time_range"
                )  # fmt: skip
                built.append(ast.WorkHours(days, ranges, span))
            elif entry.data == "holiday":
                first, last, name = parts
                built.append(ast.Holiday(
                    self.date(first), None if last is None else self.date(last),
                    None if name is None else unquote(name), span,
                ))  # fmt: skip
            else:
                day, like, name = parts
                built.append(ast.MakeUpDay(
                    self.date(day), None if like is None else english(str(like), "weekday"),
                    None if name is None else unquote(name), span,
                    span_of(like) if like is not None else span,
                ))  # fmt: skip
        return ast.Calendar(
            str(id_token), unquote(label) if label is not None else None, tuple(built),
            span_of(tree), span_of(id_token), span_of(rbrace),
        )  # fmt: skip

    def rule(self, tree: Tree[Any]) -> ast.Rule:
        parts = kids(tree)
        span = span_of(tree)
        if tree.data == "event_rule":
            id_token, on, where, silence, then = parts
            without = within = None
            if silence is not None:
                without, within = kids(silence)
            return ast.Rule(
                str(id_token), None, None, None, None, None, None, english(str(on), "event"),
                self.opt_expr(where), str(then), span, span_of(id_token), span_of(then),
                without=None if without is None else english(str(without), "event"),
                within=None if within is None else self.wait(within),
                without_span=NOWHERE if without is None else span_of(without),
            )  # fmt: skip
        id_token, measure, op, limit, minimum, then = parts
        agg_token, path, where, per, window, since = kids(measure)
        aggregate = ast.Aggregate(
            _AGGREGATE_EN.get(str(agg_token), str(agg_token)), kind_path(path),
            self.opt_expr(where), span_of(measure),
        )  # fmt: skip
        if window.data == "calendar_window":
            [word] = kids(window)  # `calendar month`, `日历 月` or `日历月`
            written = (
                str(word)[len(CALENDAR_PREFIX) :] if word.type == "CALENDAR_WORD" else str(word)
            )
            built_window = ast.Window(english(written, "period"), None, span_of(window))
        else:
            built_window = ast.Window(None, self.duration(kids(window)[0]), span_of(window))
        min_count = min_word = None
        if minimum is not None:
            min_count = self.whole(kids(minimum)[0])
            min_word = english(str(kids(minimum)[1]), "event")
        per_fact = None
        if per is not None:
            [per_path] = kids(per)
            per_fact = ast.FieldRef(kind_path(per_path), span_of(per_path))
        return ast.Rule(
            str(id_token), aggregate, built_window, operator(op), self.number(limit), min_count,
            min_word, None, None, str(then), span, span_of(id_token), span_of(then), per_fact,
            None if since is None else str(kids(since)[0]),
            NOWHERE if since is None else span_of(kids(since)[0]),
        )  # fmt: skip

    def test_block(self, tree: Tree[Any]) -> ast.TestBlock:
        name, *entries, rbrace = kids(tree)
        built: list[ast.GivenEvent | ast.Expect] = []
        for entry in entries:
            parts = kids(entry)
            if entry.data == "given_event":
                kind, *attributes, at = parts
                attrs = []
                for attribute in attributes:
                    path, value = kids(attribute)
                    key = ".".join(str(t) for t in kids(path))
                    key = "item" if key == KEYWORDS["item"] else key  # `项 "accuracy"`
                    if isinstance(value, Token) and value.type == "NAME":
                        literal = ast.Literal(Type.TEXT, str(value), str(value), span_of(value))
                    else:
                        literal = self.literal(value)
                    attrs.append((key, literal))
                built.append(
                    ast.GivenEvent(
                        english(str(kind), "event"),
                        tuple(attrs),
                        self.datetime(at),
                        span_of(entry),
                    )
                )
            else:
                negated, what, which, subject, at = parts
                built.append(
                    ast.Expect(
                        negated is not None,
                        english(str(what), "decision"),
                        unquote(which) if which is not None else None,
                        unquote(subject) if subject is not None else None,
                        self.datetime(at) if at is not None else None,
                        span_of(entry),
                    )
                )
        return ast.TestBlock(unquote(name), tuple(built), span_of(tree), span_of(rbrace))

    def opt_expr(self, node: Tree[Any] | Token | None) -> ast.Expr | None:
        return None if node is None else self.expr(node)

    def policy_header(self, tree: Tree[Any]) -> ast.PolicyHeader:
        name = unquote(kids(tree)[0])
        version: str | None = None
        timezone: str | None = None
        timezone_span: Span | None = None
        for option in kids(tree)[1:]:
            value = unquote(kids(option)[0])
            if option.data == "version":
                if version is not None:
                    self.error(
                        span_of(option), _("the version is given twice"), _("keep one version")
                    )
                version = value
            else:
                if timezone is not None:
                    self.error(
                        span_of(option), _("the timezone is given twice"), _("keep one timezone")
                    )
                timezone = value
                timezone_span = span_of(kids(option)[0])
        return ast.PolicyHeader(name, version, timezone, span_of(tree), timezone_span)

    # ---------------------------------------------------------------------- rubric

    def rubric(self, tree: Tree[Any]) -> ast.Rubric:
        id_token, label_token, *entries, rbrace = kids(tree)
        built: list[ast.RubricEntry] = []
        for entry in entries:
            built.append(self.rubric_entry(entry))
        self.rubric_size(str(id_token), built)
        return ast.Rubric(
            str(id_token),
            unquote(label_token) if label_token is not None else None,
            tuple(built),
            span_of(tree),
            span_of(id_token),
            span_of(rbrace),
        )

    def rubric_size(self, rubric_id: str, entries: list[ast.RubricEntry]) -> None:
        """Report the item that passes MAX_RUBRIC_ITEMS (see there)."""
        items = [i for e in entries if isinstance(e, ast.Section) for i in e.items]
        if len(items) > MAX_RUBRIC_ITEMS:
            past = items[MAX_RUBRIC_ITEMS]
            self.error(
                past.span,
                _(
                    "rubric {id} has more than {count:,} items, the most one rubric may hold, "
                    "from item {item} here on"
                ).format(id=rubric_id, count=MAX_RUBRIC_ITEMS, item=past.id),
                _(
                    "split it into several rubrics (each may go in its own file, joined with "
                    'include "part.policy")'
                ),
                code="too-large",
            )

    def rubric_entry(self, tree: Tree[Any]) -> ast.RubricEntry:
        kind = tree.data
        span = span_of(tree)
        if kind == "section":
            return self.section(tree)
        if kind == "grades":
            *bands, rbrace = kids(tree)
            return ast.Grades(tuple(self.band(b) for b in bands), span, span_of(rbrace))
        if kind == "scale":
            return ast.Setting("scale", self.number(kids(tree)[0]), None, span)
        if kind == "appeals":
            window, *steps = kids(tree)
            written = tuple(
                (step.data.split("_")[0], tuple(str(t) for t in
                                                (kids(kids(step)[0]) if step.data == "panel"
                                                 else kids(step))))
                for step in steps
            )  # fmt: skip
            return ast.Setting("appeals", self.duration(window), None, span, steps=written)
        if kind == "calibration":
            return ast.Setting("calibration", self.number(kids(tree)[0]), None, span)
        if kind == "rounding":
            digits_token, mode = kids(tree)
            digits = ast.Literal(
                Type.NUMBER, self.whole(digits_token), str(digits_token), span_of(digits_token)
            )
            return ast.Setting(
                "rounding",
                digits,
                english(str(mode), "rounding") if mode is not None else None,
                span,
                span_of(mode) if mode is not None else None,
            )
        key = {"critical_mode": "critical", "na_mode": "na", "bonus_mode": "bonus"}[kind]
        word = kids(tree)[0]
        return ast.Setting(key, None, english(str(word), key), span, span_of(word))

    def section(self, tree: Tree[Any]) -> ast.Section:
        id_token, label_token, weight, *items, rbrace = kids(tree)
        weight_literal = None
        if weight is not None:
            weight_literal = self.literal(kids(weight)[0])
        return ast.Section(
            str(id_token),
            unquote(label_token) if label_token is not None else None,
            weight_literal,
            tuple(self.item(i) for i in items),
            span_of(tree),
            span_of(id_token),
            span_of(rbrace),
        )

    def item(self, tree: Tree[Any]) -> ast.Item:
        id_token, label_token, *clauses = kids(tree)
        deduct: ast.Amount | None = None
        bonus: ast.Amount | None = None
        critical = False
        condition: ast.Expr | None = None
        for clause in clauses:
            span = span_of(clause)
            if clause.data == "deduct":
                if deduct is not None:
                    self.error(
                        span, _("this item already says how much to deduct"), _("keep one deduct")
                    )
                deduct = self.amount(clause)
            elif clause.data == "bonus":
                if bonus is not None:
                    self.error(span, _("this item already gives a bonus"), _("keep one bonus"))
                bonus = self.amount(clause)
            elif clause.data == "critical_flag":
                if critical:
                    self.error(span, _("critical is written twice"), _("write critical once"))
                critical = True
            else:
                if condition is not None:
                    self.error(
                        span,
                        _("this item already has a when condition"),
                        _("join the conditions with and"),
                    )
                condition = self.expr(kids(clause)[0])
        return ast.Item(
            str(id_token),
            unquote(label_token) if label_token is not None else None,
            deduct,
            bonus,
            critical,
            condition,
            span_of(tree),
            span_of(id_token),
        )

    def amount(self, tree: Tree[Any]) -> ast.Amount:
        points, per = kids(tree)
        cap = None
        if per is not None and kids(per) and kids(per)[0] is not None:
            cap = self.number(kids(per)[0])
        return ast.Amount(self.number(points), per is not None, cap, span_of(tree))

    def band(self, tree: Tree[Any]) -> ast.Band:
        label = unquote(kids(tree)[0])
        if tree.data == "band_otherwise":
            return ast.Band(label, (), True, span_of(tree))
        bounds: list[tuple[str, ast.Literal]] = []
        for bound in kids(tree)[1:]:
            op, value = kids(bound)
            bounds.append((operator(op), self.number(value)))
        return ast.Band(label, tuple(bounds), False, span_of(tree))

    # ----------------------------------------------------------------- numbers

    def read_number(self, text: str, span: Span) -> int | float:
        """The value of `text` (digits, maybe with a decimal point). A number too large to
        be meant (it would overflow a duration, or Python's int parsing) is reported and
        read as MAX_NUMBER, so that checking goes on."""
        whole = text.split(".", 1)[0].lstrip("0")
        if len(whole) > len(str(MAX_NUMBER)) - 1:
            shown = text if len(text) <= 20 else text[:16] + "..."
            self.error(
                span,
                _("the number {number} is too large").format(number=shown),
                _("write a number below {limit}").format(limit=MAX_NUMBER),
                code="too-large",
            )
            return MAX_NUMBER
        return float(text) if "." in text else int(text)

    def whole(self, token: Token) -> int:
        return int(self.read_number(str(token), span_of(token)))

    # ----------------------------------------------------------------- expressions

    def expr(self, node: Tree[Any] | Token) -> ast.Expr:
        if isinstance(node, Token):
            return self.literal(node)
        kind = node.data
        span = span_of(node)
        if kind in ("or_expr", "and_expr"):
            op = "or" if kind == "or_expr" else "and"
            operands = [self.expr(c) for c in kids(node) if not isinstance(c, Token)]
            result = operands[0]
            for right in operands[1:]:
                result = ast.Binary(op, result, right, _join(result, right))
            return result
        if kind == "not_op":
            return ast.Unary("not", self.expr(kids(node)[-1]), span)
        if kind == "negate":
            return ast.Unary("-", self.expr(kids(node)[-1]), span)
        if kind == "compare":
            left, op, right = kids(node)
            return ast.Binary(operator(op), self.expr(left), self.expr(right), span)
        if kind == "binary":
            left, op, right = kids(node)
            return ast.Binary(str(op), self.expr(left), self.expr(right), span)
        if kind in ("in_list", "not_in_list"):
            operand = kids(node)[0]
            items_tree = kids(node)[-1]
            items = tuple(self.literal(c) for c in kids(items_tree) if c is not None)
            return ast.InList(self.expr(operand), items, kind == "not_in_list", span)
        if kind == "field_ref":
            path = kind_path(kids(node)[0])
            if len(path) == 1:  # a threshold's `数值` (value) and `上期` (previous)
                path = (english(path[0], "alert_value"),)
            return ast.FieldRef(path, span)
        if kind == "aggregate":
            function, path, where = kids(node)
            return ast.Aggregate(
                _AGGREGATE_EN.get(str(function), str(function)), kind_path(path),
                self.opt_expr(where), span,
            )  # fmt: skip
        return self.literal(node)

    def literal(self, node: Tree[Any] | Token) -> ast.Literal:
        span = span_of(node)
        if isinstance(node, Token):
            return ast.Literal(Type.TEXT, str(node), str(node), span)
        kind = node.data
        if kind == "number":
            return self.number(node)
        if kind == "percent":
            text = str(kids(node)[0])
            return ast.Literal(Type.NUMBER, self.read_number(text[:-1], span) / 100, text, span)
        if kind == "duration":
            return self.duration(node)
        if kind == "text":
            token = kids(node)[0]
            return ast.Literal(Type.TEXT, unquote(token), str(token), span)
        if kind == "true":
            return ast.Literal(Type.BOOL, True, "true", span)
        if kind == "false":
            return ast.Literal(Type.BOOL, False, "false", span)
        if kind == "time_of_day":
            return self.time_of_day(kids(node)[0])
        if kind == "date":
            return self.date(kids(node)[0])
        if kind == "datetime":
            return self.datetime(kids(node)[0])
        self.error(span, _("this value could not be read"))
        return ast.Literal(Type.UNKNOWN, 0, "0", span)

    def number(self, node: Tree[Any] | Token) -> ast.Literal:
        if isinstance(node, Tree) and node.data == "number":
            node = kids(node)[0]
        if isinstance(node, Tree):
            return self.literal(node)
        text = str(node)
        value = self.read_number(text, span_of(node))
        return ast.Literal(Type.NUMBER, value, text, span_of(node))

    def duration(self, node: Tree[Any]) -> ast.Literal:
        span = span_of(node)
        if len(kids(node)) == 1:  # `8h`, `8小时`
            text = str(kids(node)[0])
            digits, letter = AMOUNT_UNIT.fullmatch(text).groups()  # type: ignore[union-attr]
            amount, letter = float(self.read_number(digits, span)), unit_letter(letter)
        else:
            number_tree, word = kids(node)
            number_literal = self.number(number_tree)
            amount, letter = number_literal.number, unit_letter(str(word))
            text = f"{number_literal.text} {word}"
        seconds = amount * UNIT_SECONDS[letter]
        if seconds > MAX_DURATION:  # date arithmetic with it would run off the calendar
            self.error(span, _("the duration {duration} is longer than 100 years").format(
                duration=text), _("write a shorter one, e.g. 365d"), code="too-large")  # fmt: skip
            seconds = MAX_DURATION
        value: int | float = int(seconds) if seconds == int(seconds) else seconds
        return ast.Literal(Type.DURATION, value, text, span)

    def time_of_day(self, token: Token) -> ast.Literal:
        text = str(token)
        parts = [int(p) for p in text.split(":")]
        try:
            value = dt.time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)
        except ValueError:
            self.error(
                span_of(token),
                _("{text} is not a time of day").format(text=text),
                _("write a time such as 11:00"),
            )
            return ast.Literal(Type.UNKNOWN, text, text, span_of(token))
        return ast.Literal(Type.TIME, value, text, span_of(token))

    def date(self, token: Token) -> ast.Literal:
        text = str(token)
        try:
            value = dt.date.fromisoformat(_ascii_digits(text))
        except ValueError:
            self.error(
                span_of(token),
                _("{text} is not a date").format(text=text),
                _("write a date such as 2026-11-02"),
            )
            return ast.Literal(Type.UNKNOWN, text, text, span_of(token))
        return ast.Literal(Type.DATE, value, text, span_of(token))

    def datetime(self, token: Token) -> ast.Literal:
        text = str(token)
        try:
            value = dt.datetime.fromisoformat(_ascii_digits(text).replace("Z", "+00:00"))
        except ValueError:
            self.error(
                span_of(token),
                _("{text} is not a date and time").format(text=text),
                _("write a date and time such as 2026-11-02 09:00"),
            )
            return ast.Literal(Type.UNKNOWN, text, text, span_of(token))
        return ast.Literal(Type.DATETIME, value, text, span_of(token))


def _join(left: ast.Expr, right: ast.Expr) -> Span:
    return Span(left.span.line, left.span.col, right.span.end_line, right.span.end_col)


def _ascii_digits(text: str) -> str:
    """`２０２６-11-02` -> `2026-11-02`: the grammar's digits (and int()) accept any decimal
    digit, typed on any keyboard; so do dates."""
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c
                   for c in text)  # fmt: skip
