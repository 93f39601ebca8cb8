"""Reading evaluations from CSV and JSON Lines files, row by row.

A bad row becomes a `RowError` with its row number and reason; every good row is still
returned. CSV columns: `id`, one column per item id (the answer), and facts as dotted
names (`call.type`, `call.duration`). JSON Lines: one evaluation object per line.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.text_files import open_data, read_data


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the line number in the file (the CSV header is row 1)
    evaluation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RowError:
    number: int
    message: str

    def __str__(self) -> str:
        return f"row {self.number}: {self.message}"


def read_evaluations(path: str | Path) -> Iterator[Row | RowError]:
    """Rows of a `.csv`, `.jsonl` or `.ndjson` file (chosen by extension)."""
    path = Path(path)
    text = read_data(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from read_jsonl(text)
    else:
        yield from read_csv(text)


def read_jsonl(text: str | Iterable[str]) -> Iterator[Row | RowError]:
    lines = text.splitlines() if isinstance(text, str) else text
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield RowError(number, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        except RecursionError:
            yield RowError(number, "nested too deeply to be an event or an evaluation")
            continue
        if not isinstance(value, dict):
            yield RowError(number, "each line must be one JSON object {...}")
            continue
        yield Row(number, value)


def read_csv(text: str) -> Iterator[Row | RowError]:
    """CSV rows as evaluations: `id`, dotted columns are facts, the others answers."""
    for row in _csv_records(io.StringIO(text, newline="")):
        if isinstance(row, RowError):
            yield row
            continue
        evaluation: dict[str, Any] = {}
        answers: dict[str, Any] = {}
        for name, value in row.evaluation.items():
            if name == "id":
                evaluation["id"] = value
            elif "." in name:
                evaluation[name] = value
            else:
                answers[name] = value
        evaluation["answers"] = answers
        yield Row(row.number, evaluation)


def read_records(path: str | Path) -> Iterator[Row | RowError]:
    """Rows of a `.csv` or `.jsonl` file as flat dicts (for events: one column a field)."""
    path = Path(path)
    with open_data(path) as handle:  # streamed, not read whole
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            yield from read_jsonl(handle)
        else:
            yield from _csv_records(handle)


def _csv_records(handle: Iterable[str]) -> Iterator[Row | RowError]:
    lines = iter(handle)
    first = next(lines, "")
    # Excel's "Unicode text" is separated by tabs: read it so; say so for semicolons
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    header: list[str] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a cell of over 131,072 characters, a NUL byte...
            yield RowError(reader.line_num, f"cannot be read as CSV ({error}); the rows "
                           "after it are not read")  # fmt: skip
            return
        if header is None:
            header = [cell.strip() for cell in row]
            problem = _header_problem(header)
            if problem:
                yield RowError(reader.line_num, problem)
                return
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            message = f"has {len(row)} cells but the header has {len(header)} columns"
            if any("\n" in cell for cell in row):  # a quote ran over the line's end
                message += '; a quote (") in it is not closed, so it ran over several rows'
            yield RowError(reader.line_num, message)
            continue
        record = {
            name: cell.strip() for name, cell in zip(header, row, strict=True) if cell.strip()
        }
        yield Row(reader.line_num, record)


def _header_problem(header: list[str]) -> str | None:
    """Why the first row cannot name the columns: the file's rows would be misread."""
    if len(header) == 1 and ";" in header[0]:
        return (f"the header is one column, {header[0][:60]!r}: the file is separated by ';'; "
                "save it as CSV (comma-separated)")  # fmt: skip
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            return f"the header names the column {name!r} twice: rename or remove one"
        seen.add(name)
    return None


def csv_header(path: str | Path) -> list[str]:
    with open_data(path) as handle:
        first = next(csv.reader(handle), [])
    return [cell.strip() for cell in first]
