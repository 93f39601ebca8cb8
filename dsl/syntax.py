"""From text to Lark trees, with syntax errors put in words a manager understands.

The text is split into top-level blocks (a line starting with `policy`, `field`,
`rubric`, ... at column 1 starts one) and each block is parsed on its own: a missing
brace in one rubric does not hide the mistakes in the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lark import Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl.ast import Comment
from dsl.diagnostics import Diagnostic
from dsl.grammar import TOP_LEVEL_KEYWORDS, parser, terminal_patterns
from dsl.source import Span

MAX_NESTING = 64

FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "（": "(",
    "）": ")",
    "“": '"',
    "”": '"',
    "‘": '"',
    "’": '"',
    "；": ";",
    "【": "[",
    "】": "]",
    "｛": "{",
    "｝": "}",
    "！": "!",
    "＝": "=",
    "＞": ">",
    "＜": "<",
    "％": "%",
    "．": ".",
    "。": ".",
}

EXPECTED_WORDS: dict[str, str] = {
    "STRING": 'a text in double quotes (such as "服务规范")',
    "NAME": "a name (such as greeting or call)",
    "INT": "a whole number",
    "DECIMAL": "a number",
    "PERCENT": "a percentage such as 96%",
    "DURATION": "a duration such as 60s, 5m, 8h or 3d",
    "DURATION_WORD": "a unit such as seconds, minutes, hours or days",
    "TIME": "a time of day such as 11:00",
    "DATE": "a date such as 2026-11-02",
    "DATETIME": "a date and time such as 2026-11-02 09:00",
    "COMP_OP": "a comparison such as >=, <, == or !=",
    "$END": "the end of the file",
}

# When one of these is among the expected terminals, the others it implies are dropped.
_VALUE_TERMINALS = {"INT", "DECIMAL", "PERCENT", "DURATION", "TIME", "DATE", "DATETIME", "STRING"}


@dataclass(frozen=True, slots=True)
class Block:
    first_line: int  # 1-based line of the block's first line
    text: str  # the block's lines, joined


@dataclass(slots=True)
class ParsedFile:
    trees: list[Tree[Any]]
    comments: list[Comment]
    diagnostics: list[Diagnostic]


def scan_comments(text: str) -> list[Comment]:
    """Comments are `#` to end of line, outside double-quoted text (which cannot span lines)."""
    comments: list[Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" not in line:
            continue
        in_string = False
        escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                comments.append(Comment(line[index:].rstrip(), number, index + 1))
                break
    return comments


def split_blocks(text: str) -> Iterator[Block]:
    lines = text.split("\n")
    start = 0
    for index, line in enumerate(lines):
        word = line.split(None, 1)[0] if line[:1].isalpha() else ""
        if index > start and word in TOP_LEVEL_KEYWORDS:
            yield Block(start + 1, "\n".join(lines[start:index]))
            start = index
    yield Block(start + 1, "\n".join(lines[start:]))


def parse_text(text: str, file: str) -> ParsedFile:
    """Parse a whole policy text; never raises for bad input, returns diagnostics instead."""
    text = text.lstrip("\ufeff")
    result = ParsedFile([], scan_comments(text), [])
    for block in split_blocks(text):
        if not block.text.strip():
            continue
        padded = "\n" * (block.first_line - 1) + block.text + "\n"
        try:
            tree = parser().parse(padded)
        except UnexpectedInput as error:
            result.diagnostics.append(_describe(error, padded, file, block))
            continue
        except RecursionError:
            result.diagnostics.append(_too_deep(block, file))
            continue
        too_deep = _deepest(tree)
        if too_deep is not None:
            result.diagnostics.append(
                Diagnostic.at(
                    too_deep,
                    f"this expression is nested more than {MAX_NESTING} levels deep",
                    file=file,
                    hint="split the condition into simpler parts",
                    code="too-deep",
                )
            )
            continue
        result.trees.append(tree)
    return result


def _too_deep(block: Block, file: str) -> Diagnostic:
    return Diagnostic.at(
        Span.point(block.first_line, 1),
        "this block is nested too deeply to read",
        file=file,
        hint="split the condition into simpler parts",
        code="too-deep",
    )


def _deepest(tree: Tree[Any]) -> Span | None:
    """Iteratively find a subtree deeper than MAX_NESTING (recursion would overflow first)."""
    stack: list[tuple[Tree[Any], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING + 8:  # statement, block and item levels are not nesting
            meta = node.meta
            line = getattr(meta, "line", 1)
            col = getattr(meta, "column", 1)
            return Span.point(line, col)
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return None


def _describe(error: UnexpectedInput, text: str, file: str, block: Block) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(error, text, file)
    if isinstance(error, UnexpectedToken | UnexpectedEOF):
        return _unexpected_token(error, text, file, block)
    line = getattr(error, "line", block.first_line) or block.first_line
    col = getattr(error, "column", 1) or 1
    return Diagnostic.at(Span.point(line, col), "this line could not be read", file=file)


def _unexpected_character(error: UnexpectedCharacters, text: str, file: str) -> Diagnostic:
    position = error.pos_in_stream or 0
    char = text[position] if position < len(text) else ""
    span = Span.point(error.line, error.column)
    if char in FULL_WIDTH:
        ascii_char = FULL_WIDTH[char]
        return Diagnostic.at(
            span,
            f"the full-width character {char} (typed with a Chinese keyboard) is not part of "
            "the language",
            file=file,
            hint=f"type the half-width {ascii_char} instead",
            code="full-width",
        )
    if char == '"':
        return Diagnostic.at(
            span,
            "this text is not closed: a double quote is missing at the end of the line",
            file=file,
            hint='close the text with " on the same line',
            code="unclosed-text",
        )
    if char == "=":
        return Diagnostic.at(
            span,
            "a single = is not a comparison",
            file=file,
            hint='write == to compare (call.type == "account")',
            code="single-equals",
        )
    shown = repr(char) if char.strip() else "a blank character"
    return Diagnostic.at(
        span,
        f"unexpected character {shown}",
        file=file,
        hint=_expected_hint(error.allowed or set()),
        code="bad-character",
    )


def _unexpected_token(
    error: UnexpectedToken | UnexpectedEOF, text: str, file: str, block: Block
) -> Diagnostic:
    token = error.token
    raw = error.expected if isinstance(error, UnexpectedEOF) else error.accepts
    expected = {str(name) for name in raw}
    at_end = token.type == "$END"
    if at_end:
        open_line = _unclosed_brace_line(block)
        last_line = block.first_line + max(0, len(block.text.rstrip("\n").split("\n")) - 1)
        last_text = block.text.rstrip("\n").split("\n")[-1]
        span = Span(last_line, 1, last_line, len(last_text) + 1)
        if "RBRACE" in expected and open_line is not None:
            return Diagnostic.at(
                span,
                f"the block opened with {{ on line {open_line} is never closed",
                file=file,
                hint="add a closing } at the end of the block",
                code="unclosed-block",
            )
        return Diagnostic.at(
            span,
            "the block ends too early",
            file=file,
            hint=_expected_hint(expected),
            code="unexpected-end",
        )
    value = str(token.value)
    line = token.line or block.first_line
    col = token.column or 1
    span = Span(line, col, token.end_line or line, token.end_column or col + len(value))
    return Diagnostic.at(
        span,
        f"unexpected {_token_words(token.type, value)} here",
        file=file,
        hint=_expected_hint(expected),
        code="unexpected-token",
    )


def _token_words(kind: str, value: str) -> str:
    if kind in ("STRING",):
        return f"text {value}"
    if kind in ("INT", "DECIMAL", "PERCENT", "DURATION"):
        return f"number {value}"
    if kind == "NAME":
        return f"word “{value}”"
    return f"“{value}”"


def _expected_hint(expected: set[str]) -> str:
    words: list[str] = []
    patterns = terminal_patterns()
    names = set(expected) - {"WS", "COMMENT"}
    if {"INT", "DECIMAL"} <= names:
        names -= {"INT"}
    for name in sorted(names, key=lambda n: (n not in patterns, n in _VALUE_TERMINALS, n)):
        if name in EXPECTED_WORDS:
            words.append(EXPECTED_WORDS[name])
        elif name in patterns:
            words.append(f"“{patterns[name]}”")
    if not words:
        return "check the spelling and punctuation of this line"
    if len(words) > 8:
        words = [*words[:8], "..."]
    if len(words) == 1:
        return f"write {words[0]} here"
    return "write one of: " + ", ".join(words)


def _unclosed_brace_line(block: Block) -> int | None:
    """The line of the last `{` that has no matching `}` (ignoring text and comments)."""
    stack: list[int] = []
    for offset, line in enumerate(block.text.split("\n")):
        in_string = False
        for char in line:
            if in_string:
                if char == '"':
                    in_string = False
                continue
            if char == '"':
                in_string = True
            elif char == "#":
                break
            elif char == "{":
                stack.append(block.first_line + offset)
            elif char == "}" and stack:
                stack.pop()
    return stack[-1] if stack else None
