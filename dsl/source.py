"""Where things are in a policy file: spans that every node and diagnostic carry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a policy file. Lines and columns count from 1, in code points.

    `end_line`/`end_col` point just past the last character, as Lark does. `file` is
    empty in the policy's own file, or names the included file the span is in.
    """

    line: int
    col: int
    end_line: int
    end_col: int
    file: str = ""

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"

    @staticmethod
    def point(line: int, col: int, width: int = 1) -> Span:
        return Span(line, col, line, col + width)


NOWHERE = Span(1, 1, 1, 1)


def line_ref(span: Span, here: Span, policy_file: str) -> str:
    """Where `span` is, said from `here`: `line 12`, or `center.policy line 12` when the
    two are in different files (a policy and a file it includes)."""
    if span.file == here.file:
        return f"line {span.line}"
    return f"{span.file or policy_file} line {span.line}"
