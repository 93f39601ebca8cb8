"""Fill a result table with its columns already as wide as their widest cell.

Textual's DataTable widens auto-sized columns only when it next idles, and a frame drawn
before that stays cached with the narrow columns (the cache key has no widths): a
manager could be left looking at cut-off test names. Sizing the columns up front, from
the rows themselves, draws them right the first time.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from callqa.tui.literal import rich_text


def fill_table(
    table: DataTable[Text],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    keys: Sequence[str] | None = None,
) -> None:
    """Replace the table's rows (and columns) with `rows` under `headers`, each cell shown
    literally (a DataTable reads a string cell as markup)."""
    cells = [[rich_text(cell) for cell in row] for row in rows]
    widths = [cell_len(header) for header in headers]
    for row in cells:
        widths = [max(width, cell.cell_len) for width, cell in zip(widths, row, strict=True)]
    table.clear(columns=True)
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, width=width)
    for index, row in enumerate(cells):
        table.add_row(*row, key=keys[index] if keys is not None else None)
