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

# control characters (ESC starts a terminal's escape sequences, BEL rings) drawn as the
# symbols Unicode keeps for them; tab and newline stay what they are
_PICTURES = {
    **{code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},  # C1 controls (0x9b is an ESC [)
}


def visible(text: str) -> str:
    """Text from a policy or the data as it is, but with control characters drawn (ESC as
    ␛): sent raw they would act on the terminal (colour it, retitle it, move the cursor)."""
    return text.translate(_PICTURES)


def literal(text: str) -> Text:
    """Text from a policy or the data shown literally: `[/x]` is not markup, ESC is ␛."""
    return Text(visible(text), end="")


def fill_table(
    table: DataTable[Text],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    keys: Sequence[str] | None = None,
) -> None:
    """Replace the table's rows (and columns) with `rows` under `headers`, each cell shown
    literally (a DataTable reads a string cell as markup)."""
    cells = [[literal(cell) for cell in row] for row in rows]
    widths = [cell_len(header) for header in headers]
    for row in cells:
        widths = [max(width, cell.cell_len) for width, cell in zip(widths, row, strict=True)]
    table.clear(columns=True)
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, width=width)
    for index, row in enumerate(cells):
        table.add_row(*row, key=keys[index] if keys is not None else None)
