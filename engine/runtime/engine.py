"""The event-driven engine: events in, in time order; decisions out, with their reasons.

One core serves live use and simulation alike. `feed(event)` first fires whatever fell
due before the event (escalation timers, periods that ended), then applies the event.
`advance(now)` fires what is due by `now`. Deterministic: the same policy and events give
the same decisions. A rejected event (bad data, out of order) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from callqa.dsl.i18n import _, named, ngettext
from callqa.dsl.resolved import WindowRule as WindowRuleText
from callqa.dsl.suggest import did_you_mean
from callqa.engine.decisions import Decision, Later
from callqa.engine.errors import ClockGapError, EngineError
from callqa.engine.policy import Policy
from callqa.engine.rules.discipline import WindowRule, WindowRuleSpec
from callqa.engine.rules.escalation import EscalationChain
from callqa.engine.rules.rota import RotaState
from callqa.engine.rules.silence import SilenceTimers, Waiting
from callqa.engine.rules.thresholds import ThresholdState
from callqa.engine.runtime.events import (
    EVENT_KINDS,
    AgentJoined,
    AgentLeft,
    AgentStatus,
    Appeal,
    AppealAccepted,
    AppealDecision,
    Approval,
    Complaint,
    ComplaintEscalated,
    ComplaintResolved,
    DeskBack,
    Evaluation,
    EventError,
    Reply,
    event_model,
    parse_event,
    unreal_year,
    working_days,
)
from callqa.engine.runtime.facts import Reader
from callqa.engine.runtime.kind_path import KindPath, kind_path
from callqa.engine.runtime.plain_events import PlainReader, plain_reader
from callqa.engine.runtime.windows import Counted, real_time_after
from callqa.engine.runtime.working_time import deadline
from callqa.engine.sampling.rule import SamplingRule
from callqa.engine.scoring.fast_path import NA_ANSWER, NA_CONDITION
from callqa.engine.scoring.results import ScoreResult
from callqa.engine.scoring.rubric import RubricTable
from callqa.engine.values import real_number

_DECISION_ID = attrgetter("id")
_DECISION_AT = attrgetter("at")


def in_zone(naive: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """`naive.replace(tzinfo=zone)`, at a quarter of the cost: in Python 3.11 `replace`
    parses its keywords by name on every call."""
    return _COMBINE(naive.date(), naive.time(), zone)


_COMBINE = dt.datetime.combine


def _days(seconds: float) -> str:
    """`2 days`, `1 day`, `1.5 days`: a span of seconds in days, for messages."""
    days = seconds / 86400
    return (_("{days:g} day") if days == 1 else _("{days:g} days")).format(days=days)


def _span(seconds: float) -> str:
    """`2 days 12 hours`, `3 days 1 minute`, `45 seconds`: a span exactly, in its parts
    that are not zero, for a reason that compares it with a limit (rounded down to whole
    days, 2.5 days read as within a 2-day limit)."""
    parts = []
    rest = seconds
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        amount = int(rest // size)
        rest -= amount * size
        if amount:
            if unit == "day":
                part = ngettext("{count} day", "{count} days", amount)
            elif unit == "hour":
                part = ngettext("{count} hour", "{count} hours", amount)
            else:
                part = ngettext("{count} minute", "{count} minutes", amount)
            parts.append(part.format(count=amount))
    rest = round(rest, 6)
    if rest or not parts:
        second = _("{count:g} second") if rest == 1 else _("{count:g} seconds")
        parts.append(second.format(count=rest))
    return " ".join(parts)


# The checks of well-typed events depend only on the kind's model: compiled once a process.
_plain_reader = functools.cache(plain_reader)


# Reasons, made when a decision's reason is read (`Later`): a replay's are mostly never read.


def _labelled(label: str, reason: str | Later) -> str:
    return _("{label}: {reason}").format(label=label, reason=reason)


def _window_reason(spec: WindowRuleSpec, per: tuple[str, str] | None, window: str,
                   value: float, rule: WindowRuleText) -> str:  # fmt: skip
    """`per`: the fact counted apart and its value (`for deduction.item accuracy`)."""
    if rule.calendar is not None:  # the window is `calendar month 2026-11`
        if per is None:
            message = _("{measure} in calendar {unit} {period} is {value:g}, which is {op} {limit}")
        else:
            message = _("{measure} for {per} {each} in calendar {unit} {period} is {value:g}, "
                        "which is {op} {limit}")  # fmt: skip
    elif per is None:  # `the last 30 days`
        message = _("{measure} in the last {span} is {value:g}, which is {op} {limit}")
    else:
        message = _("{measure} for {per} {each} in the last {span} is {value:g}, which is "
                    "{op} {limit}")  # fmt: skip
    return message.format(measure=spec.measure_words(), value=value, op=rule.op,
                          limit=rule.limit_text, **_window_words(per, window, rule))  # fmt: skip


def _insufficient_reason(spec: WindowRuleSpec, per: tuple[str, str] | None, window: str,
                         value: float, count: int, rule: WindowRuleText) -> str:  # fmt: skip
    if rule.calendar is not None:
        if per is None:
            message = _(
                "{measure} in calendar {unit} {period} is {value:g} ({op} {limit}), but "
                "only {count} of the {minimum} {word} needed are in the window"
            )
        else:
            message = _(
                "{measure} for {per} {each} in calendar {unit} {period} is {value:g} "
                "({op} {limit}), but only {count} of the {minimum} {word} needed are in "
                "the window"
            )
    elif per is None:
        message = _(
            "{measure} in the last {span} is {value:g} ({op} {limit}), but only "
            "{count} of the {minimum} {word} needed are in the window"
        )
    else:
        message = _(
            "{measure} for {per} {each} in the last {span} is {value:g} ({op} "
            "{limit}), but only {count} of the {minimum} {word} needed are in the window"
        )
    return message.format(measure=spec.measure_words(), value=value, op=rule.op,
                          limit=rule.limit_text, count=count, minimum=rule.minimum,
                          word=rule.minimum_word, **_window_words(per, window, rule))  # fmt: skip


def _window_words(per: tuple[str, str] | None, window: str,
                  rule: WindowRuleText) -> dict[str, Any]:  # fmt: skip
    """The placeholders naming a rule's window (`calendar {unit} {period}`, `the last
    {span}`) and what it counts apart (`for {per} {each}`)."""
    unit = rule.calendar
    return {
        "unit": named(unit, "period") if unit is not None else None,
        "period": window.rpartition(" ")[2],  # the label is `calendar month 2026-11`
        "span": rule.rolling_text,
        "per": None if per is None else per[0],
        "each": None if per is None else per[1],
    }


def _review_reason(appeal: str, item: str, evaluation: str, by: str, panel: tuple[str, ...],
                   evaluator: str | None, decides: str | None) -> str:  # fmt: skip
    """`appeal ap1 (item accuracy of evaluation ev1) accepted by 班长 L01: ...`; `by`
    empty: by someone not named."""
    if panel and decides:
        message = _(
            "appeal {appeal} (item {item} of evaluation {evaluation}) accepted by {by}: "
            "for review by the panel {panel}; {decider} decides"
        )
    elif panel:
        message = _(
            "appeal {appeal} (item {item} of evaluation {evaluation}) accepted by {by}: "
            "for review by the panel {panel}"
        )
    elif decides:
        message = _(
            "appeal {appeal} (item {item} of evaluation {evaluation}) accepted by {by}; "
            "{decider} decides"
        )
    else:
        message = _("appeal {appeal} (item {item} of evaluation {evaluation}) accepted by {by}")
    seats = ", ".join(f"{role} ({evaluator})" if role == "evaluator" and evaluator else role
                      for role in panel)  # fmt: skip
    return message.format(appeal=appeal, item=item, evaluation=evaluation,
                          by=by or _("someone"), panel=seats, decider=decides)  # fmt: skip


def _silence_reason(kind: str, event_id: str, detail: str, at: dt.datetime, answer: str,
                    within: str | None, mark: dt.datetime) -> str:  # fmt: skip
    """`message m1 (…) at 2026-11-02 09:00: no reply within 8h (by 17:00)`."""
    if detail:
        message = _("{kind} {event} ({detail}) at {at}: no {answer} within {within} (by {mark})")
    else:
        message = _("{kind} {event} at {at}: no {answer} within {within} (by {mark})")
    return message.format(kind=named(kind, "event"), event=event_id, detail=detail,
                          at=f"{at:%Y-%m-%d %H:%M}", answer=named(answer, "event"),
                          within=within, mark=f"{mark:%Y-%m-%d %H:%M}")  # fmt: skip


def _event_reason(kind: str, event_id: str, channel: Any, detail: Any,
                  late: tuple[dt.datetime, float, dt.datetime, str] | None) -> str:  # fmt: skip
    """`late`: (when it came in, seconds to the answer, when it became late, the limit)."""
    if late is None:
        if channel and detail:
            message = _("{kind} {event} via {channel}: {detail}")
        elif channel:
            message = _("{kind} {event} via {channel}")
        elif detail:
            message = _("{kind} {event}: {detail}")
        else:
            return f"{named(kind, 'event')} {event_id}"
        return message.format(kind=named(kind, "event"), event=event_id, channel=channel,
                              detail=detail)  # fmt: skip
    if channel and detail:
        message = _(
            "{kind} {event} via {channel}: {detail} came in {at} and was answered "
            "{answered}, {span} later: late from {late} (limit {limit})"
        )
    elif channel:
        message = _(
            "{kind} {event} via {channel} came in {at} and was answered {answered}, "
            "{span} later: late from {late} (limit {limit})"
        )
    elif detail:
        message = _(
            "{kind} {event}: {detail} came in {at} and was answered {answered}, "
            "{span} later: late from {late} (limit {limit})"
        )
    else:
        message = _(
            "{kind} {event} came in {at} and was answered {answered}, {span} later: "
            "late from {late} (limit {limit})"
        )
    at, delay, when, limit = late
    answered = real_time_after(at, delay)
    return message.format(kind=named(kind, "event"), event=event_id, channel=channel,
                          detail=detail, at=f"{at:%Y-%m-%d %H:%M}",
                          answered=f"{answered:%Y-%m-%d %H:%M}", span=_span(delay),
                          late=f"{when:%Y-%m-%d %H:%M}", limit=limit)  # fmt: skip


def _deduction_text(item: str, label: str, points: float, red_line: bool) -> str:
    """What a deducted item says of itself in a reason: `accuracy (准确), 2 points`;
    `red_line`: a red line that deducts no points."""
    if red_line:
        return _("{item} ({label}), a red line").format(item=item, label=label)
    return _("{item} ({label}), {points:g} points").format(item=item, label=label, points=points)


def _sent_up_reason(by: str | None, previous: str, why: str | None, role: str,
                    due: dt.datetime | None) -> str:  # fmt: skip
    if by and why:
        message = _(
            "sent up by {by} from {previous}, which could not solve it ({why}): escalated to {role}"
        )
    elif by:
        message = _(
            "sent up by {by} from {previous}, which could not solve it: escalated to {role}"
        )
    elif why:
        message = _(
            "sent up from {previous}, which could not solve it ({why}): escalated to {role}"
        )
    else:
        message = _("sent up from {previous}, which could not solve it: escalated to {role}")
    reason = message.format(by=by, previous=previous, why=why, role=role)
    if due is None:
        return reason
    return _("{reason}; must be resolved by {due}").format(
        reason=reason, due=f"{due:%Y-%m-%d %H:%M}"
    )


def _score_reason(result: ScoreResult) -> str:
    """Reads the result's deductions, which it works out only when asked."""
    lost = _("; ").join(str(d) for d in result.deductions)
    red = _("; ").join(_("red line {label}").format(label=c.label) for c in result.critical)
    if lost and red:
        message = _("scored {score:g} ({grade}): {deductions}; {red_lines}")
    elif lost:
        message = _("scored {score:g} ({grade}): {deductions}")
    elif red:
        message = _("scored {score:g} ({grade}): no deductions; {red_lines}")
    else:
        message = _("scored {score:g} ({grade}): no deductions")
    return message.format(score=result.score, grade=result.grade, deductions=lost,
                          red_lines=red)  # fmt: skip


def _decision_instant(decision: Decision) -> float:
    return decision.at.timestamp()


Facts = dict[str, Any]


class _Route(NamedTuple):
    """What an event of one kind goes through, worked out once per kind."""

    check: Callable[[Any], ScoreResult | None] | None  # may reject it, before any change
    read: Reader  # its facts
    handler: Callable[[Any, dt.datetime, Facts], list[Decision]] | None
    samplings: tuple[SamplingRule, ...]  # the sampling rules that see it
    disciplined: bool  # some discipline or recognition rule counts events of this kind


@dataclass
class _Scored:
    """A scored evaluation as it stands: its answers and counts with every upheld appeal
    amended, and its items' appeals (item -> the appeal's id, and whether it was upheld;
    None while it is open): an item is decided once."""

    evaluation: Evaluation
    at: dt.datetime
    score: float
    grade: str | None
    answers: Mapping[str, Any]
    counts: tuple[int, ...]
    appealed: dict[str, tuple[str, bool | None]] | None = None


# events about a complaint, counted for its agent and team
_ABOUT_A_COMPLAINT = frozenset({"complaint_resolved", "complaint_escalated"})

REMEMBER_IDS = dt.timedelta(days=7)
MAX_GAP = dt.timedelta(days=366)
# Replays of stored history (simulations, sweeps, sampling plans, explain, policy tests)
# step up to ten years at once: a history may have a quiet year in it, where a live
# service's clock would not. Beyond that, a date is most likely typed wrong.
REPLAY_MAX_GAP = dt.timedelta(days=3653)
KEEP_EVALUATIONS = dt.timedelta(days=30)
KEEP_OPEN_COMPLAINTS = 366 * 86400.0  # seconds: a resolution later than that is not counted


class Engine:
    """Feed events in time order; collect decisions. Not thread-safe: one engine per stream.

    Building an engine compiles nothing: its policy compiled the rules once (`Policy.rules`,
    its rubrics and fact readers), for every engine of it. The engine keeps the state
    beside them (open complaints, periods, windows, the clock) and sends each event its
    way (through a path written for a kind when its first event comes: kind_path).

    `remember_ids`: how long (in event time) an event's id is kept to ignore the event if
    it is fed again. An event re-sent later than that is older than the clock, and refused
    as such, so nothing is counted twice unless the resent copy carries a new, later time.
    Keeping every id would grow without end in a long-running service.

    `max_gap`: the longest step forward in time the engine takes at once, from its clock to
    an event or to `advance`. A longer step is refused (EventError, or ClockGapError from
    `advance`): a date typed wrong (9026 for 2026) would otherwise make the engine close
    and publish every day in between, millions of periods.

    `keep_evaluations`: how long after its rubric's appeal window closes a scored
    evaluation is kept (to reject a late appeal with its reason); then it is forgotten,
    unless an appeal of it is open. Evaluations of rubrics without an appeal window are
    kept: they can be appealed at any time.

    `fast_paths`: False takes every event the general way, validated by its pydantic model
    (no checker of well-typed dicts, plain_events, nor a kind's written-out path,
    kind_path). Slower: the reference those are tested against, deciding and refusing
    alike.
    """

    def __init__(
        self,
        policy: Policy,
        remember_ids: dt.timedelta = REMEMBER_IDS,
        max_gap: dt.timedelta = MAX_GAP,
        keep_evaluations: dt.timedelta = KEEP_EVALUATIONS,
        fast_paths: bool = True,
    ) -> None:
        self.policy = policy
        self.zone = policy.timezone
        # the latest event's or advance's time, in the policy's timezone
        self.clock: dt.datetime | None = None
        self._clock_fold = 0  # the clock's fold, kept here: reading a datetime's is slow
        # The earliest instant (POSIX seconds) a timer or period end may fire, and the same
        # as a local time: until then `feed` skips `advance`. None: not known yet.
        self._next_due: float | None = None
        self._due_at: dt.datetime | None = None
        self._due_fold = 0
        self._never = dt.datetime.max.replace(tzinfo=self.zone)
        # ids of the events applied, in two generations: `seen` since `_ids_rotate`
        # minus `remember_ids`, `_seen_before` in the span before. At `_ids_rotate` the
        # older are dropped, so every id is kept for at least `remember_ids`. Dicts of
        # strings, not sets: CPython's cyclic garbage collector skips dicts that hold
        # only strings, but scans every set.
        self.seen: dict[str, None] = {}
        self._seen_before: dict[str, None] = {}
        if remember_ids <= dt.timedelta(0):
            raise ValueError("remember_ids must be positive")
        self._remember_ids = remember_ids.total_seconds()
        self._ids_rotate = math.inf  # set by the first event
        if max_gap <= dt.timedelta(0):
            raise ValueError("max_gap must be positive")
        self._max_gap = max_gap.total_seconds()
        self.status: dict[str, str] = {}
        self.actions = policy.actions
        self.pending: dict[str, Decision] = {}
        self.evaluations: dict[str, _Scored] = {}
        # (instant, evaluation id): from when each evaluation may be forgotten, earliest first
        self._evaluations_to_forget: list[tuple[float, str]] = []
        self._keep_evaluations = keep_evaluations.total_seconds()
        self.appeals: dict[str, tuple[Appeal, str]] = {}
        self.accepted: dict[str, tuple[str, str]] = {}  # open appeal -> (by, role) accepting
        self.upheld_appeals: dict[str, int] = {}
        # complaint id -> (agent, team, POSIX time) of the complaints not yet resolved, so
        # that a `complaint_resolved` counts for its complaint's agent and team, and says
        # how long it took; kept a year
        self.open_complaints: dict[str, tuple[str | None, str | None, float]] = {}
        self.facts = policy.fact_reader
        self._numbers = policy.numbers  # the fields read as numbers, and their converters
        # what an event of each kind must pass first, and what it does besides the rules
        self._checks: dict[str, Callable[[Any], ScoreResult | None]] = {
            "evaluation": self._check_evaluation,
            "approval": self._check_approval,
            "appeal": self._check_appeal,
            "appeal_accepted": self._check_appeal_accepted,
            "appeal_decision": self._check_appeal_decision,
            "complaint_escalated": self._check_complaint_escalated,
        }
        self._handlers: dict[str, Callable[[Any, dt.datetime, Facts], list[Decision]]] = {
            "complaint": self._complaint,
            "complaint_resolved": self._complaint_resolved,
            "complaint_escalated": self._complaint_escalated,
            "agent_status": self._agent_status,
            "approval": self._approve,
            "appeal": self._appeal,
            "appeal_accepted": self._appeal_accepted,
            "appeal_decision": self._appeal_decision,
            "reply": self._reply,
            "agent_joined": self._joined,
            "agent_left": self._left,
            "desk_back": self._desk_back,
        }
        # the rules' state, beside what the policy compiled once (Policy.rules)
        rules = policy.rules
        self.window_rules = [WindowRule(spec) for spec in rules.window_rules]
        self._reads_deductions = rules.reads_deductions
        # the window rules by the action they take, and by the action they count `since`
        self._taking: dict[str, list[WindowRule]] = {}
        self._since: dict[str, list[WindowRule]] = {}
        for window_rule in self.window_rules:
            self._taking.setdefault(window_rule.rule.then, []).append(window_rule)
            if window_rule.rule.since is not None:
                self._since.setdefault(window_rule.rule.since, []).append(window_rule)
        self.event_rules = rules.event_rules
        self.rule_kinds = rules.kinds
        self.chains = [EscalationChain(spec, wake=self._wake) for spec in rules.escalations]
        self.silence = SilenceTimers(wake=self._wake)  # rules waiting for an answer
        self._calendar = rules.calendar  # the working time of `within 8 working hours`
        self.rotas = [RotaState(rota, self.zone) for rota in rules.rotas]
        self.roster: dict[str, str | None] = {}  # agent -> team, while on the roster
        self.workdays: dict[str, frozenset[int]] = {}  # agent -> weekdays (0: Monday)
        self.thresholds = [ThresholdState(spec, wake=self._wake) for spec in rules.thresholds]
        self.samplings = [SamplingRule(spec, wake=self._wake) for spec in rules.samplings]
        self._routes = {
            kind: _Route(
                self._checks.get(kind),
                policy.fact_readers[kind],
                self._handlers.get(kind),
                tuple(self.samplings) if kind == "call" else (),
                kind in self.rule_kinds,
            )
            for kind in EVENT_KINDS
        }
        # A kind without checks or handlers needs only the event's values: when they are
        # already well typed, they are taken without building a pydantic model.
        self._plain: dict[Any, PlainReader] = {}
        for kind in EVENT_KINDS:
            if fast_paths and kind not in self._checks and kind not in self._handlers:
                plain = _plain_reader(event_model(kind))
                if plain is not None:
                    self._plain[kind] = plain
        # the same kinds' whole path (engine.runtime.kind_path), written when the first comes
        self._paths: dict[Any, KindPath | None] = {}

    # ------------------------------------------------------------------- feeding

    def feed(self, raw: Mapping[str, Any] | Any) -> list[Decision]:
        """Apply one event. Raises EventError (and changes nothing) for a bad event."""
        values: dict[str, Any] | None = None
        event: Any = None  # the model; only kinds with checks or handlers need it
        if raw.__class__ is dict:  # well typed, of a kind in self._plain: no pydantic model
            given = raw.get("kind")
            if given.__class__ is str:
                path = self._paths.get(given)
                if path is None and given not in self._paths:
                    path = self._paths[given] = self._kind_path(given)
                if path is not None:
                    decisions = path(raw)
                    if decisions is not None:
                        return decisions
                plain = self._plain.get(given)
                if plain is not None:
                    values = plain(raw)
        if values is None:
            event = parse_event(raw)
            values = event.__dict__  # the model's fields, without pydantic's attribute lookup
        kind: str = values["kind"]
        # a named tuple's fields are slow attributes: unpack the route once
        check, read, handler, samplings, disciplined = self._routes[kind]
        event_id = values["id"]
        # one conversion to the policy's timezone: calendar windows and decisions use it
        moment = values["at"]
        at = (
            moment.astimezone(self.zone)
            if moment.tzinfo is not None
            else in_zone(moment, self.zone)
        )
        if event_id in self.seen or event_id in self._seen_before:
            return []
        # everything that can reject the event, before any change
        if event is not None:  # the plain paths take no own fields or facts
            self._check_numbers(event)
        scored = check(event) if check is not None else None
        decisions = self._move_clock(at, kind, event_id)
        self.seen[event_id] = None
        facts = read(values, at, self.status)
        if scored is not None:
            assert isinstance(event, Evaluation)
            decisions += self._score(event, scored, at, facts)
        if handler is not None:
            decisions += handler(event, at, facts)
        agent: Any = values.get("agent")  # a call's agent is required, so never None there
        team = values.get("team")
        if agent is None and kind in _ABOUT_A_COMPLAINT:  # its complaint's agent and team
            agent, team = facts.get("agent.id"), facts.get("agent.team")
        for sampling in samplings:
            sampling.observe(agent, event_id, at, facts)
        if self.thresholds:
            subjects = {"agent": agent, "team": team, "evaluator": values.get("evaluator"),
                        "giver": values.get("by") if kind == "feedback" else None}  # fmt: skip
            for threshold in self.thresholds:
                threshold.observe(kind, event_id, subjects, at, facts)
        if disciplined and agent is not None:
            decisions += self._discipline(values, agent, at, facts)
        if scored is not None and self._reads_deductions:
            decisions += self._deductions(values, scored, at, facts)
        return decisions

    def _deductions(self, values: dict[str, Any], result: ScoreResult, at: dt.datetime,
                    facts: dict[str, Any]) -> list[Decision]:  # fmt: skip
        """Each item the evaluation deducted points for, or crossed as a red line, as a
        `deduction` of its own: counted by thresholds and discipline rules, and acted on,
        with the evaluation's facts and the item's (`deduction.item`, `.points`...)."""
        table = result.rubric
        agent, evaluation = values["agent"], values["id"]
        subjects = {"agent": agent, "team": values.get("team"),
                    "evaluator": values.get("evaluator")}  # fmt: skip
        out: list[Decision] = []
        for item, count in zip(table.items, result.counts, strict=True):
            if count <= 0 or item.kind == "bonus":
                continue
            points = item.points * count if item.per_occurrence else item.points
            if item.cap is not None:
                points = min(points, item.cap)
            read = {
                **facts, "deduction.item": item.id, "deduction.label": item.label,
                "deduction.section": table.sections[item.section].id,
                "deduction.points": points, "deduction.critical": item.critical,
                "deduction.rubric": table.id, "deduction.evaluation": evaluation,
                "deduction.at": at,
            }  # fmt: skip
            for threshold in self.thresholds:
                threshold.observe("deduction", evaluation, subjects, at, read)
            # what it says of itself in a reason, made when the reason is read
            text = Later((_deduction_text, item.id, item.label, points,
                          bool(item.critical and not points)))  # fmt: skip
            deducted = {"kind": "deduction", "id": evaluation, "item": item.id, "text": text}
            out += self._discipline(deducted, agent, at, read)
        return out

    def _kind_path(self, kind: str) -> KindPath | None:
        """The written-out path of plain `kind` events (engine.runtime.kind_path), if it has one."""
        return kind_path(self, kind) if kind in self._plain else None

    def _move_clock(self, at: dt.datetime, kind: str, event_id: str) -> list[Decision]:
        """Refuse an event earlier than the clock; otherwise fire what fell due before
        it and set the clock to its time `at` (local to the policy)."""
        # Two local times compare by wall clock, which is real-time order except when one
        # is in the hour repeated as daylight saving ends (its `fold` is 1): then compare
        # instants. (A timestamp for every event would cost more than all the rules.)
        fold = at.fold
        clock = self.clock
        if clock is not None and (
            at.timestamp() < clock.timestamp() if fold or self._clock_fold else at < clock
        ):
            raise EventError(
                _(
                    "{kind} event {event!r} at {at} is earlier than the engine's clock "
                    "({clock}); feed events in time order (if it was fed before, over {days} "
                    "ago, it was counted the first time)"
                ).format(
                    kind=named(kind, "event"), event=event_id, at=f"{at:%Y-%m-%d %H:%M}",
                    clock=f"{clock:%Y-%m-%d %H:%M}", days=_days(self._remember_ids),
                )
            )  # fmt: skip
        due = self._due_at
        if due is None or (
            at.timestamp() >= due.timestamp() if fold or self._due_fold else at >= due
        ):
            # the due time is never over `max_gap` after the last advance: a longer step
            # always comes here
            gap = self._gap_too_long(at)
            if gap is not None:
                raise EventError(
                    _(
                        "{kind} event {event!r} at {at} is {days:,.0f} days after the engine's "
                        "clock ({clock}), more than the {limit} it steps at once: it would close "
                        "every period in between. If the date is a typing mistake, correct it; "
                        "if the gap is real, give the engine a longer max_gap "
                        "(Engine(policy, max_gap=timedelta(days=...)))"
                    ).format(
                        kind=named(kind, "event"), event=event_id, at=f"{at:%Y-%m-%d %H:%M}", **gap
                    )
                )
            return self.advance(at)
        self.clock = at
        self._clock_fold = fold
        return []

    def _check_numbers(self, event: Any) -> None:
        """Refuse a center's own field, or an evaluation's fact, that is not a real number
        (NaN, an infinity, a negative duration) where the policy reads a number: NaN would
        make its conditions false and its averages NaN, silencing rules and alerts. The
        check is engine.values', as for scoring."""
        own: dict[str, Any] = event.fields
        given: dict[str, Any] = event.facts if event.kind == "evaluation" else {}
        if not own and not given:
            return
        kind = event.kind
        facts = [(name if "." in name else f"{kind}.{name}", value) for name, value in own.items()]
        for entity, inner in given.items():  # as engine.runtime.facts merges them
            if isinstance(inner, dict):
                facts += [(f"{entity}.{name}", value) for name, value in inner.items()]
            else:
                facts.append((entity, inner))
        for fact, value in facts:
            convert = self._numbers.get(fact)
            try:
                if convert is not None:
                    convert(value, fact)
                elif value.__class__ is float:  # NaN is no value, whatever the field
                    real_number(value, fact)
            except EngineError as error:
                raise EventError(
                    _("{kind} event {event!r} rejected: {problem}").format(
                        kind=named(kind, "event"), event=event.id, problem=error
                    )
                ) from None

    def _check_evaluation(self, event: Evaluation) -> ScoreResult:
        try:
            return self.policy.score(event.rubric, self._evaluation_input(event, event.answers))
        except EngineError as error:
            raise EventError(
                _("evaluation {event!r}: {problem}").format(event=event.id, problem=error)
            ) from None

    def _instant(self, moment: dt.datetime) -> float:
        """An event's time as a POSIX instant, a naive one read on the policy's clock."""
        return (moment if moment.tzinfo else in_zone(moment, self.zone)).timestamp()

    def _check_approval(self, event: Approval) -> None:
        if event.decision not in self.pending:
            raise EventError(
                _("approval {event!r}: no pending decision {decision!r}").format(
                    event=event.id, decision=event.decision
                )
            )

    def _check_appeal(self, event: Appeal) -> None:
        # forgotten by the appeal's own time, whatever events came between: a replay of
        # some agents' events (engine.simulation.partition) judges it as one of all
        self._forget_evaluations(self._instant(event.at))
        if event.evaluation not in self.evaluations:
            raise EventError(
                _(
                    "appeal {event!r}: no evaluation {evaluation!r} (feed the evaluation "
                    "first; one is kept {days} past its appeal window, then forgotten)"
                ).format(
                    event=event.id, evaluation=event.evaluation, days=_days(self._keep_evaluations)
                )
            )

    def _check_appeal_accepted(self, event: AppealAccepted) -> None:
        what = _("appeal accepted {event!r}").format(event=event.id)
        if event.appeal not in self.appeals:
            raise EventError(
                _("{what}: no open appeal {appeal!r}").format(what=what, appeal=event.appeal)
            )
        earlier = self.accepted.get(event.appeal)
        if earlier is not None:
            raise EventError(
                _("{what}: appeal {appeal!r} was already accepted by {by}; an appeal is "
                  "accepted once").format(what=what, appeal=event.appeal,
                                          by=earlier[0] or _("someone"))
            )  # fmt: skip
        self._check_appeal_step(what, "accepted", event.by, event.role, event.appeal)

    def _check_appeal_decision(self, event: AppealDecision) -> None:
        what = _("appeal decision {event!r}").format(event=event.id)
        if event.appeal not in self.appeals:
            raise EventError(
                _("{what}: no open appeal {appeal!r}").format(what=what, appeal=event.appeal)
            )
        self._check_appeal_step(what, "decided", event.decided_by, event.role, event.appeal)

    def _check_appeal_step(
        self, what: str, step: str, person: str | None, role: str | None, appeal_id: str
    ) -> None:
        """Who accepts or decides an appeal: not who filed it or was scored, and in the
        role the rubric's appeals line names (`accepted by 班长`, `decided by 主管`);
        a decision waits for the acceptance the rubric asks for."""
        appeal, evaluation = self.appeals[appeal_id]
        scored = self.evaluations[evaluation].evaluation
        agent, filer = scored.agent, appeal.filed_by or scored.agent
        settings = self.policy.rubric(scored.rubric).table.settings
        wanted = settings.appeal_accepted_by if step == "accepted" else settings.appeal_decided_by
        accepts = step == "accepted"
        if person is not None and person in (filer, agent):
            filed = person == filer
            if accepts and filed:
                message = _(
                    "{what}: accepted by {person}, who filed appeal {appeal!r}; someone "
                    "else ({other}) accepts it, and the appeal stays open until then"
                )
            elif accepts:
                message = _(
                    "{what}: accepted by {person}, who was scored on appeal {appeal!r}; "
                    "someone else ({other}) accepts it, and the appeal stays open until "
                    "then"
                )
            elif filed:
                message = _(
                    "{what}: decided by {person}, who filed appeal {appeal!r}; someone "
                    "else ({other}) decides it, and the appeal stays open until then"
                )
            else:
                message = _(
                    "{what}: decided by {person}, who was scored on appeal {appeal!r}; "
                    "someone else ({other}) decides it, and the appeal stays open until "
                    "then"
                )
            other = wanted or (_("the team lead") if accepts else
                               _("the supervisor of the panel"))  # fmt: skip
            raise EventError(message.format(what=what, person=person, appeal=appeal_id,
                                            other=other))  # fmt: skip
        if wanted is not None and role != wanted:
            if accepts and role:
                message = _(
                    "{what}: rubric {rubric}'s appeals are accepted by {wanted}, and "
                    '{who} did it as {role}; give role "{wanted}" when {wanted} does '
                    "it, and the appeal stays open until then"
                )
            elif accepts:
                message = _(
                    "{what}: rubric {rubric}'s appeals are accepted by {wanted}, and "
                    '{who} did it without saying in which role; give role "{wanted}" '
                    "when {wanted} does it, and the appeal stays open until then"
                )
            elif role:
                message = _(
                    "{what}: rubric {rubric}'s appeals are decided by {wanted}, and "
                    '{who} did it as {role}; give role "{wanted}" when {wanted} does '
                    "it, and the appeal stays open until then"
                )
            else:
                message = _(
                    "{what}: rubric {rubric}'s appeals are decided by {wanted}, and "
                    '{who} did it without saying in which role; give role "{wanted}" '
                    "when {wanted} does it, and the appeal stays open until then"
                )
            raise EventError(message.format(what=what, rubric=scored.rubric, wanted=wanted,
                                            who=person or _("someone"), role=role))  # fmt: skip
        accepting = settings.appeal_accepted_by
        if step == "decided" and accepting is not None and appeal_id not in self.accepted:
            raise EventError(
                _("{what}: appeal {appeal!r} has not been accepted yet; rubric {rubric}'s "
                  "appeals are accepted by {accepting} first (an appeal_accepted event), and "
                  "the appeal stays open until then").format(
                    what=what, appeal=appeal_id, rubric=scored.rubric, accepting=accepting
                )
            )  # fmt: skip

    def feed_all(self, events: Iterable[Mapping[str, Any] | Any]) -> list[Decision]:
        """`feed` each event in turn; stops at the first bad event (EventError), keeping
        what the events before it did."""
        return list(self.run(events))

    def run(self, events: Iterable[Mapping[str, Any] | Any]) -> Iterator[Decision]:
        """Feed a stream of events, yielding decisions as they come: a replay's loop, or a
        service's. A bad event raises EventError as `feed` does, after the events before
        it have been applied. (Validating events in batches was measured and did not pay:
        the batch's models outlive the collector's youngest generation.)"""
        feed = self.feed
        for event in events:
            yield from feed(event)

    def advance(self, now: dt.datetime) -> list[Decision]:
        """Fire what falls due up to `now` (escalation timers, periods that ended)."""
        problem = unreal_year(now.year)  # before astimezone: it may overflow
        if problem is not None:
            moment = now.replace(tzinfo=None).isoformat(" ", "minutes")
            raise ClockGapError(
                _("cannot advance to {moment}: {problem}: correct the date").format(
                    moment=moment, problem=problem
                )
            )
        if now.tzinfo is None:
            now = now.replace(tzinfo=self.zone)
        now = now.astimezone(self.zone)
        instant = now.timestamp()
        if self.clock is not None and instant < self.clock.timestamp():
            return []
        gap = self._gap_too_long(now)
        if gap is not None:
            raise ClockGapError(
                _(
                    "cannot advance to {at}: it is {days:,.0f} days after the engine's clock "
                    "({clock}), more than the {limit} it steps at once: it would close every "
                    "period in between. If the date is a typing mistake, correct it; if the "
                    "gap is real, give the engine a longer max_gap "
                    "(Engine(policy, max_gap=timedelta(days=...)))"
                ).format(at=f"{now:%Y-%m-%d %H:%M}", **gap)
            )
        self.clock = now
        self._clock_fold = now.fold
        if instant >= self._ids_rotate:
            self._forget_ids(instant)
            for rule in self.window_rules:  # as often: agents who left take no memory
                rule.forget_ended(instant)
            self._forget_open_complaints(instant)
        elif self._ids_rotate == math.inf:
            self._ids_rotate = instant + self._remember_ids
        out: list[Decision] = []
        for chain in self.chains:
            for complaint, role, reason, when in chain.due(now):
                facts = {"level": role, "agent": complaint.agent}
                out.append(chain.decision(complaint.id, role, reason, when, facts))
        for waiting in self.silence.due(instant):
            out += self._silent(waiting)
        for threshold in self.thresholds:
            out += self._close_threshold(threshold, now)
        for rota in self.rotas:
            out += rota.due(now, self.roster, self.workdays)
        # True while `out` holds at most one sampling rule's samples, which come in order
        in_order = not out
        for sampling in self.samplings:
            if sampling.ends and sampling.ends[0][0] <= instant:
                samples = sampling.due(now, self.status)  # in time, then id order
                in_order = in_order and not out
                out += samples
            if sampling.publish is not None:
                published = sampling.published(now)
                in_order = in_order and not published
                out += published
        # by time, then id: two stable sorts beat one on (time, id) pairs
        if len(out) > 1 and not in_order:
            out.sort(key=_DECISION_ID)
            # local times sort by wall clock, unless some fall in a repeated hour
            out.sort(key=_decision_instant if any(d.at.fold for d in out) else _DECISION_AT)
        self._set_next_due(self._earliest_due(now))
        return out

    def _gap_too_long(self, at: dt.datetime) -> dict[str, Any] | None:
        """Why a step of the clock to `at` is refused, if it is longer than `max_gap`: the
        message's `days` after the `clock`, more than its `limit`."""
        clock = self.clock
        if clock is None:
            return None
        seconds = at.timestamp() - clock.timestamp()
        if seconds <= self._max_gap:
            return None
        return {"days": seconds / 86400, "clock": f"{clock:%Y-%m-%d %H:%M}",
                "limit": _days(self._max_gap)}  # fmt: skip

    def _forget_ids(self, instant: float) -> None:
        """Drop the ids older than the span kept (see `remember_ids`)."""
        span = self._remember_ids
        if instant >= self._ids_rotate + span:  # two spans or more without events
            self._seen_before = {}
        else:
            self._seen_before = self.seen
        self.seen = {}
        while self._ids_rotate <= instant:
            self._ids_rotate += span

    def _forget_open_complaints(self, instant: float) -> None:
        """Complaints open over a year: a resolution that late is not counted."""
        year_ago = instant - KEEP_OPEN_COMPLAINTS
        for complaint_id, (_agent, _team, filed) in list(self.open_complaints.items()):
            if filed < year_ago:
                del self.open_complaints[complaint_id]

    def _set_next_due(self, instant: float) -> None:
        self._next_due = instant
        try:
            self._due_at = dt.datetime.fromtimestamp(instant, self.zone)
        except (OverflowError, ValueError, OSError):  # infinite, or past the year 9999
            self._due_at = self._never
        self._due_fold = self._due_at.fold

    def _earliest_due(self, now: dt.datetime) -> float:
        dues = [chain.next_due() for chain in self.chains]
        dues += [threshold.next_due() for threshold in self.thresholds]
        dues.append(self.silence.next_due())
        dues += [rota.next_due() for rota in self.rotas]
        dues += [sampling.next_due(now) for sampling in self.samplings]
        dues.append(self._ids_rotate)
        dues.append(now.timestamp() + self._max_gap)  # see `_gap_too_long`
        return min([due for due in dues if due is not None], default=math.inf)

    def _wake(self, when: float) -> None:
        """A rule scheduled something for `when`: `feed` must not skip `advance` then."""
        if self._next_due is not None and when < self._next_due:
            self._set_next_due(when)

    # ------------------------------------------------------------------ applying

    def _complaint(self, event: Complaint, at: dt.datetime, facts: Facts) -> list[Decision]:
        if not event.resolved:
            self.open_complaints[event.id] = (event.agent, event.team, at.timestamp())
        out: list[Decision] = []
        for chain in self.chains:
            role, reason, location = chain.start(event.id, event.agent, at, facts, event.resolved)
            read = {"complaint.severity": event.severity, "level": role, "agent": event.agent}
            out.append(chain.decision(event.id, role, reason, at, read, location=location))
        return out

    def _complaint_resolved(
        self, event: ComplaintResolved, at: dt.datetime, facts: Facts
    ) -> list[Decision]:
        self.silence.answer(event.complaint)
        for chain in self.chains:  # every chain's clock stops
            chain.resolve(event.complaint)
        filed = self._attribute_to_complaint(event.complaint, facts, at.timestamp())
        if filed is not None:
            facts["complaint_resolved.within"] = at.timestamp() - filed
        self.open_complaints.pop(event.complaint, None)
        return []

    def _attribute_to_complaint(
        self, complaint_id: str, facts: Facts, instant: float
    ) -> float | None:
        """An event about an open complaint counts for its agent and team (facts
        `agent.id`, `agent.team`); when the complaint was filed (POSIX), if it is open."""
        complaint = self._open_complaint(complaint_id, instant)
        if complaint is None:
            return None
        agent, team, filed = complaint
        facts["agent.id"], facts["agent.team"] = agent, team
        return filed

    def _open_complaint(
        self, complaint_id: str, instant: float
    ) -> tuple[str | None, str | None, float] | None:
        """The complaint's (agent, team, filed) while it is open and filed less than a year
        before `instant`: by the event's own time, whenever the engine last dropped the
        old ones, so a replay of some agents' events judges as one of all."""
        complaint = self.open_complaints.get(complaint_id)
        if complaint is None or complaint[2] < instant - KEEP_OPEN_COMPLAINTS:
            return None
        return complaint

    def _check_complaint_escalated(self, event: ComplaintEscalated) -> None:
        if self._open_complaint(event.complaint, self._instant(event.at)) is None:
            raise EventError(
                _(
                    "complaint_escalated {event!r}: no open complaint {complaint!r} "
                    "(feed the complaint first; a resolved one cannot be sent up)"
                ).format(event=event.id, complaint=event.complaint)
            )
        chains = [chain for chain in self.chains if event.complaint in chain.open]
        moment = event.at  # as the chains will stand then, after what falls due before it
        at = moment.astimezone(self.zone) if moment.tzinfo else in_zone(moment, self.zone)
        if chains and all(chain.at_top(event.complaint, at) for chain in chains):
            tops = ", ".join(sorted({chain.roles[-1] for chain in chains}))
            raise EventError(
                _(
                    "complaint_escalated {event!r}: complaint {complaint!r} is already "
                    "at {roles}, the last level of the chain"
                ).format(event=event.id, complaint=event.complaint, roles=tops)
            )

    def _complaint_escalated(
        self, event: ComplaintEscalated, at: dt.datetime, facts: Facts
    ) -> list[Decision]:
        self._attribute_to_complaint(event.complaint, facts, at.timestamp())
        out: list[Decision] = []
        for chain in self.chains:
            moved = chain.send_up(event.complaint, at)
            if moved is None:
                continue
            previous, role = moved
            complaint = chain.open[event.complaint]  # its due time changes: pass it as it is
            reason = Later((_sent_up_reason, event.by, previous, event.reason, role, complaint.due))
            read = {"level": role, "agent": complaint.agent}
            out.append(chain.decision(event.complaint, role, reason, at, read,
                                      (event.complaint, event.id)))  # fmt: skip
        return out

    def _agent_status(self, event: AgentStatus, at: dt.datetime, facts: Facts) -> list[Decision]:
        self.status[event.agent] = event.status
        return []

    def _discipline(self, values: dict[str, Any], agent: str, at: dt.datetime,
                    facts: dict[str, Any]) -> list[Decision]:  # fmt: skip
        """The discipline and recognition rules on an event (its model's values)."""
        out: list[Decision] = []
        kind, event_id = values["kind"], values["id"]
        # a deduction is one item of its evaluation: counted as such, so that an upheld
        # appeal can take that item back (`_appeal_decision`)
        counted: Counted = event_id if kind != "deduction" else (event_id, values["item"])
        spent: set[str] = set()  # the actions this event already brought: it counts no more
        for rule in self.window_rules:
            if rule.kind != kind or (spent and rule.rule.then in spent):
                continue
            per, each = rule.per, None
            if per is None:
                verdict = rule.observe(agent, counted, at, facts)
            else:  # counted apart for each value: its own windows, keyed by agent and value
                each = facts.get(per)
                if each is None:
                    continue
                verdict = rule.observe((agent, str(each)), counted, at, facts)
            if verdict is None:
                continue
            outcome, value, count, evidence, window = verdict
            counted_evidence = evidence
            written = rule.rule
            location = written.location
            measure = rule.spec
            read: dict[str, Any] = {"value": value, "count": count}
            key = window  # what names the decision beside the rule and agent
            apart = None  # the fact counted apart and its value, for the reason
            if per is not None and each is not None:
                apart, key, read[per] = (per, str(each)), f"{each}/{window}", each
            if kind == "deduction":  # the evaluations, each named once
                evidence = tuple(dict.fromkeys(e[0] if isinstance(e, tuple) else e
                                               for e in evidence))  # fmt: skip
            if outcome == "insufficient":
                out.append(Decision(
                    f"{written.name}/{agent}/{key}/insufficient",
                    "insufficient_evidence", agent, written.then,
                    Later((_insufficient_reason, measure, apart, window, value, count, written)),
                    written.name, location, at, read, evidence,
                ))  # fmt: skip
                continue
            reason = Later((_window_reason, measure, apart, window, value, written))
            out += self._act(written.then, agent, reason, written.name, location, at, read,
                             evidence, key)  # fmt: skip
            self._spend(written.then, agent, counted_evidence, rule)
            spent.add(written.then)
        for event_rule in self.event_rules:
            rule_on = event_rule.rule
            if rule_on.on != kind:
                continue
            if event_rule.where is not None and not event_rule.where(facts):
                continue
            detail = values.get("text") or values.get("type") or ""
            if rule_on.without is not None:  # it waits for an answer: acts at the mark
                assert rule_on.within is not None
                due = deadline(self._calendar, at, rule_on.within).timestamp()
                self.silence.start(Waiting(due, at, event_rule, event_id, agent, detail))
                continue
            when, came = at, None
            late, delay = rule_on.late_after, values.get("answer_delay")
            if late is not None and delay is not None:
                # dated when it became late: the engine hears of it only once answered,
                # but it arrived on time to be answered until then
                when = real_time_after(at, late)
                came = (at, delay, when, rule_on.late_text)
            reason = Later((_event_reason, kind, event_id, values.get("channel"), detail, came))
            # a deduction is one item of its evaluation: each item acts on its own
            key = event_id if kind != "deduction" else f"{event_id}/{values['item']}"
            out += self._act(rule_on.then, agent, reason, rule_on.name, rule_on.location,
                             when, {}, (event_id,), key)  # fmt: skip
            self._spend(rule_on.then, agent, (counted,), None)
        return out

    def _silent(self, waiting: Waiting) -> list[Decision]:
        """The action of a rule whose event had no answer by its mark, dated at the mark."""
        rule = waiting.spec.rule
        assert rule.without is not None and rule.within is not None
        mark = deadline(self._calendar, waiting.at, rule.within)
        reason = Later((_silence_reason, rule.on, waiting.opener, waiting.detail, waiting.at,
                        rule.without, rule.within.text, mark))  # fmt: skip
        waited = mark.timestamp() - waiting.at.timestamp()  # real seconds, across nights
        out = self._act(rule.then, waiting.agent, reason, rule.name, rule.location, mark,
                        {"waited": waited}, (waiting.opener,), waiting.opener)  # fmt: skip
        self._spend(rule.then, waiting.agent, (waiting.opener,), None)
        return out

    def _joined(self, event: AgentJoined, at: dt.datetime, facts: Facts) -> list[Decision]:
        """On the roster (or moved to another team): the thresholds per agent and per team
        open its periods from now on, events or not."""
        if event.agent in self.roster:
            if self.roster[event.agent] == event.team:
                return []
            self._left_roster(event.agent)
        self.roster[event.agent] = event.team
        if event.days is not None:  # a move to another team keeps the days given before
            self.workdays[event.agent] = working_days(event.days)
        days = self.workdays.get(event.agent)
        if days is not None:
            for sampling in self.samplings:
                sampling.enrol(event.agent, days, at)
        for threshold, subject in self._roster_subjects(event.agent, event.team):
            threshold.enrol(subject, at)
        self._roster_changed(at)
        return []

    def _roster_changed(self, at: dt.datetime) -> None:
        """The rotas go on while anyone is on the roster."""
        for rota in self.rotas:
            due = rota.roster_changed(at, bool(self.roster))
            if due is not None:
                self._wake(due)

    def _left(self, event: AgentLeft, at: dt.datetime, facts: Facts) -> list[Decision]:
        if event.agent in self.roster:
            self._left_roster(event.agent)
            del self.roster[event.agent]
            self.workdays.pop(event.agent, None)
            self._roster_changed(at)
        return []

    def _left_roster(self, agent: str) -> None:
        for sampling in self.samplings:
            sampling.unenrol(agent)
        for threshold, subject in self._roster_subjects(agent, self.roster[agent]):
            threshold.unenrol(subject)

    def _roster_subjects(
        self, agent: str, team: str | None
    ) -> Iterator[tuple[ThresholdState, str]]:
        """Each threshold per agent or per team, with the agent's or its team's name."""
        for threshold in self.thresholds:
            subject = {"agent": agent, "team": team}.get(threshold.subject)
            if subject is not None:
                yield threshold, subject

    def _reply(self, event: Reply, at: dt.datetime, facts: Facts) -> list[Decision]:
        self.silence.answer(event.message)
        return []

    def _desk_back(self, event: DeskBack, at: dt.datetime, facts: Facts) -> list[Decision]:
        self.silence.back(event.agent, "desk_away")
        return []

    def _spend(self, action: str, agent: str, evidence: tuple[Counted, ...],
               by: WindowRule | None) -> None:  # fmt: skip
        """What brought an action brings it no more: the other rules that take the same
        action stop counting it (a month's 3 complaints and a 365-day rule's 5 over the
        same complaints are one action, not two). The rule that acted keeps its window,
        and acts once per window as before."""
        spent = set(evidence)
        for rule in self._taking.get(action, ()):
            if rule is not by:
                rule.withdraw(agent, spent)

    def _restart(self, action: str, agent: str) -> None:
        """The rules counting `since` this action start again for the agent: only what
        comes after it counts (an agent back from retraining is judged from then on)."""
        for rule in self._since.get(action, ()):
            rule.restart(agent)

    def _act(self, action_id: str, agent: str, reason: str | Later, rule: str, location: str,
             at: dt.datetime, facts: dict[str, Any], evidence: tuple[str, ...],
             window: str) -> list[Decision]:  # fmt: skip
        action = self.actions[action_id]
        label = action.label or action.id
        pending = action.approval_by is not None
        decision = Decision(
            f"{rule}/{agent}/{window}", "action", agent, action.id,
            Later((_labelled, label, reason)),
            rule, location, at, facts, evidence, action.notify, "pending" if pending else "final",
        )  # fmt: skip
        if pending:
            self.pending[decision.id] = decision
            return [decision]
        if action.sets_status is not None:
            self.status[agent] = action.sets_status
        if action.id in self._since:
            self._restart(action.id, agent)
        return [decision]

    def _approve(self, event: Approval, at: dt.datetime, facts: Facts) -> list[Decision]:
        decision = self.pending.pop(event.decision)
        action = self.actions[decision.action or ""]
        if event.approved and action.sets_status is not None:
            self.status[decision.subject] = action.sets_status
        if event.approved and action.id in self._since:
            self._restart(action.id, decision.subject)
        verdict = "approved" if event.approved else "rejected"
        said = _("{action} approved by {by}") if event.approved else _("{action} rejected by {by}")
        return [Decision(
            f"{decision.id}/{verdict}", verdict, decision.subject, decision.action,
            said.format(action=action.label or action.id, by=event.by or action.approval_by),
            decision.rule, decision.rule_location, at, {}, (*decision.evidence, event.id),
            action.notify,
        )]  # fmt: skip

    # ---------------------------------------------------------------- evaluations

    def _evaluation_input(self, event: Evaluation, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": event.id, **event.facts, "answers": dict(answers)}

    def _score(
        self, event: Evaluation, result: ScoreResult, at: dt.datetime, facts: dict[str, Any]
    ) -> list[Decision]:
        self.evaluations[event.id] = _Scored(
            event, at, result.score, result.grade, event.answers, result.counts
        )
        window = result.rubric.settings.appeal_window_seconds
        if window is not None:
            self._forget_later(event.id, at.timestamp() + window)
        self._forget_evaluations(at.timestamp())
        facts["evaluation.score"] = result.score
        facts["evaluation.grade"] = result.grade
        table = result.rubric
        return [Decision(
            f"score/{event.id}", "score", event.agent, result.grade, Later((_score_reason, result)),
            table.id, table.location, at, {"score": result.score, "grade": result.grade},
            (event.id, *( [event.call] if event.call else [])),
        )]  # fmt: skip

    def _forget_later(self, evaluation: str, closed: float) -> None:
        """Forget `evaluation` `keep_evaluations` after `closed` (the instant its appeal
        window closed, or an appeal of it was decided, whichever is later)."""
        heapq.heappush(self._evaluations_to_forget, (closed + self._keep_evaluations, evaluation))

    def _forget_evaluations(self, instant: float) -> None:
        """Drop the evaluations kept long enough (see `keep_evaluations`), except those
        with an open appeal: its decision schedules them again (`_forget_later`)."""
        heap = self._evaluations_to_forget
        if not heap or heap[0][0] > instant:
            return
        appealed = {evaluation for _, evaluation in self.appeals.values()}
        while heap and heap[0][0] <= instant:
            _due, evaluation = heapq.heappop(heap)
            if evaluation not in appealed:
                self.evaluations.pop(evaluation, None)

    def _appeal(self, event: Appeal, at: dt.datetime, facts: Facts) -> list[Decision]:
        scored = self.evaluations[event.evaluation]
        table = self.policy.rubric(scored.evaluation.rubric).table
        window = table.settings.appeal_window_seconds
        elapsed = at.timestamp() - scored.at.timestamp()  # real time, across DST changes
        if window is not None and elapsed > window:
            return self._refuse_appeal(
                event, scored, _("filed {span} after the evaluation; appeals must be filed "
                                 "within {days}").format(span=_span(elapsed), days=_days(window)),
                at, {"window_days": window / 86400},
            )  # fmt: skip
        problem = self._appeal_problem(event, scored, table)
        if problem is not None:
            return self._refuse_appeal(event, scored, problem, at, {"item": event.item})
        self.appeals[event.id] = (event, scored.evaluation.id)
        if scored.appealed is None:
            scored.appealed = {}
        scored.appealed[event.item] = (event.id, None)
        return []

    def _appeal_problem(self, event: Appeal, scored: _Scored, table: RubricTable) -> str | None:
        """Why an appeal of `event.item` cannot be accepted, if it cannot: an appeal is of
        an item deducted on the evaluation as it stands, and an item is decided once."""
        evaluation = scored.evaluation.id
        item = table.item(event.item)
        if item is None:
            hint = did_you_mean(event.item, [i.id for i in table.items])
            if hint:
                message = _(
                    "rubric {rubric} has no item {item!r} ({hint}); an appeal names a "
                    "deducted item of evaluation {evaluation}"
                )
            else:
                message = _(
                    "rubric {rubric} has no item {item!r}; an appeal names a deducted "
                    "item of evaluation {evaluation}"
                )
            return message.format(rubric=table.id, item=event.item, hint=hint,
                                  evaluation=evaluation)  # fmt: skip
        named_item = _("item {item} ({label})").format(item=item.id, label=item.label)
        earlier = (scored.appealed or {}).get(item.id)
        if earlier is not None:
            appeal, upheld = earlier
            if upheld is None:
                message = _(
                    "{item} of evaluation {evaluation} is already under appeal "
                    "{appeal}: wait for its decision"
                )
            elif upheld:
                message = _(
                    "{item} of evaluation {evaluation} was already decided on appeal "
                    "{appeal} (upheld); an item is decided once"
                )
            else:
                message = _(
                    "{item} of evaluation {evaluation} was already decided on appeal "
                    "{appeal} (not upheld); an item is decided once"
                )
            return message.format(item=named_item, evaluation=evaluation, appeal=appeal)
        if item.kind == "bonus":
            return _("{item} is a bonus, not a deduction: appeals are of deducted items").format(
                item=named_item
            )
        count = scored.counts[item.index]
        if count <= 0:
            if count == NA_ANSWER:
                message = _(
                    "nothing was deducted for {item} on evaluation {evaluation} (it was "
                    "answered na); appeals are of deducted items"
                )
            elif count == NA_CONDITION:
                message = _(
                    "nothing was deducted for {item} on evaluation {evaluation} (it did "
                    "not apply); appeals are of deducted items"
                )
            else:
                message = _(
                    "nothing was deducted for {item} on evaluation {evaluation} (it "
                    "passed); appeals are of deducted items"
                )
            return message.format(item=named_item, evaluation=evaluation)
        return None

    def _refuse_appeal(
        self, event: Appeal, scored: _Scored, reason: str, at: dt.datetime, facts: Facts
    ) -> list[Decision]:
        """The `appeal_rejected` decision: the appeal is refused when it is filed."""
        table = self.policy.rubric(scored.evaluation.rubric).table
        return [Decision(
            f"appeal/{event.id}", "appeal_rejected", scored.evaluation.agent, None, reason,
            table.id, table.location, at, facts, (event.id, scored.evaluation.id),
        )]  # fmt: skip

    def _appeal_accepted(
        self, event: AppealAccepted, at: dt.datetime, facts: Facts
    ) -> list[Decision]:
        """The appeal goes to review: the panel the rubric names is told (三方审核)."""
        appeal, evaluation_id = self.appeals[event.appeal]
        self.accepted[event.appeal] = (event.by or "", event.role or "")
        original = self.evaluations[evaluation_id].evaluation
        table = self.policy.rubric(original.rubric).table
        settings = table.settings
        panel = settings.appeal_panel
        by = " ".join(p for p in (event.role, event.by) if p)  # empty: someone
        return [Decision(
            f"appeal/{appeal.id}/accepted", "appeal_review", original.agent, None,
            Later((_review_reason, appeal.id, appeal.item, evaluation_id, by, panel,
                   original.evaluator, settings.appeal_decided_by)),
            table.id, table.location, at,
            {"item": appeal.item, "accepted_by": event.by, "panel": ", ".join(panel)},
            (appeal.id, event.id), panel,
        )]  # fmt: skip

    def _appeal_decision(
        self, event: AppealDecision, at: dt.datetime, facts: Facts
    ) -> list[Decision]:
        appeal, evaluation_id = self.appeals.pop(event.appeal)
        self.accepted.pop(event.appeal, None)
        scored = self.evaluations[evaluation_id]
        original = scored.evaluation
        assert scored.appealed is not None
        scored.appealed[appeal.item] = (appeal.id, event.upheld)
        self._count_decided_appeal(appeal, original, event.upheld, at)
        table = self.policy.rubric(original.rubric).table
        window = table.settings.appeal_window_seconds
        if window is not None:  # kept while the appeal was open: forget it in due time
            self._forget_later(evaluation_id, max(scored.at.timestamp() + window, at.timestamp()))
        if not event.upheld:
            return []
        for rule in self.window_rules:  # the amended item no longer counts as a deduction
            if rule.kind == "deduction":
                rule.withdraw(original.agent, {(evaluation_id, appeal.item)})
        # the evaluation as it stands (earlier upheld items amended), this item amended too
        answers = {**scored.answers, appeal.item: "pass"}
        result = self.policy.score(original.rubric, self._evaluation_input(original, answers))
        evaluator = original.evaluator or "unknown evaluator"
        self.upheld_appeals[evaluator] = self.upheld_appeals.get(evaluator, 0) + 1
        before, grade_before = scored.score, scored.grade
        decider = " ".join(p for p in (event.role, event.decided_by) if p)
        if decider:
            message = _(
                "appeal on {item} upheld by {decider}: score {before:g} ({grade_before}) "
                "→ {after:g} ({grade_after}); counts as an upheld appeal for {evaluator}"
            )
        else:
            message = _(
                "appeal on {item} upheld: score {before:g} ({grade_before}) → {after:g} "
                "({grade_after}); counts as an upheld appeal for {evaluator}"
            )
        reason = message.format(
            item=appeal.item, decider=decider, before=before, grade_before=grade_before,
            after=result.score, grade_after=result.grade,
            evaluator=original.evaluator or _("unknown evaluator"),
        )  # fmt: skip
        scored.score, scored.grade = result.score, result.grade
        scored.answers, scored.counts = answers, result.counts
        return [Decision(
            f"rescore/{evaluation_id}/{event.id}", "rescore", original.agent, result.grade,
            reason,
            original.rubric, table.location, at,
            {"before": before, "after": result.score, "grade_before": grade_before,
             "grade_after": result.grade, "evaluator": evaluator,
             "upheld_appeals_for_evaluator": self.upheld_appeals[evaluator]},
            (evaluation_id, appeal.id, event.id),
        )]  # fmt: skip

    def _count_decided_appeal(
        self, appeal: Appeal, evaluation: Evaluation, upheld: bool, at: dt.datetime
    ) -> None:
        """A decided appeal counts in thresholds as an `appeal` event of the agent, the team
        and the evaluator who scored the evaluation, with `appeal.upheld` known."""
        facts = {
            "appeal.id": appeal.id, "appeal.item": appeal.item, "appeal.upheld": upheld,
            "appeal.at": at, "agent.id": evaluation.agent, "agent.team": evaluation.team,
            "evaluation.id": evaluation.id, "evaluation.evaluator": evaluation.evaluator,
        }  # fmt: skip
        subjects = {"agent": evaluation.agent, "team": evaluation.team,
                    "evaluator": evaluation.evaluator}  # fmt: skip
        for threshold in self.thresholds:
            threshold.observe("appeal", appeal.id, subjects, at, facts)

    # ----------------------------------------------------------------- thresholds

    def _close_threshold(self, threshold: ThresholdState, now: dt.datetime) -> list[Decision]:
        return [d for closed in threshold.close(now) for d in threshold.spec.judge(closed)]
