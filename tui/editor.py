"""The policy editor: a TextArea that highlights the policy language and underlines the
spans the checker complains about."""

from __future__ import annotations

import dataclasses

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from callqa.dsl.diagnostics import Diagnostic
from callqa.tui.highlight import highlight_lines
from callqa.tui.literal import shown

_BASE = TextAreaTheme.get_builtin_theme("monokai")
assert _BASE is not None
THEME = dataclasses.replace(
    _BASE,
    name="callqa",
    syntax_styles={
        **_BASE.syntax_styles,
        "error": Style(color="#ff5f5f", underline=True),
        "warning": Style(color="#ffd75f", underline=True),
    },
)


# The characters tui.literal shows as escapes (\u001b), drawn here one for one (ESC as ␛,
# the others as �): the editor's columns, selection and highlights count characters of
# the text as it is, so a character may not be drawn as six.
_DRAWN = {
    code: 0x2400 + code if code < 0x20 else 0x2421 if code == 0x7F else 0xFFFD
    for code in range(0x2070)  # the last control tui.literal knows is U+2069
    if shown(chr(code)) != chr(code)
}


def drawn(text: str) -> str:
    """A line of the policy as the editor draws it: sent raw, a control character (an
    ESC from pasted terminal output) would act on the terminal."""
    return text.translate(_DRAWN)


class PolicyEditor(TextArea):
    """Edits a `.policy` file. `problems` is set by the app after each check."""

    def __init__(self, text: str = "", **kwargs: object) -> None:
        super().__init__(
            text,
            show_line_numbers=True,
            tab_behavior="focus",  # tab: the next box (f9 lays out the indents)
            soft_wrap=False,
            **kwargs,  # type: ignore[arg-type]
        )
        self.problems: list[Diagnostic] = []

    def on_mount(self) -> None:
        self.register_theme(THEME)
        self.theme = "callqa"

    def get_line(self, line_index: int) -> Text:
        """A line as drawn: a control character in the file (an ESC from pasted terminal
        output) is drawn as its symbol (␛), not sent to the terminal. The text is kept."""
        return Text(drawn(self.document.get_line(line_index)), end="", no_wrap=True)

    def show_problems(self, problems: list[Diagnostic]) -> None:
        self.problems = problems
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        lines = [drawn(line) for line in self.document.lines]  # as drawn: bytes count
        for row, spans in highlight_lines(lines).items():
            highlights[row].extend(spans)
        for problem in getattr(self, "problems", []):
            row = problem.line - 1
            if not 0 <= row < len(lines):
                continue
            line = lines[row]
            start = len(line[: problem.col - 1].encode("utf-8"))
            end_col = problem.end_col if problem.end_line == problem.line else len(line) + 1
            end = len(line[: max(end_col, problem.col + 1) - 1].encode("utf-8"))
            highlights[row].append((start, end, "error" if problem.is_error else "warning"))
