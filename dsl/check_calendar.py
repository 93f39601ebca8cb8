"""Checks for the center's calendar (working hours, holidays, make-up working days) and
for the limits that count working time on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise

from callqa.dsl import ast
from callqa.dsl.diagnostics import line_said
from callqa.dsl.i18n import N_, _, current, named
from callqa.dsl.suggest import did_you_mean
from callqa.dsl.vocabulary import WEEKDAYS, weekdays
from callqa.dsl.vocabulary_zh import working_text

Error = Callable[..., None]

EXAMPLE = N_("calendar center {{ hours mon-fri 09:00-18:00 }}")  # said as _(EXAMPLE).format()
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
            where = line_said(calendars[0].span, extra.span, self.tree.file)
            self.error(extra.id_span, _("this policy already has a calendar ({where}); working "
                                        "hours are counted on one").format(where=where),
                       _("put these lines in that calendar"), code="calendar")  # fmt: skip
        for calendar in calendars:
            self.calendar(calendar)

    def wait(self, wait: ast.Wait) -> None:
        """`8 working hours` counts on the calendar: the policy must have one."""
        if wait.working and not self.tree.calendars:
            self.error(wait.span, _("{wait} counts the center's working hours, and this policy "
                                    "has no calendar").format(wait=wait_said(wait)),
                       _("add one: {example}; or write real time, e.g. {length}").format(
                           example=_(EXAMPLE).format(), length=wait.length.text),
                       code="calendar")  # fmt: skip

    def calendar(self, calendar: ast.Calendar) -> None:
        worked: dict[int, int] = {}  # weekday -> the line that gives its hours
        off: dict[dt.date, int] = {}  # holiday -> its line
        for entry in calendar.entries:
            if isinstance(entry, ast.WorkHours):
                self.hours(entry, worked)
            elif isinstance(entry, ast.Holiday):
                self.holiday(entry, off)
        if not worked:
            self.error(calendar.id_span,
                       _("calendar {id} has no working hours").format(id=calendar.id),
                       _("add a line such as: hours mon-fri 09:00-18:00"),
                       code="calendar")  # fmt: skip
        made_up: dict[dt.date, int] = {}
        for entry in calendar.entries:
            if isinstance(entry, ast.MakeUpDay):
                self.make_up_day(entry, worked, off, made_up)

    def hours(self, entry: ast.WorkHours, worked: dict[int, int]) -> None:
        for days in entry.days:
            for word in (days.first, days.last):
                if word is not None and word not in WEEKDAYS:
                    hint = did_you_mean(word, WEEKDAYS) or _(
                        "write weekdays such as mon-fri or sat"
                    )
                    self.error(days.span, _("{word} is not a weekday").format(word=word), hint,
                               code="calendar")  # fmt: skip
                    return
            for day in weekdays(days.first, days.last):
                if day in worked:
                    self.error(days.span, _("the hours of {day} are already given on line "
                                            "{line}").format(day=named(WEEKDAYS[day], "weekday"),
                                                             line=worked[day]),
                               _("give each weekday's hours on one line, e.g. hours mon-fri "
                                 "09:00-12:00, 13:30-18:00"), code="calendar")  # fmt: skip
                    return
                worked[day] = entry.span.line
        ends: list[tuple[dt.time, dt.time]] = []
        for start, end in entry.ranges:
            if not isinstance(start.value, dt.time) or not isinstance(end.value, dt.time):
                return  # not a time of day: reported when it was read
            if end.value <= start.value:
                self.error(start.span, _("{start}-{end} ends before it starts").format(
                               start=start.text, end=end.text),
                           _("write the earlier time first, e.g. {end}-{start}; hours past "
                             "midnight are not supported").format(start=start.text, end=end.text),
                           code="calendar")  # fmt: skip
            ends.append((start.value, end.value))
        ends.sort()
        for (_start, first_end), (second_start, _end) in pairwise(ends):
            if second_start < first_end:
                self.error(entry.span, _("two ranges of hours on this line overlap"),
                           _("write them apart, e.g. 09:00-12:00, 13:30-18:00"),
                           code="calendar")  # fmt: skip

    def holiday(self, entry: ast.Holiday, off: dict[dt.date, int]) -> None:
        first, last = entry.first.value, (entry.last or entry.first).value
        if not isinstance(first, dt.date) or not isinstance(last, dt.date):
            return
        if last < first:
            self.error(entry.span, _("the holiday ends ({last}) before it starts ({first})"
                                     ).format(last=last, first=first),
                       _("write: holiday {last} to {first}").format(last=last, first=first),
                       code="calendar")  # fmt: skip
            return
        length = (last - first).days + 1
        if length > LONGEST_HOLIDAY:
            self.error(entry.span, _("this holiday lasts {count} days").format(count=length),
                       _("check the dates: a holiday is at most {count} days").format(
                           count=LONGEST_HOLIDAY), code="calendar")  # fmt: skip
            return
        for offset in range(length):
            day = first + dt.timedelta(days=offset)
            if day in off:
                self.error(entry.span, _("{day} is already a holiday (line {line})").format(
                               day=day, line=off[day]),
                           _("give each day once"), code="calendar")  # fmt: skip
                return
            off[day] = entry.span.line

    def make_up_day(self, entry: ast.MakeUpDay, worked: dict[int, int],
                    off: dict[dt.date, int], made_up: dict[dt.date, int]) -> None:  # fmt: skip
        day = entry.day.value
        if not isinstance(day, dt.date):
            return
        if day in off:
            self.error(entry.span, _("{day} is a holiday (line {line}) and a workday").format(
                           day=day, line=off[day]),
                       _("delete one of the two"), code="calendar")  # fmt: skip
        if day in made_up:
            self.error(entry.span, _("{day} is already a workday (line {line})").format(
                           day=day, line=made_up[day]),
                       _("give each day once"), code="calendar")  # fmt: skip
        made_up[day] = entry.span.line
        if entry.like is not None and entry.like not in WEEKDAYS:
            hint = did_you_mean(entry.like, WEEKDAYS) or _("write a weekday such as mon")
            self.error(entry.like_span, _("{word} is not a weekday").format(word=entry.like),
                       hint, code="calendar")  # fmt: skip
            return
        like = WEEKDAYS.index(entry.like) if entry.like is not None else 0
        if like not in worked and worked:
            self.error(entry.like_span, _("a workday is worked with the hours of {weekday}, and "
                                          "{weekday} has none").format(
                           weekday=named(WEEKDAYS[like], "weekday")),
                       _("name a worked weekday: workday {day} like {weekday}").format(
                           day=day, weekday=named(WEEKDAYS[min(worked)], "weekday")),
                       code="calendar")  # fmt: skip
        elif day.weekday() in worked and entry.like is None:
            self.warn(entry.span, _("{day} is a {weekday}, already a working day").format(
                          day=day, weekday=named(WEEKDAYS[day.weekday()], "weekday")),
                      _("a workday line is for a weekend day worked in exchange for a holiday; "
                        "delete it if the date is right"), code="calendar")  # fmt: skip


def wait_said(wait: ast.Wait) -> str:
    """A wait as a message shows it: as written, and `8 working hours` as 8 工作小时 in
    Chinese."""
    return working_text(wait.written, current()) if wait.working else wait.written
