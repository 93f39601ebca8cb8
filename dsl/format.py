"""`callqa fmt`: one canonical layout for policy files, keeping every comment.

Two people who edit the same rulebook should see only each other's changes in a diff,
never each other's spacing. So the layout is fixed: two-space indentation, one entry
per line, the items of a section in aligned columns (measured in terminal cells, so
Chinese labels line up), grade bands one per line, one blank line between top-level
blocks, at most one blank line kept inside a block. Statements keep the order the
manager wrote them in, and no comment is ever dropped.

Everything is derived from the syntax tree and its spans (no source text needed):
whether a comment trails code is read from where code starts on its line, and a blank
line is a source line that neither code nor a comment covers.
"""

from __future__ import annotations

from bisect import bisect_right
from contextvars import ContextVar
from dataclasses import dataclass, fields, is_dataclass

from rich.cells import cell_len

from callqa.dsl import ast
from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.parse import parse_policy
from callqa.dsl.source import NOWHERE, Span
from callqa.dsl.types import Type
from callqa.dsl.vocabulary import ADDITIVE, ALERT_VALUES, COMPARISONS, MULTIPLICATIVE
from callqa.dsl.vocabulary_zh import (
    AGGREGATES,
    CALENDAR_PREFIX,
    CALL_WORD,
    ORDINAL_PREFIX,
    KeywordSet,
    chinese,
    duration_text,
    keyword,
    working_text,
    written_in,
)

INDENT = "  "

# How tightly each operator binds (higher binds tighter), as the grammar nests them.
OR, AND, NOT, COMPARE, SUM, PRODUCT, NEGATE, ATOM = range(1, 9)
BINDING = {
    "or": OR,
    "and": AND,
    **dict.fromkeys(COMPARISONS, COMPARE),
    **dict.fromkeys(ADDITIVE, SUM),
    **dict.fromkeys(MULTIPLICATIVE, PRODUCT),
}

# the keyword set being written: `callqa fmt --keywords zh` writes `质检表`, not `rubric`
_keywords: ContextVar[KeywordSet] = ContextVar("keywords", default="en")


def _k(phrase: str) -> str:
    """A keyword, or phrase of keywords, in the set being written."""
    return keyword(phrase, _keywords.get())


def _n(word: str, kind: str) -> str:
    """A name with a meaning (a period, a weekday, an event kind...) in the set being
    written; the syntax tree holds the English one."""
    return chinese(word, kind) if _keywords.get() == "zh" else word


BLOCK_KEYWORDS: dict[type, str] = {
    ast.Sampling: "sampling",
    ast.Escalation: "escalation",
    ast.Threshold: "threshold",
    ast.Discipline: "discipline",
    ast.Rota: "rota",
}


def format_text(text: str, file: str = "<policy>", keywords: KeywordSet | None = None) -> str:
    """Format a policy text, its keywords in English or Chinese (`keywords`; when not
    given, the set the file is mostly written in).

    Raises PolicyError when the text cannot be read (formatting half a parse would lose
    what the parser skipped). Semantic problems, such as an unknown field, do not stop
    formatting: a policy that does not check yet can still be tidied.
    """
    tree, diagnostics = parse_policy(text, file)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise PolicyError(errors, text)
    return format_tree(tree, keywords or written_in(text))


def format_tree(tree: ast.PolicyFile, keywords: KeywordSet = "en") -> str:
    """The canonical text of a parsed policy, with its comments woven back in."""
    token = _keywords.set(keywords)
    try:
        out = _Lines()
        for group, statement in enumerate(tree.statements):
            out.group = group
            _statement(out, statement)
        return _weave(out.lines, tree.comments, _code_columns(tree))
    finally:
        _keywords.reset(token)


# ------------------------------------------------------------------ expressions


def format_expr(expr: ast.Expr, keywords: KeywordSet | None = None) -> str:
    """An expression with only the parentheses its structure needs; its keywords in
    `keywords` (when not given, the set being written, English outside a formatting)."""
    if keywords is not None:
        token = _keywords.set(keywords)
        try:
            return format_expr(expr)
        finally:
            _keywords.reset(token)
    if isinstance(expr, ast.Literal):
        return _literal(expr)
    if isinstance(expr, ast.FieldRef):
        if len(expr.path) == 1 and expr.name in ALERT_VALUES:
            return _n(expr.name, "alert_value")
        return _kind_path(expr.path)
    if isinstance(expr, ast.Aggregate):
        where = _clause("where", expr.where)
        function = AGGREGATES[expr.function] if _keywords.get() == "zh" else expr.function
        return f"{function}({_kind_path(expr.path)}{where})"
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return _k("not") + " " + _operand(expr.operand, NOT)
        return "-" + _operand(expr.operand, NEGATE)
    if isinstance(expr, ast.InList):
        op = _k("not in") if expr.negated else _k("in")
        items = ", ".join(_literal(item) for item in expr.items)
        return f"{_operand(expr.operand, SUM)} {op} [{items}]"
    binding = BINDING[expr.op]
    if binding == COMPARE:  # comparisons do not chain: both sides are sums
        left, right = _operand(expr.left, SUM), _operand(expr.right, SUM)
    else:  # left-associative: an equal operator on the right needs parentheses
        left, right = _operand(expr.left, binding), _operand(expr.right, binding + 1)
    op = _k(expr.op) if expr.op in ("and", "or") else expr.op
    return f"{left} {op} {right}"


def _literal(literal: ast.Literal) -> str:
    """A value as written, but for the words the keyword set spells: `true` (是) and the
    units of a duration (`8 hours`, `8小时`)."""
    if literal.type is Type.BOOL and literal.text in ("true", "false"):
        return _k(literal.text)
    if literal.type is Type.DURATION:
        return duration_text(literal.text, _keywords.get())
    return literal.text


def _kind_path(path: tuple[str, ...]) -> str:
    """`complaint` or `投诉`; `evaluation.score` or `评分.score` (fields keep their names)."""
    return ".".join((_n(path[0], "event"), *path[1:]))


def _wait(wait: ast.Wait) -> str:
    if not wait.working:
        return _literal(wait.length)
    return working_text(wait.text, _keywords.get())


def _binding(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Binary):
        return BINDING[expr.op]
    if isinstance(expr, ast.InList):
        return COMPARE
    if isinstance(expr, ast.Unary):
        return NOT if expr.op == "not" else NEGATE
    return ATOM


def _operand(expr: ast.Expr, weakest: int) -> str:
    """`expr` where the grammar accepts nothing binding more loosely than `weakest`."""
    text = format_expr(expr)
    return f"({text})" if _binding(expr) < weakest else text


def quote(text: str) -> str:
    """Text in double quotes, escaped so that the parser reads back the same text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


# ------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class _Line:
    """One output line of code and the source lines it came from."""

    text: str
    depth: int
    first: int  # the source line it starts on
    last: int  # the source line it ends on
    group: int  # which top-level statement it belongs to
    role: str = ""  # "open" (ends with {), "close" (is }), or ""
    solo: str = ""  # "field"/"action": one-line declarations that may stand together


class _Lines:
    """The code lines of the output, in order, tagged with the statement being written."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self.group = 0

    def add(self, text: str, depth: int, span: Span, role: str = "", solo: str = "") -> None:
        last = span.line if role else span.end_line  # a block's head is its first line only
        self.lines.append(_Line(text, depth, span.line, last, self.group, role, solo))

    def block(
        self, head: str, depth: int, span: Span, body: list[tuple[str, Span]], end: Span
    ) -> None:
        self.add(head + " {", depth, span, role="open")
        for text, where in body:
            self.add(text, depth + 1, where)
        self.add("}", depth, end, role="close")


def _statement(out: _Lines, statement: ast.Statement) -> None:
    if isinstance(statement, ast.PolicyHeader):
        text = _k("policy") + " " + quote(statement.name)
        if statement.version is not None:
            text += f" {_k('version')} " + quote(statement.version)
        if statement.timezone is not None:
            text += f" {_k('timezone')} " + quote(statement.timezone)
        out.add(text, 0, statement.span)
    elif isinstance(statement, ast.Include):
        out.add(f"{_k('include')} {quote(statement.path)}", 0, statement.span, solo="include")
    elif isinstance(statement, ast.FieldDecl):
        text = f"{_k('field')} {_kind_path(statement.path)} {_n(statement.type_name, 'type')}"
        out.add(text, 0, statement.span, solo="field")
    elif isinstance(statement, ast.ActionDecl):
        out.add(_action(statement), 0, statement.span, solo="action")
    elif isinstance(statement, ast.Rubric):
        _rubric(out, statement)
    elif isinstance(statement, ast.Calendar):
        body = [(_calendar_entry(entry), entry.span) for entry in statement.entries]
        head = f"{_k('calendar')} {statement.id}{_label(statement.label)}"
        out.block(head, 0, statement.span, body, statement.end)
    elif isinstance(statement, ast.TestBlock):
        body = [(_test_entry(entry), entry.span) for entry in statement.entries]
        head = f"{_k('test')} {quote(statement.name)}"
        out.block(head, 0, statement.span, body, statement.end)
    else:
        head = f"{_k(BLOCK_KEYWORDS[type(statement)])} {statement.id}{_label(statement.label)}"
        entries = statement.rules if isinstance(statement, ast.Discipline) else statement.entries
        body = [(_entry(entry), entry.span) for entry in entries]
        out.block(head, 0, statement.span, body, statement.end)


def _calendar_entry(entry: ast.CalendarEntry) -> str:
    if isinstance(entry, ast.WorkHours):
        days = ",".join(
            _n(d.first, "weekday") + ("" if d.last is None else "-" + _n(d.last, "weekday"))
            for d in entry.days
        )
        ranges = ", ".join(f"{start.text}-{end.text}" for start, end in entry.ranges)
        return f"{_k('hours')} {days} {ranges}"
    if isinstance(entry, ast.Holiday):
        last = "" if entry.last is None else f" {_k('to')} {entry.last.text}"
        return f"{_k('holiday')} {entry.first.text}{last}{_label(entry.name)}"
    like = "" if entry.like is None else f" {_k('like')} {_n(entry.like, 'weekday')}"
    return f"{_k('workday')} {entry.day.text}{like}{_label(entry.name)}"


def _label(label: str | None) -> str:
    return "" if label is None else " " + quote(label)


def _action(action: ast.ActionDecl) -> str:
    text = f"{_k('action')} {action.id}{_label(action.label)}"
    if action.notify:
        text += f" {_k('notify')} " + ", ".join(action.notify)
    if action.sets_status is not None:
        text += f" {_k('sets status')} " + quote(action.sets_status)
    if action.approval_by is not None:
        text += f" {_k('requires approval by')} " + action.approval_by
    return text


def _clause(keyword: str, expr: ast.Expr | None) -> str:
    return "" if expr is None else f" {_k(keyword)} {format_expr(expr)}"


def _entry(entry: ast.SamplingEntry | ast.EscalationEntry | ast.ThresholdEntry | ast.Rule) -> str:
    per = _k("per")
    if isinstance(entry, ast.Per):
        return f"{per} {_n(entry.subject, 'subject')} {per} {_n(entry.period, 'period')}"
    if isinstance(entry, ast.Pick):
        return f"{_k('pick')} {_pick(entry)}" + _clause("where", entry.where)
    if isinstance(entry, ast.Quota):
        quota = f"{_k('quota')} {entry.count} {per} {_n(entry.period, 'period')}"
        return quota + _clause("when", entry.when)
    if isinstance(entry, ast.Publish):
        ahead = _literal(entry.ahead)
        return f"{_k('publish')} {ahead} {_k('ahead')} {_k('to')} {', '.join(entry.roles)}"
    if isinstance(entry, ast.Chain):
        return _k("chain") + " " + (" → " if _keywords.get() == "zh" else " -> ").join(entry.roles)
    if isinstance(entry, ast.StartAt):
        return f"{_k('start at')} {entry.role}" + _clause("when", entry.when)
    if isinstance(entry, ast.EscalateAfter):
        at = _k("at")
        limits = ", ".join(f"{_wait(limit.after)} {at} {limit.role}" for limit in entry.limits)
        unresolved = f" {_k('while unresolved')}" if entry.while_unresolved else ""
        return f"{_k('escalate after')} {limits}{unresolved}"
    if isinstance(entry, ast.ThresholdValue):
        return f"{_k('value')} {format_expr(entry.expr)}"
    if isinstance(entry, ast.Alert):
        return f"{_k('alert')} {', '.join(entry.roles)} {_k('when')} {format_expr(entry.when)}"
    return _rule(entry)


def _pick(pick: ast.Pick) -> str:
    """`2nd call` / `第2 通话`; `3 random calls` / `3 随机 通话`."""
    zh = _keywords.get() == "zh"
    if pick.ordinal is not None:
        which = f"{ORDINAL_PREFIX}{pick.ordinal}" if zh else (pick.ordinal_text or "")
    else:
        which = f"{pick.count} {_k('random')}"
    return f"{which} {CALL_WORD if zh else pick.call_word}"


def _rule(rule: ast.Rule) -> str:
    head = f"{_k('rule')} {rule.id}"
    then = f" {_k('then')} {rule.then}"
    if rule.on is not None:
        silence = ""
        if rule.without is not None and rule.within is not None:
            without = f"{_k('without')} {_n(rule.without, 'event')}"
            silence = f" {without} {_k('within')} {_wait(rule.within)}"
        where = _clause("where", rule.where)
        return f"{head} {_k('on')} {_n(rule.on, 'event')}{where}{silence}{then}"
    assert rule.measure is not None and rule.window is not None and rule.limit is not None
    window = rule.window
    span = ""
    if window.calendar is not None:  # `calendar month` / `日历月`
        period = _n(window.calendar, "period")
        span = CALENDAR_PREFIX + period if _keywords.get() == "zh" else f"calendar {period}"
    if window.rolling is not None:
        span = _literal(window.rolling)
    minimum = ""
    if rule.minimum is not None and rule.minimum_word is not None:
        minimum = f" {_k('with at least')} {rule.minimum} {_n(rule.minimum_word, 'event')}"
    measure = format_expr(rule.measure)
    if rule.per is not None:
        measure += f" {_k('per')} {_kind_path(rule.per.path)}"
    if rule.since is not None:
        span += f" {_k('since')} {rule.since}"
    return (
        f"{head} {_k('when')} {measure} {_k('in')} {span} {rule.op} {rule.limit.text}{minimum}"
        + then
    )


def _test_entry(entry: ast.GivenEvent | ast.Expect) -> str:
    if isinstance(entry, ast.GivenEvent):
        attributes = "".join(
            f" {_k(key) if key == 'item' else key} {_literal(value)}"
            for key, value in entry.attributes
        )
        return f"{_n(entry.kind, 'event')}{attributes} {_k('at')} {entry.at.text}"
    text = _k("expect") + " " + (_k("no") + " " if entry.negated else "")
    text += _n(entry.what, "decision")
    if entry.which is not None:
        text += " " + quote(entry.which)
    if entry.subject is not None:
        text += f" {_k('for')} " + quote(entry.subject)
    if entry.at is not None:
        text += f" {_k('at')} " + entry.at.text
    return text


# ---------------------------------------------------------------------- rubrics


def _rubric(out: _Lines, rubric: ast.Rubric) -> None:
    out.add(f"{_k('rubric')} {rubric.id}{_label(rubric.label)} {{", 0, rubric.span, role="open")
    for entry in rubric.entries:
        if isinstance(entry, ast.Section):
            _section(out, entry)
        elif isinstance(entry, ast.Grades):
            body = [(_band(band), band.span) for band in entry.bands]
            out.block(_k("grades"), 1, entry.span, body, entry.end)
        else:
            out.add(_setting(entry), 1, entry.span)
    out.add("}", 0, rubric.end, role="close")


def _setting(setting: ast.Setting) -> str:
    value = _literal(setting.value) if setting.value is not None else ""
    word = "" if setting.word is None else _n(setting.word, setting.key)
    if setting.key == "scale":
        return f"{_k('scale')} {value}"
    if setting.key == "appeals":
        steps = "".join(
            f" {_k(step)} {', '.join(roles)}" if step == "panel"
            else f" {_k(step + ' by')} {roles[0]}"
            for step, roles in setting.steps
        )  # fmt: skip
        return f"{_k('appeals')} {_k('within')} {value}{steps}"
    if setting.key == "calibration":
        return f"{_k('calibration')} {_k('tolerance')} {value}"
    if setting.key == "rounding":
        return f"{_k('rounding')} {value}" + (f" {word}" if word else "")
    if setting.key == "bonus":
        return f"{_k('bonus')} {word}"
    return f"{_k(setting.key)} {_k('means')} {word}"  # critical, na


def _band(band: ast.Band) -> str:
    if band.otherwise:
        return quote(band.label) + " " + _k("otherwise")
    return quote(band.label) + "".join(f" {op} {value.text}" for op, value in band.bounds)


def _section(out: _Lines, section: ast.Section) -> None:
    """A section, its items in three columns: id, label, clauses.

    Columns are padded in terminal cells (`rich.cells.cell_len`: a Chinese character is
    two cells), so they line up in an editor; nothing trails a line's last column.
    """
    head = f"{_k('section')} {section.id}{_label(section.label)}"
    if section.weight is not None:
        head += f" {_k('weight')} " + section.weight.text
    out.add(head + " {", 1, section.span, role="open")
    labels = [quote(item.label) if item.label is not None else "" for item in section.items]
    id_width = max((cell_len(item.id) for item in section.items), default=0)
    label_width = max((cell_len(label) for label in labels), default=0)
    for item, label in zip(section.items, labels, strict=True):
        columns = [_pad(item.id, id_width)]
        if label_width:
            columns.append(_pad(label, label_width))
        columns.append(_clauses(item))
        out.add((_k("item") + " " + " ".join(columns)).rstrip(), 2, item.span)
    out.add("}", 1, section.end, role="close")


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _clauses(item: ast.Item) -> str:
    """The clauses in their fixed order: deduct, critical, bonus, when."""
    parts = [_amount("deduct", item.deduct)] if item.deduct is not None else []
    if item.critical:
        parts.append(_k("critical"))
    if item.bonus is not None:
        parts.append(_amount("bonus", item.bonus))
    if item.condition is not None:
        parts.append(_k("when") + " " + format_expr(item.condition))
    return " ".join(parts)


def _amount(keyword: str, amount: ast.Amount) -> str:
    text = f"{_k(keyword)} {amount.points.text}"
    if amount.per_occurrence:
        text += " " + _k("per occurrence")
        if amount.cap is not None:
            text += f" {_k('max')} " + amount.cap.text
    return text


# ----------------------------------------------------------- comments, blank lines


@dataclass(frozen=True, slots=True)
class _Out:
    """A line of the result, code (perhaps with a trailing comment) or a comment, with
    the source lines it came from."""

    text: str
    depth: int
    first: int
    last: int
    group: int
    role: str = ""
    solo: str = ""


def _code_columns(tree: ast.PolicyFile) -> dict[int, int]:
    """For each source line, the column where code starts on it, from every span in the
    tree. A comment after that column trails code; before it, it stands on its own line."""
    columns: dict[int, int] = {}

    def note(line: int, col: int) -> None:
        columns[line] = min(col, columns.get(line, col))

    stack: list[object] = list(tree.statements)
    while stack:
        node = stack.pop()
        if isinstance(node, Span):
            if node != NOWHERE:
                note(node.line, node.col)
                note(node.end_line, node.end_col - 1)
        elif isinstance(node, tuple):
            stack.extend(node)
        elif is_dataclass(node) and not isinstance(node, type):
            stack.extend(getattr(node, f.name) for f in fields(node))
    return columns


def _weave(lines: list[_Line], comments: tuple[ast.Comment, ...], code: dict[int, int]) -> str:
    """Put the comments back among the code lines, then decide where blank lines go."""
    placed = _place(lines, sorted(comments, key=lambda c: (c.line, c.col)), code)
    covered = {n for line in lines for n in range(line.first, line.last + 1)}
    covered.update(comment.line for comment in comments)
    text: list[str] = []
    previous: _Out | None = None
    seen = 0  # the last source line written so far
    for line in placed:
        if previous is not None and _blank_between(previous, line, seen, covered):
            text.append("")
        text.append(INDENT * line.depth + line.text)
        previous, seen = line, max(seen, line.last)
    return "\n".join(text) + "\n" if text else ""


def _place(lines: list[_Line], comments: list[ast.Comment], code: dict[int, int]) -> list[_Out]:
    """Every code line and comment, in output order.

    A trailing comment stays at the end of the output line that holds the code before
    it; when one output line collects several (an item written over several lines), the
    earlier ones go above it, on their own lines. An own-line comment goes above the
    code that followed it, at that code's indentation (one deeper before a `}`), or at
    the end of the file.
    """
    firsts = [line.first for line in lines]
    trailing: list[list[ast.Comment]] = [[] for _ in lines]
    standalone: list[ast.Comment] = []
    for comment in comments:
        index = bisect_right(firsts, comment.line) - 1
        if code.get(comment.line, comment.col) < comment.col and index >= 0:
            trailing[index].append(comment)
        else:
            standalone.append(comment)

    out: list[_Out] = []
    waiting = iter(standalone)
    upcoming = next(waiting, None)
    for line, tail in zip(lines, trailing, strict=True):
        above: list[ast.Comment] = []
        while upcoming is not None and upcoming.line < line.first:
            above.append(upcoming)
            upcoming = next(waiting, None)
        depth = line.depth + (1 if line.role == "close" else 0)
        for comment in [*above, *tail[:-1]]:
            out.append(
                _Out(comment.text, depth, comment.line, comment.line, line.group, solo=line.solo)
            )
        text = line.text + (f"  {tail[-1].text}" if tail else "")
        out.append(_Out(text, line.depth, line.first, line.last, line.group, line.role, line.solo))
    group = lines[-1].group if lines else 0
    while upcoming is not None:
        out.append(_Out(upcoming.text, 0, upcoming.line, upcoming.line, group))
        upcoming = next(waiting, None)
    return out


def _blank_between(previous: _Out, line: _Out, seen: int, covered: set[int]) -> bool:
    """One blank line between top-level statements (consecutive one-line declarations of
    one kind may stand together); inside a block, one where the source had any."""
    if previous.role == "open" or line.role == "close":
        return False
    if line.group != previous.group and not (line.solo and line.solo == previous.solo):
        return True
    return any(n not in covered for n in range(seen + 1, line.first))
