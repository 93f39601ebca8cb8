"""The facts a condition can read about an event: `complaint.severity`, `agent.status`..."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.events import Evaluation

_SKIP = {"id", "at", "kind", "fields", "answers", "facts"}
# Per event class, its fields as (attribute, fact name): computed once, read per event.
_FACT_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _fact_names(cls: type) -> tuple[tuple[str, str], ...]:
    kind = cls.model_fields["kind"].default  # type: ignore[attr-defined]
    names = tuple((name, f"{kind}.{name}") for name in cls.model_fields if name not in _SKIP)  # type: ignore[attr-defined]
    _FACT_NAMES[cls] = names
    return names


def event_facts(event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
    kind = event.kind
    values = event.__dict__  # the model's fields, without pydantic's iterator
    names = _FACT_NAMES.get(event.__class__) or _fact_names(event.__class__)
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
    elif isinstance(event, Evaluation):
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
