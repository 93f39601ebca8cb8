"""Syntax highlighting of the policy language for the editor.

Textual's TextArea highlights through tree-sitter grammars; ours is a Lark grammar, so the
editor lexes the document itself with the regular expressions below (once per change) and
hands TextArea its highlight map: per line, (start byte, end byte, style name). Byte
offsets, because TextArea measures highlights in UTF-8 bytes (a Chinese character is 3).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

KEYWORDS = frozenset(
    [
        "policy",
        "version",
        "timezone",
        "field",
        "rubric",
        "section",
        "item",
        "deduct",
        "bonus",
        "critical",
        "when",
        "per",
        "occurrence",
        "max",
        "scale",
        "means",
        "na",
        "rounding",
        "grades",
        "otherwise",
        "appeals",
        "within",
        "weight",
        "action",
        "notify",
        "sets",
        "status",
        "requires",
        "approval",
        "by",
        "sampling",
        "pick",
        "random",
        "call",
        "calls",
        "quota",
        "publish",
        "ahead",
        "to",
        "escalation",
        "chain",
        "start",
        "at",
        "escalate",
        "after",
        "while",
        "unresolved",
        "threshold",
        "value",
        "alert",
        "discipline",
        "rule",
        "then",
        "on",
        "where",
        "in",
        "calendar",
        "with",
        "least",
        "test",
        "expect",
        "no",
        "for",
        "and",
        "or",
        "not",
        "calibration",
        "tolerance",
    ]
)

TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"?)
      | (?P<number>\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?
                   |\d+(?:\.\d+)?(?:%|(?:s|m|h|d|w)\b|(?:st|nd|rd|th)\b)?)
      | (?P<word>[^\W\d]\w*)
      | (?P<operator>==|!=|<=|>=|->|[<>+\-*/])
    """,
    re.VERBOSE,
)

Highlights = dict[int, list[tuple[int, int | None, str]]]


def highlight_lines(lines: list[str]) -> Highlights:
    out: Highlights = defaultdict(list)
    for row, line in enumerate(lines):
        if line:
            spans = _line_spans(line)
            if spans:
                out[row].extend(spans)
    return out


@lru_cache(maxsize=20_000)
def _line_spans(line: str) -> tuple[tuple[int, int | None, str], ...]:
    """One line's highlights; cached, so a keystroke re-lexes only the line it changed."""
    spans: list[tuple[int, int | None, str]] = []
    encoded_upto = _ByteOffsets(line)
    for match in TOKEN.finditer(line):
        kind = match.lastgroup
        if kind == "word":
            if match.start() and line[match.start() - 1] == ".":
                continue  # a part of a field name (`call.start`), not a keyword
            text = match.group()
            if text in ("true", "false"):
                kind = "boolean"
            elif text in KEYWORDS:
                kind = "keyword"
            else:
                continue
        assert kind is not None
        spans.append((encoded_upto(match.start()), encoded_upto(match.end()), kind))
    return tuple(spans)


class _ByteOffsets:
    """Code-point index -> UTF-8 byte offset within one line."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.ascii = line.isascii()

    def __call__(self, index: int) -> int:
        return index if self.ascii else len(self.line[:index].encode("utf-8"))
