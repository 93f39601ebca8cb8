"""Hostile CSV and JSON Lines rows (issue 15, items 10 and 13): whatever a file holds, the
import raises nothing but callqa's own errors, keeps every good row, and reports every bad
row with its row number. Rows are read and validated as `callqa import` does
(engine.store.text_files.read_records, then engine.store.importer.rows_to_events); the store is
tested on its own."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from callqa.engine.errors import EngineError, InputFileError
from callqa.engine.store.importer import EventMapping, ImportReport, rows_to_events
from callqa.engine.store.text_files import data_encoding, read_records

SHANGHAI = ZoneInfo("Asia/Shanghai")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = ["kind", "id", "agent", "at", "duration"]

# A good row: a call with a unique id, in the forms exports write
GOOD = st.tuples(
    st.sampled_from(["张三", "李四", "王小明", "A17", "Zoë"]),
    st.integers(0, 59),
    st.sampled_from(["2026-11-02 10:{m:02d}", "2026/11/2 10:{m:02d}", "2026年11月2日 10:{m:02d}"]),
    st.integers(0, 7200),
    st.sampled_from(["{s}", "{s}.0", "{mm}:{ss:02d}", "0:{mm:02d}:{ss:02d}"]),
)


def _good(number: int, drawn: tuple[str, int, str, int, str]) -> dict[str, Any]:
    agent, minute, at, seconds, duration = drawn
    minutes, secs = divmod(seconds, 60)
    if duration.startswith("0:"):
        minutes = min(minutes, 59)
        seconds = minutes * 60 + secs
    text = duration.format(s=seconds, mm=minutes, ss=secs)
    return {"kind": "call", "id": f"good-{number}", "agent": agent,
            "at": at.format(m=minute), "duration": text, "seconds": seconds}  # fmt: skip


LINE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    max_size=40,
)  # fmt: skip
HOSTILE_CELL = st.one_of(
    LINE_TEXT,
    st.sampled_from(["NaN", "nan", "inf", "-inf", "1e999", "-5", "", " ", '"', '""', "\x00",
                     "02/11/2026 9:00", "5:75", "3m3m", "[1,2]", "{}", "9" * 5000]),
    st.just("x" * 140_000),  # over csv's 131,072-character cell limit
)  # fmt: skip


@st.composite
def hostile_csv_row(draw: st.DrawFn, good: dict[str, Any]) -> str:
    """A line that is not a good row: a good row mutated, or cells of junk."""
    cells = [str(good[name]) for name in COLUMNS]
    how = draw(st.sampled_from(["replace", "quote", "cells", "junk", "drop"]))
    if how == "replace":
        cells[draw(st.integers(0, len(cells) - 1))] = draw(HOSTILE_CELL)
    elif how == "quote":
        cells[draw(st.integers(0, len(cells) - 1))] = '"' + draw(LINE_TEXT)
    elif how == "cells":
        cells += draw(st.lists(HOSTILE_CELL, min_size=1, max_size=3))
    elif how == "drop":
        del cells[draw(st.integers(0, len(cells) - 1))]
    else:
        return draw(LINE_TEXT)
    return ",".join(cells)


@st.composite
def csv_file(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Good rows and hostile lines, mixed: (the good rows, every line by kind)."""
    goods = [_good(n, draw(GOOD)) for n in range(draw(st.integers(1, 12)))]
    lines: list[tuple[str, str]] = []
    for good in goods:
        lines += [("bad", draw(hostile_csv_row(good))) for _ in range(draw(st.integers(0, 2)))]
        lines.append(("good", ",".join(str(good[name]) for name in COLUMNS)))
    return goods, lines


def _import(path: Path) -> tuple[list[Any], ImportReport]:
    report = ImportReport()
    rows = read_records(path)
    return list(rows_to_events(rows, [EventMapping("", {})], SHANGHAI, report)), report


def _check(goods: list[dict[str, Any]], events: list[Any], report: ImportReport,
           bad_lines: set[int]) -> None:  # fmt: skip
    kept = {event.id: event for event in events}
    for good in goods:  # every good row is kept, as written
        event = kept[good["id"]]
        assert (event.agent, event.duration) == (good["agent"], good["seconds"])
    for problem in report.rejected:  # every rejection names a bad row
        assert problem.startswith("row "), problem
        assert int(problem.split(":")[0].removeprefix("row ")) in bad_lines, problem


@FUZZ
@given(csv_file(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_hostile_csv_rows_are_reported_and_every_good_row_is_kept(
    drawn: tuple[list[dict[str, Any]], list[tuple[str, str]]], encoding: str
) -> None:
    goods, lines = drawn
    text = ",".join(COLUMNS) + "\n" + "\n".join(line for _, line in lines) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "gb18030":  # Excel writes GBK; a few GBK characters are UTF-8 too
        assume(all(ch.isascii() or _in_gbk(ch) for ch in text) and not _looks_mixed(data))
    bad_lines = {number for number, (kind, _) in enumerate(lines, start=2) if kind == "bad"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_bytes(data)
        events, report = _import(path)
    _check(goods, events, report, bad_lines)
    quote_free = True  # a bad line before any quote cannot be part of another row
    for number, (kind, line) in enumerate(lines, start=2):
        quote_free = quote_free and '"' not in line
        blank = all(not cell.strip() for cell in line.split(","))
        if kind == "bad" and quote_free and not blank and line.count(",") != 4:
            assert any(p.startswith(f"row {number}:") for p in report.rejected), (number, line)


def _in_gbk(character: str) -> bool:
    try:
        character.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _looks_mixed(data: bytes) -> bool:
    """Whether GBK bytes happen to read as UTF-8 text with stray bytes (a file of a few
    symbols can; see engine.store.text_files._gbk_problem, tested on names in test_text_files)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.csv"
        path.write_bytes(data)
        try:
            data_encoding(path)
        except InputFileError:
            return True
    return False


@st.composite
def jsonl_file(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    goods = [_good(n, draw(GOOD)) for n in range(draw(st.integers(1, 12)))]
    junk = st.one_of(
        LINE_TEXT,
        st.sampled_from(['{"kind": "call", "duration": NaN}', '{"duration": Infinity}',
                         '{"n": 1' + "0" * 5000 + "}", '{"a":' * 5000 + "1" + "}" * 5000,
                         "[1, 2]", "null", '"text"', "{", '{"kind": ["call"]}', '{"at": {}}',
                         '{"kind": "call", "id": "x", "agent": "A", "at": "2026-11-02", "duration": -1}']),
        st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | LINE_TEXT,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(LINE_TEXT, inner, max_size=3),
                     max_leaves=8).map(lambda value: json.dumps(value, allow_nan=True)),
    )  # fmt: skip
    lines: list[tuple[str, str]] = []
    for good in goods:
        row = {name: good[name] for name in COLUMNS}
        for _ in range(draw(st.integers(0, 2))):
            mutated = dict(row)
            key = draw(st.sampled_from(COLUMNS))
            mutated[key] = draw(
                st.sampled_from([math.nan, math.inf, -1, None, [], {}, "", 10**400])
            )
            lines.append(("bad", draw(st.just(json.dumps(mutated, default=str)) | junk)))
        lines.append(("good", json.dumps(row, ensure_ascii=draw(st.booleans()))))
    return goods, lines


@FUZZ
@given(jsonl_file())
def test_hostile_jsonl_rows_are_reported_and_every_good_row_is_kept(
    drawn: tuple[list[dict[str, Any]], list[tuple[str, str]]],
) -> None:
    goods, lines = drawn
    bad_lines = {number for number, (kind, _) in enumerate(lines, start=1) if kind == "bad"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.jsonl"
        path.write_text("\n".join(line for _, line in lines) + "\n", encoding="utf-8")
        events, report = _import(path)
    _check(goods, events, report, bad_lines)


@FUZZ
@given(
    st.binary(max_size=600), st.sampled_from(["calls.csv", "calls.jsonl"]), st.binary(max_size=40)
)
def test_any_bytes_give_rows_or_one_clear_error_never_a_traceback(
    data: bytes, name: str, prefix: bytes
) -> None:
    """Random bytes, or a good file with random bytes spliced in: callqa's own errors only."""
    good = "kind,id,agent,at,duration\ncall,k1,张三,2026-11-02 09:00,05:30\n".encode()
    for content in (data, good[:40] + prefix + good[40:] + data):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            try:
                events, report = _import(path)
            except InputFileError as error:  # the whole file refused, with the reason
                assert str(error).startswith(str(path)), error
                continue
            except EngineError as error:  # pragma: no cover - shown if it ever happens
                raise AssertionError(f"an unexpected {type(error).__name__}: {error}") from None
            assert all(problem.startswith("row ") for problem in report.rejected)
            assert len(events) + len(report.rejected) == report.read  # no row vanishes
