"""Checks for the center's calendar (working hours, holidays, make-up working days) and
for the limits that count working time on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise

from callqa.dsl import ast
from callqa.dsl.source import line_ref
from callqa.dsl.suggest import did_you_mean
from callqa.dsl.vocabulary import WEEKDAYS, weekdays

Error = Callable[..., None]

EXAMPLE = "calendar center { hours mon-fri 09:00-18:00 }"
LONGEST_HOLIDAY = 31  # days: a holiday longer than a month is most likely a typo


class CalendarChecker:
    """One policy's calendar blocks (at most one), and its waits in working time."""

    def __init__(self, tree: ast.PolicyFile, error: Error, warn: Error) -> None:
        self.tree = tree
        self.error = error
        self.warn = warn

    def run(self) -> None:
        calendars = self.tree.calendars
        for extra in calendars[1:]:
            where = line_ref(calendars[0].span, extra.span, self.tree.file)
            self.error(extra.id_span, f"this policy already has a calendar ({where}); working "
                       "hours are counted on one", "put these lines in that calendar",
                       code="calendar")  # fmt: skip
        for calendar in calendars:
            self.calendar(calendar)

    def wait(self, wait: ast.Wait) -> None:
        """`8 working hours` counts on the calendar: the policy must have one."""
        if wait.working and not self.tree.calendars:
            self.error(wait.span, f"{wait.written} counts the center's working hours, and this "
                       "policy has no calendar", f"add one: {EXAMPLE}; or write real time, "
                       f"e.g. {wait.length.text}", code="calendar")  # fmt: skip

    def calendar(self, calendar: ast.Calendar) -> None:
        worked: dict[int, int] = {}  # weekday -> the line that gives its hours
        off: dict[dt.date, int] = {}  # holiday -> its line
        for entry in calendar.entries:
            if isinstance(entry, ast.WorkHours):
                self.hours(entry, worked)
            elif isinstance(entry, ast.Holiday):
                self.holiday(entry, off)
        if not worked:
            self.error(calendar.id_span, f"calendar {calendar.id} has no working hours",
                       "add a line such as: hours mon-fri 09:00-18:00",
                       code="calendar")  # fmt: skip
        made_up: dict[dt.date, int] = {}
        for entry in calendar.entries:
            if isinstance(entry, ast.MakeUpDay):
                self.make_up_day(entry, worked, off, made_up)

    def hours(self, entry: ast.WorkHours, worked: dict[int, int]) -> None:
        for days in entry.days:
            for word in (days.first, days.last):
                if word is not None and word not in WEEKDAYS:
                    hint = did_you_mean(word, WEEKDAYS) or "write weekdays such as mon-fri or sat"
                    self.error(days.span, f"{word} is not a weekday", hint, code="calendar")
                    return
            for day in weekdays(days.first, days.last):
                if day in worked:
                    self.error(days.span, f"the hours of {WEEKDAYS[day]} are already given on "
                               f"line {worked[day]}", "give each weekday's hours on one line, "
                               "e.g. hours mon-fri 09:00-12:00, 13:30-18:00",
                               code="calendar")  # fmt: skip
                    return
                worked[day] = entry.span.line
        ends: list[tuple[dt.time, dt.time]] = []
        for start, end in entry.ranges:
            if not isinstance(start.value, dt.time) or not isinstance(end.value, dt.time):
                return  # not a time of day: reported when it was read
            if end.value <= start.value:
                self.error(start.span, f"{start.text}-{end.text} ends before it starts",
                           f"write the earlier time first, e.g. {end.text}-{start.text}; "
                           "hours past midnight are not supported", code="calendar")  # fmt: skip
            ends.append((start.value, end.value))
        ends.sort()
        for (_, first_end), (second_start, _) in pairwise(ends):
            if second_start < first_end:
                self.error(entry.span, "two ranges of hours on this line overlap",
                           "write them apart, e.g. 09:00-12:00, 13:30-18:00",
                           code="calendar")  # fmt: skip

    def holiday(self, entry: ast.Holiday, off: dict[dt.date, int]) -> None:
        first, last = entry.first.value, (entry.last or entry.first).value
        if not isinstance(first, dt.date) or not isinstance(last, dt.date):
            return
        if last < first:
            self.error(entry.span, f"the holiday ends ({last}) before it starts ({first})",
                       f"write: holiday {last} to {first}", code="calendar")  # fmt: skip
            return
        length = (last - first).days + 1
        if length > LONGEST_HOLIDAY:
            self.error(entry.span, f"this holiday lasts {length} days", "check the dates: a "
                       f"holiday is at most {LONGEST_HOLIDAY} days", code="calendar")  # fmt: skip
            return
        for offset in range(length):
            day = first + dt.timedelta(days=offset)
            if day in off:
                self.error(entry.span, f"{day} is already a holiday (line {off[day]})",
                           "give each day once", code="calendar")  # fmt: skip
                return
            off[day] = entry.span.line

    def make_up_day(self, entry: ast.MakeUpDay, worked: dict[int, int],
                    off: dict[dt.date, int], made_up: dict[dt.date, int]) -> None:  # fmt: skip
        day = entry.day.value
        if not isinstance(day, dt.date):
            return
        if day in off:
            self.error(entry.span, f"{day} is a holiday (line {off[day]}) and a workday",
                       "delete one of the two", code="calendar")  # fmt: skip
        if day in made_up:
            self.error(entry.span, f"{day} is already a workday (line {made_up[day]})",
                       "give each day once", code="calendar")  # fmt: skip
        made_up[day] = entry.span.line
        if entry.like is not None and entry.like not in WEEKDAYS:
            hint = did_you_mean(entry.like, WEEKDAYS) or "write a weekday such as mon"
            self.error(entry.like_span, f"{entry.like} is not a weekday", hint, code="calendar")
            return
        like = WEEKDAYS.index(entry.like) if entry.like is not None else 0
        if like not in worked and worked:
            self.error(entry.like_span, f"a workday is worked with the hours of "
                       f"{WEEKDAYS[like]}, and {WEEKDAYS[like]} has none", "name a worked "
                       f"weekday: workday {day} like {WEEKDAYS[min(worked)]}",
                       code="calendar")  # fmt: skip
        elif day.weekday() in worked and entry.like is None:
            self.warn(entry.span, f"{day} is a {WEEKDAYS[day.weekday()]}, already a working "
                      "day", "a workday line is for a weekend day worked in exchange for a "
                      "holiday; delete it if the date is right", code="calendar")  # fmt: skip
