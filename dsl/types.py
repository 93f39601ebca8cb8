"""The value types of the policy language and the built-in fact schema.

Durations are seconds (float), percentages are fractions (96% == 0.96), times of day
are `datetime.time`, dates `datetime.date`, date-times timezone-aware `datetime`.
"""

from __future__ import annotations

from enum import StrEnum

from callqa.dsl.i18n import N_, _


class Type(StrEnum):
    NUMBER = "number"
    DURATION = "duration"
    TIME = "time"
    DATE = "date"
    DATETIME = "datetime"
    TEXT = "text"
    BOOL = "bool"
    UNKNOWN = "unknown"  # after an error, to avoid cascades

    @property
    def example(self) -> str:
        """A value of this type, in words for people, in their language."""
        return _(EXAMPLES[self])


EXAMPLES: dict[Type, str] = {
    Type.NUMBER: N_("a number such as 5 or 96%"),
    Type.DURATION: N_("a duration such as 60s, 5m, 8h or 3d"),
    Type.TIME: N_("a time of day such as 11:00"),
    Type.DATE: N_("a date such as 2026-11-02"),
    Type.DATETIME: N_("a date and time such as 2026-11-02 09:00"),
    Type.TEXT: N_('a text in double quotes such as "account"'),
    Type.BOOL: N_("true or false"),
    Type.UNKNOWN: N_("a value"),
}

TYPE_NAMES: dict[str, Type] = {
    "number": Type.NUMBER,
    "percent": Type.NUMBER,
    "duration": Type.DURATION,
    "time": Type.TIME,
    "date": Type.DATE,
    "datetime": Type.DATETIME,
    "text": Type.TEXT,
    "bool": Type.BOOL,
    "boolean": Type.BOOL,
}

# Facts every center has. A policy adds its own with `field call.queue text`.
BUILTIN_FIELDS: dict[str, Type] = {
    # a recorded call
    "call.id": Type.TEXT,
    "call.agent": Type.TEXT,
    "call.team": Type.TEXT,
    "call.start": Type.DATETIME,
    "call.duration": Type.DURATION,
    "call.type": Type.TEXT,
    "call.channel": Type.TEXT,
    "call.direction": Type.TEXT,
    "call.answer_delay": Type.DURATION,
    "call.hold_time": Type.DURATION,
    "call.resolved": Type.BOOL,
    "call.answered": Type.BOOL,
    "call.topic": Type.TEXT,
    # the agent who took it
    "agent.id": Type.TEXT,
    "agent.team": Type.TEXT,
    "agent.status": Type.TEXT,
    "agent.hired": Type.DATE,
    # the evaluation itself
    "evaluation.id": Type.TEXT,
    "evaluation.evaluator": Type.TEXT,
    "evaluation.at": Type.DATETIME,
    "evaluation.score": Type.NUMBER,
    "evaluation.grade": Type.TEXT,
    "evaluation.rubric": Type.TEXT,
    # each item an evaluation deducted points for (扣分项), or crossed as a red line: counted
    # and acted on as an event of its own, at the evaluation's time, with its facts
    "deduction.item": Type.TEXT,
    "deduction.label": Type.TEXT,
    "deduction.section": Type.TEXT,
    "deduction.points": Type.NUMBER,
    "deduction.critical": Type.BOOL,
    "deduction.rubric": Type.TEXT,
    "deduction.evaluation": Type.TEXT,
    # complaints, violations, commendations, exams, surveys, appeals
    "complaint.id": Type.TEXT,
    "complaint.severity": Type.TEXT,
    "complaint.channel": Type.TEXT,
    "complaint.substantiated": Type.BOOL,
    "complaint.resolved": Type.BOOL,
    # a later resolution: counted for its complaint's agent and team
    "complaint_resolved.complaint": Type.TEXT,
    "complaint_resolved.within": Type.DURATION,
    # sent up a level by hand: counted for its complaint's agent and team
    "complaint_escalated.complaint": Type.TEXT,
    "complaint_escalated.by": Type.TEXT,
    "complaint_escalated.reason": Type.TEXT,
    "violation.type": Type.TEXT,
    "commendation.channel": Type.TEXT,
    "commendation.text": Type.TEXT,
    "exam.passed": Type.BOOL,
    "exam.retake": Type.BOOL,
    "survey.satisfied": Type.BOOL,
    "survey.rating": Type.NUMBER,
    "appeal.item": Type.TEXT,
    "appeal.upheld": Type.BOOL,
    # shift swaps (换班) and leave requests (请假)
    "shift_swap.partner": Type.TEXT,
    "shift_swap.at": Type.DATETIME,
    "shift_swap.shift": Type.DATE,
    "leave_request.at": Type.DATETIME,
    "leave_request.starts": Type.DATE,
    "leave_request.type": Type.TEXT,
    "leave_request.shift_starts": Type.DATETIME,
    # feedback given to an agent (表扬, 辅导): by whom, and whether it is praise
    "feedback.by": Type.TEXT,
    "feedback.positive": Type.BOOL,
    "feedback.text": Type.TEXT,
    # messages waiting for a reply (在线留言), time away from the desk (离席)
    "message.channel": Type.TEXT,
    "message.text": Type.TEXT,
    "message.at": Type.DATETIME,
    "reply.message": Type.TEXT,
    "desk_away.approved": Type.BOOL,
    "desk_away.reason": Type.TEXT,
    "desk_away.at": Type.DATETIME,
}

# Parts of a value that a policy may read with a dot: `call.start.time >= 11:00`.
PARTS: dict[Type, dict[str, Type]] = {
    Type.DATETIME: {
        "time": Type.TIME,
        "date": Type.DATE,
        "hour": Type.NUMBER,
        "weekday": Type.NUMBER,
    },
    Type.DATE: {"weekday": Type.NUMBER, "day": Type.NUMBER, "month": Type.NUMBER},
    Type.DURATION: {"seconds": Type.NUMBER, "minutes": Type.NUMBER, "hours": Type.NUMBER},
}

ENTITIES: frozenset[str] = frozenset(name.split(".")[0] for name in BUILTIN_FIELDS)
