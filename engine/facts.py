"""The facts a condition can read about an event: `complaint.severity`, `agent.status`...

The engine reads only the facts its policy mentions (`FactReader(referenced_fields(tree))`):
building every field of every event into a dictionary cost more than all of a policy's
conditions together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from typing import Any

from dsl import ast

_SKIP = {"id", "at", "kind", "fields", "answers", "facts"}


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


class FactReader:
    """Turns an event into the facts mapping its conditions read, optionally only the facts
    in `wanted` (None: all of them)."""

    def __init__(self, wanted: Iterable[str] | None = None) -> None:
        self.wanted = None if wanted is None else frozenset(wanted)
        self._names: dict[type, tuple[tuple[str, str], ...]] = {}

    def _fact_names(self, cls: type) -> tuple[tuple[str, str], ...]:
        """(attribute, fact name) for each field of an event class that may be read."""
        kind = cls.model_fields["kind"].default  # type: ignore[attr-defined]
        names = tuple(
            (name, f"{kind}.{name}")
            for name in cls.model_fields  # type: ignore[attr-defined]
            if name not in _SKIP and (self.wanted is None or f"{kind}.{name}" in self.wanted)
        )
        self._names[cls] = names
        return names

    def read(self, event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
        kind = event.kind
        values = event.__dict__  # the model's fields, without pydantic's iterator
        names = self._names.get(event.__class__)
        if names is None:  # the first event of its kind (an empty tuple is a valid answer)
            names = self._fact_names(event.__class__)
        facts: dict[str, Any] = {
            fact: value for name, fact in names if (value := values[name]) is not None
        }
        facts[f"{kind}.id"] = event.id
        facts[f"{kind}.at"] = at
        if event.fields:
            for name, value in event.fields.items():
                facts[name if "." in name else f"{kind}.{name}"] = value
        if kind == "call":
            facts["call.start"] = at
        elif kind == "evaluation":
            for entity, entity_values in event.facts.items():
                if isinstance(entity_values, dict):
                    facts.update({f"{entity}.{k}": v for k, v in entity_values.items()})
                else:
                    facts[entity] = entity_values
        agent = values.get("agent")
        if agent is not None:
            facts["agent.id"] = agent
            if agent_status is not None:
                facts["agent.status"] = agent_status
        team = values.get("team")
        if team is not None:
            facts["agent.team"] = team
        return facts


def event_facts(event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
    """All the facts of an event."""
    return _ALL.read(event, at, agent_status)


_ALL = FactReader()
