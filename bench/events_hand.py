"""The hand-written streaming implementation of the benchmark's rules: per-agent deques
and dictionaries, no engine. It produces the same decisions as callqa, as
(kind, action or call, agent, time) tuples: actions, sampled calls, and a shortfall for
each agent and day with fewer calls than the rule wants."""

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

Decision = tuple[str, str, str, dt.datetime]


class HandWritten:
    def __init__(self) -> None:
        self.month_complaints: dict[tuple[str, str], int] = {}
        self.month_violations: dict[tuple[str, str], int] = {}
        self.fired: set[tuple[str, str, str]] = set()
        self.rolling: dict[str, deque[float]] = {}
        self.armed: dict[str, bool] = {}
        self.calls: dict[tuple[str, str], list[tuple[float, str, bool, bool]]] = {}
        self.day_end: dict[str, dt.datetime] = {}
        self.out = Outcomes()

    def feed(self, event: dict[str, Any]) -> None:
        at: dt.datetime = event["at"]
        self._close_days(at)
        local = at.astimezone(ZONE)
        agent = event["agent"]
        kind = event["kind"]
        if kind == "call":
            day = local.date().isoformat()
            duration = event["duration"]
            first = local.time() >= dt.time(11) and duration >= 60
            self.calls.setdefault((agent, day), []).append(
                (at.timestamp(), event["id"], first, duration >= 30)
            )
            if day not in self.day_end:
                end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), ZONE)
                self.day_end[day] = end
        elif kind == "complaint":
            month = f"{local.year}-{local.month:02d}"
            key = (agent, month)
            count = self.month_complaints.get(key, 0) + 1
            self.month_complaints[key] = count
            if count >= 3 and ("m", agent, month) not in self.fired:
                self.fired.add(("m", agent, month))
                self.out.append(("action", "off_floor", agent, at))
            window = self.rolling.setdefault(agent, deque())
            now = at.timestamp()
            while window and window[0] <= now - YEAR:
                window.popleft()
            if len(window) < 5:
                self.armed[agent] = True
            window.append(now)
            if len(window) >= 5 and self.armed.get(agent, True):
                self.armed[agent] = False
                self.out.append(("action", "off_floor", agent, at))
        elif kind == "violation":
            month = f"{local.year}-{local.month:02d}"
            key = (agent, month)
            count = self.month_violations.get(key, 0) + 1
            self.month_violations[key] = count
            if count >= 3 and ("v", agent, month) not in self.fired:
                self.fired.add(("v", agent, month))
                self.out.append(("action", "warning", agent, at))
        elif kind == "commendation":
            self.out.append(("action", "praise", agent, at))

    def finish(self, now: dt.datetime) -> None:
        self._close_days(now)

    def _close_days(self, now: dt.datetime) -> None:
        if not self.day_end:
            return
        closing = [day for day, end in self.day_end.items() if end <= now]
        for day in sorted(closing):
            end = self.day_end.pop(day)
            for (agent, call_day) in [k for k in self.calls if k[1] == day]:
                calls = sorted(self.calls.pop((agent, call_day)))
                taken: set[str] = set()
                eligible = [c for c in calls if c[2]]
                if len(eligible) >= 2:
                    taken.add(eligible[1][1])
                seed = SEED + day
                ranked = sorted(
                    (hashlib.sha256(f"{seed}:{c[1]}".encode()).hexdigest(), c[1])
                    for c in calls if c[3] and c[1] not in taken
                )  # fmt: skip
                taken.update(call for _, call in ranked[:2])
                for call in sorted(taken):
                    self.out.append(("sample", call, agent, end))
                if len(eligible) < 2 or len(ranked) < 2:  # fewer than the 3 calls wanted
                    self.out.append(("shortfall", "", agent, end))
