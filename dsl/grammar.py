"""The one Lark parser, built once per process and shared (Lark parsers are reentrant)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Lark

from callqa.grammars import policy_grammar

# Lines whose first word (at column 1) is one of these start a new top-level block.
# The parser parses each block on its own, so one broken block does not hide the
# problems of the others.
TOP_LEVEL_KEYWORDS = frozenset(
    {
        "policy",
        "include",
        "field",
        "rubric",
        "action",
        "sampling",
        "escalation",
        "threshold",
        "discipline",
        "test",
    }
)


@lru_cache(maxsize=1)
def parser() -> Any:
    return Lark(
        policy_grammar(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


@lru_cache(maxsize=1)
def terminal_patterns() -> dict[str, str]:
    """Terminal name -> literal text for keyword and punctuation terminals."""
    out: dict[str, str] = {}
    for t in parser().terminals:
        if type(t.pattern).__name__ == "PatternStr":
            out[t.name] = t.pattern.value
    return out
