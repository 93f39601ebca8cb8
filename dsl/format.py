"""`callqa fmt`: one canonical layout for policy files, keeping every comment.

The layout: two-space indentation, one entry per line, items of a section in aligned
columns (measured in terminal cells, so Chinese labels line up), grade bands one per
line, one blank line between top-level blocks, at most one blank line kept inside a
block. Statements stay in the order the manager wrote them. Own-line comments stay
above the line they were above; trailing comments stay at the end of their line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from dsl import ast
from dsl.diagnostics import PolicyError
from dsl.parse import parse_policy
from dsl.source import Span

INDENT = "  "
PRECEDENCE = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4,
              ">=": 4, "in": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}  # fmt: skip
ATOM = 8


def format_text(text: str, file: str = "<policy>") -> str:
    """Format a policy text. Raises PolicyError when it has syntax errors (nothing else
    stops formatting: a policy with an unknown field can still be tidied)."""
    tree, diagnostics = parse_policy(text, file)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise PolicyError(errors, text)
    return format_tree(tree, text)


def format_tree(tree: ast.PolicyFile, source: str | None = None) -> str:
    units: list[_Unit] = []
    for group, statement in enumerate(tree.statements):
        units.extend(_statement(statement, group))
    lines = source.split("\n") if source is not None else None
    return _weave(units, list(tree.comments), lines)


# ------------------------------------------------------------------ expressions


def format_expr(expr: ast.Expr) -> str:
    return _expr(expr)


def _prec(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Binary):
        return PRECEDENCE[expr.op]
    if isinstance(expr, ast.InList):
        return PRECEDENCE["in"]
    if isinstance(expr, ast.Aggregate):
        return ATOM
    if isinstance(expr, ast.Unary):
        return PRECEDENCE["not"] if expr.op == "not" else PRECEDENCE["neg"]
    return ATOM


def _wrap(expr: ast.Expr, minimum: int) -> str:
    text = _expr(expr)
    return f"({text})" if _prec(expr) < minimum else text


def _expr(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Literal):
        return expr.text
    if isinstance(expr, ast.FieldRef):
        return expr.name
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return f"not {_wrap(expr.operand, PRECEDENCE['not'])}"
        return f"-{_wrap(expr.operand, PRECEDENCE['neg'])}"
    if isinstance(expr, ast.Aggregate):
        return _aggregate(expr)
    if isinstance(expr, ast.InList):
        items = ", ".join(item.text for item in expr.items)
        op = "not in" if expr.negated else "in"
        return f"{_wrap(expr.operand, PRECEDENCE['in'] + 1)} {op} [{items}]"
    p = PRECEDENCE[expr.op]
    if p == PRECEDENCE["=="]:  # comparisons do not chain: both sides are sums
        return f"{_wrap(expr.left, p + 1)} {expr.op} {_wrap(expr.right, p + 1)}"
    return f"{_wrap(expr.left, p)} {expr.op} {_wrap(expr.right, p + 1)}"


def _aggregate(aggregate: ast.Aggregate) -> str:
    where = f" where {_expr(aggregate.where)}" if aggregate.where is not None else ""
    return f"{aggregate.function}({aggregate.name}{where})"


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


# ------------------------------------------------------------------- statements


@dataclass
class _Unit:
    """One output line and where it came from (for comments and blank lines)."""

    text: str
    depth: int
    line: int  # first source line
    end_line: int  # last source line
    group: int  # top-level statement index
    opens: bool = False  # ends with "{"
    closes: bool = False  # is a "}"
    kind: str = ""  # "field" or "action": one-line statements that may stand together


def _statement(statement: ast.Statement, group: int) -> list[_Unit]:
    span = statement.span
    if isinstance(statement, ast.PolicyHeader):
        text = f"policy {quote(statement.name)}"
        if statement.version is not None:
            text += f" version {quote(statement.version)}"
        if statement.timezone is not None:
            text += f" timezone {quote(statement.timezone)}"
        return [_Unit(text, 0, span.line, span.end_line, group)]
    if isinstance(statement, ast.FieldDecl):
        text = f"field {statement.name} {statement.type_name}"
        return [_Unit(text, 0, span.line, span.end_line, group, kind="field")]
    if isinstance(statement, ast.ActionDecl):
        return [_Unit(_action(statement), 0, span.line, span.end_line, group, kind="action")]
    if isinstance(statement, ast.Rubric):
        return _rubric(statement, group)
    if isinstance(statement, ast.TestBlock):
        head = f"test {quote(statement.name)} {{"
        body = [(_test_entry(e), e.span) for e in statement.entries]
        return _block(head, span, body, statement.end, group)
    keyword = type(statement).__name__.lower()
    label = f" {quote(statement.label)}" if statement.label is not None else ""
    entries = statement.rules if isinstance(statement, ast.Discipline) else statement.entries
    body = [(_entry(e), e.span) for e in entries]
    return _block(f"{keyword} {statement.id}{label} {{", span, body, statement.end, group)


def _block(
    head: str, span: Span, body: list[tuple[str, Span]], end: Span, group: int
) -> list[_Unit]:
    units = [_Unit(head, 0, span.line, span.line, group, opens=True)]
    units.extend(_Unit(text, 1, where.line, where.end_line, group) for text, where in body)
    units.append(_closer(end, 0, group))
    return units


def _action(action: ast.ActionDecl) -> str:
    text = f"action {action.id}" + (f" {quote(action.label)}" if action.label is not None else "")
    if action.notify:
        text += " notify " + ", ".join(action.notify)
    if action.sets_status is not None:
        text += f" sets status {quote(action.sets_status)}"
    if action.approval_by is not None:
        text += f" requires approval by {action.approval_by}"
    return text


def _when(keyword: str, expr: ast.Expr | None) -> str:
    return f" {keyword} {_expr(expr)}" if expr is not None else ""


def _entry(entry: object) -> str:
    if isinstance(entry, ast.Per):
        return f"per {entry.subject} per {entry.period}"
    if isinstance(entry, ast.Pick):
        what = entry.ordinal_text if entry.ordinal is not None else f"{entry.count} random"
        return f"pick {what} {entry.call_word}" + _when("where", entry.where)
    if isinstance(entry, ast.Quota):
        return f"quota {entry.count} per {entry.period}" + _when("when", entry.when)
    if isinstance(entry, ast.Publish):
        return f"publish {entry.ahead.text} ahead to {', '.join(entry.roles)}"
    if isinstance(entry, ast.Chain):
        return "chain " + " -> ".join(entry.roles)
    if isinstance(entry, ast.StartAt):
        return f"start at {entry.role}" + _when("when", entry.when)
    if isinstance(entry, ast.EscalateAfter):
        limits = ", ".join(f"{t.after.text} at {t.role}" for t in entry.limits)
        return f"escalate after {limits}" + (" while unresolved" if entry.while_unresolved else "")
    if isinstance(entry, ast.ThresholdValue):
        return f"value {_expr(entry.expr)}"
    if isinstance(entry, ast.Alert):
        return f"alert {', '.join(entry.roles)} when {_expr(entry.when)}"
    assert isinstance(entry, ast.Rule)
    if entry.on is not None:
        return (
            f"rule {entry.id} on {entry.on}" + _when("where", entry.where) + f" then {entry.then}"
        )
    assert entry.measure is not None and entry.window is not None and entry.limit is not None
    window = (
        f"calendar {entry.window.calendar}"
        if entry.window.calendar is not None
        else entry.window.rolling.text  # type: ignore[union-attr]
    )
    minimum = (
        f" with at least {entry.minimum} {entry.minimum_word}" if entry.minimum is not None else ""
    )
    return (
        f"rule {entry.id} when {_aggregate(entry.measure)} in {window} {entry.op} "
        f"{entry.limit.text}{minimum} then {entry.then}"
    )


def _test_entry(entry: ast.GivenEvent | ast.Expect) -> str:
    if isinstance(entry, ast.GivenEvent):
        attributes = "".join(f" {key} {value.text}" for key, value in entry.attributes)
        return f"{entry.kind}{attributes} at {entry.at.text}"
    text = "expect " + ("no " if entry.negated else "") + entry.what
    if entry.subject is not None:
        text += f" for {quote(entry.subject)}"
    if entry.at is not None:
        text += f" at {entry.at.text}"
    return text


def _rubric(rubric: ast.Rubric, group: int) -> list[_Unit]:
    label = f" {quote(rubric.label)}" if rubric.label is not None else ""
    head = f"rubric {rubric.id}{label} {{"
    units = [_Unit(head, 0, rubric.span.line, rubric.span.line, group, opens=True)]
    for entry in rubric.entries:
        if isinstance(entry, ast.Section):
            units.extend(_section(entry, group))
        elif isinstance(entry, ast.Grades):
            units.append(_Unit("grades {", 1, entry.span.line, entry.span.line, group, opens=True))
            for band in entry.bands:
                units.append(_Unit(_band(band), 2, band.span.line, band.span.end_line, group))
            units.append(_closer(entry.end, 1, group))
        else:
            units.append(_Unit(_setting(entry), 1, entry.span.line, entry.span.end_line, group))
    units.append(_closer(rubric.end, 0, group))
    return units


def _closer(span: Span, depth: int, group: int) -> _Unit:
    return _Unit("}", depth, span.line, span.line, group, closes=True)


def _setting(setting: ast.Setting) -> str:
    value = setting.value.text if setting.value is not None else ""
    if setting.key == "scale":
        return f"scale {value}"
    if setting.key == "appeals":
        return f"appeals within {value}"
    if setting.key == "calibration":
        return f"calibration tolerance {value}"
    if setting.key == "rounding":
        return f"rounding {value}" + (f" {setting.word}" if setting.word else "")
    if setting.key == "bonus":
        return f"bonus {setting.word}"
    return f"{setting.key} means {setting.word}"


def _band(band: ast.Band) -> str:
    if band.otherwise:
        return f"{quote(band.label)} otherwise"
    bounds = " ".join(f"{op} {value.text}" for op, value in band.bounds)
    return f"{quote(band.label)} {bounds}"


def _section(section: ast.Section, group: int) -> list[_Unit]:
    head = f"section {section.id}"
    if section.label is not None:
        head += f" {quote(section.label)}"
    if section.weight is not None:
        head += f" weight {section.weight.text}"
    units = [_Unit(head + " {", 1, section.span.line, section.span.line, group, opens=True)]
    id_width = max((cell_len(i.id) for i in section.items), default=0)
    labels = [quote(i.label) if i.label is not None else "" for i in section.items]
    label_width = max((cell_len(label) for label in labels), default=0)
    for item, label in zip(section.items, labels, strict=True):
        clauses = _clauses(item)
        text = "item " + _pad(item.id, id_width if (label or clauses) else 0)
        if label_width:
            text += " " + _pad(label, label_width if clauses else 0)
        if clauses:
            text += " " + clauses
        units.append(_Unit(text.rstrip(), 2, item.span.line, item.span.end_line, group))
    units.append(_closer(section.end, 1, group))
    return units


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def _clauses(item: ast.Item) -> str:
    parts: list[str] = []
    for keyword, amount in (("deduct", item.deduct), ("bonus", item.bonus)):
        if amount is None:
            continue
        text = f"{keyword} {amount.points.text}"
        if amount.per_occurrence:
            text += " per occurrence"
            if amount.cap is not None:
                text += f" max {amount.cap.text}"
        parts.append(text)
    if item.critical:
        parts.append("critical")
    if item.condition is not None:
        parts.append(f"when {_expr(item.condition)}")
    return " ".join(parts)


# ------------------------------------------------------------- comments, layout


def _weave(units: list[_Unit], comments: list[ast.Comment], lines: list[str] | None) -> str:
    """Interleave comments with the output lines, and decide where blank lines go."""

    def own_line(comment: ast.Comment) -> bool:
        if lines is None or comment.line > len(lines):
            return True
        return not lines[comment.line - 1][: comment.col - 1].strip()

    trailing: dict[int, str] = {}
    leading: list[ast.Comment] = []
    for comment in sorted(comments, key=lambda c: (c.line, c.col)):
        if own_line(comment):
            leading.append(comment)
        else:
            trailing[comment.line] = comment.text

    out: list[str] = []
    previous: _Unit | None = None
    previous_end = 0  # last source line emitted
    pending = iter(leading)
    next_comment = next(pending, None)

    def blank_needed(line: int, group: int, closes: bool, kind: str = "") -> bool:
        if previous is None:
            return False
        if group != previous.group and not (kind and kind == previous.kind):
            return True
        if previous.opens or closes:
            return False
        return lines is not None and _has_blank(lines, previous_end, line)

    for unit in units:
        while next_comment is not None and next_comment.line < unit.line:
            depth = unit.depth + 1 if unit.closes else unit.depth
            if blank_needed(next_comment.line, unit.group, False) and out and out[-1] != "":
                out.append("")
            out.append(INDENT * depth + next_comment.text)
            previous = _Unit(next_comment.text, depth, next_comment.line, next_comment.line,
                             unit.group)  # fmt: skip
            previous_end = next_comment.line
            next_comment = next(pending, None)
        if blank_needed(unit.line, unit.group, unit.closes, unit.kind) and out and out[-1] != "":
            out.append("")
        text = INDENT * unit.depth + unit.text
        tail = [trailing.pop(line) for line in range(unit.line, unit.end_line + 1)
                if line in trailing]  # fmt: skip
        if tail:
            text += "  " + " ".join(tail)
        out.append(text)
        previous = unit
        previous_end = unit.end_line
    rest = [c.text for c in ([next_comment] if next_comment else []) + list(pending)]
    rest += [text for _, text in sorted(trailing.items())]  # code lost? never: kept at the end
    if rest:
        if out:
            out.append("")
        out.extend(rest)
    return "\n".join(out).rstrip("\n") + "\n"


def _has_blank(lines: list[str], after: int, before: int) -> bool:
    """Was there an empty line strictly between source lines `after` and `before`?"""
    return any(not lines[i - 1].strip() for i in range(after + 1, before) if 0 < i <= len(lines))
