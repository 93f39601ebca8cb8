"""`parse_policy`: text -> syntax tree + syntax diagnostics. Never raises on bad input."""

from __future__ import annotations

from dsl.ast import PolicyFile, Statement
from dsl.build import Builder
from dsl.diagnostics import Diagnostic
from dsl.syntax import parse_text


def parse_policy(text: str, file: str = "<policy>") -> tuple[PolicyFile, list[Diagnostic]]:
    parsed = parse_text(text, file)
    builder = Builder(file)
    statements: list[Statement] = []
    for tree in parsed.trees:  # one block's Lark tree at a time (see ParsedFile)
        statements.extend(builder.statements(tree))
    policy = PolicyFile(tuple(statements), tuple(parsed.comments), file)
    return policy, [*parsed.diagnostics, *builder.diagnostics]
