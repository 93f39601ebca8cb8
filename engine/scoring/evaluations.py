"""Reading evaluations from CSV and JSON Lines files, row by row.

A bad row becomes a `RowError` with its row number and reason; every good row is still
returned. CSV columns: `id`, one column per item id (the answer), and facts as dotted
names (`call.type`, `call.duration`). JSON Lines: one evaluation object per line.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from callqa.engine.store.text_files import (
    Row,
    RowError,
    csv_records,
    read_jsonl,
    read_records,
)

__all__ = ["Row", "RowError", "read_csv", "read_evaluations", "read_jsonl", "read_records"]


def read_evaluations(path: str | Path) -> Iterator[Row | RowError]:
    """Rows of a `.csv`, `.jsonl` or `.ndjson` file (by its extension; a pipe by its first
    character), streamed, read once and bounded (engine.store.text_files)."""
    return read_records(path, csv_row=_evaluation)


def read_csv(text: str) -> Iterator[Row | RowError]:
    """CSV rows as evaluations: `id`, dotted columns are facts, the others answers."""
    for row in csv_records(io.StringIO(text, newline="")):
        yield row if isinstance(row, RowError) else _evaluation(row)


def _evaluation(row: Row) -> Row:
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
    return Row(row.number, evaluation)
