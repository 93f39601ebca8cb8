"""Turning what services send (numbers, text, datetimes) into the language's values.

Called only off the fast path: the generated scoring code checks the common types
inline and calls these for anything else.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from callqa.dsl.i18n import N_, _
from callqa.dsl.types import Type
from callqa.engine.errors import EvaluationError

# Durations as call-center exports write them. A library was weighed and none fits: the
# ISO 8601 parsers read only PT3M45S, and the few that read 3m45s and 5:30 are unmaintained;
# this is a small, closed grammar. Units in falling order, each at most once.
_UNIT_WORDS = {
    "w": 604800, "周": 604800, "星期": 604800,
    "d": 86400, "天": 86400, "日": 86400,
    "h": 3600, "hr": 3600, "小时": 3600, "时": 3600,
    "m": 60, "min": 60, "分钟": 60, "分": 60,
    "s": 1, "sec": 1, "秒钟": 1, "秒": 1,
}  # fmt: skip
_UNIT = "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True))
# ASCII digits only: \d would take any script's digits (٣ read as 3)
_NUMBER = (
    r"(?:[0-9]{1,15}(?:\.[0-9]{1,9})?|\.[0-9]{1,9})"  # bounded: 4,300 digits would not convert
)
_PART = re.compile(rf"({_NUMBER})\s*({_UNIT})\s*", re.IGNORECASE)
# A number of seconds in any form a JSON number or a spreadsheet may take (-5, 1e999, nan):
# read as the number, so that the one check of numbers (real_number) refuses it in the same
# words as the same number sent as a number.
_REAL = re.compile(
    r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf(?:inity)?|nan)",
    re.IGNORECASE | re.ASCII,  # ASCII: İnf and ınf are no infinity for float()
)
_SECOND = r"[0-5][0-9](?:\.[0-9]{1,9})?"
_CLOCK = re.compile(rf"([0-9]{{1,9}}):([0-5][0-9])(?::({_SECOND})|(\.[0-9]{{1,9}}))?")
DURATION_FORMS = N_("seconds (225), 3m45s, 3分45秒, 3:45 (minutes:seconds) or 1:03:45 (h:mm:ss)")
# Two parts with a colon: minutes and seconds (talk time: 05:30 is 5 min 30 s), or hours and
# minutes. For a time that may run to hours (an online message answered the next morning),
# either is as likely, so a:b is refused there unless the mapping says which it is.
MM_SS, H_MM = "mm:ss", "h:mm"
DURATION_CLOCK_FORMS = (MM_SS, H_MM)
HOURS_LIKELY = frozenset({"answer_delay"})  # event fields whose a:b could be h:mm

# Date-times: ISO 8601 first (T or a space, seconds or not, an offset or Z), then this fixed
# list of forms Excel writes on Chinese Windows, read by the standard library's strptime (no
# guessing: python-dateutil would read 02/11/2026 as 11 February without a word). The year
# comes first in every form, so day and month are never confused.
_DATES = {"-": "%Y-%m-%d", "/": "%Y/%m/%d", ".": "%Y.%m.%d", "年": "%Y年%m月%d日"}
_CLOCKS = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f")
_DATETIME_FORMS = {  # by the separator after the year: only the forms that may match are tried
    separator: tuple(day + clock for clock in _CLOCKS)
    + (tuple(day + clock.strip() for clock in _CLOCKS[1:]) if separator == "年" else ())
    for separator, day in _DATES.items()
}  # 2026年11月2日9:00, no space
_DATE_SEPARATOR = re.compile(r"\d{4}([-/.年])")
_DAY = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})(?![0-9])")
_AMBIGUOUS = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})\b.*")
DATETIME_FORMS = N_("2026-11-02 09:00 (or 2026/11/2 9:00, 2026-11-02T09:00:00, 2026年11月2日 9:00)")
# the months by name, for a day the calendar does not have (as calendar.month_name in the
# C locale, in which callqa runs)
MONTH_NAMES = (
    "", N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip
_INF = float("inf")
TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "f"}


def to_duration(value: object, name: str) -> float:
    """Seconds from a number of seconds, a timedelta, or text such as `300`, `5m`, `00:05:00`."""
    if isinstance(value, bool):
        raise _bad(
            name,
            value,
            _("{name} is {value!r}, which is not a duration such as 300 (seconds) or 5m"),
        )
    if isinstance(value, int | float):
        return real_number(value, name, duration=True)
    if isinstance(value, dt.timedelta):
        return real_number(value.total_seconds(), name, duration=True)
    if isinstance(value, str):
        try:
            seconds = parse_duration(value, clock_form(name.rsplit(".", 1)[-1]))
        except ValueError as error:
            raise EvaluationError(
                _("{name}: {problem}").format(name=name, problem=error), fact=name
            ) from None
        return real_number(seconds, name, duration=True, given=value)
    raise _bad(
        name, value, _("{name} is {value!r}, which is not a duration such as 300 (seconds) or 5m")
    )


def real_number(value: float, name: str, *, duration: bool = False, given: object = None) -> float:
    """`value`, when it is a real number (a duration: not negative). The one check of
    numbers for scoring, conditions and events: NaN makes every comparison false (a
    failed item read as not applicable, an alert never raised), an infinity is no count
    or time, and a negative duration no length of time. `given`: the text it was read
    from, shown in the message."""
    shown = repr(value if given is None else given)
    if value != value or value in (_INF, -_INF):
        raise EvaluationError(
            _("{name} is {value}, which is not a number (NaN or infinite): correct it "
              "or leave it out").format(name=name, value=shown), fact=name
        )  # fmt: skip
    if duration and value < 0:
        raise EvaluationError(
            _("{name} is {value}, a negative duration: a duration is 0 seconds or more").format(
                name=name, value=shown
            ),
            fact=name,
        )
    return value


def clock_form(field: str) -> str | None:
    """How a two-part a:b duration in `field` is read: mm:ss, or None (refused) for the
    fields whose durations may run to hours (HOURS_LIKELY)."""
    return None if field in HOURS_LIKELY else MM_SS


def parse_duration(text: str, clock: str | None = MM_SS) -> float:
    """Seconds from a duration as exports write it (see DURATION_FORMS). Two parts with a
    colon are read as `clock` says (mm:ss: 5:30 is 330 s; h:mm: 5:30 is 19,800 s; None:
    refused, with the forms that say which), three are h:mm:ss. A number of seconds is
    returned as written, negative, infinite or NaN included, for real_number to judge. The
    one reading of durations for import, events and scoring; a ValueError says what to
    write instead."""
    stripped = text.strip()
    if _REAL.fullmatch(stripped):
        number = float(stripped)
        return int(number) if number.is_integer() and stripped.lstrip("+-").isdigit() else number
    parts = _CLOCK.fullmatch(stripped)
    if parts:
        first, second, third, fraction = parts.groups()
        if third is not None:
            return int(first) * 3600 + int(second) * 60 + float(third)
        if clock is None:
            raise ValueError(
                _(
                    "{text} could be minutes:seconds or hours:minutes: write "
                    "0:{first:02d}:{second} or {first}m{second}s for minutes and "
                    "seconds, or {first}:{second}:00 or {first}h{second}m for hours "
                    'and minutes (or say which in the mapping: duration_form = "mm:ss" or "h:mm")'
                ).format(text=shown(text), first=int(first), second=second)
            )
        if clock == H_MM and fraction is None:
            return int(first) * 3600 + int(second) * 60
        if clock == MM_SS:
            return int(first) * 60 + float(second + (fraction or ""))
    seconds, position, last_unit = 0.0, 0, None
    for part in _PART.finditer(stripped):
        unit = _UNIT_WORDS.get(part.group(2).lower())  # ſ matches s, ignoring case
        if part.start() != position or unit is None or (last_unit and unit >= last_unit):
            break
        seconds += float(part.group(1)) * unit
        position, last_unit = part.end(), unit
    else:
        if stripped and position == len(stripped):
            return seconds
    raise ValueError(
        _("{text} is not a duration: write {forms}").format(
            text=shown(text), forms=_(DURATION_FORMS)
        )
    )


def to_number(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise _bad(name, value, _("{name} is {value!r}, which is not a number"))
    if isinstance(value, int | float):
        return real_number(value, name)
    if isinstance(value, str):
        text = value.strip()
        digits = text[:-1].rstrip() if text.endswith("%") else text
        if _REAL.fullmatch(digits):  # as durations: ASCII digits (float() takes ٣ and 1_000)
            number = float(digits) / 100 if digits != text else float(digits)
            return real_number(number, name, given=value)
    raise _bad(name, value, _("{name} is {value!r}, which is not a number"))


def to_text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(name, value, _("{name} is {value!r}, which is not a text"))


def to_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad(name, value, _("{name} is {value!r}, which is not true or false"))


def to_time(value: object, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
        for form in _CLOCKS[1:]:  # 9:00, as the forms of parse_datetime write it
            try:
                return dt.datetime.strptime(value.strip(), form.strip()).time()
            except ValueError:
                continue
    raise _bad(name, value, _("{name} is {value!r}, which is not a time of day such as 11:00"))


def to_date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError as error:
            raise EvaluationError(
                _("{name}: {problem}").format(name=name, problem=error), fact=name
            ) from None
    raise _bad(name, value, _("{name} is {value!r}, which is not a date such as 2026-11-02"))


def parse_date(text: str) -> dt.date:
    """A date in any of the forms parse_datetime reads, without a time of day."""
    moment = parse_datetime(text)
    if moment.time() != dt.time() or moment.tzinfo is not None:
        raise ValueError(
            _("{text} is a date and time: write only the date, as in 2026-11-02").format(
                text=shown(text)
            )
        )
    return moment.date()


def to_datetime(value: object, name: str, zone: ZoneInfo) -> dt.datetime:
    """An aware datetime in the policy's timezone; a naive one is read in that timezone."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError as error:
            raise EvaluationError(
                _("{name}: {problem}").format(name=name, problem=error), fact=name
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value.astimezone(zone)
    raise _bad(
        name, value, _("{name} is {value!r}, which is not a date and time such as 2026-11-02 09:00")
    )


def parse_datetime(text: str) -> dt.datetime:
    """A date and time as exports write it (see DATETIME_FORMS), naive unless it carries an
    offset. The one reading of times for import, events and scoring; a date whose day and
    month could be swapped (02/11/2026, 11/2/26) is refused, with the form to write."""
    stripped = text.strip()
    try:
        return dt.datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        pass
    separator = _DATE_SEPARATOR.match(stripped)
    for form in _DATETIME_FORMS[separator[1]] if separator else ():
        try:
            return dt.datetime.strptime(stripped, form)
        except ValueError:
            continue
    problem = _no_such_day(text, stripped)
    if problem:
        raise ValueError(problem)
    if _AMBIGUOUS.fullmatch(stripped):
        raise ValueError(
            _(
                "{text} could be day-first or month-first: write the year first, as in {forms}"
            ).format(text=shown(text), forms=_(DATETIME_FORMS))
        )
    raise ValueError(
        _("{text} is not a date and time: write {forms}").format(
            text=shown(text), forms=_(DATETIME_FORMS)
        )
    )


def _no_such_day(text: str, stripped: str) -> str | None:
    """Why a year-first date (`text`, `stripped` of blanks) names a day the calendar does
    not have (2026/2/30), or None."""
    day = _DAY.match(stripped)
    if day is None:
        return None
    year, month, number = map(int, day.groups())
    if not 1 <= month <= 12:
        return _(
            "{text} is not a real date: a year has no month {month} (the month comes after "
            "the year); correct the date"
        ).format(text=shown(text), month=month)
    if year >= 1 and not 1 <= number <= calendar.monthrange(year, month)[1]:
        return _(
            "{text} is not a real date: {month_name} {year} has no day {day}; correct the date"
        ).format(text=shown(text), month_name=_(MONTH_NAMES[month]), year=year, day=number)
    return None


def shown(text: str, limit: int = 60) -> str:
    """`text` quoted for a message, cut short: a cell of 100,000 characters is not shown."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def converter(kind: Type, zone: ZoneInfo) -> Callable[[object, str], object]:
    simple: dict[Type, Callable[[object, str], object]] = {
        Type.DURATION: to_duration,
        Type.NUMBER: to_number,
        Type.TEXT: to_text,
        Type.BOOL: to_bool,
        Type.TIME: to_time,
        Type.DATE: to_date,
    }
    if kind is Type.DATETIME:
        return lambda value, name: to_datetime(value, name, zone)
    return simple.get(kind, lambda value, name: value)


def _bad(name: str, value: object, message: str) -> EvaluationError:
    """`message` (`{name} is {value!r}, which is not ...`) about the fact `name`."""
    return EvaluationError(message.format(name=name, value=value), fact=name)
