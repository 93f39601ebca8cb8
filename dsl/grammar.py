"""The one Lark parser, built once per process and shared (Lark parsers are reentrant)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Lark

from callqa.grammars import policy_grammar


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
