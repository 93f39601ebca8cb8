"""The hand-written streaming implementation of the benchmark's rules: what a careful
engineer would write for exactly these rules, with no engine, no validation and no
reasons. It is the practical speed limit the engine is measured against, so it is kept
lean: one comparison per event decides whether a day has ended, calls are grouped by day
and agent as they come, monthly counts are one (month, count) pair per agent, and calls
are only hashed when there are more eligible ones than random picks.

It produces the same decisions as callqa, as (kind, action or call, agent, time) tuples:
actions, sampled calls, and a shortfall for each agent and day with fewer calls than the
rule wants. Events come in time order, ties by id (as the engine requires), so each
agent's calls are already in the order the ordinal pick counts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

from bench.outcomes import Outcomes

ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 365 * 86400.0
SEED = "bench|1|daily|"

# a call: (id, eligible for "2nd call after 11:00 of >= 60 s", eligible for the random picks)
Call = tuple[str, bool, bool]


class HandWritten:
    def __init__(self) -> None:
        # agent -> (month, the complaints it counts, [whether the month rule acted])
        self.complaints: dict[str, tuple[tuple[int, int], list[str], list[bool]]] = {}
        self.violations: dict[str, tuple[tuple[int, int], int]] = {}
        # agent -> (time, complaint) in the last 365 days
        self.rolling: dict[str, deque[tuple[float, str]]] = {}
        self.armed: dict[str, bool] = {}  # the rolling rule may fire (was false since)
        self.days: dict[dt.date, dict[str, list[Call]]] = {}  # open day -> agent -> calls
        self.ends: list[tuple[dt.datetime, dt.date]] = []
        self.next_end: dt.datetime | None = None
        self.out = Outcomes()

    def feed(self, event: dict[str, Any]) -> None:
        at: dt.datetime = event["at"]
        if self.next_end is not None and at >= self.next_end:
            self._close_days(at)
        local = at.astimezone(ZONE)
        agent = event["agent"]
        kind = event["kind"]
        if kind == "call":
            day = local.date()
            calls_by_agent = self.days.get(day)
            if calls_by_agent is None:
                calls_by_agent = self.days[day] = {}
                end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE)
                self.ends.append((end, day))
                if self.next_end is None or end < self.next_end:
                    self.next_end = end
            duration = event["duration"]
            call = (event["id"], duration >= 60 and local.hour >= 11, duration >= 30)
            calls = calls_by_agent.get(agent)
            if calls is None:
                calls_by_agent[agent] = [call]
            else:
                calls.append(call)
        elif kind == "complaint":
            complaint = event["id"]
            month = (local.year, local.month)
            tally = self.complaints.get(agent)
            if tally is None or tally[0] != month:
                tally = self.complaints[agent] = (month, [], [False])
            counted = tally[1]
            counted.append(complaint)
            window = self.rolling.get(agent)
            if window is None:
                window = self.rolling[agent] = deque()
            if len(counted) >= 3 and not tally[2][0]:
                tally[2][0] = True
                self.out.append(("action", "off_floor", agent, at))
                # what brought the action brings it no more: the year rule stops counting
                # these complaints, and does not count this one
                if window:
                    spent = set(counted)
                    self.rolling[agent] = deque(e for e in window if e[1] not in spent)
                return
            now = at.timestamp()
            cutoff = now - YEAR
            while window and window[0][0] <= cutoff:
                window.popleft()
            if len(window) < 5:
                self.armed[agent] = True
            window.append((now, complaint))
            if len(window) >= 5 and self.armed.get(agent, True):
                self.armed[agent] = False
                self.out.append(("action", "off_floor", agent, at))
                spent = {e[1] for e in window}  # and the month rule stops counting these
                counted[:] = [c for c in counted if c not in spent]
        elif kind == "violation":
            month = (local.year, local.month)
            seen = self.violations.get(agent)
            count = seen[1] + 1 if seen is not None and seen[0] == month else 1
            self.violations[agent] = (month, count)
            if count == 3:
                self.out.append(("action", "warning", agent, at))
        elif kind == "commendation":
            self.out.append(("action", "praise", agent, at))

    def finish(self, now: dt.datetime) -> None:
        if self.next_end is not None and now >= self.next_end:
            self._close_days(now)

    def _close_days(self, now: dt.datetime) -> None:
        self.ends.sort()
        append = self.out.append
        sha256 = hashlib.sha256
        while self.ends and self.ends[0][0] <= now:
            end, day = self.ends.pop(0)
            prefix = f"{SEED}{day.isoformat()}:".encode()
            for agent, calls in self.days.pop(day).items():
                taken = []
                seen = 0
                for call, after_eleven, _ in calls:
                    if after_eleven:
                        seen += 1
                        if seen == 2:
                            taken.append(call)
                            break
                pool = [call for call, _, long_enough in calls if long_enough and call not in taken]
                if len(pool) > 2:
                    pool.sort(key=lambda call: sha256(prefix + call.encode()).digest())
                taken += pool[:2]
                for call in taken:
                    append(("sample", call, agent, end))
                if seen < 2 or len(pool) < 2:  # fewer than the 3 calls wanted
                    append(("shortfall", "", agent, end))
        self.next_end = self.ends[0][0] if self.ends else None
