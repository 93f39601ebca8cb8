"""Timers on silence: rules that wait for something that does not happen.

`rule late_reply on message without reply within 8h then late_reply` acts at the 8-hour
mark when no reply to the message came by then, whether one comes later or never: the
engine hears of the silence from its clock, not from an event. What ends a wait is the
event that answers its opener: a reply names its message, a complaint's resolution names
the complaint, and an agent back at the desk ends that agent's time away.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from callqa.engine.rules.discipline import EventRuleSpec


@dataclass
class Waiting:
    """One opener waiting for its answer under one rule."""

    due: float  # POSIX instant of the mark
    at: dt.datetime  # when the opener came, in the policy's timezone
    spec: EventRuleSpec
    opener: str  # the opener's id
    agent: str
    detail: str  # what the opener says of itself, for the reason
    ended: bool = field(default=False, compare=False)


@dataclass
class SilenceTimers:
    """The open waits of one engine, by their marks and by what ends them."""

    wake: Callable[[float], None] | None = None  # told when a new mark is set
    marks: list[tuple[float, int, Waiting]] = field(default_factory=list)
    by_opener: dict[str, list[Waiting]] = field(default_factory=dict)
    by_agent: dict[str, list[Waiting]] = field(default_factory=dict)
    _count: int = 0

    def start(self, waiting: Waiting) -> None:
        self._count += 1
        heapq.heappush(self.marks, (waiting.due, self._count, waiting))
        self.by_opener.setdefault(waiting.opener, []).append(waiting)
        self.by_agent.setdefault(waiting.agent, []).append(waiting)
        if self.wake is not None:
            self.wake(waiting.due)

    def answer(self, opener: str) -> None:
        """The opener was answered (a reply to the message, the complaint resolved)."""
        for waiting in self.by_opener.pop(opener, ()):
            waiting.ended = True

    def back(self, agent: str, kind: str) -> None:
        """The agent ended every wait of `kind` openers (back at the desk)."""
        for waiting in self.by_agent.get(agent, ()):
            if waiting.spec.rule.on == kind:
                waiting.ended = True

    def due(self, instant: float) -> list[Waiting]:
        """The waits whose mark has passed by `instant` with no answer, in mark order."""
        out = []
        marks = self.marks
        while marks and marks[0][0] <= instant:
            _, _, waiting = heapq.heappop(marks)
            self._forget(waiting)
            if not waiting.ended:
                out.append(waiting)
        return out

    def next_due(self) -> float | None:
        return self.marks[0][0] if self.marks else None

    def _forget(self, waiting: Waiting) -> None:
        for table, key in ((self.by_opener, waiting.opener), (self.by_agent, waiting.agent)):
            waits = table.get(key)
            if waits is not None:
                waits[:] = [w for w in waits if w is not waiting]
                if not waits:
                    del table[key]
