"""The facts a condition can read about an event: `complaint.severity`, `agent.status`...

The engine reads only the facts its policy mentions (`FactReader(referenced_fields(tree))`):
building every field of every event into a dictionary cost more than all of a policy's
conditions together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from dsl import ast

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
        kind: str = cls.model_fields["kind"].default
        names = [name for name in cls.model_fields if name not in _SKIP]
        wanted = self.wanted

        def read(name: str) -> bool:
            return wanted is None or name in wanted

        # fact names and attribute names travel as constants (K0, K1...), never as code
        constants: dict[str, Any] = {"merge": _merge_own_fields, "merge_facts": _merge_facts}
        lines = ["def reader(values, at, statuses):"]
        lines.append("    facts = {}")

        def constant(value: str) -> str:
            key = f"K{len(constants)}"
            constants[key] = value
            return key

        for name in names:
            if read(f"{kind}.{name}"):
                lines += [
                    f"    value = values.get({constant(name)})",
                    "    if value is not None:",
                    f"        facts[{constant(f'{kind}.{name}')}] = value",
                ]
        if read(f"{kind}.id"):
            lines.append(f"    facts[{constant(f'{kind}.id')}] = values['id']")
        if read(f"{kind}.at"):
            lines.append(f"    facts[{constant(f'{kind}.at')}] = at")
        if kind == "call" and read("call.start"):
            lines.append(f"    facts[{constant('call.start')}] = at")
        lines += ["    own = values.get('fields')", "    if own:"]
        lines.append(f"        merge(facts, own, {constant(kind)})")
        if kind == "evaluation":
            lines.append("    merge_facts(facts, values['facts'])")
        has_agent, has_team = "agent" in cls.model_fields, "team" in cls.model_fields
        if has_agent and (read("agent.id") or read("agent.status")):
            lines.append(f"    agent = values.get({constant('agent')})")
            lines.append("    if agent is not None:")
            if read("agent.id"):
                lines.append(f"        facts[{constant('agent.id')}] = agent")
            if read("agent.status"):
                status = f"statuses.get(agent, {constant(DEFAULT_STATUS)})"
                lines.append(f"        facts[{constant('agent.status')}] = {status}")
        if has_team and read("agent.team"):
            lines.append(f"    team = values.get({constant('team')})")
            lines.append("    if team is not None:")
            lines.append(f"        facts[{constant('agent.team')}] = team")
        lines.append("    return facts")
        exec(compile("\n".join(lines) + "\n", f"<callqa facts of {kind}>", "exec"), constants)
        reader: Reader = constants["reader"]
        return reader


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
