"""Text from policies and data, shown on a terminal exactly as it is written.

An agent name imported with an escape sequence (`\\x1b[31m`) would recolour or rewrite the
terminal, and Rich reads `[bold]` or `[/x]` in an evaluation id or an item label as markup
(restyling it, or crashing with MarkupError). Every output path of the command line goes
through `shown` (`say` for plain text and JSON, `rich_text` for what Rich prints: a Text is never
read as markup): control characters become visible escapes such as \\u001b, which are also
valid inside JSON strings, so a JSON line stays JSON.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.text import Text

from callqa.dsl.check import CONTROL_CHARACTERS

# C0 controls but tab and newline (the layout of the output), DEL, C1 controls, and the
# bidirectional controls that reorder what follows them on screen: those a policy may not hold
_VISIBLE = {code: f"\\u{code:04x}" for code in CONTROL_CHARACTERS}


def shown(text: object) -> str:
    """`text` with every control character written as a visible escape (\\u001b)."""
    return str(text).translate(_VISIBLE)


def rich_text(value: object, style: str = "") -> Text:
    """`value` for Rich to print (a table cell, a line): shown, and never read as markup
    (rich.markup.escape would not do: it doubles a final backslash)."""
    return Text(shown(value), style=style)


def say(text: object = "", *, file: TextIO | None = None, end: str = "\n") -> None:
    """print() for text that may hold data: control characters shown (see `shown`)."""
    print(shown(text), file=file or sys.stdout, end=end)


__all__ = ["rich_text", "say", "shown"]
