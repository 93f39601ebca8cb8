"""Diagnostics are data: the checker produces them, the CLI, the TUI and services render them.

A diagnostic always knows where (file, line, column, end), what (a message a manager
understands) and, when one is likely, a fix to try (`hint`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from rich.cells import cell_len

from callqa.dsl.i18n import _, current, named
from callqa.dsl.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    message: str
    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    hint: str | None = None
    code: str = ""

    @staticmethod
    def at(
        span: Span,
        message: str,
        *,
        file: str,
        hint: str | None = None,
        code: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Diagnostic:
        """`file` is the policy's; a span in an included file names its own."""
        return Diagnostic(
            severity,
            message,
            span.file or file,
            span.line,
            span.col,
            span.end_line,
            span.end_col,
            hint,
            code,
        )

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def render(self, source_text: str | None = None) -> str:
        """Render like a compiler: location, message, the line with a caret, the hint.

        Carets are placed by terminal cells, so they sit under Chinese text correctly
        (a CJK character is two cells wide).
        """
        said = (
            _("{location}: error: {message}")
            if self.severity is Severity.ERROR
            else _("{location}: warning: {message}")
        )
        out = [said.format(location=self.location, message=self.message)]
        # Lines are counted at "\n" only, as the parser counts them (not at "\r", "\x0c",
        # "\u2028", ... which str.splitlines also breaks at).
        lines = source_text.split("\n") if source_text is not None else []
        if 1 <= self.line <= len(lines):
            text = _printable(lines[self.line - 1].removesuffix("\r"))
            gutter = f"{self.line:>5} | "
            first, last = _window(len(text), self.col)  # a long line: the part around col
            lead = "..." if first else ""
            out.append(gutter + lead + text[first:last] + ("..." if last < len(text) else ""))
            before = len(lead) + cell_len(text[first : self.col - 1])
            end = self.end_col if self.end_line == self.line else len(text) + 1
            width = max(1, cell_len(text[self.col - 1 : min(max(end, self.col) - 1, last)]))
            out.append(" " * (len(gutter) - 2) + "| " + " " * before + "^" * width)
        if self.hint:
            out.append("      = " + _("try: {hint}").format(hint=self.hint))
        return "\n".join(out)


SHOWN = 160  # characters of a line shown under a diagnostic


def _window(length: int, col: int) -> tuple[int, int]:
    """[first, last) of a line of `length` characters to show for column `col`: all of
    it, or SHOWN characters starting a little before the column."""
    if length <= SHOWN:
        return 0, length
    first = max(0, min(col - 1 - SHOWN // 3, length - SHOWN))
    return first, first + SHOWN


def _printable(line: str) -> str:
    """The line as shown under a diagnostic: a tab is one blank, and an invisible control,
    format or line-separator character (which a terminal may act on) is shown as one
    replacement mark, so the caret stays under the right character."""
    return "".join(
        " " if char == "\t" else "\ufffd" if unicodedata.category(char) in _HIDDEN else char
        for char in line
    )


_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.col, d.severity.value, d.message))


def has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def listed(words: Iterable[str], kind: str | None = None) -> str:
    """Names or phrases listed in a sentence for people: `a, b, c` in English, `a、b、c`
    in Chinese. Names of a `kind` the language names in Chinese too (`period`, `event`,
    `type`...: dsl/vocabulary_zh.py NAMES) are given by their Chinese names, each once."""
    if current() != "zh":
        return ", ".join(words)
    if kind is not None:
        words = dict.fromkeys(named(word, kind) for word in words)
    return "、".join(words)


def line_said(span: Span, here: Span, policy_file: str) -> str:
    """Where `span` is, said from `here` in the reader's language: `line 12`, or
    `center.policy line 12` when the two are in different files (`source.line_ref`)."""
    if span.file == here.file:
        return _("line {line}").format(line=span.line)
    return _("{file} line {line}").format(file=span.file or policy_file, line=span.line)


class PolicyError(Exception):
    """Raised by `load_policy` when a policy has errors; carries every diagnostic."""

    def __init__(
        self,
        diagnostics: Sequence[Diagnostic],
        source_text: str | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self.diagnostics = list(diagnostics)
        self.source_text = source_text
        self.sources = dict(sources or {})  # the texts of included files, by name
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else None
        if first is None:
            summary = _("{count} error(s) in policy").format(count=len(errors))
        else:
            summary = _("{count} error(s) in policy; first: {location}: {message}").format(
                count=len(errors), location=first.location, message=first.message
            )
        super().__init__(summary)

    def render(self) -> str:
        return "\n\n".join(
            d.render(self.sources.get(d.file, self.source_text)) for d in self.diagnostics
        )
