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
from dataclasses import dataclass, fields, is_dataclass

from rich.cells import cell_len

from callqa.dsl import ast
from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.parse import parse_policy
from callqa.dsl.source import NOWHERE, Span
from callqa.dsl.vocabulary import ADDITIVE, COMPARISONS, MULTIPLICATIVE

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

BLOCK_KEYWORDS: dict[type, str] = {
    ast.Sampling: "sampling",
    ast.Escalation: "escalation",
    ast.Threshold: "threshold",
    ast.Discipline: "discipline",
    ast.Rota: "rota",
}


def format_text(text: str, file: str = "<policy>") -> str:
    """Format a policy text.

    Raises PolicyError when the text cannot be read (formatting half a parse would lose
    what the parser skipped). Semantic problems, such as an unknown field, do not stop
    formatting: a policy that does not check yet can still be tidied.
    """
    tree, diagnostics = parse_policy(text, file)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise PolicyError(errors, text)
    return format_tree(tree)


def format_tree(tree: ast.PolicyFile) -> str:
    """The canonical text of a parsed policy, with its comments woven back in."""
    out = _Lines()
    for group, statement in enumerate(tree.statements):
        out.group = group
        _statement(out, statement)
    return _weave(out.lines, tree.comments, _code_columns(tree))


# ------------------------------------------------------------------ expressions


def format_expr(expr: ast.Expr) -> str:
    """An expression with only the parentheses its structure needs."""
    if isinstance(expr, ast.Literal):
        return expr.text
    if isinstance(expr, ast.FieldRef):
        return expr.name
    if isinstance(expr, ast.Aggregate):
        where = f" where {format_expr(expr.where)}" if expr.where is not None else ""
        return f"{expr.function}({expr.name}{where})"
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return "not " + _operand(expr.operand, NOT)
        return "-" + _operand(expr.operand, NEGATE)
    if isinstance(expr, ast.InList):
        op = "not in" if expr.negated else "in"
        items = ", ".join(item.text for item in expr.items)
        return f"{_operand(expr.operand, SUM)} {op} [{items}]"
    binding = BINDING[expr.op]
    if binding == COMPARE:  # comparisons do not chain: both sides are sums
        left, right = _operand(expr.left, SUM), _operand(expr.right, SUM)
    else:  # left-associative: an equal operator on the right needs parentheses
        left, right = _operand(expr.left, binding), _operand(expr.right, binding + 1)
    return f"{left} {expr.op} {right}"


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
        text = "policy " + quote(statement.name)
        if statement.version is not None:
            text += " version " + quote(statement.version)
        if statement.timezone is not None:
            text += " timezone " + quote(statement.timezone)
        out.add(text, 0, statement.span)
    elif isinstance(statement, ast.Include):
        out.add("include " + quote(statement.path), 0, statement.span, solo="include")
    elif isinstance(statement, ast.FieldDecl):
        out.add(f"field {statement.name} {statement.type_name}", 0, statement.span, solo="field")
    elif isinstance(statement, ast.ActionDecl):
        out.add(_action(statement), 0, statement.span, solo="action")
    elif isinstance(statement, ast.Rubric):
        _rubric(out, statement)
    elif isinstance(statement, ast.Calendar):
        body = [(_calendar_entry(entry), entry.span) for entry in statement.entries]
        head = f"calendar {statement.id}{_label(statement.label)}"
        out.block(head, 0, statement.span, body, statement.end)
    elif isinstance(statement, ast.TestBlock):
        body = [(_test_entry(entry), entry.span) for entry in statement.entries]
        out.block("test " + quote(statement.name), 0, statement.span, body, statement.end)
    else:
        head = f"{BLOCK_KEYWORDS[type(statement)]} {statement.id}{_label(statement.label)}"
        entries = statement.rules if isinstance(statement, ast.Discipline) else statement.entries
        body = [(_entry(entry), entry.span) for entry in entries]
        out.block(head, 0, statement.span, body, statement.end)


def _calendar_entry(entry: ast.CalendarEntry) -> str:
    if isinstance(entry, ast.WorkHours):
        days = ",".join(d.first + ("" if d.last is None else f"-{d.last}") for d in entry.days)
        ranges = ", ".join(f"{start.text}-{end.text}" for start, end in entry.ranges)
        return f"hours {days} {ranges}"
    if isinstance(entry, ast.Holiday):
        last = "" if entry.last is None else f" to {entry.last.text}"
        return f"holiday {entry.first.text}{last}{_label(entry.name)}"
    like = "" if entry.like is None else f" like {entry.like}"
    return f"workday {entry.day.text}{like}{_label(entry.name)}"


def _label(label: str | None) -> str:
    return "" if label is None else " " + quote(label)


def _action(action: ast.ActionDecl) -> str:
    text = f"action {action.id}{_label(action.label)}"
    if action.notify:
        text += " notify " + ", ".join(action.notify)
    if action.sets_status is not None:
        text += " sets status " + quote(action.sets_status)
    if action.approval_by is not None:
        text += " requires approval by " + action.approval_by
    return text


def _clause(keyword: str, expr: ast.Expr | None) -> str:
    return "" if expr is None else f" {keyword} {format_expr(expr)}"


def _entry(entry: ast.SamplingEntry | ast.EscalationEntry | ast.ThresholdEntry | ast.Rule) -> str:
    if isinstance(entry, ast.Per):
        return f"per {entry.subject} per {entry.period}"
    if isinstance(entry, ast.Pick):
        which = entry.ordinal_text if entry.ordinal_text is not None else f"{entry.count} random"
        return f"pick {which} {entry.call_word}" + _clause("where", entry.where)
    if isinstance(entry, ast.Quota):
        return f"quota {entry.count} per {entry.period}" + _clause("when", entry.when)
    if isinstance(entry, ast.Publish):
        return f"publish {entry.ahead.text} ahead to {', '.join(entry.roles)}"
    if isinstance(entry, ast.Chain):
        return "chain " + " -> ".join(entry.roles)
    if isinstance(entry, ast.StartAt):
        return f"start at {entry.role}" + _clause("when", entry.when)
    if isinstance(entry, ast.EscalateAfter):
        limits = ", ".join(f"{limit.after.written} at {limit.role}" for limit in entry.limits)
        unresolved = " while unresolved" if entry.while_unresolved else ""
        return f"escalate after {limits}{unresolved}"
    if isinstance(entry, ast.ThresholdValue):
        return "value " + format_expr(entry.expr)
    if isinstance(entry, ast.Alert):
        return f"alert {', '.join(entry.roles)} when {format_expr(entry.when)}"
    return _rule(entry)


def _rule(rule: ast.Rule) -> str:
    if rule.on is not None:
        silence = ""
        if rule.without is not None and rule.within is not None:
            silence = f" without {rule.without} within {rule.within.written}"
        where = _clause("where", rule.where)
        return f"rule {rule.id} on {rule.on}{where}{silence} then {rule.then}"
    assert rule.measure is not None and rule.window is not None and rule.limit is not None
    window = rule.window
    span = f"calendar {window.calendar}" if window.calendar is not None else ""
    if window.rolling is not None:
        span = window.rolling.text
    minimum = ""
    if rule.minimum is not None:
        minimum = f" with at least {rule.minimum} {rule.minimum_word}"
    measure = format_expr(rule.measure)
    if rule.per is not None:
        measure += f" per {rule.per.name}"
    if rule.since is not None:
        span += f" since {rule.since}"
    return (
        f"rule {rule.id} when {measure} in {span} {rule.op} {rule.limit.text}{minimum}"
        f" then {rule.then}"
    )


def _test_entry(entry: ast.GivenEvent | ast.Expect) -> str:
    if isinstance(entry, ast.GivenEvent):
        attributes = "".join(f" {key} {value.text}" for key, value in entry.attributes)
        return f"{entry.kind}{attributes} at {entry.at.text}"
    text = "expect " + ("no " if entry.negated else "") + entry.what
    if entry.which is not None:
        text += " " + quote(entry.which)
    if entry.subject is not None:
        text += " for " + quote(entry.subject)
    if entry.at is not None:
        text += " at " + entry.at.text
    return text


# ---------------------------------------------------------------------- rubrics


def _rubric(out: _Lines, rubric: ast.Rubric) -> None:
    out.add(f"rubric {rubric.id}{_label(rubric.label)} {{", 0, rubric.span, role="open")
    for entry in rubric.entries:
        if isinstance(entry, ast.Section):
            _section(out, entry)
        elif isinstance(entry, ast.Grades):
            body = [(_band(band), band.span) for band in entry.bands]
            out.block("grades", 1, entry.span, body, entry.end)
        else:
            out.add(_setting(entry), 1, entry.span)
    out.add("}", 0, rubric.end, role="close")


def _setting(setting: ast.Setting) -> str:
    value = setting.value.text if setting.value is not None else ""
    if setting.key == "scale":
        return f"scale {value}"
    if setting.key == "appeals":
        steps = "".join(
            f" {step} {', '.join(roles)}" if step == "panel" else f" {step} by {roles[0]}"
            for step, roles in setting.steps
        )
        return f"appeals within {value}{steps}"
    if setting.key == "calibration":
        return f"calibration tolerance {value}"
    if setting.key == "rounding":
        return f"rounding {value}" + (f" {setting.word}" if setting.word is not None else "")
    if setting.key == "bonus":
        return f"bonus {setting.word}"
    return f"{setting.key} means {setting.word}"  # critical, na


def _band(band: ast.Band) -> str:
    if band.otherwise:
        return quote(band.label) + " otherwise"
    return quote(band.label) + "".join(f" {op} {value.text}" for op, value in band.bounds)


def _section(out: _Lines, section: ast.Section) -> None:
    """A section, its items in three columns: id, label, clauses.

    Columns are padded in terminal cells (`rich.cells.cell_len`: a Chinese character is
    two cells), so they line up in an editor; nothing trails a line's last column.
    """
    head = f"section {section.id}{_label(section.label)}"
    if section.weight is not None:
        head += " weight " + section.weight.text
    out.add(head + " {", 1, section.span, role="open")
    labels = [quote(item.label) if item.label is not None else "" for item in section.items]
    id_width = max((cell_len(item.id) for item in section.items), default=0)
    label_width = max((cell_len(label) for label in labels), default=0)
    for item, label in zip(section.items, labels, strict=True):
        columns = [_pad(item.id, id_width)]
        if label_width:
            columns.append(_pad(label, label_width))
        columns.append(_clauses(item))
        out.add(("item " + " ".join(columns)).rstrip(), 2, item.span)
    out.add("}", 1, section.end, role="close")


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _clauses(item: ast.Item) -> str:
    """The clauses in their fixed order: deduct, critical, bonus, when."""
    parts = [_amount("deduct", item.deduct)] if item.deduct is not None else []
    if item.critical:
        parts.append("critical")
    if item.bonus is not None:
        parts.append(_amount("bonus", item.bonus))
    if item.condition is not None:
        parts.append("when " + format_expr(item.condition))
    return " ".join(parts)


def _amount(keyword: str, amount: ast.Amount) -> str:
    text = f"{keyword} {amount.points.text}"
    if amount.per_occurrence:
        text += " per occurrence"
        if amount.cap is not None:
            text += " max " + amount.cap.text
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
