"""The events a center feeds the engine: validated pydantic models, one per kind.

Every event has a unique `id` (the same id fed twice is counted once) and a time `at`.
Times are timezone-aware; a naive time is read in the policy's timezone (the engine
attaches it, because only the policy knows its timezone).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from callqa.dsl.i18n import _, named
from callqa.dsl.vocabulary import WEEKDAYS, weekdays
from callqa.engine.errors import EngineError
from callqa.engine.errors import EventError as EventError  # its old home

NonEmpty = Annotated[str, Field(min_length=1)]


# The years an event may be in: a year such as 9999 or 0001 is a typing mistake, and
# periods and timers computed from it would run off the calendar (engine.runtime.plain_events
# checks the same).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def unreal_year(year: int) -> str | None:
    """Why `year` cannot be a time callqa works with, or None when it can."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return _("the year {year} is not a real time (years {first} to {last})").format(
        year=year, first=FIRST_YEAR, last=LAST_YEAR
    )


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


class _Event(BaseModel):
    # allow_inf_nan: a duration of 'inf' would be the longest call of all;
    # engine.runtime.plain_events checks the same
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    id: NonEmpty
    at: dt.datetime
    fields: dict[str, Any] = Field(default_factory=dict)  # a center's own facts

    @field_validator("at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        """A number is not read as seconds since 1970, as pydantic would: a column of Excel
        dates (days since 1899) would all fall on 1 January 1970."""
        number = value.__class__ in (int, float) or (
            value.__class__ is str and _NUMBER.fullmatch(value) is not None
        )
        if number:
            raise ValueError(
                _(
                    "{value!r} is a number, not a date and time: write it as 2026-11-02 09:00 "
                    "(Excel dates: format the column as a date before saving)"
                ).format(value=value)
            )
        return value

    @field_validator("at")
    @classmethod
    def _real_year(cls, at: dt.datetime) -> dt.datetime:
        if not FIRST_YEAR <= at.year <= LAST_YEAR:
            raise ValueError(
                _(
                    "the year {year} is not a real time for an event (years {first} "
                    "to {last}): correct the date"
                ).format(year=at.year, first=FIRST_YEAR, last=LAST_YEAR)
            )
        return at


def _seconds(value: object, field: str) -> object:
    """Durations may come as seconds or as text such as `3m45s`, `3:45` or `00:03:45`
    (engine.values.parse_duration, the one reading of durations; its ValueError is the
    reason shown). `field`: whose a:b may be hours (answer_delay) is refused."""
    if isinstance(value, str):
        from callqa.engine.values import clock_form, parse_duration

        return parse_duration(value, clock_form(field))
    return value


class Call(_Event):
    kind: Literal["call"] = "call"
    agent: NonEmpty
    team: str | None = None
    duration: float = Field(ge=0)  # seconds of talk time
    type: str | None = None
    channel: str | None = None
    direction: str | None = None
    answer_delay: float | None = Field(default=None, ge=0)
    hold_time: float | None = Field(default=None, ge=0)
    resolved: bool | None = None
    topic: str | None = None
    # false: offered to the agent and not answered (missed, abandoned): never sampled
    answered: bool = True

    @field_validator("duration", "answer_delay", "hold_time", mode="before")
    @classmethod
    def _durations(cls, value: object, info: ValidationInfo) -> object:
        return _seconds(value, info.field_name or "") if value.__class__ is str else value


class Evaluation(_Event):
    kind: Literal["evaluation"] = "evaluation"
    agent: NonEmpty
    team: str | None = None
    rubric: NonEmpty
    call: str | None = None  # the call's event id
    evaluator: str | None = None
    answers: dict[str, Any]
    facts: dict[str, Any] = Field(default_factory=dict)  # e.g. {"call": {"type": ...}}


class Complaint(_Event):
    kind: Literal["complaint"] = "complaint"
    agent: str | None = None
    team: str | None = None
    severity: str = "normal"
    channel: str | None = None
    substantiated: bool = True
    resolved: bool = False


class ComplaintResolved(_Event):
    kind: Literal["complaint_resolved"] = "complaint_resolved"
    complaint: NonEmpty


class ComplaintEscalated(_Event):
    """A level could not solve a complaint and sends it up (domain §4): it climbs one
    level now, without waiting for the level's time limit."""

    kind: Literal["complaint_escalated"] = "complaint_escalated"
    complaint: NonEmpty
    by: str | None = None  # who sent it up
    reason: str = ""


class Violation(_Event):
    kind: Literal["violation"] = "violation"
    agent: NonEmpty
    team: str | None = None
    type: NonEmpty  # lateness, left_desk, eating, gaming ...


class Commendation(_Event):
    kind: Literal["commendation"] = "commendation"
    agent: NonEmpty
    team: str | None = None
    channel: str | None = None  # 口头, 短信, letter ...
    text: str = ""


class Exam(_Event):
    kind: Literal["exam"] = "exam"
    agent: NonEmpty
    passed: bool
    retake: bool = False


class Survey(_Event):
    kind: Literal["survey"] = "survey"
    agent: str | None = None
    team: str | None = None
    satisfied: bool | None = None
    rating: float | None = None


class Appeal(_Event):
    """An appeal of one deducted item of an evaluation (domain §2). It is decided once,
    by someone other than who filed it."""

    kind: Literal["appeal"] = "appeal"
    evaluation: NonEmpty  # the evaluation's event id
    item: NonEmpty
    reason: str = ""
    filed_by: str | None = None  # None: the evaluation's agent, who appeals their score


class AppealAccepted(_Event):
    """The appeal is taken up for review (组长受理): by whom, in which role. A rubric whose
    appeals are `accepted by 班长` has them decided only once so accepted."""

    kind: Literal["appeal_accepted"] = "appeal_accepted"
    appeal: NonEmpty
    by: str | None = None
    role: str | None = None


class AppealDecision(_Event):
    kind: Literal["appeal_decision"] = "appeal_decision"
    appeal: NonEmpty
    upheld: bool
    decided_by: str | None = None
    role: str | None = None  # the role `decided_by` decided in (`decided by 主管`)


class ShiftSwap(_Event):
    """An agent swapped a shift (换班): centers cap them, e.g. 3 a month."""

    kind: Literal["shift_swap"] = "shift_swap"
    agent: NonEmpty
    team: str | None = None
    partner: str | None = None  # the colleague who took the shift
    shift: dt.date | None = None  # the day of the shift swapped: asked a day ahead


class LeaveRequest(_Event):
    """An agent asked for leave (请假) at `at`, for leave starting on `starts`: centers
    want it a day ahead (`leave_request.starts > leave_request.at.date`), except sick
    leave (`type "sick"`), phoned in at least an hour before the shift (`shift_starts`)."""

    kind: Literal["leave_request"] = "leave_request"
    agent: NonEmpty
    team: str | None = None
    starts: dt.date
    type: NonEmpty = "personal"  # sick (病假), personal (事假), annual (年假), or the center's
    shift_starts: dt.datetime | None = None  # when the first shift it covers begins


class Feedback(_Event):
    """Feedback a team lead or QA evaluator gave an agent (表扬 or 辅导): the coaching loop's
    own record, so that its balance can be measured (positive:negative about 3:1)."""

    kind: Literal["feedback"] = "feedback"
    agent: NonEmpty
    team: str | None = None
    by: NonEmpty  # who gave it
    positive: bool  # praise (true) or a correction (false)
    text: str = ""


class Message(_Event):
    """A customer's message left for an agent (在线留言), waiting for a reply."""

    kind: Literal["message"] = "message"
    agent: NonEmpty
    team: str | None = None
    channel: str | None = None  # online, 短信, email...
    text: str = ""


class Reply(_Event):
    """The reply to a message: it ends the message's wait."""

    kind: Literal["reply"] = "reply"
    message: NonEmpty
    agent: str | None = None  # who replied, when known


class DeskAway(_Event):
    """An agent left the desk (离席): centers allow a few minutes, with approval."""

    kind: Literal["desk_away"] = "desk_away"
    agent: NonEmpty
    team: str | None = None
    approved: bool = False  # approved by the team lead beforehand
    reason: str = ""


class DeskBack(_Event):
    """The agent is back at the desk: it ends the time away."""

    kind: Literal["desk_back"] = "desk_back"
    agent: NonEmpty
    team: str | None = None


def working_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,sat`, `sat-sun`: the weekdays (0 = Monday) a text names."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _dash, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(
                _("{text!r} is not a set of weekdays: write them such as mon-fri or mon,wed,sat")
                .format(text=text)
            )  # fmt: skip
        days.update(weekdays(first, last or None))
    return frozenset(days)


class AgentJoined(_Event):
    """An agent is on the roster from now on, in a team (or moves to another team): its
    periods, and its team's, are reported even with no events (`no_data`)."""

    kind: Literal["agent_joined"] = "agent_joined"
    agent: NonEmpty
    team: str | None = None
    # the weekdays the agent works (`mon-fri`, `mon,wed,sat`): a sampling day with no
    # call of the agent's is then a shortfall; None: the roster does not say
    days: str | None = None

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: str | None) -> str | None:
        if days is not None:
            working_days(days)  # raises with what to write
        return days


class AgentLeft(_Event):
    """An agent leaves the roster: no period of it opens any more."""

    kind: Literal["agent_left"] = "agent_left"
    agent: NonEmpty
    team: str | None = None


class AgentStatus(_Event):
    kind: Literal["agent_status"] = "agent_status"
    agent: NonEmpty
    team: str | None = None
    status: NonEmpty


class Approval(_Event):
    kind: Literal["approval"] = "approval"
    decision: NonEmpty  # the pending decision's id
    approved: bool = True
    by: str | None = None


Event = Annotated[
    Call | Evaluation | Complaint | ComplaintResolved | ComplaintEscalated | Violation
    | Commendation | Exam | Survey | Appeal | AppealAccepted | AppealDecision | ShiftSwap
    | LeaveRequest
    | AgentStatus | Approval | Message | Reply | DeskAway | DeskBack | Feedback | AgentJoined
    | AgentLeft,
    Field(discriminator="kind"),
]  # fmt: skip
EVENT_KINDS = (
    "call", "evaluation", "complaint", "complaint_resolved", "complaint_escalated",
    "violation", "commendation", "exam", "survey", "appeal", "appeal_accepted",
    "appeal_decision", "shift_swap",
    "leave_request", "agent_status", "approval", "message", "reply", "desk_away", "desk_back",
    "feedback", "agent_joined", "agent_left",
)  # fmt: skip

# Validating with the kind's own model skips the union's dispatch (the hot path of a replay).
_MODELS: dict[str, type[_Event]] = {
    model.model_fields["kind"].default: model
    for model in (Call, Evaluation, Complaint, ComplaintResolved, ComplaintEscalated, Violation,
                  Commendation, Exam, Survey, Appeal, AppealAccepted, AppealDecision,
                  ShiftSwap, LeaveRequest,
                  AgentStatus, Approval, Message, Reply, DeskAway, DeskBack, Feedback,
                  AgentJoined, AgentLeft)
}  # fmt: skip


def event_model(kind: str) -> type[_Event]:
    """The model of events of `kind`."""
    return _MODELS[kind]


@functools.cache
def empty_defaults(kind: str) -> dict[str, Any]:
    """The fields of `kind` whose default is empty (None, or no `fields`), with it: a stored
    event leaves them out when they hold just that (engine.store.database's `stored_form`),
    and reading it fills them in again."""
    model = _MODELS.get(kind)
    if model is None:
        return {}
    defaults = {name: info.get_default(call_default_factory=True)
                for name, info in model.model_fields.items() if not info.is_required()}  # fmt: skip
    return {name: value for name, value in defaults.items() if value is None or value == {}}


def parse_moment(text: str) -> dt.datetime:
    """A date, or a date and time, as typed on a command line or in a form (2026-11-01,
    2026-11-01 09:00); a ValueError in plain words for anything else, a year such as
    9999 included."""
    from callqa.engine.values import parse_datetime  # the forms data files may use, too

    try:
        moment = parse_datetime(text)
    except ValueError:
        raise ValueError(
            _("{text!r} is not a date such as 2026-11-01 or 2026-11-01 09:00").format(text=text)
        ) from None
    problem = unreal_year(moment.year)
    if problem is not None:
        raise ValueError(_("{text!r}: {problem}").format(text=text, problem=problem))
    return moment


def parse_event(data: Mapping[str, Any] | BaseModel) -> Event:
    """Validate one event; an EventError lists every problem ("agent: missing")."""
    if data.__class__ is not dict:  # the common case, a plain dict, skips these checks
        if isinstance(data, BaseModel) and not isinstance(data, _Event):
            data = data.model_dump()
        if isinstance(data, _Event):
            return data  # type: ignore[return-value]
    kind = data.get("kind") if data.__class__ is dict or isinstance(data, Mapping) else None
    model = _MODELS.get(kind) if kind.__class__ is str else None
    if model is None:
        from callqa.dsl.suggest import did_you_mean

        hint = did_you_mean(str(kind), EVENT_KINDS) if kind else None
        if hint:
            message = _("unknown event kind {kind!r} ({hint})")
        else:
            message = _("unknown event kind {kind!r}; use one of: {kinds}")
        raise EventError(message.format(kind=kind, hint=hint, kinds=", ".join(EVENT_KINDS)))
    try:
        # the validator itself: model_validate adds a Python call around it
        return model.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as error:
        lenient = _lenient_time(data)
        if lenient is not None:
            return parse_event(lenient)
        raise EventError(_plain(error, str(kind), data.get("id"))) from None


def _lenient_time(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Times and dates as exports write them (`2026/11/2 9:00`, `2026年11月2日 9:00`: the
    forms of engine.values.parse_datetime, the one reading of times). Tried only after
    pydantic's ISO reading failed, so well-formed events pay nothing for it."""
    from callqa.engine.values import parse_date, parse_datetime

    fixed = dict(data)
    for name, parse in (("at", parse_datetime), ("starts", parse_date)):
        if isinstance(data.get(name), str):
            with contextlib.suppress(ValueError):
                fixed[name] = parse(data[name])
    return None if fixed == data else fixed


def _time_problem(value: object) -> str:
    """Why `value` is not a date and time, in parse_datetime's words."""
    from callqa.engine.values import parse_datetime

    try:
        parse_datetime(str(value))
    except ValueError as error:
        return str(error)
    return _("{value!r} is not a date and time such as 2026-11-02 09:00").format(value=value)


def _number_problem(where: str, value: object, fallback: str) -> str:
    """Why `value` is not a number an event can hold, in the words of the one check of
    numbers (engine.values.real_number) that scoring and conditions use. The fields with
    a lower bound are durations (duration, answer_delay, hold_time)."""
    from callqa.engine.values import real_number

    try:
        real_number(float(value), where, duration=True, given=value)  # type: ignore[arg-type]
    except EngineError as error:
        return str(error)
    except (TypeError, ValueError, OverflowError):  # not a number at all
        pass
    return _("{where}: {problem} (got {value!r})").format(
        where=where, problem=fallback.lower(), value=value
    )


def _plain(error: ValidationError, kind: str, event_id: object) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or kind
        kind_of = item["type"]
        if kind_of == "missing":
            problems.append(_("{where}: missing").format(where=where))
        elif kind_of == "extra_forbidden":
            if kind[:1] in ("a", "e", "i", "o", "u"):
                message = _("{where}: not a field of an {kind} event (put it under fields)")
            else:
                message = _("{where}: not a field of a {kind} event (put it under fields)")
            problems.append(message.format(where=where, kind=named(kind, "event")))
        elif kind_of == "value_error":  # ours, already in plain words
            problems.append(
                _("{where}: {problem}").format(where=where, problem=item["ctx"]["error"])
            )
        elif kind_of in ("finite_number", "greater_than_equal"):  # NaN, inf, below 0
            problems.append(_number_problem(where, item["input"], item["msg"]))
        elif kind_of.startswith("bool"):
            problems.append(
                _("{where}: {value!r} is not yes or no: write true or false").format(
                    where=where, value=item["input"]
                )
            )
        elif "datetime" in kind_of:
            problems.append(
                _("{where}: {problem}").format(where=where, problem=_time_problem(item["input"]))
            )
        else:
            problems.append(
                _("{where}: {problem} (got {value!r})").format(
                    where=where, problem=item["msg"].lower(), value=item.get("input")
                )
            )
    if event_id:
        message = _("{kind} event {event!r} rejected: {problems}")
    else:
        message = _("{kind} event rejected: {problems}")
    return message.format(
        kind=named(kind, "event"), event=event_id, problems=_("; ").join(problems)
    )
