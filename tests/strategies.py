"""Hypothesis strategies for policies: syntax trees that `check_text` accepts, their text,
and the same text laid out carelessly (odd spacing, line breaks, blank lines, comments).

Trees are generated first, so a property knows what the text means; text is the tree
rendered by the formatter, then re-spaced token by token (`careless_texts`).

- `policies()`: a whole policy (`ast.PolicyFile`): header, fields, actions, rubrics,
  sampling, escalation, threshold, discipline and test blocks; it checks clean.
- `policy_texts(comments=..., blank_lines=...)`: `(text, tree)`, the text laid out
  carelessly; `parse_policy(text)[0] == tree`.
- `rubric_policies()`: `(policy_text, rubric_id)` for scoring properties: a policy with
  one or more rubrics that checks clean, in canonical layout.
- `conditions(scope)`: a well-typed `when` condition over the given fields.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping

from hypothesis import assume
from hypothesis import strategies as st

from callqa.dsl import ast
from callqa.dsl.check import BONUS_MODES, CRITICAL_MODES, NA_MODES, ROUNDING_MODES
from callqa.dsl.expressions import ORDERED
from callqa.dsl.format import format_tree, quote
from callqa.dsl.types import BUILTIN_FIELDS, PARTS, TYPE_NAMES, Type
from callqa.dsl.vocabulary import (
    AGGREGATES,
    ANSWERED_BY,
    CALENDAR_UNITS,
    COMPARISONS,
    DECISION_KINDS,
    EVENT_KINDS,
    PERIODS,
    TEST_EVENT_KINDS,
    THRESHOLD_SUBJECTS,
    UNIT_SECONDS,
    WEEKDAYS,
    WORKING_UNITS,
    reserved_words,
)
from callqa.dsl.vocabulary_zh import unit_word

# Words the grammar gives a meaning somewhere. The parser accepts most of them as names
# where no keyword fits, but generated ids stay clear of them.
KEYWORDS = reserved_words()

CJK = "服务规范开场白结束语态度热情耐心专业术语身份核实复述确认主动关怀记录工单准确投诉班长主管经理优秀良好合格质检"
ROLES = ["班长", "主管", "主管副总经理", "总经理", "质检员", "supervisor", "team_lead", "hr"]

Scope = Mapping[str, Type]

# -------------------------------------------------------------- names and labels

ascii_names = st.from_regex(r"[a-z_][a-z0-9_]{0,9}", fullmatch=True).filter(
    lambda name: name not in KEYWORDS
)
chinese_names = st.text(alphabet=CJK, min_size=1, max_size=5)
names = st.one_of(
    ascii_names,
    chinese_names,
    st.tuples(chinese_names, st.integers(0, 99)).map(lambda t: f"{t[0]}_{t[1]}"),
)
labels = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(CJK + "abcXYZ 0123（）、，：#")),
        st.sampled_from(['"', "\\", "\n", "\t"]),  # re-quoted as \" \\ \n \t
    ),
    max_size=10,
)


def fresh(name: str, used: set[str]) -> str:
    """`name`, or `name_2`... when a block already uses it: ids must be unique."""
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return candidate


# ---------------------------------------------------------------------- literals


def number(text: str) -> ast.Literal:
    return ast.Literal(Type.NUMBER, float(text) if "." in text else int(text), text)


def percent(text: str) -> ast.Literal:
    return ast.Literal(Type.NUMBER, float(text[:-1]) / 100, text)


def duration(amount: str, unit: str, word: bool = False) -> ast.Literal:
    seconds = float(amount) * UNIT_SECONDS[unit]
    value = int(seconds) if seconds == int(seconds) else seconds
    text = f"{amount} {unit_word(amount, unit)}" if word else f"{amount}{unit}"
    return ast.Literal(Type.DURATION, value, text)


def text_literal(value: str) -> ast.Literal:
    return ast.Literal(Type.TEXT, value, quote(value))


amounts = st.one_of(
    st.integers(0, 500).map(str),
    st.tuples(st.integers(0, 99), st.integers(0, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
)
positive_amounts = st.one_of(
    st.integers(1, 30).map(str),
    st.tuples(st.integers(0, 9), st.integers(1, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
)


@st.composite
def durations(draw: st.DrawFn, amount: st.SearchStrategy[str] = amounts) -> ast.Literal:
    return duration(draw(amount), draw(st.sampled_from("smhdw")), draw(st.booleans()))


@st.composite
def times(draw: st.DrawFn) -> ast.Literal:
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    second = draw(st.none() | st.integers(0, 59))
    text = f"{hour}:{minute:02d}" + (f":{second:02d}" if second is not None else "")
    return ast.Literal(Type.TIME, dt.time(hour, minute, second or 0), text)


dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(
    lambda day: ast.Literal(Type.DATE, day, day.isoformat())
)


@st.composite
def waits(draw: st.DrawFn, working: bool = False) -> ast.Wait:
    """`8h` or `8 hours`; with `working` (the policy has a calendar), maybe `8 working
    hours` or `2 working days`."""
    if not working or draw(st.booleans()):
        return ast.Wait(draw(durations(positive_amounts)))
    amount, unit = draw(positive_amounts), draw(st.sampled_from(WORKING_UNITS))
    length = duration(amount, unit, word=True)
    return ast.Wait(length, True, unit == "d", f"{amount} working {unit_word(amount, unit)}")


def _time(minutes: int) -> ast.Literal:
    value = dt.time(minutes // 60, minutes % 60)
    return ast.Literal(Type.TIME, value, value.strftime("%H:%M"))


@st.composite
def calendars(draw: st.DrawFn, block_id: str) -> ast.Calendar:
    """A calendar that checks clean: each weekday's hours on one line, ranges apart,
    holidays apart, make-up days off the holidays and worked like a weekday with hours."""
    order = draw(st.permutations(range(7)))
    cut = sorted(draw(st.sets(st.integers(1, 6), max_size=3)))
    groups = [g for g in (order[a:b] for a, b in zip([0, *cut], [*cut, 7], strict=True)) if g]
    entries: list[ast.CalendarEntry] = []
    worked: list[int] = []
    for group in groups[: draw(st.integers(1, len(groups)))]:
        days = tuple(ast.DaySpan(WEEKDAYS[d], None) for d in sorted(group))
        if draw(st.booleans()) and sorted(group) == list(range(min(group), max(group) + 1)):
            days = (ast.DaySpan(WEEKDAYS[min(group)], WEEKDAYS[max(group)]),)
        bounds = sorted(draw(st.sets(st.integers(0, 24 * 4 - 1).map(lambda q: q * 15),
                                     min_size=2, max_size=4)))  # fmt: skip
        ranges = tuple((_time(a), _time(b)) for a, b in zip(bounds[::2], bounds[1::2],
                                                          strict=False))  # fmt: skip
        entries.append(ast.WorkHours(days, ranges))
        worked += group
    base = dt.date(2026, 1, 1)
    off = sorted(draw(st.sets(st.integers(0, 360), max_size=4)))
    taken: set[int] = set()
    for start in off:
        length = draw(st.integers(1, 3))
        span = [d for d in range(start, start + length) if d not in taken]
        if not span or span != list(range(span[0], span[0] + len(span))):
            continue
        taken.update(span)
        start_day = base + dt.timedelta(span[0])
        first = ast.Literal(Type.DATE, start_day, start_day.isoformat())
        last = None
        if len(span) > 1:
            day = base + dt.timedelta(span[-1])
            last = ast.Literal(Type.DATE, day, day.isoformat())
        entries.append(ast.Holiday(first, last, draw(st.none() | labels)))
    for made in sorted(draw(st.sets(st.integers(0, 360), max_size=2)) - taken):
        day = base + dt.timedelta(made)
        like = draw(st.sampled_from(sorted(worked)))
        like_word = None if like == 0 and draw(st.booleans()) else WEEKDAYS[like]
        if like_word is None and day.weekday() in worked:
            like_word = WEEKDAYS[like]  # a worked weekday needs no workday line: say like
        entries.append(ast.MakeUpDay(ast.Literal(Type.DATE, day, day.isoformat()), like_word,
                                     draw(st.none() | labels)))  # fmt: skip
    return ast.Calendar(block_id, draw(st.none() | labels), tuple(draw(st.permutations(entries))))


@st.composite
def datetimes(draw: st.DrawFn) -> ast.Literal:
    day = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    text = f"{day.isoformat()}{draw(st.sampled_from(' T'))}{hour:02d}:{minute:02d}"
    text += draw(st.sampled_from(["", ":30"])) + draw(st.sampled_from(["", "", "Z", "+08:00"]))
    return ast.Literal(Type.DATETIME, dt.datetime.fromisoformat(text.replace("Z", "+00:00")), text)


def literals(kind: Type) -> st.SearchStrategy[ast.Literal]:
    """A literal of the given type, in each way it may be written."""
    if kind is Type.NUMBER:
        return st.one_of(amounts.map(number), st.integers(0, 100).map(lambda n: percent(f"{n}%")))
    if kind is Type.DURATION:
        return durations()
    if kind is Type.TIME:
        return times()
    if kind is Type.DATE:
        return dates
    if kind is Type.DATETIME:
        return datetimes()
    if kind is Type.TEXT:
        return labels.map(text_literal)
    return st.sampled_from(
        [ast.Literal(Type.BOOL, True, "true"), ast.Literal(Type.BOOL, False, "false")]
    )


# ------------------------------------------------------------------- conditions


def readable(fields: Scope) -> dict[str, Type]:
    """Every name a condition may read: the fields and their parts (`call.start.time`)."""
    out = dict(fields)
    for name, kind in fields.items():
        out.update({f"{name}.{part}": part_kind for part, part_kind in PARTS.get(kind, {}).items()})
    return out


def field_ref(name: str) -> ast.FieldRef:
    return ast.FieldRef(tuple(name.split(".")))


@st.composite
def values(draw: st.DrawFn, kind: Type, scope: Scope, depth: int = 2) -> ast.Expr:
    """A value of type `kind`: a literal, a field, or arithmetic (never dividing by a
    field or by zero, so that a scoring run cannot fail on it)."""
    fields = sorted(name for name, field_kind in scope.items() if field_kind is kind)
    choice = draw(st.integers(0, 9)) if depth > 0 else draw(st.integers(0, 5))
    if choice <= 2 or (choice <= 5 and not fields):
        return draw(literals(kind))
    if choice <= 5:
        return field_ref(draw(st.sampled_from(fields)))
    inner = depth - 1
    if kind in (Type.DATE, Type.DATETIME):
        op = draw(st.sampled_from(["+", "-"]))
        return ast.Binary(op, draw(values(kind, scope, inner)), draw(durations()))
    if kind not in (Type.NUMBER, Type.DURATION):
        return draw(literals(kind))
    if choice == 6:
        op = draw(st.sampled_from(["+", "-"]))
        return ast.Binary(op, draw(values(kind, scope, inner)), draw(values(kind, scope, inner)))
    if choice == 7:
        left, right = draw(values(kind, scope, inner)), draw(values(Type.NUMBER, scope, inner))
        return ast.Binary("*", *(draw(st.permutations([left, right]))))
    if choice == 8:
        divisor = draw(st.integers(1, 12).map(lambda n: number(str(n))))
        return ast.Binary("/", draw(values(kind, scope, inner)), divisor)
    return ast.Unary("-", draw(values(kind, scope, inner)))


@st.composite
def comparisons(draw: st.DrawFn, scope: Scope, depth: int = 2) -> ast.Expr:
    kinds = sorted({*scope.values(), Type.NUMBER, Type.DURATION} - {Type.UNKNOWN})
    kind = draw(st.sampled_from(kinds))
    fields = sorted(name for name, field_kind in scope.items() if field_kind is kind)
    if kind in (Type.TEXT, Type.NUMBER) and fields and draw(st.booleans()):
        items = draw(st.lists(literals(kind), max_size=3))
        negated = draw(st.booleans())
        return ast.InList(field_ref(draw(st.sampled_from(fields))), tuple(items), negated)
    ops = COMPARISONS if kind in ORDERED else ("==", "!=")
    left, right = draw(values(kind, scope, depth)), draw(values(kind, scope, depth))
    for score, amount in ((left, right), (right, left)):  # points against a percentage is
        if isinstance(score, ast.FieldRef) and score.name == "evaluation.score":  # a mistake
            assume(not (isinstance(amount, ast.Literal) and amount.text.endswith("%")))
    return ast.Binary(draw(st.sampled_from(ops)), left, right)


@st.composite
def conditions(draw: st.DrawFn, scope: Scope, depth: int = 3) -> ast.Expr:
    """A condition that type-checks over `scope` (a name -> type map; see `readable`)."""
    choice = draw(st.integers(0, 9)) if depth > 0 else 0
    if choice <= 4:
        return draw(comparisons(scope, min(depth, 2)))
    if choice <= 7:
        op = draw(st.sampled_from(["and", "or"]))
        return ast.Binary(
            op, draw(conditions(scope, depth - 1)), draw(conditions(scope, depth - 1))
        )
    if choice == 8:
        return ast.Unary("not", draw(conditions(scope, depth - 1)))
    flags = sorted(name for name, kind in scope.items() if kind is Type.BOOL)
    return draw(st.one_of(literals(Type.BOOL), st.sampled_from(flags).map(field_ref)))


BUILTIN_SCOPE = readable(BUILTIN_FIELDS)

# --------------------------------------------------------------------- statements


@st.composite
def headers(draw: st.DrawFn) -> ast.PolicyHeader:
    version = draw(st.none() | st.sampled_from(["2026.11", "1", "v2 草案"]))
    timezone = draw(st.sampled_from(["Asia/Shanghai", "UTC", "Europe/Berlin"]))
    return ast.PolicyHeader(draw(labels), version, timezone)


@st.composite
def field_decls(draw: st.DrawFn, used: set[str]) -> ast.FieldDecl:
    entity = draw(st.sampled_from(["call", "agent", "center", "中心"]))
    name = fresh(f"{entity}.{draw(names)}", used | set(BUILTIN_FIELDS))
    used.add(name)
    return ast.FieldDecl(tuple(name.split(".")), draw(st.sampled_from(sorted(TYPE_NAMES))))


@st.composite
def items(draw: st.DrawFn, item_id: str, scope: Scope) -> ast.Item:
    kind = draw(
        st.sampled_from(["deduct", "per", "critical", "deduct critical", "bonus", "bonus per"])
    )
    amount = None
    if kind != "critical":
        points = number(draw(positive_amounts))
        per = kind in ("per", "bonus per")
        cap = None
        if per:
            cap = number(str(int(float(points.value)) + draw(st.integers(1, 20))))
        amount = ast.Amount(points, per, cap)
    condition = draw(st.none() | conditions(scope))
    return ast.Item(
        item_id,
        draw(st.none() | labels),
        amount if not kind.startswith("bonus") else None,
        amount if kind.startswith("bonus") else None,
        "critical" in kind,
        condition,
    )


def partition(total: int, parts: int) -> st.SearchStrategy[list[int]]:
    """`parts` positive whole numbers adding up to `total`."""
    cuts = st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)
    return cuts.map(
        lambda c: [b - a for a, b in zip([0, *sorted(c)], [*sorted(c), total], strict=True)]
    )


@st.composite
def grade_blocks(draw: st.DrawFn, scale: float) -> ast.Grades:
    """Bands that cover every score once: each from its lower bound up to the next."""
    top = max(1, int(scale))
    bounds = sorted(draw(st.lists(st.integers(1, top), min_size=1, max_size=4, unique=True)))
    names_used = draw(
        st.lists(labels, min_size=len(bounds) + 1, max_size=len(bounds) + 1, unique=True)
    )
    bands = []
    for index, low in enumerate(bounds):
        limits: tuple[tuple[str, ast.Literal], ...] = ((">=", number(str(low))),)
        if index + 1 < len(bounds) and draw(st.booleans()):
            limits += (("<", number(str(bounds[index + 1]))),)
        bands.append(ast.Band(names_used[index], limits, False))
    lowest = names_used[-1]
    if draw(st.booleans()):
        bands.append(ast.Band(lowest, (), True))
    else:
        limits = ((">=", number("0")),)
        if draw(st.booleans()):
            limits += (("<", number(str(bounds[0]))),)
        bands.append(ast.Band(lowest, limits, False))
    return ast.Grades(tuple(draw(st.permutations(bands))))


@st.composite
def rubrics(draw: st.DrawFn, rubric_id: str, scope: Scope) -> ast.Rubric:
    scale_text = draw(st.sampled_from(["100", "10", "5.5", "1000", ""]))
    scale = float(scale_text) if scale_text else 100.0
    settings: list[ast.RubricEntry] = []
    if scale_text:
        settings.append(ast.Setting("scale", number(scale_text), None))
    for key, words in (("critical", CRITICAL_MODES), ("na", NA_MODES), ("bonus", BONUS_MODES)):
        if draw(st.booleans()):
            settings.append(ast.Setting(key, None, draw(st.sampled_from(sorted(words)))))
    if draw(st.booleans()):
        digits = str(draw(st.integers(0, 6)))
        mode = draw(st.none() | st.sampled_from(sorted(ROUNDING_MODES)))
        settings.append(
            ast.Setting("rounding", ast.Literal(Type.NUMBER, int(digits), digits), mode)
        )
    if draw(st.booleans()):
        panel = tuple(draw(st.lists(st.sampled_from(ROLES), max_size=3, unique=True)))
        steps: list[tuple[str, tuple[str, ...]]] = []
        for step in draw(st.permutations(["accepted", "panel", "decided"])):
            if not draw(st.booleans()):
                continue
            if step == "panel" and panel:
                steps.append(("panel", panel))
            elif step != "panel":
                steps.append((step, (draw(st.sampled_from(panel or ROLES)),)))
        window = draw(durations(positive_amounts))
        settings.append(ast.Setting("appeals", window, None, steps=tuple(steps)))
    if draw(st.booleans()):
        settings.append(ast.Setting("calibration", number(draw(positive_amounts)), None))

    count = draw(st.integers(1, 4))
    weighting = draw(
        st.sampled_from(
            ["none", "percent", "points"] if scale == int(scale) else ["none", "percent"]
        )
    )
    weights: list[ast.Literal | None] = [None] * count
    if weighting == "percent" and count <= 100:
        weights = [percent(f"{w}%") for w in draw(partition(100, count))]
    elif weighting == "points" and count <= scale:
        weights = [number(str(w)) for w in draw(partition(int(scale), count))]
    used: set[str] = set()
    sections = []
    for weight in weights:
        section_id = fresh(draw(names), used)
        item_ids = [fresh(name, used) for name in draw(st.lists(names, min_size=1, max_size=5))]
        section_items = tuple(draw(items(item_id, scope)) for item_id in item_ids)
        sections.append(ast.Section(section_id, draw(st.none() | labels), weight, section_items))
    entries: list[ast.RubricEntry] = [*settings, *sections]
    if draw(st.booleans()):
        entries.append(draw(grade_blocks(scale)))
    if draw(st.booleans()):
        entries = draw(st.permutations(entries))
    return ast.Rubric(rubric_id, draw(st.none() | labels), tuple(entries))


@st.composite
def actions(draw: st.DrawFn, action_id: str) -> ast.ActionDecl:
    return ast.ActionDecl(
        action_id,
        draw(st.none() | labels),
        tuple(draw(st.lists(st.sampled_from(ROLES), max_size=3))),
        draw(st.none() | labels),
        draw(st.none() | st.sampled_from(ROLES)),
    )


ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


@st.composite
def samplings(draw: st.DrawFn, block_id: str, scope: Scope) -> ast.Sampling:
    period = draw(st.sampled_from(PERIODS))
    entries: list[ast.SamplingEntry] = [ast.Per("agent", period)]
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.none() | conditions(scope, 2))
        if draw(st.booleans()):
            n = draw(st.integers(1, 12))
            ordinal = f"{n}{ORDINAL_SUFFIX.get(n, 'th')}"
            entries.append(ast.Pick(n, 1, ordinal, "call", where))
        else:
            n = draw(st.integers(1, 5))
            entries.append(ast.Pick(None, n, None, "call" if n == 1 else "calls", where))
    if draw(st.booleans()):
        entries.append(
            ast.Quota(draw(st.integers(2, 9)), period, draw(st.none() | conditions(scope, 1)))
        )
    if draw(st.booleans()):
        ahead = draw(durations(positive_amounts))
        entries.append(
            ast.Publish(
                ahead, tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2)))
            )
        )
    return ast.Sampling(block_id, draw(st.none() | labels), tuple(entries))


@st.composite
def escalations(
    draw: st.DrawFn, block_id: str, scope: Scope, working: bool = False
) -> ast.Escalation:
    roles = tuple(draw(st.lists(st.sampled_from(ROLES), min_size=2, max_size=4, unique=True)))
    entries: list[ast.EscalationEntry] = [ast.Chain(roles)]
    if draw(st.booleans()):
        entries.append(
            ast.StartAt(draw(st.sampled_from(roles)), draw(st.none() | conditions(scope, 1)))
        )
    limits = tuple(
        ast.TimeLimit(draw(waits(working)), role)
        for role in draw(st.lists(st.sampled_from(roles), min_size=1, max_size=3, unique=True))
    )
    entries.append(ast.EscalateAfter(limits, draw(st.booleans())))
    return ast.Escalation(block_id, draw(st.none() | labels), tuple(entries))


@st.composite
def measures(draw: st.DrawFn, scope: Scope) -> ast.Aggregate:
    if draw(st.booleans()):
        kind = draw(st.sampled_from(EVENT_KINDS))
        return ast.Aggregate("count", (kind,), draw(st.none() | conditions(scope, 1)))
    function = draw(st.sampled_from([name for name in AGGREGATES if name != "count"]))
    name = draw(
        st.sampled_from(["evaluation.score", "survey.rating", "call.duration", "call.hold_time"])
    )
    return ast.Aggregate(function, tuple(name.split(".")), draw(st.none() | conditions(scope, 1)))


@st.composite
def thresholds(draw: st.DrawFn, block_id: str, scope: Scope) -> ast.Threshold:
    subject = draw(st.sampled_from(THRESHOLD_SUBJECTS))
    kind = draw(st.sampled_from(EVENT_KINDS))
    where = draw(conditions(scope, 1))
    share = ast.Binary(
        "/", ast.Aggregate("count", (kind,), where), ast.Aggregate("count", (kind,), None)
    )
    # in percent points: the alerts below compare it with any number (a share, 0 to 1,
    # compared with 50 is a mistake the checker reports)
    value: ast.Expr = ast.Binary("*", share, number("100"))
    if draw(st.booleans()):
        value = ast.Aggregate(
            "avg", ("evaluation", "score"), draw(st.none() | conditions(scope, 1))
        )
    alert_scope = {**scope, "value": Type.NUMBER}
    when = draw(st.one_of(comparisons({"value": Type.NUMBER}, 1), conditions(alert_scope, 1)))
    entries: list[ast.ThresholdEntry] = [
        ast.Per(subject, draw(st.sampled_from(PERIODS))),
        ast.ThresholdValue(value),
        ast.Alert(tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2))), when),
    ]
    return ast.Threshold(block_id, draw(st.none() | labels), tuple(entries))


@st.composite
def disciplines(
    draw: st.DrawFn, block_id: str, scope: Scope, then: list[str], working: bool = False
) -> ast.Discipline:
    used: set[str] = set()
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        rule_id = fresh(draw(names), used)
        action = draw(st.sampled_from(then))
        if draw(st.booleans()):
            on = draw(st.sampled_from(EVENT_KINDS))
            where = draw(st.none() | conditions(scope, 1))
            without = within = None
            if on in ANSWERED_BY and draw(st.booleans()):  # waits for what answers it
                without, within = ANSWERED_BY[on], draw(waits(working))
            rule = ast.Rule(rule_id, None, None, None, None, None, None, on, where, action,
                            without=without, within=within)  # fmt: skip
            rules.append(rule)
            continue
        if draw(st.booleans()):
            window = ast.Window(draw(st.sampled_from(CALENDAR_UNITS)), None)
        else:
            window = ast.Window(None, draw(durations(positive_amounts)))
        minimum = draw(st.none() | st.integers(1, 9))
        word = None if minimum is None else draw(st.sampled_from(["evaluations", "calls", "次"]))
        op = draw(st.sampled_from(COMPARISONS))
        limit = number(draw(amounts))
        measure = draw(measures(scope))
        # `per deduction.item`: counted apart for each value of one of its own text facts
        apart = [name for name, kind in BUILTIN_FIELDS.items()
                 if kind is Type.TEXT and name.split(".")[0] == measure.kind]  # fmt: skip
        per = None
        if apart and draw(st.booleans()):
            per = ast.FieldRef(tuple(draw(st.sampled_from(apart)).split(".")))
        since = draw(st.none() | st.sampled_from(then))  # counted from that action on
        rule = ast.Rule(rule_id, measure, window, op, limit, minimum, word, None, None, action,
                        per=per, since=since)  # fmt: skip
        rules.append(rule)
    return ast.Discipline(block_id, draw(st.none() | labels), tuple(rules))


@st.composite
def test_blocks(draw: st.DrawFn, known: list[str]) -> ast.TestBlock:
    entries: list[ast.GivenEvent | ast.Expect] = []
    for _ in range(draw(st.integers(0, 3))):
        attributes = []
        for _ in range(draw(st.integers(0, 3))):
            key = ".".join(draw(st.lists(names, min_size=1, max_size=3)))
            if any(
                f"{k}.".startswith(f"{key}.") or f"{key}.".startswith(f"{k}.")
                for k, _ in attributes
            ):
                continue  # one key twice, or a value and its parts: the checker refuses it
            kind = draw(st.sampled_from([t for t in Type if t is not Type.UNKNOWN]))
            value = draw(
                st.one_of(literals(kind), names.map(lambda n: ast.Literal(Type.TEXT, n, n)))
            )
            attributes.append((key, value))
        entries.append(
            ast.GivenEvent(
                draw(st.sampled_from(TEST_EVENT_KINDS)), tuple(attributes), draw(datetimes())
            )
        )
    for _ in range(draw(st.integers(1, 2))):
        what = draw(st.sampled_from(known))
        entries.append(
            ast.Expect(
                draw(st.booleans()),
                what,
                draw(st.none() | labels) if what in DECISION_KINDS else None,
                draw(st.none() | labels),
                draw(st.none() | datetimes()),
            )
        )
    return ast.TestBlock(draw(labels), tuple(entries))


@st.composite
def policies(
    draw: st.DrawFn, rubric_count: tuple[int, int] = (0, 2), blocks: bool = True
) -> ast.PolicyFile:
    """A whole policy that `check_text` accepts without errors."""
    used: set[str] = set()
    fields = [draw(field_decls(used)) for _ in range(draw(st.integers(0, 3)))]
    # a `percent` field is declared, not read: compared with a number such as 50 (not
    # 50%), it is a mistake the checker reports
    read = {f.name: TYPE_NAMES[f.type_name] for f in fields if f.type_name != "percent"}
    scope = readable({**BUILTIN_FIELDS, **read})
    ids: set[str] = set()
    rubric_list = [
        draw(rubrics(fresh(draw(names), ids), scope))
        for _ in range(draw(st.integers(*rubric_count)))
    ]
    statements: list[ast.Statement] = [*fields, *rubric_list]
    if blocks:
        action_list = [
            draw(actions(fresh(draw(names), ids))) for _ in range(draw(st.integers(0, 3)))
        ]
        statements += action_list
        if draw(st.booleans()):
            statements.append(draw(samplings(fresh(draw(names), ids), scope)))
        if draw(st.booleans()):  # a peer review rota: per team per day or week
            entries: list[ast.Per | ast.Publish] = [
                ast.Per("team", draw(st.sampled_from(["day", "week"])))
            ]
            if draw(st.booleans()):
                roles = tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2)))
                entries.append(ast.Publish(draw(durations(positive_amounts)), roles))
            rota = ast.Rota(fresh(draw(names), ids), draw(st.none() | labels), tuple(entries))
            statements.append(rota)
        calendar = draw(st.none() | calendars(fresh(draw(names), ids)))
        working = calendar is not None
        if calendar is not None:
            statements.append(calendar)
        escalation = draw(st.none() | escalations(fresh(draw(names), ids), scope, working))
        if escalation is not None:
            statements.append(escalation)
        if draw(st.booleans()):
            statements.append(draw(thresholds(fresh(draw(names), ids), scope)))
        if action_list and draw(st.booleans()):
            statements.append(
                draw(
                    disciplines(
                        fresh(draw(names), ids), scope, [a.id for a in action_list], working
                    )
                )
            )
        known = [a.id for a in action_list] + list(DECISION_KINDS)
        if escalation is not None:
            known += [
                role for e in escalation.entries if isinstance(e, ast.Chain) for role in e.roles
            ]
        for rubric in rubric_list:
            if rubric.grades is not None:
                known += [band.label for band in rubric.grades.bands]
        names_ok = [k for k in known if re.fullmatch(r"[^\W\d]\w*", k) and k not in KEYWORDS]
        if names_ok and draw(st.booleans()):
            statements.append(draw(test_blocks(names_ok)))
    if draw(st.booleans()):
        statements = draw(st.permutations(statements))
    return ast.PolicyFile((draw(headers()), *statements))


@st.composite
def rubric_policies(draw: st.DrawFn) -> tuple[str, str]:
    """`(policy_text, rubric_id)`: a policy that checks clean, with the id of one of its
    rubrics (every rubric has at least one section; a section may be empty)."""
    policy = draw(policies(rubric_count=(1, 2), blocks=False))
    rubric = draw(st.sampled_from(policy.rubrics))
    return format_tree(policy), rubric.id


# ---------------------------------------------------------------- careless layout

# A token of canonical text: runs of non-blank characters, where a quoted text and a
# date-time (which has a space inside) count as one piece.
TOKEN = re.compile(
    r'(?:"(?:[^"\\\n]|\\.)*"'
    r"|\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?"
    r'|[^\s"])+'
)
COMMENTS = ["# 备注", "#说明：扣分见附件", '# a "quoted" # word', "#", "# TODO 2026-11", "#   "]


def _tokens(text: str) -> list[tuple[str, bool]]:
    """The tokens of a canonical text; True marks the first token of a top-level statement."""
    out: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        for index, match in enumerate(TOKEN.finditer(line)):
            out.append((match.group(), index == 0 and not line[:1].isspace() and line[:1] != "}"))
    return out


def careless(text: str, rng: random.Random, comments: bool, blank_lines: bool) -> str:
    """`text` with every space between tokens replaced by some other legal spacing."""
    spaces = [" ", "  ", "\t", "\u3000", " \n ", "\n    ", "\n\t", "\r\n  "]
    if comments:
        spaces += ["  # 备注\n  ", "\n# 行首注释\n ", "\n  #\n  ", " #x\n\t"]
    if blank_lines:
        spaces += ["\n\n  ", "\n \n\n\t", "\n\n\n "]
    out: list[str] = ["\ufeff"] if rng.random() < 0.05 else []
    if comments and rng.random() < 0.5:
        out.append(rng.choice(COMMENTS) + "\n" + ("\n" if blank_lines else ""))
    previous = ""
    for token, starts_statement in _tokens(text):
        if not previous:
            pass
        elif starts_statement:
            gap = "\n"
            if blank_lines and rng.random() < 0.5:
                gap += "\n" * rng.randint(1, 3)
            if comments and rng.random() < 0.5:
                gap += rng.choice(COMMENTS) + "\n"
            out.append(gap if rng.random() < 0.9 else " ")
        elif (previous[-1] in "([{," or token[0] in ")]},") and rng.random() < 0.3:
            pass  # no space at all next to brackets and commas
        else:
            out.append(rng.choice(spaces) if rng.random() < 0.3 else " ")
        if comments and rng.random() < 0.03:
            out.append(rng.choice(COMMENTS) + "\n ")
        out.append(token)
        previous = token
    ending = ["\n", "", "\n\n"]
    if comments:
        ending += ["  # 文件结束", "\n# 文件结束\n"]
    out.append(rng.choice(ending))
    return "".join(out)


@st.composite
def policy_texts(
    draw: st.DrawFn, comments: bool = True, blank_lines: bool = True
) -> tuple[str, ast.PolicyFile]:
    """`(text, tree)`: a generated policy laid out carelessly, and what it means."""
    policy = draw(policies())
    rng = draw(st.randoms(use_true_random=False))
    return careless(format_tree(policy), rng, comments, blank_lines), policy
