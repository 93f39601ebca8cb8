"""Reading evaluations from CSV and JSON Lines files, row by row.

A bad row becomes a `RowError` with its row number and reason; every good row is still
returned. CSV columns: `id`, one column per item id (the answer), and facts as dotted
names (`call.type`, `call.duration`). JSON Lines: one evaluation object per line.
"""

from __future__ import annotations

import csv
import io
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
    reader = csv.reader(handle)
    header: list[str] | None = None
    for row in reader:
        if header is None:
            header = [cell.strip() for cell in row]
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield RowError(
                reader.line_num, f"has {len(row)} cells but the header has {len(header)} columns"
            )
            continue
        record = {
            name: cell.strip() for name, cell in zip(header, row, strict=True) if cell.strip()
        }
        yield Row(reader.line_num, record)


def csv_header(path: str | Path) -> list[str]:
    with open_data(path) as handle:
        first = next(csv.reader(handle), [])
    return [cell.strip() for cell in first]
