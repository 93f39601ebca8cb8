"""A large import reads its file in a process of its own (engine.store.import_reader) while
the importing process writes: the report and the stored history are those of reading it
in one process, its errors are the same errors, and a reader that dies is said, with what
was kept."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from test_store import backends, postgres_schema

from callqa.engine.errors import InputFileError
from callqa.engine.store.database import Store
from callqa.engine.store.importer import BATCH, import_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(params=backends())
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty stores of the same kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    else:
        for first in postgres_schema():
            for second in postgres_schema():
                yield first, second


def _lines(count: int) -> list[str]:
    """Good calls over more than two batches, with the bad rows a real file has: a
    duplicate, a conflict, a NUL, half of a character, an unknown kind, a broken line."""
    lines = []
    for n in range(count):
        at = f"2026-11-{1 + n % 28:02d}T{8 + n % 10:02d}:{n % 60:02d}:00+08:00"
        call: dict[str, Any] = {"kind": "call", "id": f"c{n}", "at": at, "agent": f"A{n % 7}",
                                "duration": 30 + n % 200}  # fmt: skip
        if n % 1000 == 17:
            call["fields"] = {"note": "转接", "score": n}
        lines.append(json.dumps(call, ensure_ascii=False))
    lines[5] = lines[4]  # the same event twice: a duplicate
    lines[9] = lines[8].replace('"duration": 38', '"duration": 99')  # c8 again, other content
    lines[BATCH + 3] = lines[BATCH + 3].replace('"A', '"A\\u0000')
    lines[BATCH + 4] = lines[BATCH + 4].replace('"A', '"A\\ud800')
    lines[2 * BATCH + 1] = '{"kind": "cal", "id": "x", "at": "2026-11-02T09:00:00+08:00"}'
    lines[2 * BATCH + 2] = '{"kind": "call", "id": '
    return lines


def _stored(store: Store) -> list[tuple[Any, ...]]:
    events = store.tables.events
    with store.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(events)).all())


def test_a_file_read_in_another_process_is_imported_as_one_read_here(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(_lines(2 * BATCH + 500)) + "\n", encoding="utf-8")
    here, there = (Store(url, create=True) for url in urls)
    try:
        read_here = import_file(here, path, None, SHANGHAI, reader=False)
        read_there = import_file(there, path, None, SHANGHAI, reader=True)
        assert read_there == read_here
        assert read_here.kept == 2 * BATCH + 500 - 6
        assert read_here.duplicates == 1 and len(read_here.conflicts) == 1
        assert read_here.conflicts[0].startswith("row 10: call event 'c8' conflicts")
        assert [line.split(":")[0] for line in read_here.rejected] == [
            f"row {BATCH + 4}", f"row {BATCH + 5}", f"row {2 * BATCH + 2}", f"row {2 * BATCH + 3}"
        ]  # in the file's order  # fmt: skip
        assert "holds half of a character (\\ud800" in read_here.rejected[1]
        assert _stored(here) == _stored(there)
        again = import_file(there, path, None, SHANGHAI, reader=True)
        assert (again.kept, again.duplicates, len(again.conflicts)) == (0, read_here.kept + 1, 1)
    finally:
        here.close()
        there.close()


def test_the_readers_error_is_raised_here_with_its_message(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_bytes(b'{"kind": "call"}\n' + b"\xff\xfe\x00" * 5)  # in no encoding
    store = tmp_path / "h.db"
    with pytest.raises(InputFileError) as here:
        import_file(lambda: Store(store, create=True), path, None, SHANGHAI, reader=False)
    with pytest.raises(InputFileError) as there:
        import_file(lambda: Store(store, create=True), path, None, SHANGHAI, reader=True)
    assert str(there.value) == str(here.value)
    assert not store.exists()  # refused before any event: no database made


def test_a_reader_that_dies_is_said_and_what_was_written_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(_lines(3 * BATCH)) + "\n", encoding="utf-8")
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a reader that ends at once
    store = Store(tmp_path / "h.db", create=True)
    with pytest.raises(InputFileError, match=r"calls.jsonl: the process reading it stopped "
                       r"\(exit status 1\) before the end: the events written so far are "
                       "kept; import the file again to add the rest"):  # fmt: skip
        import_file(store, path, None, SHANGHAI, reader=True)
    assert store.count_events() == 0


def test_a_large_file_is_read_in_another_process_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import callqa.engine.store.importer as importer

    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(_lines(2 * BATCH + 500)) + "\n", encoding="utf-8")
    monkeypatch.setattr(importer, "READER_BYTES", path.stat().st_size)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # so its use shows
    with pytest.raises(InputFileError, match="the process reading it stopped"):
        import_file(Store(tmp_path / "h.db", create=True), path, None, SHANGHAI)
    monkeypatch.setattr(importer, "READER_BYTES", path.stat().st_size + 1)
    report = import_file(Store(tmp_path / "h.db", create=True), path, None, SHANGHAI)
    assert report.kept == 2 * BATCH + 500 - 6


def test_an_event_stored_with_all_its_fields_is_the_same_event_stored_without_the_empty_ones(
    tmp_path: Path,
) -> None:
    """callqa 3 stored every field (None ones too); an import of the same event now is a
    duplicate, not a conflict, and one with another value is still a conflict."""
    store = Store(tmp_path / "h.db", create=True)
    events = store.tables.events
    full = {"id": "c1", "at": "2026-11-02T09:00:00+08:00", "fields": {}, "kind": "call",
            "agent": "A1", "team": None, "duration": 60.0, "type": None, "channel": None,
            "direction": None, "answer_delay": None, "hold_time": None, "resolved": None,
            "topic": None, "answered": True}  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(events.insert().values(
            id="c1", kind="call", at_utc=dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC), agent="A1",
            payload=json.dumps(full), source="old.jsonl"))  # fmt: skip
    path = tmp_path / "calls.jsonl"
    same = {"kind": "call", "id": "c1", "at": full["at"], "agent": "A1", "duration": 60}
    path.write_text(json.dumps(same) + "\n" + json.dumps({**same, "duration": 61}) + "\n")
    report = import_file(store, path, None, SHANGHAI)
    assert (report.kept, report.duplicates, len(report.conflicts)) == (0, 1, 1)
    assert report.conflicts[0].startswith("row 2: call event 'c1' conflicts")
