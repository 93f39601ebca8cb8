"""Importing event logs (CSV or JSON Lines) through a column mapping.

A mapping is a small TOML file that says which kind of event each row is and where each
field comes from:

    kind = "call"
    [fields]
    id = "Call Id"                          # a column
    at = "{Date} {Time}"                    # columns joined by a template; 2026-11-02 09:00,
                                            # 2026/11/2 9:00 or 2026年11月2日 9:00 all work
    agent = "Agent"
    duration = "AvgTalkDuration"            # 225, 3m45s, 3:45 (m:ss), 00:03:45 (h:mm:ss)
    resolved = { column = "Resolved", map = { Y = true, N = false } }
    hold_time = { column = "Hold", default = 0 }  # an empty cell: 0, not a missing field
    answer_delay = { column = "Wait", duration_form = "h:mm" }  # 9:15 is 9 h 15 min (or
                                            # "mm:ss"); without it, 9:15 is refused here
    [at]                                    # optional: how to read the time
    formats = ["%d-%m-%Y %I:%M:%S %p", "%m-%d-%Y %I:%M:%S %p"]
    within = ["2015-04-01", "2015-07-01"]   # the first format giving a time in range wins
    [where]                                 # keep only rows whose column has this value
    "Answered (Y/N)" = "Y"
    [where_not]
    server = "NO_SERVER"
    [[also]]                                # more events from the same row
    kind = "survey"
    ...

Every row is validated as an event; a bad row is rejected with its row number and reason
and every good row is kept. Importing the same file twice adds nothing (event ids). Times
and durations are read by engine.values.parse_datetime and parse_duration, as everywhere:
a date whose day and month could be swapped (02/11/2026) is refused, not guessed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import pickle
import re
import subprocess
import sys
import tomllib
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from callqa.dsl.i18n import _, current
from callqa.engine.errors import EventError, InputFileError
from callqa.engine.errors import MappingError as MappingError  # its old home
from callqa.engine.runtime.events import EVENT_KINDS, event_model, parse_event
from callqa.engine.runtime.plain_events import PlainReader, plain_reader
from callqa.engine.scoring.evaluations import Row, RowError, read_records
from callqa.engine.store.database import (
    PreparedEvents,
    Serialized,
    Store,
    encoded,
    prepare_events,
    unstorable,
)
from callqa.engine.store.text_files import read_data
from callqa.engine.values import DURATION_CLOCK_FORMS, parse_datetime, parse_duration, shown

_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_NESTED = re.compile(r"^\s*([^\s=]+)\s*=\s*[\[{]\s*[\[{]", re.MULTILINE)  # key = [[...
MAX_MAPPING = 1 << 20  # bytes: a mapping is a few lines


@dataclass
class ImportReport:
    read: int = 0
    kept: int = 0
    duplicates: int = 0
    skipped: int = 0  # filtered out by [where]/[where_not]
    rejected: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # another event stored under its id

    def summary(self) -> str:
        return _(
            "read {read} rows: kept {kept} events, {duplicates} already stored, {conflicts} "
            "conflicting with a stored event (the stored one kept), {skipped} filtered out, "
            "{rejected} rejected"
        ).format(
            read=self.read, kept=self.kept, duplicates=self.duplicates,
            conflicts=len(self.conflicts), skipped=self.skipped, rejected=len(self.rejected),
        )  # fmt: skip


@dataclass(frozen=True)
class EventMapping:
    kind: str
    fields: Mapping[str, Any]
    at_formats: tuple[str, ...] = ()
    within: tuple[dt.date, dt.date] | None = None
    where: Mapping[str, str] = field(default_factory=dict)
    where_not: Mapping[str, str] = field(default_factory=dict)


def load_mapping(path: str | Path) -> list[EventMapping]:
    text = read_data(path, limit=MAX_MAPPING)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(
            _("{path}: not valid TOML ({error})").format(path=path, error=error)
        ) from None
    except RecursionError:
        key = _NESTED.search(text)
        nested = (
            _("{path}: {key} is nested too deeply (lists or tables inside each other hundreds "
              'of times) to be a mapping: write a column, e.g. "Agent"')
            if key
            else _("{path}: a value is nested too deeply (lists or tables inside each other "
                   'hundreds of times) to be a mapping: write a column, e.g. "Agent"')
        )  # fmt: skip
        raise MappingError(nested.format(path=path, key=key[1] if key else "")) from None
    also = data.get("also", [])
    if not isinstance(also, list) or not all(isinstance(extra, dict) for extra in also):
        raise MappingError(_("{path}: also must be tables, each written [[also]]").format(
            path=path
        ))  # fmt: skip
    return [_mapping(data, str(path))] + [_mapping(extra, str(path)) for extra in also]


def _mapping(data: Mapping[str, Any], path: str) -> EventMapping:
    """One mapping, its every part checked: a mistake names the part and what to write."""
    if "kind" not in data or "fields" not in data:
        raise MappingError(_('{path}: a mapping needs kind = "..." and a [fields] '
                             "table").format(path=path))  # fmt: skip
    if not isinstance(data["kind"], str):
        raise MappingError(_('{path}: kind must be text, e.g. kind = "call"').format(path=path))
    fields, at = data["fields"], data.get("at", {})
    if not isinstance(fields, dict):
        raise MappingError(_('{path}: fields must be a table, e.g. [fields] agent = '
                             '"Agent"').format(path=path))  # fmt: skip
    for name, source in fields.items():
        _check_source(path, name, source)
    if not isinstance(at, dict):
        raise MappingError(_('{path}: at must be a table, e.g. [at] formats = '
                             '["%d-%m-%Y %H:%M"]').format(path=path))  # fmt: skip
    formats = at.get("formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise MappingError(_('{path}: at.formats must be a list of text, e.g. '
                             '["%d-%m-%Y %H:%M"]').format(path=path))  # fmt: skip
    for key in ("where", "where_not"):
        table = data.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise MappingError(_('{path}: {key} must be a table of column = "value"').format(
                path=path, key=key
            ))  # fmt: skip
    within = None
    if "within" in at:
        within = _within(path, at["within"])
    return EventMapping(
        data["kind"], data["fields"], tuple(at.get("formats", ())), within,
        data.get("where", {}), data.get("where_not", {}),
    )  # fmt: skip


def _check_source(path: str, name: str, source: object) -> None:
    """A field's source: a column, a "{A} {B}" template, or a table with column (and map,
    and a default for an empty cell) or value."""
    where = f"{path}: fields.{name}"  # a file and a key in it: no words
    if isinstance(source, str):
        if source.count("{") != source.count("}"):
            raise MappingError(_("{where}: {source!r} opens and closes braces unevenly; write "
                                 'a template such as "{{Date}} {{Time}}"').format(
                where=where, source=source
            ))  # fmt: skip
        return
    if isinstance(source, dict):
        if "value" in source:
            return
        if not isinstance(source.get("column"), str):
            raise MappingError(_('{where}: name its column, e.g. {{ column = "Resolved" '
                                 "}}").format(where=where))  # fmt: skip
        if "map" in source and not isinstance(source["map"], dict):
            raise MappingError(
                _("{where}: map must be a table, e.g. map = {{ Y = true, N = false }}").format(
                    where=where
                )
            )
        if source.get("duration_form", "mm:ss") not in DURATION_CLOCK_FORMS:
            raise MappingError(
                _(
                    '{where}: duration_form is {form!r}; write "mm:ss" (9:15 is 9 minutes 15 '
                    'seconds) or "h:mm" (9:15 is 9 hours 15 minutes)'
                ).format(where=where, form=source["duration_form"])
            )
        return
    raise MappingError(_('{where}: write a column name, e.g. {name} = "Agent"').format(
        where=where, name=name
    ))  # fmt: skip


def _within(path: str, value: object) -> tuple[dt.date, dt.date]:
    problem = _(
        '{path}: at.within must be two dates in order, e.g. ["2015-04-01", "2015-07-01"]'
    ).format(path=path)
    if not isinstance(value, list) or len(value) != 2:
        raise MappingError(problem)
    try:
        first, last = (dt.date.fromisoformat(str(day)) for day in value)
    except ValueError:
        raise MappingError(problem) from None
    if not first < last:
        raise MappingError(problem)
    return first, last


def rows_to_events(
    rows: Iterator[Row | RowError], mappings: list[EventMapping], zone: ZoneInfo,
    report: ImportReport, numbers: list[int] | None = None, *, plain: bool = False,
) -> Iterator[Any]:  # fmt: skip
    """The events of the rows, counting and rejecting in `report`; `numbers`, when given,
    gets the row of each event yielded, for the store's messages about it. With `plain`, a
    well-typed event comes as its model's `model_dump()` and JSON (`Serialized`), without
    building the model (`_plain_event`); the store takes either."""
    for row in rows:
        report.read += 1
        if isinstance(row, RowError):
            report.rejected.append(str(row))
            continue
        for mapping in mappings:
            if (mapping.where or mapping.where_not) and not _selected(row.evaluation, mapping):
                report.skipped += 1
                continue
            try:
                data = _event(row.evaluation, mapping, zone)
                event: Any = _plain_event(data) if plain else None
                if event is None:
                    event = parse_event(data)
                    if event.at.tzinfo is None:  # a time without a zone is read in `zone`
                        event = event.model_copy(update={"at": event.at.replace(tzinfo=zone)})
                    problem = unstorable(event)  # a NUL character: no database can keep it
                    if problem is not None:  # (a plain one: the store's prepare_events says)
                        raise ValueError(problem)
                if numbers is not None:
                    numbers.append(row.number)
                yield event
            except (EventError, KeyError, ValueError) as error:
                report.rejected.append(_("row {number}: {message}").format(
                    number=row.number, message=_reason(error)
                ))  # fmt: skip


def _plain_event(data: dict[str, Any]) -> Serialized | None:
    """`data` as the store keeps it (`stored_form` of `parse_event(data).model_dump()`:
    without its empty fields), and its payload, when the
    engine's plain checker (engine.runtime.plain_events, the one its fast path uses) accepts
    it unchanged with an aware time; None: validate it with pydantic, for the same event or
    its error message. A time given as text is read only when it is as `isoformat` writes
    it with an offset of hours and minutes (the form pydantic reads to the same instant, and
    the one a payload keeps): that text goes into the payload as it is. A CSV file's
    numbers and true/false are text: read by `_read_texts`."""
    kind = data.get("kind")
    found = _plain_kinds().get(kind) if kind.__class__ is str else None
    if found is None:
        return None
    reader, _, odd, texts = found
    at: Any = data.get("at")
    text = at
    if at.__class__ is str:
        at = _iso_time(text)
        if at is None:
            return None
        data = {**data, "at": at}
    values = reader(data)
    if values is None:  # numbers or truths written as text (a CSV file's)?
        read = _read_texts(data, texts)
        if not read:
            return None
        data = {**data, **read}
        values = reader(data)
    if values is None or at.tzinfo is None:
        return None
    event = values  # the store's form (stored_form): without the empty fields
    for name in odd:  # left out by the checker (None, an empty `fields`): as given
        if name not in values and name in data:
            event[name] = data[name]
    if text is at:
        return Serialized(event, encoded(event))
    event["at"] = text  # the payload's time is the text, without a call to write it again
    payload = encoded(event)
    event["at"] = at
    return Serialized(event, payload)


def _iso_time(text: str) -> dt.datetime | None:
    """A time as JSON Lines files (and callqa's own exports) write it, and only then:
    exactly as `isoformat` writes it (2026-11-02T09:00:00+08:00, or with .ffffff that is
    not .000000), which pydantic reads to the same instant and a payload keeps as it is.
    Checked by where the separators are, a fifth of the time of writing it again."""
    if len(text) == 25:
        if text[4:23:3] not in ("--T::+:", "--T::-:") or text.endswith("-00:00"):
            return None
    elif len(text) != 32 or text[4:20:3] != "--T::." or text[20:26] == "000000" or (
        text[26] not in "+-" or text[29] != ":" or text.endswith("-00:00")
    ):  # fmt: skip
        return None
    try:  # reads its digits as digits (ASCII only), so the form is isoformat's
        moment = dt.datetime.fromisoformat(text)
    except ValueError:  # 2026-02-30: pydantic says why
        return None
    return moment if moment.hour == int(text[11:13]) else None  # T24:00 is the next day


# a number as a CSV cell writes it, which float() reads as pydantic does: no blanks, sign
# +, exponent, leading zero, nan or inf (those go to pydantic, for its reading or message)
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")
_TRUTHS = {"true": True, "false": False}


def _read_texts(data: dict[str, Any], texts: tuple[tuple[str, bool], ...]) -> dict[str, Any]:
    """The values of `texts` (a kind's number fields, and its true/false ones: True) that
    `data` holds as text in a form pydantic reads without a doubt: 90 or 1.5 as a float,
    true or false as a bool; the plain checker then takes them. Any other text is left
    as it is, for pydantic."""
    read: dict[str, Any] = {}
    for name, truth in texts:
        value = data.get(name)
        if value.__class__ is str:
            if truth:
                if value in _TRUTHS:
                    read[name] = _TRUTHS[value]
            elif _DECIMAL.fullmatch(value):
                read[name] = float(value)
    return read


class _Kind(NamedTuple):
    reader: PlainReader
    defaults: dict[str, Any]  # the model's fields with their defaults, in order
    odd: tuple[str, ...]  # fields whose default is neither None nor empty
    texts: tuple[tuple[str, bool], ...]  # float and bool fields (True), for _read_texts


@functools.cache
def _plain_kinds() -> dict[str, _Kind]:
    """Each kind's plain checker, its model's fields with their defaults in order, the
    fields whose default is neither None nor empty, but for those the checker always gives
    (required, and never None), and its float and bool fields."""
    kinds = {}
    for kind in EVENT_KINDS:
        model = event_model(kind)
        reader = plain_reader(model)
        if reader is not None:
            fields = model.model_fields
            defaults = {name: info.get_default(call_default_factory=True)
                        for name, info in fields.items()}  # fmt: skip
            odd = tuple(name for name, value in defaults.items() if value not in (None, {})
                        and not (fields[name].is_required()
                                 and type(None) not in typing.get_args(fields[name].annotation)
                                 and fields[name].annotation not in (None, Any)))  # fmt: skip
            texts = tuple((name, bool in types) for name, info in fields.items()
                          if (types := {info.annotation, *typing.get_args(info.annotation)})
                          & {float, bool})  # fmt: skip
            kinds[kind] = _Kind(reader, defaults, odd, texts)
    return kinds


def import_file(
    store: Store | Callable[[], Store], path: str | Path, mapping_path: str | Path | None,
    zone: ZoneInfo, *, reader: bool | None = None,
) -> ImportReport:  # fmt: skip
    """Import a file's rows. `store` may be a function that opens it: it is called at the
    first event to store, so a file refused before then (unreadable, in no encoding callqa
    reads, with no good row) creates no database. `reader`: read and check the rows in a
    process of their own (engine.store.import_reader) while this one writes them, on
    another core; by default for a file of READER_BYTES or more."""
    report = ImportReport()
    mappings = load_mapping(mapping_path) if mapping_path else [EventMapping("", {})]
    name = Path(path).name
    if reader is None or str(path) == "-":  # standard input is read here
        reader = str(path) != "-" and _large(Path(path))
    steps = (_read_elsewhere if reader else prepared_steps)(path, mappings, zone, name)
    for step in steps:
        report.read += step.read
        report.skipped += step.skipped
        report.rejected += step.rejected
        if step.events is not None:
            opened = store if isinstance(store, Store) else store()
            counts = opened.add_prepared(step.events)
            report.kept += counts.kept
            report.duplicates += counts.duplicates
            report.conflicts += counts.conflicts
            report.rejected += counts.rejected
    return report


BATCH = 5000
"""The rows written at a time: each batch is one transaction, kept once written."""
READER_BYTES = 8 << 20
"""From this size a file is read in a process of its own (a second to start it is worth it)."""


class Step(NamedTuple):
    """A batch of a file's events ready for the store (None: no event since the last step),
    with the rows read, filtered out and rejected since the last step."""

    events: PreparedEvents | None
    read: int
    skipped: int
    rejected: list[str]


def prepared_steps(
    path: str | Path, mappings: list[EventMapping], zone: ZoneInfo, source: str
) -> Iterator[Step]:
    """The file's events as the store takes them (`prepare_events`), a batch at a time:
    memory stays flat however large the file."""
    report = ImportReport()
    batch: list[Any] = []
    numbers: list[int] = []  # rows_to_events appends to this very list

    def step() -> Step:
        events = prepare_events(batch, source, numbers) if batch else None
        made = Step(events, report.read, report.skipped, report.rejected)
        report.read, report.skipped, report.rejected = 0, 0, []
        batch.clear()
        numbers.clear()
        return made

    for event in rows_to_events(read_records(path), mappings, zone, report, numbers, plain=True):
        batch.append(event)
        if len(batch) == BATCH:
            yield step()
    yield step()


def _large(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size >= READER_BYTES
    except OSError:  # read here, for the message
        return False


def _read_elsewhere(
    path: str | Path, mappings: list[EventMapping], zone: ZoneInfo, source: str
) -> Iterator[Step]:
    """`prepared_steps` run by another Python process (engine.store.import_reader), which
    reads and checks the next batch while this one writes the last: the two halves of an
    import take about as long each, so it takes about half the time on two cores. Its
    errors are raised here as they were there; ctrl+c or an error here stops it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "callqa.engine.store.import_reader"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        env={**os.environ, "CALLQA_LANG": current()},  # its messages: in this run's language
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    try:
        with contextlib.suppress(BrokenPipeError), child.stdin:  # it ended: said below
            pickle.dump((str(Path(path).absolute()), mappings, zone, source), child.stdin)
        while True:
            try:
                step = pickle.load(child.stdout)
            except EOFError:
                break
            if step is None:  # the end of the file
                return
            if isinstance(step, BaseException):
                raise step
            yield step
        raise InputFileError(
            _(
                "{path}: the process reading it stopped (exit status {status}) before the "
                "end: the events written so far are kept; import the file again to add the "
                "rest"
            ).format(path=path, status=child.wait())
        )
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def _selected(record: Mapping[str, Any], mapping: EventMapping) -> bool:
    for column, value in mapping.where.items():
        if str(record.get(column, "")) != str(value):
            return False
    return all(str(record.get(column, "")) != str(value)
               for column, value in mapping.where_not.items())  # fmt: skip


def _event(record: Mapping[str, Any], mapping: EventMapping, zone: ZoneInfo) -> dict[str, Any]:
    if not mapping.kind:  # no mapping: the file already holds events (read, never changed)
        return record if isinstance(record, dict) else dict(record)
    event: dict[str, Any] = {"kind": mapping.kind}
    for name, source in mapping.fields.items():
        value = _value(record, source)
        if value is None or value == "":
            continue
        if isinstance(source, dict) and "duration_form" in source and isinstance(value, str):
            try:  # the mapping says how a:b reads: seconds go on to the event's checks
                value = parse_duration(value, source["duration_form"])
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None  # a field: no words
        event[name] = value
    if "at" in event:
        event["at"] = _time(str(event["at"]), mapping, zone)
    return event


def _value(record: Mapping[str, Any], source: Any) -> Any:
    if isinstance(source, str):
        if "{" in source:
            missing = [name for name in _TEMPLATE.findall(source) if name not in record]
            if missing:
                raise KeyError(_("column {name!r} is empty or missing").format(name=missing[0]))
            return _TEMPLATE.sub(lambda m: str(record[m.group(1)]), source)
        return record.get(source)
    if isinstance(source, dict):
        if "value" in source:
            return source["value"]
        raw = record.get(source["column"])
        if raw is None or raw == "":
            return source.get("default")
        table = source.get("map")
        if table is not None:
            key = _map_key(raw)
            if key not in table:
                raise ValueError(_("{column} is {cell}; the mapping knows {keys}").format(
                    column=source["column"], cell=_cell(raw), keys=", ".join(table)
                ))  # fmt: skip
            return table[key]
        return raw
    return source


def _cell(raw: object) -> str:
    """A cell as a message shows it: text quoted, a JSON list or object as JSON."""
    return shown(raw) if isinstance(raw, str) else shown(json.dumps(raw, ensure_ascii=False))


def _map_key(raw: object) -> str | None:
    """A cell as a key of a mapping's map: TOML keys are text, so a JSON number or true is
    looked up as 1 or true; a list or an object is no key (None)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    return None


def _time(text: str, mapping: EventMapping, zone: ZoneInfo) -> dt.datetime:
    if not mapping.at_formats:  # the forms every file may use (engine.values)
        parsed = parse_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    for pattern in mapping.at_formats:
        try:
            parsed = dt.datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        if mapping.within is None or mapping.within[0] <= parsed.date() < mapping.within[1]:
            return parsed.replace(tzinfo=zone)
    raise ValueError(_("time {text!r} matches none of the mapping's formats").format(text=text))


def _reason(error: Exception) -> str:
    text = str(error)
    return text.strip("'\"") if isinstance(error, KeyError) else text
