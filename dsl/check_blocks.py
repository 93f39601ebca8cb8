"""Checks for the time-aware blocks: actions, sampling, escalation, thresholds,
discipline rules and policy tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from callqa.dsl import ast
from callqa.dsl.check_calendar import CalendarChecker, wait_said
from callqa.dsl.diagnostics import line_said, listed
from callqa.dsl.expressions import FLIP, Scope, infer
from callqa.dsl.i18n import N_, _, current, named
from callqa.dsl.source import Span
from callqa.dsl.suggest import did_you_mean
from callqa.dsl.types import Type
from callqa.dsl.vocabulary import (
    ALERT_VALUES,
    ANSWERED_BY,
    CALENDAR_UNITS,
    COMPARISONS,
    DECISION_KINDS,
    EVENT_KINDS,
    PERIODS,
    TEST_EVENT_KINDS,
    THRESHOLD_SUBJECTS,
)
from callqa.dsl.vocabulary_zh import keyword

Error = Callable[..., None]
_Line = ast.Per | ast.Publish | ast.Chain | ast.ThresholdValue  # lines a block holds once

# the kinds whose events carry their call's and evaluation's facts
_SCORED = frozenset({"evaluation", "deduction"})
# what `per` may name, for the hint of a wrong one
_PER_EXAMPLES = {
    "deduction": "deduction.item", "violation": "violation.type",
    "evaluation": "evaluation.evaluator", "complaint": "complaint.channel",
}  # fmt: skip

# what a compared value is measured in, in the words a diagnostic uses: fractions, kept
# as 96% is 0.96, and whole amounts, which a percentage is not meant for
SHARE, PERCENTAGE, RATIO = "share", "percentage", "ratio"
COUNT, POINTS = "count", "points"
FRACTIONS = (SHARE, PERCENTAGE, RATIO)
SCORES = frozenset({"evaluation.score"})  # points on the rubric's scale


def fractions(tree: ast.PolicyFile) -> dict[str, str]:
    """The fields a policy declares as percentages: kept as fractions, like `96%`."""
    return {decl.name: PERCENTAGE for decl in tree.fields if decl.type_name == "percent"}


def measure_of(expr: ast.Expr, named: Mapping[str, str]) -> str | None:
    """What `expr` is measured in, when that tells which numbers it may be compared with:
    a SHARE (count(k where ...) / count(k ...), from 0 to 1), a PERCENTAGE (a `percent`
    field, or its avg, min or max), a RATIO of counts of two kinds of event (most often a
    rate, but it may exceed 1), a COUNT of events or POINTS of a score. `named`: the
    fields (and an alert's `value`) known to be one of these."""
    if isinstance(expr, ast.FieldRef):
        return named.get(expr.name) or (POINTS if expr.name in SCORES else None)
    if isinstance(expr, ast.Aggregate):
        if expr.function == "count":
            return COUNT
        if expr.function in ("avg", "min", "max") and named.get(expr.name) == PERCENTAGE:
            return PERCENTAGE
        return POINTS if expr.name in SCORES else None
    if isinstance(expr, ast.Binary) and expr.op == "/":
        left, right = expr.left, expr.right
        if (
            isinstance(left, ast.Aggregate)
            and isinstance(right, ast.Aggregate)
            and left.function == right.function == "count"
        ):
            return SHARE if left.kind == right.kind else RATIO
    return None


def misread_fractions(
    expr: ast.Expr | None, named: Mapping[str, str], error: Error, warn: Error
) -> None:
    """A fraction compared with a plain number outside 0..1 (`value < 96` for 96%), or a
    count or a score with a percentage (`avg(evaluation.score) < 90%`): true or false for
    every team, which the type (all are numbers) cannot tell."""
    for subject, op, number in _comparisons_with_numbers(expr):
        misread_fraction(subject, op, number, named, error, warn)


def misread_fraction(
    subject: ast.Expr,
    op: str,
    number: ast.Literal,
    named: Mapping[str, str],
    error: Error,
    warn: Error,
) -> None:
    """Report `subject op number` when `number` is written in the wrong unit for what
    `subject` measures; `op` reads with the subject on the left."""
    kind = measure_of(subject, named)
    amount = _number(number)
    if kind is None or amount is None:
        return
    text = number.text
    # what is compared, as the sentences below name it (`_COUNTS`...): a name, or in words
    name = subject.name if isinstance(subject, ast.FieldRef | ast.Aggregate) else ""
    if isinstance(subject, ast.Aggregate):
        name = f"{subject.function}({subject.name})"
    what = "value" if name == "value" else "name" if name else "ratio"
    said = {"name": name, "text": text, "amount": amount}
    if text.endswith("%"):
        said["digits"] = text.removesuffix("%")
        if kind == COUNT and amount != 0:
            error(number.span, _(_COUNTS[what]).format(**said),
                  _("write a number of events, such as {digits}, or divide by another count "
                    "for a share").format(**said), code="fraction")  # fmt: skip
        elif kind == POINTS and amount != 0:
            error(number.span, _(_POINTS[what]).format(**said),
                  _("write the points, such as {digits} on a scale of 100").format(**said),
                  code="fraction")  # fmt: skip
        return
    if kind not in FRACTIONS or 0 <= amount <= 1:
        return
    said.update(percent=_percent(amount), fraction=_fraction(amount),
                meant=_percent(amount * 100))  # fmt: skip
    if kind == RATIO:
        fix = (
            _("write {text}% if you mean a percentage")
            if amount > 1
            else _("compare it with a percentage from 0% to 100% if you mean a percentage")
        )
        warn(number.span, _(_RATIOS[what]).format(**said), fix.format(**said),
             code="fraction")  # fmt: skip
        return
    fix = _("write {text}%") if amount > 1 else _("compare it with a percentage from 0% to 100%")
    if kind == PERCENTAGE:
        message = _(_PERCENTAGES[what])
    else:
        # a share is in 0..1: above 1, `<` holds for every value, `>` for none
        holds = op in ("<", "<=", "!=") if amount > 1 else op in (">", ">=", "!=")
        message = _((_SHARES_TRUE if holds else _SHARES_FALSE)[what])
    error(number.span, message.format(**said), fix.format(**said), code="fraction")


# The sentences of `misread_fraction`, by what is compared: a name (`count(complaint)`,
# `survey.rating`), an alert's `value` (the threshold's value), or a ratio of counts
_COUNTS = {
    "name": N_("{name} counts events, so {text} here means {amount:g} of one event"),
    "value": N_(
        "the threshold's value counts events, so {text} here means {amount:g} of one event"
    ),
    "ratio": N_("the ratio counts events, so {text} here means {amount:g} of one event"),
}
_POINTS = {
    "name": N_("{name} is in points, so {text} here means {amount:g} points"),
    "value": N_("the threshold's value is in points, so {text} here means {amount:g} points"),
    "ratio": N_("the ratio is in points, so {text} here means {amount:g} points"),
}
_RATIOS = {
    "name": N_(
        "{name} divides one count by another, so {text} here means {text} times as many, "
        "not {text}%"
    ),
    "value": N_(
        "the threshold's value divides one count by another, so {text} here means {text} "
        "times as many, not {text}%"
    ),
    "ratio": N_(
        "the ratio divides one count by another, so {text} here means {text} times as many, "
        "not {text}%"
    ),
}
_PERCENTAGES = {
    "name": N_(
        "{name} is a percentage, kept as a fraction ({percent} is {fraction}), so {text} here "
        "means {meant}"
    ),
    "value": N_(
        "the threshold's value is a percentage, kept as a fraction ({percent} is {fraction}), "
        "so {text} here means {meant}"
    ),
    "ratio": N_(
        "the ratio is a percentage, kept as a fraction ({percent} is {fraction}), so {text} "
        "here means {meant}"
    ),
}
_SHARES_TRUE = {
    "name": N_(
        "{name} is a share from 0 to 1 ({percent} is {fraction}), so comparing it with {text} "
        "is always true"
    ),
    "value": N_(
        "the threshold's value is a share from 0 to 1 ({percent} is {fraction}), so comparing "
        "it with {text} is always true"
    ),
    "ratio": N_(
        "the ratio is a share from 0 to 1 ({percent} is {fraction}), so comparing it with "
        "{text} is always true"
    ),
}
_SHARES_FALSE = {
    "name": N_(
        "{name} is a share from 0 to 1 ({percent} is {fraction}), so comparing it with {text} "
        "is always false"
    ),
    "value": N_(
        "the threshold's value is a share from 0 to 1 ({percent} is {fraction}), so comparing "
        "it with {text} is always false"
    ),
    "ratio": N_(
        "the ratio is a share from 0 to 1 ({percent} is {fraction}), so comparing it with "
        "{text} is always false"
    ),
}


def _comparisons_with_numbers(
    expr: ast.Expr | None,
) -> Iterator[tuple[ast.Expr, str, ast.Literal]]:
    """Every comparison in `expr` of something with a written number, as (something,
    op, number) with the number on the right."""
    stack = [expr] if expr is not None else []
    while stack:  # not recursive: a condition may nest deep
        node = stack.pop()
        if isinstance(node, ast.Binary):
            stack += (node.left, node.right)
            if node.op in COMPARISONS:
                if _number(node.right) is not None:
                    yield node.left, node.op, _literal(node.right)
                elif _number(node.left) is not None:
                    yield node.right, FLIP[node.op], _literal(node.left)
        elif isinstance(node, ast.Unary | ast.InList):
            stack.append(node.operand)
        elif isinstance(node, ast.Aggregate) and node.where is not None:
            stack.append(node.where)


def _literal(expr: ast.Expr) -> ast.Literal:
    """The literal of a written number (`96`, or `-5` with its minus)."""
    if isinstance(expr, ast.Unary):
        inner = expr.operand
        assert isinstance(inner, ast.Literal)
        return ast.Literal(inner.type, -inner.number, f"-{inner.text}", expr.span)
    assert isinstance(expr, ast.Literal)
    return expr


def _number(expr: ast.Expr) -> float | None:
    """The value of a written number (96, 0.96, 96% as 0.96, -5), or None."""
    negate = isinstance(expr, ast.Unary) and expr.op == "-"
    if isinstance(expr, ast.Unary) and negate:
        expr = expr.operand
    if not isinstance(expr, ast.Literal) or expr.type is not Type.NUMBER:
        return None
    value = expr.number
    return -value if negate else value


def _where(span: Span) -> str:
    return _("line {line}, column {column}").format(line=span.line, column=span.col)


def _percent(amount: float) -> str:
    return f"{amount:g}%"


def _fraction(amount: float) -> str:
    return f"{amount / 100:g}"


class BlockChecker:
    def __init__(self, tree: ast.PolicyFile, fields: dict[str, Type], error: Error,
                 warn: Error) -> None:  # fmt: skip
        self.tree = tree
        self.fields = fields
        self.error = error
        self.warn = warn
        self.actions: dict[str, ast.ActionDecl] = {}
        self.roles: set[str] = set()
        self.fractions = fractions(tree)
        self.calendar = CalendarChecker(tree, error, warn)

    def report(self, span: Span, message: str, hint: str | None) -> None:
        self.error(span, message, hint, code="type")

    def condition(
        self,
        expr: ast.Expr | None,
        extra: dict[str, Type] | None = None,
        aggregates: bool = False,
        value: str | None = None,
    ) -> None:
        """`value`: what an alert's value measures (`measure_of`), if known."""
        if expr is None:
            return
        scope = Scope({**self.fields, **(extra or {})}, aggregates)
        kind = infer(expr, scope, self.report)
        if kind not in (Type.BOOL, Type.UNKNOWN):
            self.error(
                expr.span,
                _("this condition must be true or false, not {example}").format(
                    example=kind.example
                ),
                _('compare it, e.g. complaint.severity == "major"'),
                code="type",
            )
        named = (
            {**self.fractions, **dict.fromkeys(ALERT_VALUES, value)} if value else self.fractions
        )
        misread_fractions(expr, named, self.error, self.warn)

    def period(self, span: Span, word: str, choices: tuple[str, ...] = PERIODS) -> None:
        if word not in choices:
            hint = did_you_mean(word, choices) or _("use one of: {names}").format(
                names=listed(choices, "period")
            )
            self.error(span, _("{word} is not a period").format(word=word), hint, code="period")

    def run(self) -> None:
        for action in self.tree.actions:
            if action.id in self.actions:
                where = line_said(self.actions[action.id].span, action.span, self.tree.file)
                self.error(action.id_span, _("there is already an action called {id} ({where})"
                                             ).format(id=action.id, where=where),
                           _("give each action its own id"), code="duplicate-id")  # fmt: skip
            self.actions[action.id] = action
        self.calendar.run()
        for escalation in self.tree.escalations:
            self.escalation(escalation)
        seen: dict[str, Span] = {}
        blocks: list[ast.Sampling | ast.Threshold | ast.Discipline | ast.Escalation | ast.Rota]
        blocks = [
            *self.tree.samplings, *self.tree.thresholds, *self.tree.disciplines,
            *self.tree.escalations, *self.tree.rotas,
        ]  # fmt: skip
        for block in blocks:
            if block.id in seen:
                where = line_said(seen[block.id], block.id_span, self.tree.file)
                self.error(block.id_span, _("there is already a block called {id} ({where})"
                                            ).format(id=block.id, where=where),
                           _("give each block its own id"), code="duplicate-id")  # fmt: skip
            seen[block.id] = block.id_span
        for sampling in self.tree.samplings:
            self.sampling(sampling)
        for threshold in self.tree.thresholds:
            self.threshold(threshold)
        for discipline in self.tree.disciplines:
            self.discipline(discipline)
        for rota in self.tree.rotas:
            self.rota(rota)
        self.unused_actions()
        for test in self.tree.tests:
            self.test(test)

    def unused_actions(self) -> None:
        """An action no rule takes never happens: most likely a rule was meant to use it."""
        used = {rule.then for block in self.tree.disciplines for rule in block.rules}
        for action in self.tree.actions:
            if action.id not in used:
                self.warn(action.id_span,
                          _("no rule takes the action {id}").format(id=action.id),
                          _("end a discipline rule with: then {id} (or delete the action)"
                            ).format(id=action.id), code="unused-action")  # fmt: skip

    # ------------------------------------------------------------------ sampling

    def once(self, block: str, name: str, entries: Sequence[_Line], word: str) -> None:
        """A line a block holds once (`per`, `value`, `chain`, `publish`): each repeat is
        an error at the repeat, since which one would count is anyone's guess. `block`
        and `word` are keywords (`sampling`, `per`), said in the reader's language."""
        for entry in entries[1:]:
            self.error(entry.span, _("{block} {name} has a second {word} line (the first is "
                                     "line {line}); a block has one").format(
                           block=keyword(block, current()), name=name,
                           word=keyword(word, current()), line=entries[0].span.line),
                       _("keep the one you mean and delete the other"),
                       code="repeated-line")  # fmt: skip

    def sampling(self, block: ast.Sampling) -> None:
        pers = [e for e in block.entries if isinstance(e, ast.Per)]
        picks = [e for e in block.entries if isinstance(e, ast.Pick)]
        self.once("sampling", block.id, pers, "per")
        publishes = [e for e in block.entries if isinstance(e, ast.Publish)]
        self.once("sampling", block.id, publishes, "publish")
        if not pers:
            self.error(block.id_span,
                       _("sampling {id} does not say how often").format(id=block.id),
                       _("add: per agent per day"), code="sampling")  # fmt: skip
        period = pers[0].period if pers else "day"
        for per in pers:
            if per.subject != "agent":
                self.error(per.span, _("sampling is per agent"), _("write: per agent per day"))
            self.period(per.span, per.period)
        if not picks:
            self.error(
                block.id_span,
                _("sampling {id} picks no calls").format(id=block.id),
                _("add: pick 2nd call where call.duration >= 60s"),
                code="sampling",
            )
        for pick in picks:
            if (pick.ordinal is not None and pick.ordinal < 1) or pick.count < 1:
                self.error(pick.span, _("pick at least one call"), _("write pick 1st call"))
            self.condition(pick.where)
        for entry in block.entries:
            if isinstance(entry, ast.Quota):
                if entry.period != period:
                    self.error(entry.span,
                               _("the quota must be per {period}, like the sampling").format(
                                   period=named(period, "period")),
                               _("write quota {count} per {period}").format(
                                   count=entry.count, period=named(period, "period")))  # fmt: skip
                if entry.count < len(picks):
                    self.warn(
                        entry.span, _("the quota is smaller than the picks and never applies")
                    )
                self.condition(entry.when)

    def rota(self, block: ast.Rota) -> None:
        """`per team per day` (or week): one reviewer per team, in turns."""
        pers = [e for e in block.entries if isinstance(e, ast.Per)]
        publishes = [e for e in block.entries if isinstance(e, ast.Publish)]
        self.once("rota", block.id, pers, "per")
        self.once("rota", block.id, publishes, "publish")
        if not pers:
            self.error(block.id_span, _("rota {id} does not say how often").format(id=block.id),
                       _("add: per team per day"), code="rota")  # fmt: skip
        for per in pers:
            if per.subject != "team":
                self.error(per.span, _("a rota takes turns within each team"),
                           _("write: per team per {period}").format(
                               period=named(per.period, "period")), code="rota")  # fmt: skip
            if per.period not in ("day", "week"):
                hint = did_you_mean(per.period, ("day", "week")) or _("write: per team per day")
                self.error(per.span, _("a rota's turns last a day or a week, not a {period}"
                                       ).format(period=named(per.period, "period")),
                           hint, code="rota")  # fmt: skip
        for publish in publishes:
            self.roles.update(publish.roles)

    # ---------------------------------------------------------------- escalation

    def escalation(self, block: ast.Escalation) -> None:
        chains = [e for e in block.entries if isinstance(e, ast.Chain)]
        if not chains:
            self.error(block.id_span, _("escalation {id} has no chain").format(id=block.id),
                       _("add: chain 班长 -> 主管副总经理 -> 总经理"),
                       code="escalation")  # fmt: skip
            return
        self.once("escalation", block.id, chains, "chain")
        limited: dict[str, int] = {}  # role -> the line of its time limit
        roles = chains[0].roles
        self.roles.update(roles)
        if len(set(roles)) != len(roles):
            self.error(chains[0].span, _("a role appears twice in the chain"), code="escalation")
        for entry in block.entries:
            if isinstance(entry, ast.StartAt):
                self.role(entry.span, entry.role, roles)
                self.condition(entry.when)
            elif isinstance(entry, ast.EscalateAfter):
                for limit in entry.limits:
                    self.role(limit.span, limit.role, roles)
                    if limit.role in limited:
                        self.error(limit.span, _("{role} already has a time limit (line "
                                                 "{line}); a role has one").format(
                                       role=limit.role, line=limited[limit.role]),
                                   _("keep the one you mean and delete the other"),
                                   code="repeated-line")  # fmt: skip
                    limited.setdefault(limit.role, limit.span.line)
                    if limit.after.number <= 0:
                        self.error(limit.after.span, _("a time limit must be longer than 0"))
                    self.calendar.wait(limit.after)
                if not entry.while_unresolved:
                    self.warn(entry.span, _("escalation timers always stop when a complaint is "
                                            "resolved"), _("add: while unresolved"))  # fmt: skip

    def role(self, span: Span, role: str, roles: tuple[str, ...]) -> None:
        if role not in roles:
            hint = did_you_mean(role, roles) or _("roles in the chain: {roles}").format(
                roles=listed(roles)
            )
            self.error(span, _("{role} is not in the chain").format(role=role), hint,
                       code="escalation")  # fmt: skip

    # ---------------------------------------------------------------- thresholds

    def threshold(self, block: ast.Threshold) -> None:
        pers = [e for e in block.entries if isinstance(e, ast.Per)]
        values = [e for e in block.entries if isinstance(e, ast.ThresholdValue)]
        self.once("threshold", block.id, pers, "per")
        self.once("threshold", block.id, values, "value")
        if not pers:
            self.error(block.id_span,
                       _("threshold {id} does not say over what").format(id=block.id),
                       _("add: per team per week"), code="threshold")  # fmt: skip
        for per in pers:
            if per.subject not in THRESHOLD_SUBJECTS:
                hint = did_you_mean(per.subject, THRESHOLD_SUBJECTS) or _("write: per team")
                self.error(per.span, _("thresholds are per team, per agent, per evaluator or "
                                       "per giver (of feedback), not per {subject}").format(
                               subject=per.subject), hint)  # fmt: skip
            self.period(per.span, per.period)
        if not values:
            self.error(
                block.id_span,
                _("threshold {id} has no value").format(id=block.id),
                _("add: value count(survey where survey.satisfied) / count(survey)"),
            )
        for value in values:
            kind = infer(value.expr, Scope(self.fields, aggregates=True), self.report)
            if kind not in (Type.NUMBER, Type.DURATION, Type.UNKNOWN):
                self.error(value.span, _("a threshold value must be a number or a duration"))
            misread_fractions(value.expr, self.fractions, self.error, self.warn)
        fraction = measure_of(values[0].expr, self.fractions) if values else None
        for entry in block.entries:
            if isinstance(entry, ast.Alert):
                # an alert may read aggregates of its own: ... and count(survey) >= 20
                self.condition(entry.when, dict.fromkeys(ALERT_VALUES, Type.NUMBER), True,
                               fraction)  # fmt: skip

    # ---------------------------------------------------------------- discipline

    def discipline(self, block: ast.Discipline) -> None:
        seen: set[str] = set()
        for rule in block.rules:
            if rule.id in seen:
                self.error(
                    rule.id_span, _("there is already a rule called {id}").format(id=rule.id)
                )
            seen.add(rule.id)
            self.then(rule)
            if rule.on is not None:
                if rule.on not in EVENT_KINDS:
                    hint = did_you_mean(rule.on, EVENT_KINDS)
                    self.error(rule.span, _("{kind} is not a kind of event").format(kind=rule.on),
                               hint or _("use one of: {names}").format(
                                   names=listed(EVENT_KINDS, "event")))  # fmt: skip
                self.condition(rule.where)
                if rule.without is not None:
                    self.silence(rule)
                continue
            assert rule.measure is not None and rule.window is not None
            infer(rule.measure, Scope(self.fields, aggregates=True), self.report)
            misread_fractions(rule.measure, self.fractions, self.error, self.warn)
            if rule.op is not None and rule.limit is not None:
                misread_fraction(rule.measure, rule.op, rule.limit, self.fractions,
                                 self.error, self.warn)  # fmt: skip
            if rule.per is not None:
                self.per(rule.measure, rule.per)
            if rule.since is not None and rule.since not in self.actions:
                hint = did_you_mean(rule.since, self.actions) or _(
                    "since names a declared action: the count starts again when it is taken"
                )
                self.error(rule.since_span,
                           _("{name} is not a declared action").format(name=rule.since), hint,
                           code="unknown-action")  # fmt: skip
            if rule.window.calendar is not None:
                self.period(rule.window.span, rule.window.calendar, CALENDAR_UNITS)
            elif rule.window.rolling is not None and rule.window.rolling.number <= 0:
                self.error(rule.window.span, _("a window must be longer than 0"))

    def silence(self, rule: ast.Rule) -> None:
        """`on message without reply within 8h`: the kind named answers the event."""
        assert rule.on is not None and rule.within is not None and rule.without is not None
        answer = ANSWERED_BY.get(rule.on)
        if answer is None:
            waits = listed(
                f"{keyword('on', current())} {named(k, 'event')} "
                f"{keyword('without', current())} {named(v, 'event')}"
                for k, v in ANSWERED_BY.items()
            )
            self.error(rule.without_span,
                       _("nothing answers a {kind}: a rule cannot wait on it").format(
                           kind=named(rule.on, "event")),
                       _("a rule can wait {waits}").format(waits=waits))  # fmt: skip
        elif rule.without != answer:
            fix = _("write: without {answer} within {wait}").format(
                answer=named(answer, "event"), wait=wait_said(rule.within)
            )
            self.error(rule.without_span,
                       _("a {kind} is answered by {answer}, not {given}").format(
                           kind=named(rule.on, "event"), answer=named(answer, "event"),
                           given=named(rule.without, "event")), fix)  # fmt: skip
        if rule.within.number <= 0:
            self.error(rule.within.span, _("a wait must be longer than 0"),
                       _("write: within 8h"))  # fmt: skip
        self.calendar.wait(rule.within)

    def per(self, measure: ast.Aggregate, per: ast.FieldRef) -> None:
        """`count(deduction) per deduction.item`: a text fact of the measured events
        themselves (an evaluation's and a deduction's include its call's facts)."""
        found = infer(per, Scope(self.fields), self.report)
        if found is Type.UNKNOWN:
            return
        own = {measure.kind} | ({"call", "evaluation"} if measure.kind in _SCORED else set())
        example = _PER_EXAMPLES.get(measure.kind, f"{measure.kind}.id")
        if per.path[0] not in own:
            self.error(per.span, _("{kind} events have no {name} to count apart by").format(
                           kind=named(measure.kind, "event"), name=per.name),
                       _("count apart by a fact of the {kind} itself, such as per {example}"
                         ).format(kind=named(measure.kind, "event"), example=example))  # fmt: skip
        elif found is not Type.TEXT:
            self.error(per.span, _("{name} is {example}, not a text to count apart by").format(
                           name=per.name, example=found.example),
                       _("count apart by a text fact, such as per {example}").format(
                           example=example))  # fmt: skip

    def then(self, rule: ast.Rule) -> None:
        if rule.then not in self.actions:
            hint = did_you_mean(rule.then, self.actions) or _(
                'declare it: action {name} "说明" notify 班长'
            ).format(name=rule.then)
            self.error(rule.then_span,
                       _("{name} is not a declared action").format(name=rule.then), hint,
                       code="unknown-action")  # fmt: skip

    # --------------------------------------------------------------------- tests

    def test(self, block: ast.TestBlock) -> None:
        grades = {
            band.label
            for rubric in self.tree.rubrics
            if rubric.grades is not None
            for band in rubric.grades.bands
        }
        # a threshold's id names its decisions: `expect no most_improved for "A1"`
        thresholds = {threshold.id for threshold in self.tree.thresholds}
        known = {*self.actions, *self.roles, *DECISION_KINDS, *grades, *thresholds}
        if not any(isinstance(e, ast.Expect) for e in block.entries):
            self.warn(block.span, _('test "{name}" expects nothing').format(name=block.name),
                      _('add: expect no written_warning for "A001"'))  # fmt: skip
        for entry in block.entries:
            if isinstance(entry, ast.GivenEvent):
                if entry.kind not in TEST_EVENT_KINDS:
                    hint = did_you_mean(entry.kind, TEST_EVENT_KINDS)
                    self.error(entry.span,
                               _("{kind} is not a kind of event").format(kind=entry.kind),
                               hint or _("use one of: {names}").format(
                                   names=listed(TEST_EVENT_KINDS, "event")))  # fmt: skip
                self.attributes(entry)
            elif entry.what not in known:
                hint = did_you_mean(entry.what, known)
                self.error(entry.span, _("{name} is not an action, role, threshold or "
                                         "decision").format(name=entry.what),
                           hint or _("expect an action declared with `action`"))  # fmt: skip
            elif entry.which is not None and entry.what not in DECISION_KINDS:
                said = {"what": entry.what, "which": entry.which,
                        "subject": entry.subject or "A001"}  # fmt: skip
                self.error(entry.span, _('“expect {what} "{which}"”: only a kind of decision '
                                         "takes a text after it (the call sampled, the role "
                                         "escalated to)").format(**said),
                           _('write: expect {what} for "{subject}", or expect sample '
                             '"{which}" for "{subject}"').format(**said))  # fmt: skip

    def attributes(self, event: ast.GivenEvent) -> None:
        """Each of a test event's values is set once: `x "a"` and `x.y "b"` make x both
        a value and a group of values (the test run could not build the event)."""
        values: dict[str, ast.Literal] = {}  # key -> its value
        groups: dict[str, str] = {}  # a key with parts (x for x.y) -> the first such key
        for key, value in event.attributes:
            parts = key.split(".")
            first = values.get(key)
            prefix = next(
                (p for p in (".".join(parts[:n]) for n in range(1, len(parts))) if p in values),
                None,
            )
            if first is not None:
                self.warn(value.span, _("{key} is set twice in this event (first at {where}), "
                                        "and only this value is used").format(
                              key=key, where=_where(first.span)),
                          _("keep one of the two"), code="test-event")  # fmt: skip
            elif prefix is not None:
                self.error(value.span, _("{key} gives {prefix} a part, but {prefix} is set to "
                                         "{value} at {where}").format(
                               key=key, prefix=prefix, value=values[prefix].text,
                               where=_where(values[prefix].span)),
                           _("set either {prefix} or its parts ({key}), not both").format(
                               prefix=prefix, key=key), code="test-event")  # fmt: skip
            elif key in groups:
                self.error(value.span, _("{key} is set to {value}, but it has parts already "
                                         "({parts})").format(
                               key=key, value=value.text, parts=groups[key]),
                           _("set either {key} or its parts ({parts}), not both").format(
                               key=key, parts=groups[key]), code="test-event")  # fmt: skip
            else:
                values[key] = value
                for n in range(1, len(parts)):
                    groups.setdefault(".".join(parts[:n]), key)
