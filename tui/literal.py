"""Text from policies and data, shown on a terminal exactly as it is written.

An agent name imported with an escape sequence (`\\x1b[31m`) would recolour or rewrite the
terminal, and Rich reads `[bold]` or `[/x]` in an evaluation id or an item label as markup
(restyling it, or crashing with MarkupError). Every output path of the command line goes
through `shown` (`say` for plain text and JSON, `rich_text` for what Rich prints: a Text is never
read as markup): control characters become visible escapes such as \\u001b, which are also
valid inside JSON strings, so a JSON line stays JSON.

Colour (`say(..., style="red")`: PASS green, FAIL and errors red, warnings yellow) is drawn
only on a terminal and never when `NO_COLOR` is set (to any value, https://no-color.org);
piped output is the same bytes as without a style, and JSON is never given one.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.color import ColorSystem
from rich.style import Style
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


def colour_on(file: TextIO | None = None) -> bool:
    """Whether colour is drawn on `file` (stdout by default): a terminal, and no
    `NO_COLOR` in the environment, whatever its value."""
    if "NO_COLOR" in os.environ:
        return False
    try:
        return (file or sys.stdout).isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


def say(text: object = "", *, file: TextIO | None = None, end: str = "\n", style: str = "") -> None:
    """print() for text that may hold data: control characters shown (see `shown`); in
    `style` (Rich's: "green", "bold red") when colour is on (see `colour_on`), else the
    same bytes as without one."""
    out = file or sys.stdout
    if style and colour_on(out):
        painted = Style.parse(style).render(shown(text), color_system=ColorSystem.STANDARD)
        print(painted, file=out, end=end)
    else:
        print(shown(text), file=out, end=end)


def say_diagnostic(rendered: str, error: bool, *, end: str = "\n") -> None:
    """A rendered diagnostic: its first line (where, error or warning, what) red for an
    error, yellow for a warning when colour is on; the source line and caret plain."""
    head, newline, rest = rendered.partition("\n")
    if not colour_on(sys.stdout):
        say(rendered, end=end)
        return
    say(head, style="red" if error else "yellow", end=newline or end)
    if newline:
        say(rest, end=end)


__all__ = ["colour_on", "rich_text", "say", "say_diagnostic", "shown"]
