"""Counting events in windows: calendar windows local to the policy's timezone, and
exact rolling windows.

A calendar window ("in calendar month") is the local day, ISO week or month that
contains the event, so 23:59 on 30 November Shanghai time counts in November even though
it is 15:59 UTC. A rolling window ("in 30 days") holds the events in (t - length, t].
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


def real_time_after(moment: dt.datetime, seconds: float) -> dt.datetime:
    """`moment` moved by `seconds` of real time, in its own timezone. (Python adds a
    timedelta to the wall clock: 8h after 00:30 on the night daylight saving ends would be
    08:30 local, which is 9 real hours later.)"""
    if moment.tzinfo is None:
        return moment + dt.timedelta(seconds=seconds)
    moved = moment.astimezone(dt.UTC) + dt.timedelta(seconds=seconds)
    return moved.astimezone(moment.tzinfo)


def calendar_key(moment: dt.datetime, unit: str, zone: ZoneInfo) -> str:
    """The label of the calendar period containing `moment`, e.g. 2026-11, 2026-W48."""
    local = moment.astimezone(zone)
    if unit == "day":
        return local.date().isoformat()
    if unit == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return f"{local.year}-{local.month:02d}"
    if unit == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    if unit == "year":
        return str(local.year)
    raise ValueError(f"unknown calendar unit {unit}")


def calendar_bounds(key: str, unit: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar period in aware datetimes (correct across DST changes)."""
    if unit == "day":
        start = dt.date.fromisoformat(key)
        end = start + dt.timedelta(days=1)
    elif unit == "week":
        year, week = key.split("-W")
        start = dt.date.fromisocalendar(int(year), int(week), 1)
        end = start + dt.timedelta(days=7)
    elif unit == "month":
        year_text, month_text = key.split("-")
        year_number, month = int(year_text), int(month_text)
        start = dt.date(year_number, month, 1)
        end = dt.date(year_number + (month == 12), month % 12 + 1, 1)
    elif unit == "quarter":
        year, quarter = key.split("-Q")
        first = (int(quarter) - 1) * 3 + 1
        start = dt.date(int(year), first, 1)
        end = dt.date(int(year) + (first == 10), (first + 2) % 12 + 1, 1)
    elif unit == "year":
        start = dt.date(int(key), 1, 1)
        end = dt.date(int(key) + 1, 1, 1)
    else:
        raise ValueError(f"unknown calendar unit {unit}")
    return (
        dt.datetime.combine(start, dt.time(), zone),
        dt.datetime.combine(end, dt.time(), zone),
    )


# what a window counts: an event's id, or (evaluation, item) for one of its deductions
Counted = str | tuple[str, str]


@dataclass(slots=True)
class Tally:
    """The matching events of one subject in one calendar period, with a running total
    (periods only grow, so the total is exactly the sum of the values in order)."""

    end: float = float("inf")  # the period's end (POSIX seconds): after it, it is dropped
    ids: list[Counted] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    total: float = 0.0
    fired: tuple[str, ...] = ()  # the verdicts already given for this period

    def add(self, event_id: Counted, value: float = 1.0) -> None:
        self.ids.append(event_id)
        self.values.append(value)
        self.total += value

    def __len__(self) -> int:
        return len(self.ids)

    def withdraw(self, event_ids: Collection[Counted]) -> None:
        """Take events back (a deduction an upheld appeal amended, what an action spent);
        the total is summed again in order, as it was kept."""
        if not any(i in event_ids for i in self.ids):
            return
        kept = [(i, v) for i, v in zip(self.ids, self.values, strict=True) if i not in event_ids]
        self.ids, self.values = [i for i, _ in kept], [v for _, v in kept]
        self.total = 0.0
        for value in self.values:
            self.total += value

    def evidence(self) -> list[Counted]:
        return list(self.ids)


@dataclass(slots=True)
class RollingWindow:
    """Events of one subject in the last `length` seconds: (t - length, t]."""

    length: float
    times: deque[tuple[float, Counted, float]] = field(default_factory=deque)
    total: float = 0.0
    fired: tuple[str, ...] = ()  # the verdicts given since the condition was last false

    def add(self, timestamp: float, event_id: Counted, value: float = 0.0) -> None:
        self.times.append((timestamp, event_id, value))
        self.total += value
        self.expire(timestamp)

    def expire(self, now: float) -> None:
        cutoff = now - self.length
        times = self.times
        while times and times[0][0] <= cutoff:
            self.total -= times.popleft()[2]

    def __len__(self) -> int:
        return len(self.times)

    def withdraw(self, event_ids: Collection[Counted]) -> None:
        """Take events back (a deduction an upheld appeal amended, what an action spent)."""
        self.times = deque(entry for entry in self.times if entry[1] not in event_ids)
        self.total = sum(value for _, _, value in self.times)

    def evidence(self) -> list[Counted]:
        return [event_id for _, event_id, _ in self.times]

    @property
    def values(self) -> list[float]:
        return [value for _, _, value in self.times]
