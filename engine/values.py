"""Turning what services send (numbers, text, datetimes) into the language's values.

Called only off the fast path: the generated scoring code checks the common types
inline and calls these for anything else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from dsl.types import Type
from engine.errors import EvaluationError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "f"}


def to_duration(value: object, name: str) -> float:
    """Seconds from a number of seconds, a timedelta, or text such as `300`, `5m`, `00:05:00`."""
    if isinstance(value, bool):
        raise _bad(name, value, "a duration such as 300 (seconds) or 5m")
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
        parts = value.strip().split(":")
        if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
            seconds = 0
            for part in parts:
                seconds = seconds * 60 + int(part)
            return float(seconds) if len(parts) == 3 else float(seconds * 60)
    raise _bad(name, value, "a duration such as 300 (seconds) or 5m")


def to_number(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise _bad(name, value, "a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            pass
    raise _bad(name, value, "a number")


def to_text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(name, value, "a text")


def to_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad(name, value, "true or false")


def to_time(value: object, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _bad(name, value, "a time of day such as 11:00")


def to_date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _bad(name, value, "a date such as 2026-11-02")


def to_datetime(value: object, name: str, zone: ZoneInfo) -> dt.datetime:
    """An aware datetime in the policy's timezone; a naive one is read in that timezone."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _bad(name, value, "a date and time such as 2026-11-02 09:00") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value.astimezone(zone)
    raise _bad(name, value, "a date and time such as 2026-11-02 09:00")


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


def _bad(name: str, value: object, wanted: str) -> EvaluationError:
    return EvaluationError(f"{name} is {value!r}, which is not {wanted}", fact=name)
