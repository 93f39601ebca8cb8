"""Working time: when `8 working hours` after a moment falls on the center's calendar.

A center answers messages and handles complaints in its working hours; a limit written in
working hours counts only those (a message left at 17:00 on Friday with 8 working hours
is due at 16:00 on Monday when the center works 09:00-18:00, and later still across a
holiday). China moves working days around public holidays: a `workday` on a weekend is
worked (with a weekday's hours), a `holiday` is not, whatever its weekday.

Hours are wall-clock times in the policy's timezone; the mark is found on the wall clock
and then placed in the timezone (a limit in real hours stays `real_time_after`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from callqa.dsl import resolved
from callqa.engine.runtime.windows import real_time_after

Ranges = tuple[tuple[dt.time, dt.time], ...]


class WorkingCalendar:
    """One policy's calendar, asked for the mark of a wait (`after`)."""

    def __init__(self, calendar: resolved.Calendar, zone: ZoneInfo) -> None:
        # some weekday has hours (the checker made sure), and holidays are finitely many:
        # so a search for the next working hour always ends
        if not any(calendar.hours):
            raise ValueError(f"calendar {calendar.id} has no working hours")
        self.calendar = calendar
        self.zone = zone

    def hours(self, day: dt.date) -> Ranges:
        """The ranges worked on `day` (none on a holiday or a day off)."""
        calendar = self.calendar
        if day in calendar.holidays:
            return ()
        made_up = calendar.workdays.get(day)
        if made_up is not None:
            return calendar.hours[made_up[0]]
        return calendar.hours[day.weekday()]

    def after(self, moment: dt.datetime, wait: resolved.Wait) -> dt.datetime:
        """When `wait` after `moment` has passed: real time, working time or working days."""
        if not wait.working:
            return real_time_after(moment, wait.seconds)
        local = moment.astimezone(self.zone).replace(tzinfo=None) if moment.tzinfo else moment
        if wait.days:
            mark = self._after_days(local, round(wait.seconds / 86400))
        else:
            mark = self._after_hours(local, wait.seconds)
        return mark.replace(tzinfo=self.zone)

    def _after_hours(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The wall-clock moment when `seconds` of working time after `start` have passed."""
        left, day, now = seconds, start.date(), start
        while True:
            for opens, closes in self.hours(day):
                begin = max(dt.datetime.combine(day, opens), now)
                end = dt.datetime.combine(day, closes)
                if end <= begin:
                    continue
                length = (end - begin).total_seconds()
                if left <= length:
                    return begin + dt.timedelta(seconds=left)
                left -= length
            day += dt.timedelta(days=1)
            now = dt.datetime.combine(day, dt.time())

    def _after_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same time of day `days` working days after `start` (from when work resumes
        when `start` is outside working hours), kept within that day's hours."""
        resumed = self._after_hours(start, 0) if days else start
        day, counted = resumed.date(), 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.hours(day):
                counted += 1
        ranges = self.hours(day)
        at = min(max(resumed.time(), ranges[0][0]), ranges[-1][1])
        return dt.datetime.combine(day, at)


def deadline(calendar: WorkingCalendar | None, moment: dt.datetime,
             wait: resolved.Wait) -> dt.datetime:  # fmt: skip
    """`moment` + `wait`; a working wait needs the calendar (the checker made sure)."""
    if calendar is None:
        if wait.working:
            raise ValueError(f"{wait.text} needs a calendar")  # the checker refuses it first
        return real_time_after(moment, wait.seconds)
    return calendar.after(moment, wait)
