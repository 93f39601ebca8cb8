"""The facts a condition can read about an event: `complaint.severity`, `agent.status`...

The engine reads only the facts its policy mentions (`FactReader(policy.fields_read)`):
building every field of every event into a dictionary cost more than all of a policy's
conditions together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from callqa.dsl import ast
from callqa.engine.codegen.emit import Source, compile_function

_SKIP = {"id", "at", "kind", "fields", "answers", "facts"}
DEFAULT_STATUS = "on_floor"  # an agent's status until an event or action changes it


def referenced_fields(tree: Any) -> frozenset[str]:
    """Every field name a policy mentions, with each of its prefixes (`call.start.time`
    gives call, call.start and call.start.time): a generous superset of the facts it reads.
    A policy that samples calls reads `call.answered`: an unanswered call is not sampled."""
    names: set[str] = {"call", "call.answered"} if getattr(tree, "samplings", ()) else set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FieldRef | ast.Aggregate):
            path = node.path
            names.update(".".join(path[: n + 1]) for n in range(len(path)))
        if isinstance(node, tuple | list):
            stack.extend(node)
        elif is_dataclass(node) and not isinstance(node, type):
            stack.extend(getattr(node, f.name) for f in fields(node))
    return frozenset(names)


# (an event's values, time in the policy's timezone, status of each agent) -> facts
Reader = Callable[[dict[str, Any], dt.datetime, Mapping[str, str]], dict[str, Any]]


class FactReader:
    """Turns an event's values (its model's fields) into the facts mapping its conditions
    read, optionally only the facts in `wanted` (None: all of them). Each event class gets
    its own reader, written out as straight-line Python the first time an event of that
    class comes: a replay reads facts for every event, and a loop over a plan cost more
    than the conditions that use them."""

    def __init__(self, wanted: Iterable[str] | None = None) -> None:
        self.wanted = None if wanted is None else frozenset(wanted)
        self._readers: dict[type, Reader] = {}

    def reader(self, cls: type) -> Reader:
        """The function reading the facts of events of class `cls`."""
        reader = self._readers.get(cls)
        if reader is None:
            reader = self._readers[cls] = self._compile(cls)
        return reader

    def _compile(self, cls: Any) -> Reader:
        s = Source()

        def value(name: str) -> tuple[str, bool]:
            if name in ("id", "facts"):  # every event has an id; an evaluation, its facts
                return f"values[{s.constant(name)}]", True
            return f"values.get({s.constant(name)})", False

        kind: str = cls.model_fields["kind"].default
        with s.block("def reader(values, at, statuses)"):
            s("facts = {}")
            self.write(s, cls, value)
            s("return facts")
        reader: Reader = compile_function(s, "reader", f"facts of {kind}")
        return reader

    def write(self, s: Source, cls: Any, value: Callable[[str], tuple[str, bool] | None]) -> None:
        """Writes lines that fill `facts` for an event of class `cls`, given `at` (its
        time in the policy's timezone) and `statuses`. `value(field)` is the code reading a
        field and whether it is surely not None, or None when the event surely lacks it
        (as in `engine.runtime.kind_path`, which knows which fields an event has)."""
        for source in self.sources(cls, value, s.constant):
            if isinstance(source, FactMerge):
                s(*source.lines)
                continue
            key = s.constant(source.fact)
            if source.guard is None:
                s(f"facts[{key}] = {source.code}")
            elif source.guard == source.code:  # the value, when it is not None
                s(f"value = {source.code}")
                with s.block("if value is not None"):
                    s(f"facts[{key}] = value")
            else:
                with s.block(f"if {source.guard} is not None"):
                    s(f"facts[{key}] = {source.code}")

    def sources(
        self,
        cls: Any,
        value: Callable[[str], tuple[str, bool] | None],
        constant: Callable[[Any], str],
    ) -> list[FactSource | FactMerge]:
        """Where each fact of an event of class `cls` comes from, in order (`value` as
        for `write`; `constant(v)` names a constant for the code). A merge instead adds
        facts whose names only the event knows (a center's own fields, an evaluation's
        facts) to `facts`."""
        kind: str = cls.model_fields["kind"].default
        wanted = self.wanted

        def read(name: str) -> bool:
            return wanted is None or name in wanted

        sources: list[FactSource | FactMerge] = []

        def put(name: str, fact: str) -> None:
            """The fact is the field `name`, when the event has it and it is not None."""
            got = value(name)
            if got is not None:
                code, sure = got
                sources.append(FactSource(fact, code, None if sure else code))

        for name in cls.model_fields:
            if name not in _SKIP and read(f"{kind}.{name}"):
                put(name, f"{kind}.{name}")
        if read(f"{kind}.id"):
            put("id", f"{kind}.id")
        if read(f"{kind}.at"):
            sources.append(FactSource(f"{kind}.at", "at", None))
        if kind == "call" and read("call.start"):
            sources.append(FactSource("call.start", "at", None))
        own = value("fields")
        if own is not None:
            merge = constant(_merge_own_fields)
            call = f"{merge}(facts, own, {constant(kind)})"
            sources.append(FactMerge((f"own = {own[0]}", "if own:", f"    {call}")))
        if kind == "evaluation":
            given = value("facts")
            assert given is not None
            sources.append(FactMerge((f"{constant(_merge_facts)}(facts, {given[0]})",)))
        agent = value("agent") if "agent" in cls.model_fields else None
        if agent is not None:
            code, sure = agent
            guard = None if sure else code
            if read("agent.id"):
                sources.append(FactSource("agent.id", code, guard))
            if read("agent.status"):
                status = f"statuses.get({code}, {constant(DEFAULT_STATUS)})"
                sources.append(FactSource("agent.status", status, guard))
        if "team" in cls.model_fields and read("agent.team"):
            put("team", "agent.team")
        return sources


@dataclass(frozen=True)
class FactSource:
    """The code giving a fact; when `guard` is not None, the event has the fact only
    when `guard` is not None (the guard is the code itself for a field that may be
    missing)."""

    fact: str
    code: str
    guard: str | None

    def expression(self) -> str:
        """The fact's value, None when the event lacks it."""
        if self.guard is None or self.guard == self.code:
            return self.code
        return f"({self.code} if {self.guard} is not None else None)"


@dataclass(frozen=True)
class FactMerge:
    """Code adding facts whose names only the event knows to `facts`: lines of a
    function body, relative to its indentation."""

    lines: tuple[str, ...]


def _merge_own_fields(facts: dict[str, Any], own: dict[str, Any], kind: str) -> None:
    """A center's own fields: `queue` is `call.queue` on a call; dotted names stay as given."""
    for name, value in own.items():
        facts[name if "." in name else f"{kind}.{name}"] = value


def _merge_facts(facts: dict[str, Any], given: dict[str, Any]) -> None:
    """An evaluation's facts about its call: {"call": {"type": ...}} or flat names."""
    for entity, entity_values in given.items():
        if isinstance(entity_values, dict):
            facts.update({f"{entity}.{k}": v for k, v in entity_values.items()})
        else:
            facts[entity] = entity_values
