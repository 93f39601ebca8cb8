"""Writing the engine's generated Python, and compiling it: one way for every generator.

Several parts of the engine write functions for one policy (a rubric's scorer, a
condition, the facts of a kind of event, a kind's path through the engine, a sampling
period's close). They share this module: a `Source` holds lines written in indented
blocks, every value from the policy is a named constant of its namespace (policy text
never reaches Python's parser), and `compile_function` compiles one function of it under
a file name that says what the code is for, so a traceback names the rubric or the kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

INDENT = "    "


@dataclass
class Constants:
    """The namespace generated code runs in: constants and helpers, by generated name.
    The same value (equal and of the same type, or the same object when unhashable)
    gets one name."""

    values: dict[str, object] = field(default_factory=dict)
    _by_identity: dict[tuple[type, object], str] = field(default_factory=dict)

    def add(self, value: object, prefix: str = "K") -> str:
        """A name for `value`: `prefix` and a number."""
        key = (type(value), value if _hashable(value) else id(value))
        if key in self._by_identity:
            return self._by_identity[key]
        name = f"{prefix}{len(self.values)}"
        while name in self.values:  # taken by `define`
            name += "_"
        self.values[name] = value
        self._by_identity[key] = name
        return name

    def define(self, name: str, value: object) -> str:
        """`value` under a fixed name (`ZONE`, `MISSING`...) that code is written with.
        Defining a name twice is a mistake in a generator, unless it is the same value."""
        if name in self.values and self.values[name] is not value:
            raise ValueError(f"generated code's constant {name} already holds another value")
        self.values[name] = value
        return name


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class Source:
    """Python source being written: each line at the depth of the blocks around it.
    `source("x = 1", "y = 2")` writes lines (a line may carry indentation of its own,
    relative to the depth: fragments written apart keep their shape);
    `with source.block("if x"):` writes the header and indents what follows."""

    def __init__(self, constants: Constants | None = None, depth: int = 0) -> None:
        self.constants = Constants() if constants is None else constants
        self.lines: list[str] = []
        self.depth = depth

    def __call__(self, *lines: str) -> None:
        pad = INDENT * self.depth
        self.lines.extend(pad + line for line in lines)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """`header:` and, indented, what is written inside; `pass` when that is nothing."""
        self(header + ":")
        start = len(self.lines)
        self.depth += 1
        try:
            yield
        finally:
            if len(self.lines) == start:
                self("pass")
            self.depth -= 1

    def extend(self, lines: Iterable[str]) -> None:
        """Lines written elsewhere as a list, already indented for where they go."""
        self.lines.extend(lines)

    def constant(self, value: object, prefix: str = "K") -> str:
        """The name of a constant holding `value` (see `Constants.add`)."""
        return self.constants.add(value, prefix)

    @property
    def text(self) -> str:
        """The source as it is compiled, for review and tests."""
        return "\n".join(self.lines) + "\n"


def compile_function(
    source: Source, name: str, about: str, namespace: dict[str, Any] | None = None
) -> Any:
    """The function `def name(...)` of `source`, compiled alone (Python's compiler holds a
    whole module's trees at once: a rubric's two large functions need half the memory
    compiled apart) at its own lines, so a traceback points into `source.text`. It runs
    among `source`'s constants and `namespace`; its file is `<callqa {about}>`."""
    lines = source.lines
    header = f"def {name}("
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    end = start + 1
    while end < len(lines) and (not lines[end] or lines[end].startswith(" ")):
        end += 1  # the function's lines: indented or blank
    text = "\n" * start + "\n".join(lines[start:end]) + "\n"
    scope: dict[str, Any] = {**source.constants.values, **(namespace or {})}
    # our own generated code: policy values arrive only as constants
    exec(compile(text, f"<callqa {about}>", "exec"), scope)
    return scope[name]
