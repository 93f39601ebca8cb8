"""The facts a condition can read about an event: `complaint.severity`, `agent.status`...

The engine reads only the facts its policy mentions (`FactReader(policy.fields_read)`):
building every field of every event into a dictionary cost more than all of a policy's
conditions together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from dsl import ast
from engine.codegen_expr import Constants

_SKIP = {"id", "at", "kind", "fields", "answers", "facts"}
DEFAULT_STATUS = "on_floor"  # an agent's status until an event or action changes it


def referenced_fields(tree: Any) -> frozenset[str]:
    """Every field name a policy mentions, with each of its prefixes (`call.start.time`
    gives call, call.start and call.start.time): a generous superset of the facts it reads."""
    names: set[str] = set()
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
        constants = Constants()

        def value(name: str) -> tuple[str, bool]:
            if name in ("id", "facts"):  # every event has an id; an evaluation, its facts
                return f"values[{constants.add(name)}]", True
            return f"values.get({constants.add(name)})", False

        kind: str = cls.model_fields["kind"].default
        lines = ["def reader(values, at, statuses):", "    facts = {}"]
        lines += self.lines(cls, value, constants.add)
        lines.append("    return facts")
        namespace: dict[str, Any] = constants.values
        exec(compile("\n".join(lines) + "\n", f"<callqa facts of {kind}>", "exec"), namespace)
        reader: Reader = namespace["reader"]
        return reader

    def lines(
        self,
        cls: Any,
        value: Callable[[str], tuple[str, bool] | None],
        constant: Callable[[Any], str],
    ) -> list[str]:
        """Lines that fill `facts` for an event of class `cls`, given `at` (its time in
        the policy's timezone) and `statuses`. `value(field)` is the code reading a field
        and whether it is surely not None, or None when the event surely lacks it (as in
        `engine.kind_path`, which knows which fields an event has). `constant(v)` names a
        constant for the code."""
        kind: str = cls.model_fields["kind"].default
        wanted = self.wanted

        def read(name: str) -> bool:
            return wanted is None or name in wanted

        lines: list[str] = []

        def put(name: str, fact: str) -> None:
            """facts[fact] = the field `name`, when it is there and not None."""
            got = value(name)
            if got is None:
                return
            code, sure = got
            key = constant(fact)
            if sure:
                lines.append(f"    facts[{key}] = {code}")
            else:
                lines.extend([f"    value = {code}", "    if value is not None:"])
                lines.append(f"        facts[{key}] = value")

        for name in cls.model_fields:
            if name not in _SKIP and read(f"{kind}.{name}"):
                put(name, f"{kind}.{name}")
        if read(f"{kind}.id"):
            put("id", f"{kind}.id")
        if read(f"{kind}.at"):
            lines.append(f"    facts[{constant(f'{kind}.at')}] = at")
        if kind == "call" and read("call.start"):
            lines.append(f"    facts[{constant('call.start')}] = at")
        own = value("fields")
        if own is not None:
            lines += [f"    own = {own[0]}", "    if own:"]
            lines.append(f"        {constant(_merge_own_fields)}(facts, own, {constant(kind)})")
        if kind == "evaluation":
            given = value("facts")
            assert given is not None
            lines.append(f"    {constant(_merge_facts)}(facts, {given[0]})")
        has_agent, has_team = "agent" in cls.model_fields, "team" in cls.model_fields
        agent = value("agent") if has_agent else None
        if agent is not None and (read("agent.id") or read("agent.status")):
            code, sure = agent
            lines.append(f"    agent = {code}")
            indent = "    "
            if not sure:
                lines.append("    if agent is not None:")
                indent = "        "
            if read("agent.id"):
                lines.append(f"{indent}facts[{constant('agent.id')}] = agent")
            if read("agent.status"):
                status = f"statuses.get(agent, {constant(DEFAULT_STATUS)})"
                lines.append(f"{indent}facts[{constant('agent.status')}] = {status}")
        if has_team and read("agent.team"):
            put("team", "agent.team")
        return lines


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
