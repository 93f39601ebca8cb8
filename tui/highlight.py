"""Syntax highlighting of the policy language for the editor.

Textual's TextArea highlights through tree-sitter grammars; ours is a Lark grammar, so the
editor lexes the document itself with the regular expressions below (once per change) and
hands TextArea its highlight map: per line, (start byte, end byte, style name). Byte
offsets, because TextArea measures highlights in UTF-8 bytes (a Chinese character is 3).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from callqa.dsl.vocabulary import (
    ADDITIVE,
    ARROW,
    BOOLEANS,
    CALL_WORDS,
    COMPARISONS,
    MULTIPLICATIVE,
    ORDINAL_SUFFIXES,
    UNIT_SECONDS,
    keywords,
)
from callqa.dsl.vocabulary_zh import (
    CALENDAR_PREFIX,
    CALL_WORD,
    KEYWORDS,
    NAMES,
    OPERATORS,
    ORDINAL_PREFIX,
    UNITS,
    WORKING_WORD,
    chinese_keywords,
)

# `true`/`false` and `是`/`否`
_BOOLEANS = frozenset({*BOOLEANS, *(KEYWORDS[word] for word in BOOLEANS)})


@lru_cache(maxsize=1)
def highlighted_keywords() -> frozenset[str]:
    """The words shown as keywords: every keyword of the grammar, and `call`/`calls`,
    which the grammar spells in a pattern (`pick 2nd call`), each also in Chinese. `true`
    and `false` are shown as booleans; `count(` and `5 minutes` as the name and the number
    they go with."""
    words = keywords() | chinese_keywords() | {*CALL_WORDS, CALL_WORD}
    working = {WORKING_WORD + unit for unit in (UNITS["m"], UNITS["h"], UNITS["d"], "日")}
    calendar = {CALENDAR_PREFIX + period for period in NAMES["period"].values()}  # 日历月
    return (words | working | calendar) - _BOOLEANS


def _either(words: Iterable[str]) -> str:
    """A regular expression for any of `words`, the longest first (`<=` before `<`)."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


TOKEN = re.compile(
    rf"""(?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"?)
      | (?P<number>\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?
                   |\d{{1,2}}:\d{{2}}(?::\d{{2}})?
                   |{ORDINAL_PREFIX}\d+\b
                   |\d+(?:\.\d+)?(?:%|(?:{_either([*UNIT_SECONDS, *UNITS.values()])})(?!\w)
                                    |(?:{_either(ORDINAL_SUFFIXES)})\b)?)
      | (?P<word>[^\W\d]\w*)
      | (?P<operator>{_either((*COMPARISONS, *ADDITIVE, *MULTIPLICATIVE, ARROW, *OPERATORS))})
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
    known = highlighted_keywords()
    for match in TOKEN.finditer(line):
        kind = match.lastgroup
        if kind == "word":
            if match.start() and line[match.start() - 1] == ".":
                continue  # a part of a field name (`call.start`), not a keyword
            text = match.group()
            if text in _BOOLEANS:
                kind = "boolean"
            elif text in known:
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
