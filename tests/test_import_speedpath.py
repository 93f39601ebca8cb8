"""The import's fast path (engine.store.importer with plain=True, orjson, one executemany)
gives exactly what validating each row with pydantic and inserting it alone gives: the same
report, the same stored events with the same JSON values, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import sqlite
from test_store import backends, postgres_schema

from callqa.engine.errors import EventError
from callqa.engine.runtime.events import parse_event
from callqa.engine.store.database import Store, _sqlite_time, serialized
from callqa.engine.store.importer import ImportReport, _iso_time, import_file, rows_to_events
from callqa.engine.store.text_files import json_value, read_jsonl

SHANGHAI = ZoneInfo("Asia/Shanghai")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(JSON)
def test_a_line_is_read_as_json_reads_it(value: Any) -> None:
    line = json.dumps(value)
    read, expected = json_value(line), json.loads(line)
    assert json.dumps(read) == json.dumps(expected)  # NaN, ints and floats told apart


@given(st.dictionaries(st.text(), JSON, max_size=4))
def test_a_payload_holds_what_json_writes(fields: dict[str, Any]) -> None:
    data = {"kind": "call", "id": "c1", "at": dt.datetime(2026, 11, 2, 9, 0, 0, 5, SHANGHAI),
            "duration": 60.0, "big": 2**70, "fields": fields}  # fmt: skip
    for event in (data, {**data, "fields": {}}):
        got = json.loads(serialized(event))
        expected = json.loads(json.dumps(event, ensure_ascii=False, default=str))
        expected["at"] = event["at"].isoformat()  # type: ignore[attr-defined]
        assert json.dumps(got) == json.dumps(expected)


def _row(index: int, variant: int, form: int) -> dict[str, Any]:
    """Row `index` in one of a few contents (`variant`) and forms: well typed, with text
    pydantic converts, with a center's own fields, bad, or with numbers and truths as text."""
    at = dt.datetime(2026, 11, 2, 9, index % 60, tzinfo=SHANGHAI).isoformat()
    row: dict[str, Any] = {"kind": "call", "id": f"c{index}", "agent": f"A{variant}",
                           "duration": 30 * variant, "at": at}  # fmt: skip
    if form == 1:
        row.update(duration=f"{variant}m", at=at[:16].replace("T", " "), resolved="Y")
    elif form == 2:
        row.update(fields={"said": variant, "note": math.inf if variant == 2 else None})
    elif form == 3:
        row.update(agent="A\x00" if variant == 1 else "", hold_time=None, answered=None)
    elif form == 4:
        row.update(hold_time=None, team=None, answer_delay=7, answered=False)
    elif form == 5:  # a CSV file's cells: numbers and truths as text
        row.update(duration=str(30 * variant), hold_time=f"{variant}.25", resolved="true",
                   answered=["false", "true", "Y"][variant])  # fmt: skip
    elif form == 6:  # text pydantic reads, or refuses, in its own way
        row.update(duration=["007", " 9", "1e3"][variant], answer_delay=["-0", "-3", "0.5"][variant],
                   resolved=["TRUE", "0", "no"][variant])  # fmt: skip
    return row


ROWS = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 2), st.integers(0, 6)), max_size=25)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=ROWS, rows=ROWS, backend=st.sampled_from(backends()))
def test_an_import_is_the_rows_validated_and_stored_one_by_one(
    tmp_path_factory: Any, before: list[tuple[int, int, int]], rows: list[tuple[int, int, int]],
    backend: str,
) -> None:  # fmt: skip
    lines = [json.dumps(_row(*spec)) for spec in rows]
    stores = []
    for name in ("fast", "slow"):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'h.db'}"
            stores.append((Store(url, create=True), None))
        else:
            schema = postgres_schema()
            stores.append((Store(next(schema), create=True), schema))
    (fast, _), (slow, _) = stores
    try:
        for store in (fast, slow):  # the same history stored beforehand, one event at a time
            for spec in before:
                with contextlib.suppress(EventError, ValueError):  # a bad row: nothing
                    store.add_events([parse_event(_row(*spec))])
        path = tmp_path_factory.mktemp("log") / "events.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = import_file(fast, path, None, SHANGHAI)

        expected = ImportReport()  # pydantic for every row, each stored alone
        numbers: list[int] = []
        events = rows_to_events(read_jsonl(lines), [_all()], SHANGHAI, expected, numbers)
        for index, event in enumerate(events):
            counts = slow.add_events([event], source="events.jsonl", numbers=[numbers[index]])
            expected.kept += counts.kept
            expected.duplicates += counts.duplicates
            expected.conflicts += counts.conflicts
            expected.rejected += counts.rejected
        assert (report.read, report.kept, report.duplicates, report.skipped) == (
            expected.read, expected.kept, expected.duplicates, expected.skipped
        )  # fmt: skip
        assert report.conflicts == expected.conflicts
        assert sorted(report.rejected) == sorted(expected.rejected)
        assert _stored(fast) == _stored(slow)
    finally:
        for store, schema in stores:
            store.close()
            if schema is not None:
                next(schema, None)


def _all() -> Any:
    from callqa.engine.store.importer import EventMapping

    return EventMapping("", {})


def _stored(store: Store) -> dict[str, tuple[Any, ...]]:
    events = store.tables.events
    with store.engine.connect() as connection:
        columns = (events.c.id, events.c.kind, events.c.at_utc, events.c.agent)
        rows = connection.execute(select(*columns, events.c.payload, events.c.source)).all()
    return {row[0]: (*row[1:4], json.dumps(json.loads(row[4]), sort_keys=True), row[5])
            for row in rows}  # fmt: skip


def test_a_well_typed_event_is_stored_as_its_model_writes_it_without_its_empty_fields(
    tmp_path: Path,
) -> None:
    row = _row(3, 1, 4)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    store = Store(tmp_path / "h.db", create=True)
    assert import_file(store, path, None, SHANGHAI).kept == 1
    (payload,) = (json.loads(value[3]) for value in _stored(store).values())
    model = json.loads(json.dumps(parse_event(row).model_dump(), default=dt.datetime.isoformat))
    assert {name for name, value in model.items() if value is None or value == {}} == {
        "fields",
        "team",
        "type",
        "channel",
        "direction",
        "resolved",
        "topic",
        "hold_time",
    }  # the empty ones: left out, and filled in again when read
    assert payload == {name: value for name, value in model.items()
                       if name not in ("fields", "team", "type", "channel", "direction",
                                       "resolved", "topic", "hold_time")}  # fmt: skip
    (stored,) = store.events()
    assert parse_event(stored) == parse_event(row)


OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
AWARE = st.datetimes(
    min_value=dt.datetime(1900, 1, 2),
    max_value=dt.datetime(2999, 12, 30),
    timezones=OFFSETS | st.just(dt.UTC),
)  # the years an event may have


@given(AWARE, st.sampled_from(["iso", "space", "Z", "-00:00", "short", "millis", "zeros", "24"]))
def test_a_time_read_fast_is_the_time_pydantic_reads(moment: dt.datetime, form: str) -> None:
    """_iso_time reads only isoformat's own text, to the instant and offset pydantic reads;
    every text isoformat writes with an offset of whole minutes is read."""
    text = moment.isoformat()
    text = {
        "iso": text, "space": text.replace("T", " "), "Z": text[:-6] + "Z",
        "-00:00": text[:-6] + "-00:00", "short": text[:19] + ".5" + text[-6:],
        "millis": text[:19] + ".500" + text[-6:], "zeros": text[:19] + ".000000" + text[-6:],
        "24": text[:11] + "24:00:00" + text[-6:],
    }[form]  # fmt: skip
    read = _iso_time(text)
    if form == "iso":
        assert read == moment and read.utcoffset() == moment.utcoffset()
    if read is not None:
        at = parse_event({"kind": "call", "id": "c", "agent": "A", "duration": 1, "at": text}).at
        assert read.isoformat() == text == at.isoformat()


@given(AWARE)
def test_a_stored_time_is_the_text_sqlalchemy_writes(moment: dt.datetime) -> None:
    dialect = sqlite.dialect()
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    assert _sqlite_time(moment) == process(moment.astimezone(dt.UTC))
