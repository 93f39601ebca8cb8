"""From text to Lark trees, with syntax errors put in words a manager understands.

The text is split into top-level blocks (a line starting with `policy`, `field`,
`rubric`, ... at column 1 starts one) and each block is parsed on its own: a missing
brace in one rubric does not hide the mistakes in the next.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from callqa.dsl.ast import Comment
from callqa.dsl.diagnostics import Diagnostic
from callqa.dsl.grammar import parser, terminal_patterns
from callqa.dsl.i18n import N_, _, current
from callqa.dsl.source import Span
from callqa.dsl.suggest import closest
from callqa.dsl.vocabulary import TOP_LEVEL_KEYWORDS
from callqa.dsl.vocabulary_zh import TOP_LEVEL_ZH

MAX_NESTING = 64
# A policy file's size is limited so that a file far larger than any rulebook (a center's
# is a few hundred lines) is refused at once instead of taking minutes and gigabytes to
# check, load and format; below the limits all three grow linearly (bench/policy_size.py).
MAX_LINES = 50_000
MAX_CHARACTERS = 5_000_000

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

# What the parser expected, in words (translated where said: `_(EXPECTED_WORDS[name])`).
# CALL_WORD and AGGREGATE name dsl/vocabulary.py's CALL_WORDS and AGGREGATES.
EXPECTED_WORDS: dict[str, str] = {
    "STRING": N_('a text in double quotes (such as "服务规范")'),
    "NAME": N_("a name (such as greeting or call)"),
    "INT": N_("a whole number"),
    "DECIMAL": N_("a number"),
    "PERCENT": N_("a percentage such as 96%"),
    "DURATION": N_("a duration such as 60s, 5m, 8h or 3d"),
    "DURATION_WORD": N_("a unit such as seconds, minutes, hours or days"),
    "TIME": N_("a time of day such as 11:00"),
    "DATE": N_("a date such as 2026-11-02"),
    "DATETIME": N_("a date and time such as 2026-11-02 09:00"),
    "COMP_OP": N_("a comparison such as >=, <, == or !="),
    "ORDINAL": N_("a position such as 2nd"),
    "CALL_WORD": N_("call or calls"),
    "AGGREGATE": N_("count(...), sum(...), avg(...), min(...) or max(...)"),
    "$END": N_("the end of the file"),
}

# Characters people type by habit (from spreadsheets or programming): what is wrong and
# what to write (translated where said).
HABITS: dict[str, tuple[str, str]] = {
    "'": (N_("text is written in double quotes, not single quotes"), N_('write "account"')),
    "&": (N_("& is not part of the language"), N_("write and")),
    "|": (N_("| is not part of the language"), N_("write or")),
    "!": (
        N_("! is not part of the language"),
        N_("write != for not equal, or not before a condition"),
    ),
}

_WORD = re.compile(r"[^\W\d]\w*")
# 1e400 or 2.5e-3: the parser reads the digits, then stops at the exponent
_EXPONENT = re.compile(r"[eE][+-]?\d+")
_DIGITS_BEFORE = re.compile(r"\d+(\.\d+)?$")
# Parts of a condition that count as one nesting level each: `not`, `-`, arithmetic, and
# every further operand of an and/or chain (it becomes one more level of the tree).
_CHAINS = frozenset({"or_expr", "and_expr"})
_EXPRESSIONS = frozenset(
    {*_CHAINS, "not_op", "compare", "in_list", "not_in_list", "binary", "negate", "aggregate"}
)

# When one of these is among the expected terminals, the others it implies are dropped.
_VALUE_TERMINALS = {"INT", "DECIMAL", "PERCENT", "DURATION", "TIME", "DATE", "DATETIME", "STRING"}


@dataclass(frozen=True, slots=True)
class Block:
    first_line: int  # 1-based line of the block's first line
    text: str  # the block's lines, joined


@dataclass(slots=True)
class ParsedFile:
    """`trees` are parsed one block at a time as they are taken, so that a caller that
    builds each block and lets its Lark tree go holds one block's tree at a time (a
    tree takes about 20 times the memory of its text); `diagnostics` is complete once
    `trees` is used up."""

    trees: Iterator[Tree[Any]]
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
        match = _WORD.match(line)
        word = match.group() if match else ""
        if index > start and (word in TOP_LEVEL_KEYWORDS or word in TOP_LEVEL_ZH):
            yield Block(start + 1, "\n".join(lines[start:index]))
            start = index
    yield Block(start + 1, "\n".join(lines[start:]))


def parse_text(text: str, file: str) -> ParsedFile:
    """Parse a whole policy text; never raises for bad input, returns diagnostics instead."""
    # A byte-order mark is read as a blank, so columns still count from the text as given.
    body = text.lstrip("\ufeff")
    text = " " * (len(text) - len(body)) + body
    too_large = _too_large(text, file)
    if too_large is not None:
        return ParsedFile(iter(()), [], [too_large])
    diagnostics: list[Diagnostic] = []
    return ParsedFile(_trees(text, file, diagnostics), scan_comments(text), diagnostics)


def _trees(text: str, file: str, diagnostics: list[Diagnostic]) -> Iterator[Tree[Any]]:
    for block in split_blocks(text):
        if not block.text.strip():
            continue
        try:
            tree = parser().parse(block.text + "\n")
        except UnexpectedInput as error:
            _move_error_down(error, block.first_line - 1)
            diagnostics.append(_describe(error, block.text + "\n", file, block))
            continue
        except RecursionError:
            diagnostics.append(_too_deep(block, file))
            continue
        _move_down(tree, block.first_line - 1)
        too_deep = _deepest(tree, file)
        if too_deep is not None:
            diagnostics.append(too_deep)
            continue
        yield tree


def _too_large(text: str, file: str) -> Diagnostic | None:
    """A file over MAX_LINES lines or MAX_CHARACTERS characters, at the line where it
    passes the limit; checked before anything is parsed."""
    if text.count("\n") + (not text.endswith("\n")) > MAX_LINES:
        line = MAX_LINES + 1
        message = _(
            "this policy file is too large: it passes {count:,} lines here, the most a "
            "policy file may hold"
        ).format(count=MAX_LINES)
    elif len(text) > MAX_CHARACTERS:
        line = text.count("\n", 0, MAX_CHARACTERS) + 1
        message = _(
            "this policy file is too large: it passes {count:,} characters here, the most a "
            "policy file may hold"
        ).format(count=MAX_CHARACTERS)
    else:
        return None
    return Diagnostic.at(
        Span.point(line, 1),
        message,
        file=file,
        hint=_('split it into several files and join them with include "part.policy"'),
        code="too-large",
    )


def _move_down(tree: Tree[Any], lines: int) -> None:
    """Shift every position in a block's tree down by `lines`: each block is parsed on
    its own text (parsing it placed at its lines, after as many blank lines, made a long
    file's parse grow with the square of its length)."""
    if not lines:
        return
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Token):
            if node.line is not None:
                node.line += lines
            if node.end_line is not None:
                node.end_line += lines
        elif isinstance(node, Tree):
            meta = node.meta
            if not getattr(meta, "empty", True):
                meta.line += lines
                meta.end_line += lines
            stack.extend(node.children)


def _move_error_down(error: UnexpectedInput, lines: int) -> None:
    """A parse error's lines, like a tree's (`_move_down`), made the file's; its offsets
    (`pos_in_stream`) stay the block's."""
    for holder in (error, getattr(error, "token", None)):
        for name in ("line", "end_line"):
            value = getattr(holder, name, None)
            if isinstance(value, int) and value > 0:
                setattr(holder, name, value + lines)


def _line_text(text: str, line: int, block: Block) -> str:
    """Line `line` of the file, from the text of `block` (which holds it)."""
    lines = text.split("\n")
    index = line - block.first_line
    return lines[index] if 0 <= index < len(lines) else ""


def _too_deep(block: Block, file: str) -> Diagnostic:
    return Diagnostic.at(
        Span.point(block.first_line, 1),
        _("this block is nested too deeply to read"),
        file=file,
        hint=_("split the condition into simpler parts"),
        code="too-deep",
    )


def _deepest(tree: Tree[Any], file: str) -> Diagnostic | None:
    """Iteratively find an expression nested more than MAX_NESTING levels deep (recursion
    would overflow first). `not`, `-`, a comparison and arithmetic are a level each; an
    `and`/`or` chain is a level per part: the checker and the engine read `a and b and c`
    as `(a and b) and c`."""
    # (node, the levels above it, the outermost expression it is part of)
    stack: list[tuple[Tree[Any], int, Tree[Any] | None]] = [(tree, 0, None)]
    while stack:
        node, above, outer = stack.pop()
        children = [child for child in node.children if isinstance(child, Tree)]
        if node.data in _CHAINS:
            if len(children) > MAX_NESTING:
                return Diagnostic.at(
                    _span(node),
                    _("this condition joins more than {count} parts with and/or").format(
                        count=MAX_NESTING
                    ),
                    file=file,
                    hint=_('split it up; list values with in: call.type in ["a", "b"]'),
                    code="too-deep",
                )
            levels = above + len(children)
        else:
            levels = above + (node.data in _EXPRESSIONS)
        if outer is None and node.data in _EXPRESSIONS:
            outer = node
        if levels > MAX_NESTING:
            return Diagnostic.at(
                _span(outer or node),
                _("this expression is nested more than {count} levels deep").format(
                    count=MAX_NESTING
                ),
                file=file,
                hint=_("split the condition into simpler parts"),
                code="too-deep",
            )
        stack.extend((child, levels, outer) for child in children)
    return None


def _span(node: Tree[Any]) -> Span:
    meta = node.meta
    if getattr(meta, "empty", True):
        return Span.point(1, 1)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _describe(error: UnexpectedInput, text: str, file: str, block: Block) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(error, text, file, block)
    if isinstance(error, UnexpectedToken | UnexpectedEOF):
        return _unexpected_token(error, text, file, block)
    line = getattr(error, "line", block.first_line) or block.first_line
    col = getattr(error, "column", 1) or 1
    return Diagnostic.at(Span.point(line, col), _("this line could not be read"), file=file)


def _unexpected_character(
    error: UnexpectedCharacters, text: str, file: str, block: Block
) -> Diagnostic:
    position = error.pos_in_stream or 0
    char = text[position] if position < len(text) else ""
    span = Span.point(error.line, error.column)
    if char in FULL_WIDTH:
        ascii_char = FULL_WIDTH[char]
        return Diagnostic.at(
            span,
            _(
                "the full-width character {char} (typed with a Chinese keyboard) is not part "
                "of the language"
            ).format(char=char),
            file=file,
            hint=_("type the half-width {char} instead").format(char=ascii_char),
            code="full-width",
        )
    if char == '"':
        line_text = _line_text(text, error.line, block)
        return Diagnostic.at(
            Span(error.line, error.column, error.line, len(line_text) + 1),
            _("this text is not closed: a double quote is missing at the end of the line"),
            file=file,
            hint=_('close the text with " on the same line'),
            code="unclosed-text",
        )
    if char == "=":
        return Diagnostic.at(
            span,
            _("a single = is not a comparison"),
            file=file,
            hint=_('write == to compare (call.type == "account")'),
            code="single-equals",
        )
    if char in HABITS:
        message, hint = _(HABITS[char][0]), _(HABITS[char][1])
        rest = text[position + 1 :].split("\n", 1)[0]
        if char == "'" and "'" in rest:  # 'account' -> "account"
            hint = _('write "{text}"').format(text=rest[: rest.index(chr(39))])
        return Diagnostic.at(span, message, file=file, hint=hint, code="bad-character")
    if unicodedata.category(char or " ")[0] in "CZ" and char not in " \t\n":
        # control, format and odd space characters: invisible, so name them by code point
        return Diagnostic.at(
            span,
            _("an invisible character (U+{code:04X}) is here").format(code=ord(char)),
            file=file,
            hint=_(
                "delete it (such characters often come along when text is copied from a "
                "document or a web page); use an ordinary space between words"
            ),
            code="bad-character",
        )
    return Diagnostic.at(
        span,
        _("the character {char} is not part of the language").format(char=char),
        file=file,
        hint=_("remove it"),
        code="bad-character",
    )


def _unexpected_token(
    error: UnexpectedToken | UnexpectedEOF, text: str, file: str, block: Block
) -> Diagnostic:
    token = error.token
    raw = error.expected if isinstance(error, UnexpectedEOF) else error.accepts
    expected = {str(name) for name in raw}
    if token.type == "$END":
        return _unexpected_end(token, expected, file, block)
    value = str(token.value)
    line = token.line or block.first_line
    col = token.column or 1
    span = Span(line, col, token.end_line or line, token.end_column or col + len(value))
    said = _token_kind(token.type)
    code = "unexpected-token"
    hint = _expected_hint(expected, _in_chinese(block))
    message = _(_UNEXPECTED[said]).format(value=value)
    line_text = _line_text(text, line, block)
    rest = line_text[col - 1 :]
    if (
        "RBRACE" in expected
        and isinstance(error, UnexpectedToken)
        and _accepted_after_brace(error, token)
    ):
        open_line = _unclosed_brace_line(block, before=(line, col))
        if open_line is not None:
            message = _(_MISSING_BRACE[said]).format(value=value, line=open_line)
            hint = _(_ADD_BRACE[said]).format(value=value)
            code = "unclosed-block"
    elif token.type == "RBRACE" and {"POLICY", "RUBRIC"} <= expected:
        message = _("this }} has no {{ to close").format()
        hint = _("remove it")
        code = "extra-brace"
    elif {"POLICY", "RUBRIC"} <= expected and value in _keywords({token.type}):
        # back at the top level in the middle of a block: a `}` closed the block too early
        closed = _last_brace_line(block, before=(line, col))
        if closed is not None:
            message = _(_CLOSED_ALREADY[said]).format(value=value, line=closed)
            hint = _("remove the extra }} on line {line}").format(line=closed)
            code = "extra-brace"
    elif (
        token.type == "NAME"
        and (exponent := _EXPONENT.match(rest))
        and (digits := _DIGITS_BEFORE.search(line_text[: col - 1]))
    ):
        number = digits.group() + exponent.group()
        span = Span(line, col - len(digits.group()), line, col + len(exponent.group()))
        message = _(
            "{number} is a number in scientific notation, which policies do not use"
        ).format(number=number)
        hint = _("write the number in digits, such as 5, 2.5 or 1000")
        code = "number"
    elif token.type == "NAME" and "STRING" in expected and rest.count('"') % 2 == 1:
        quoted = rest[: rest.index('"')]
        message = _("a double quote is missing before {text}").format(text=quoted.strip())
        hint = _('write "{text}"').format(text=quoted.strip())
        code = "unopened-text"
    elif token.type == "NAME":
        keyword = closest(value, _keywords(expected))
        if keyword is not None:
            hint = _("did you mean {word}?").format(word=keyword)
        elif "STRING" in expected and not value.isascii():
            hint = _('write a label in double quotes: "{text}"').format(text=value)
    return Diagnostic.at(span, message, file=file, hint=hint, code=code)


def _unexpected_end(token: Token, expected: set[str], file: str, block: Block) -> Diagnostic:
    """The block ended while something was still expected; point at its last line of code."""
    lines = block.text.split("\n")
    last_line = token.end_line or token.line
    if not last_line or last_line < block.first_line:  # an empty block: its first line
        last_line = block.first_line
    last_text = lines[min(last_line - block.first_line, len(lines) - 1)]
    span = Span(last_line, 1, last_line, len(last_text) + 1)
    open_line = _unclosed_brace_line(block)
    if "RBRACE" in expected and open_line is not None:
        return Diagnostic.at(
            span,
            _("the block opened with {{ on line {line} is never closed").format(line=open_line),
            file=file,
            hint=_("add a closing }} at the end of the block").format(),
            code="unclosed-block",
        )
    return Diagnostic.at(
        span,
        _("the block ends too early"),
        file=file,
        hint=_expected_hint(expected, _in_chinese(block)),
        code="unexpected-end",
    )


def _accepted_after_brace(error: UnexpectedToken, token: Token) -> bool:
    """Would `token` be fine had a `}` been written before it? (A `section` inside a
    section whose `}` is missing.)"""
    try:
        interactive: Any = error.interactive_parser
        interactive = interactive.copy()
        interactive.feed_token(Token("RBRACE", "}"))
        return token.type in interactive.accepts()
    except (UnexpectedInput, AttributeError):
        return False


def _keywords(expected: set[str]) -> list[str]:
    patterns = terminal_patterns()
    return [patterns[n] for n in expected if n in patterns and patterns[n].isalpha()]


def _token_kind(kind: str) -> str:
    """How a syntax error names the token it stopped at (`_UNEXPECTED`...): a text, a
    number, a word or any other mark."""
    if kind in ("STRING",):
        return "text"
    if kind in ("INT", "DECIMAL", "PERCENT", "DURATION"):
        return "number"
    if kind == "NAME":
        return "word"
    return "mark"


# The sentences of a syntax error that name the token it stopped at, one per kind of token
# (`_token_kind`): `unexpected word “x” here`.
_UNEXPECTED = {
    "text": N_("unexpected text {value} here"),
    "number": N_("unexpected number {value} here"),
    "word": N_("unexpected word “{value}” here"),
    "mark": N_("unexpected “{value}” here"),
}
_MISSING_BRACE = {
    "text": N_("a closing }} is missing before text {value}: the {{ on line {line} is still open"),
    "number": N_(
        "a closing }} is missing before number {value}: the {{ on line {line} is still open"
    ),
    "word": N_(
        "a closing }} is missing before word “{value}”: the {{ on line {line} is still open"
    ),
    "mark": N_("a closing }} is missing before “{value}”: the {{ on line {line} is still open"),
}
_ADD_BRACE = {
    "text": N_("add }} before text {value}"),
    "number": N_("add }} before number {value}"),
    "word": N_("add }} before word “{value}”"),
    "mark": N_("add }} before “{value}”"),
}
_CLOSED_ALREADY = {
    "text": N_("unexpected text {value} here: the }} on line {line} already closed the block"),
    "number": N_("unexpected number {value} here: the }} on line {line} already closed the block"),
    "word": N_("unexpected word “{value}” here: the }} on line {line} already closed the block"),
    "mark": N_("unexpected “{value}” here: the }} on line {line} already closed the block"),
}


def _in_chinese(block: Block) -> bool:
    """Whether a block is written with Chinese keywords (its first word is one): its
    hints then name the Chinese keywords."""
    match = _WORD.match(block.text.lstrip())
    return match is not None and match.group() in TOP_LEVEL_ZH


def _expected_hint(expected: set[str], chinese: bool = False) -> str:
    words: list[str] = []
    patterns = terminal_patterns()
    names = set(expected) - {"WS", "COMMENT"}
    if {"INT", "DECIMAL"} <= names:
        names -= {"INT"}

    def rank(name: str) -> tuple[bool, bool, bool, str]:
        return (name != "COMP_OP", name not in patterns, name in _VALUE_TERMINALS, name)

    for name in sorted(names, key=rank):
        if name in EXPECTED_WORDS:
            words.append(_(EXPECTED_WORDS[name]))
        elif name in patterns:
            word = patterns[name]
            if word.isalpha() and word.isascii() == chinese:
                continue  # a keyword of the other set
            words.append(f"“{word}”")
    if not words:
        return _("check the spelling and punctuation of this line")
    if len(words) > 8:
        words = [*words[:8], "..."]
    if len(words) == 1:
        return _("write {word} here").format(word=words[0])
    # in Chinese, the phrases (which hold commas of their own) are set apart by semicolons
    joined = ("；" if current() == "zh" else ", ").join(words)
    return _("write one of: {words}").format(words=joined)


def _unclosed_brace_line(block: Block, before: tuple[int, int] | None = None) -> int | None:
    """The line of the last `{` that has no matching `}` (ignoring text and comments),
    counting only what comes before the (line, column) `before` when it is given."""
    stack: list[int] = []
    for offset, line in enumerate(block.text.split("\n")):
        number = block.first_line + offset
        in_string = False
        escaped = False
        for index, char in enumerate(line):
            if before is not None and (number, index + 1) >= before:
                return stack[-1] if stack else None
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
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


def _last_brace_line(block: Block, before: tuple[int, int]) -> int | None:
    """The line of the last `}` before (line, column), outside text and comments."""
    found: int | None = None
    for offset, line in enumerate(block.text.split("\n")):
        number = block.first_line + offset
        in_string = False
        for index, char in enumerate(line):
            if (number, index + 1) >= before:
                return found
            if in_string:
                in_string = char != '"'
            elif char == '"':
                in_string = True
            elif char == "#":
                break
            elif char == "}":
                found = number
    return found
