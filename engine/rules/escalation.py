"""Complaint escalation: a chain of roles, a start level chosen by condition, time limits
per level while unresolved. Levels never go down and are never skipped: when several
limits have passed, the complaint climbs one level at a time, each step with its own
time. Resolution stops the clock.

Time limits are real hours: "8h" after 00:30 on the night daylight saving ends is 07:30
local time, not 08:30; "8 working hours" counts only the hours of the policy's calendar
(engine.runtime.working_time). Timers are kept as POSIX instants, because datetimes in one
timezone compare and subtract by wall clock."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from callqa.dsl import ast, resolved
from callqa.dsl.i18n import _
from callqa.engine.codegen.conditions import Condition
from callqa.engine.decisions import Decision, Later
from callqa.engine.runtime.working_time import WorkingCalendar, deadline


@dataclass
class OpenComplaint:
    id: str
    level: int
    due: dt.datetime | None
    agent: str | None

    @property
    def due_instant(self) -> float | None:
        return None if self.due is None else self.due.timestamp()


class CompiledStart(NamedTuple):
    role: str
    when: Condition | None  # None: any complaint
    location: str


@dataclass(frozen=True)
class EscalationSpec:
    """An escalation block compiled once per policy: its start conditions are functions.
    Shared by every engine of the policy; each engine's complaints are an EscalationChain."""

    block: resolved.Escalation
    starts: tuple[CompiledStart, ...]  # the first that holds sets the start level
    calendar: WorkingCalendar | None = None  # for limits in working hours

    @classmethod
    def compile(
        cls,
        block: resolved.Escalation,
        compile_condition: Callable[[ast.Expr], Condition],
        calendar: WorkingCalendar | None = None,
    ) -> EscalationSpec:
        starts = tuple(
            CompiledStart(s.role, None if s.when is None else compile_condition(s.when), s.location)
            for s in block.starts
        )
        return cls(block, starts, calendar)


@dataclass
class EscalationChain:
    """One engine's open complaints and timers for an escalation block (its `spec`)."""

    spec: EscalationSpec
    open: dict[str, OpenComplaint] = field(default_factory=dict)
    timers: list[tuple[float, int, str]] = field(default_factory=list)  # (instant, seq, id)
    wake: Callable[[float], None] | None = None  # told when a new timer is set
    _seq: int = 0

    def __post_init__(self) -> None:
        block = self.spec.block
        self.block = block
        self.location = block.location
        self.roles = block.roles
        self.limits = block.limits  # role -> how long it has

    def start(self, complaint_id: str, agent: str | None, at: dt.datetime,
              facts: dict[str, Any], resolved: bool = False) -> tuple[str, Later, str]:  # fmt: skip
        """Open a complaint; returns (role, reason, rule location). A complaint that
        arrives already resolved is assigned but starts no clock."""
        level, chosen, where = 0, False, self.location
        for role, condition, location in self.spec.starts:
            if condition is None or condition(facts):
                level, where, chosen = self.roles.index(role), location, True
                break
        due = None if resolved else self._due(level, at)
        if not resolved:
            self.open[complaint_id] = OpenComplaint(complaint_id, level, due, agent)
            self._schedule(complaint_id, due)
        role = self.roles[level]
        return role, Later((_assigned_reason, role, chosen, due, resolved)), where

    def decision(
        self,
        complaint_id: str,
        role: str,
        reason: str | Later,
        at: dt.datetime,
        facts: dict[str, Any],
        evidence: tuple[str, ...] = (),
        location: str | None = None,
    ) -> Decision:
        """The decision that the complaint is now with `role` (who is notified)."""
        return Decision(
            f"{self.block.id}/{complaint_id}/{role}", "escalation", complaint_id, role, reason,
            self.block.id, location or self.location, at, facts, evidence or (complaint_id,),
            (role,),
        )  # fmt: skip

    def send_up(self, complaint_id: str, at: dt.datetime) -> tuple[str, str] | None:
        """Move an open complaint one level up now (its level could not solve it), with
        the next level's clock starting now: (previous role, new role); None when it is
        not open here or already at the last level."""
        complaint = self.open.get(complaint_id)
        if complaint is None or complaint.level + 1 >= len(self.roles):
            return None
        previous = self.roles[complaint.level]
        complaint.level += 1
        complaint.due = self._due(complaint.level, at)
        self._schedule(complaint_id, complaint.due)  # the old timer is dropped when it comes
        return previous, self.roles[complaint.level]

    def at_top(self, complaint_id: str, at: dt.datetime) -> bool:
        """Whether the complaint, open here, is at the last level by `at`, counting the
        levels its time limits will have climbed by then (changing nothing)."""
        complaint = self.open.get(complaint_id)
        if complaint is None:
            return False
        level, due, instant = complaint.level, complaint.due, at.timestamp()
        while due is not None and due.timestamp() <= instant and level + 1 < len(self.roles):
            level += 1
            due = self._due(level, due)
        return level + 1 >= len(self.roles)

    def resolve(self, complaint_id: str) -> OpenComplaint | None:
        return self.open.pop(complaint_id, None)

    def due(self, now: dt.datetime) -> list[tuple[OpenComplaint, str, Later, dt.datetime]]:
        """Escalations whose time has come: (complaint, new role, reason, time)."""
        out = []
        limit_instant = now.timestamp()
        while self.timers and self.timers[0][0] <= limit_instant:
            instant, _seq, complaint_id = heapq.heappop(self.timers)
            complaint = self.open.get(complaint_id)
            if complaint is None or complaint.due is None or complaint.due_instant != instant:
                continue
            when = complaint.due
            if complaint.level + 1 >= len(self.roles):
                complaint.due = None
                continue
            previous = self.roles[complaint.level]
            complaint.level += 1
            role = self.roles[complaint.level]
            limit = self.limits[previous]
            complaint.due = self._due(complaint.level, when)
            self._schedule(complaint_id, complaint.due)
            out.append((complaint, role, Later((_escalated_reason, limit, previous, role)), when))
        return out

    def next_due(self) -> float | None:
        """The earliest timer, as a POSIX instant (it may belong to a complaint resolved
        since: then it is dropped when it comes)."""
        return self.timers[0][0] if self.timers else None

    def _due(self, level: int, since: dt.datetime) -> dt.datetime | None:
        wait = self.limits.get(self.roles[level])
        return None if wait is None else deadline(self.spec.calendar, since, wait)

    def _schedule(self, complaint_id: str, due: dt.datetime | None) -> None:
        if due is not None:
            self._seq += 1
            heapq.heappush(self.timers, (due.timestamp(), self._seq, complaint_id))
            if self.wake is not None:
                self.wake(due.timestamp())


# Reasons, made when a decision's reason is read (`Later`).


def _assigned_reason(role: str, chosen: bool, due: dt.datetime | None, resolved: bool) -> str:
    """`chosen`: a start line chose the level (else it is the chain's first)."""
    if resolved and chosen:
        message = _(
            "assigned to {role}: the start level for complaints like this one; already resolved"
        )
    elif resolved:
        message = _("assigned to {role}: the first level of the chain; already resolved")
    elif due and chosen:
        message = _(
            "assigned to {role}: the start level for complaints like this one; must "
            "be resolved by {due}"
        )
    elif due:
        message = _("assigned to {role}: the first level of the chain; must be resolved by {due}")
    elif chosen:
        message = _("assigned to {role}: the start level for complaints like this one")
    else:
        message = _("assigned to {role}: the first level of the chain")
    return message.format(role=role, due=f"{due:%Y-%m-%d %H:%M}" if due else None)


def _escalated_reason(limit: resolved.Wait, previous: str, role: str) -> str:
    waited = limit.text if limit.working else _hours(limit.seconds)
    return _("unresolved {waited} after reaching {previous}: escalated to {role}").format(
        waited=waited, previous=previous, role=role
    )


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 48:
        return _("{hours:g}h").format(hours=hours)
    return _("{days:g} days").format(days=hours / 24)
