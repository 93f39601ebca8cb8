"""The facts a condition can read about an event: `complaint.severity`, `agent.status`...

The engine reads only the facts its policy mentions (`FactReader(referenced_fields(tree))`):
building every field of every event into a dictionary cost more than all of a policy's
conditions together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from typing import Any, NamedTuple

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


class _Plan(NamedTuple):
    """What to read from events of one class."""

    fields: tuple[tuple[str, str], ...]  # (attribute, fact name)
    id: str | None  # "call.id", if read
    at: str | None  # "call.at", if read
    start: bool  # call.start
    agent: bool  # agent.id
    status: bool  # agent.status
    team: bool  # agent.team


class FactReader:
    """Turns an event into the facts mapping its conditions read, optionally only the facts
    in `wanted` (None: all of them)."""

    def __init__(self, wanted: Iterable[str] | None = None) -> None:
        self.wanted = None if wanted is None else frozenset(wanted)
        self._plans: dict[type, _Plan] = {}

    def _plan(self, cls: type) -> _Plan:
        kind = cls.model_fields["kind"].default  # type: ignore[attr-defined]

        def read(name: str) -> bool:
            return self.wanted is None or name in self.wanted

        plan = _Plan(
            tuple(
                (name, f"{kind}.{name}")
                for name in cls.model_fields  # type: ignore[attr-defined]
                if name not in _SKIP and read(f"{kind}.{name}")
            ),
            f"{kind}.id" if read(f"{kind}.id") else None,
            f"{kind}.at" if read(f"{kind}.at") else None,
            kind == "call" and read("call.start"),
            read("agent.id"),
            read("agent.status"),
            read("agent.team"),
        )
        self._plans[cls] = plan
        return plan

    def read(self, event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
        values = event.__dict__  # the model's fields, without pydantic's iterator
        plan = self._plans.get(event.__class__) or self._plan(event.__class__)
        facts: dict[str, Any] = {
            fact: value for name, fact in plan.fields if (value := values[name]) is not None
        }
        if plan.id is not None:
            facts[plan.id] = event.id
        if plan.at is not None:
            facts[plan.at] = at
        if plan.start:
            facts["call.start"] = at
        if event.fields:
            kind = event.kind
            for name, value in event.fields.items():
                facts[name if "." in name else f"{kind}.{name}"] = value
        if event.kind == "evaluation":
            for entity, entity_values in event.facts.items():
                if isinstance(entity_values, dict):
                    facts.update({f"{entity}.{k}": v for k, v in entity_values.items()})
                else:
                    facts[entity] = entity_values
        agent = values.get("agent")
        if agent is not None:
            if plan.agent:
                facts["agent.id"] = agent
            if plan.status and agent_status is not None:
                facts["agent.status"] = agent_status
        if plan.team:
            team = values.get("team")
            if team is not None:
                facts["agent.team"] = team
        return facts


def event_facts(event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
    """All the facts of an event."""
    return _ALL.read(event, at, agent_status)


_ALL = FactReader()
