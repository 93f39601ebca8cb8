"""The facts a condition can read about an event: `complaint.severity`, `agent.status`..."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.events import Call, Evaluation

_SKIP = {"id", "at", "kind", "fields", "answers", "facts"}


def event_facts(event: Any, at: dt.datetime, agent_status: str | None) -> dict[str, Any]:
    kind = event.kind
    facts: dict[str, Any] = {f"{kind}.id": event.id, f"{kind}.at": at}
    for name, value in event.__dict__.items():  # the model's fields, without pydantic's iterator
        if value is not None and name not in _SKIP:
            facts[f"{kind}.{name}"] = value
    for name, value in event.fields.items():
        facts[name if "." in name else f"{kind}.{name}"] = value
    if isinstance(event, Call):
        facts["call.start"] = at
    if isinstance(event, Evaluation):
        for entity, values in event.facts.items():
            if isinstance(values, dict):
                facts.update({f"{entity}.{k}": v for k, v in values.items()})
            else:
                facts[entity] = values
    agent = getattr(event, "agent", None)
    if agent is not None:
        facts["agent.id"] = agent
        if agent_status is not None:
            facts["agent.status"] = agent_status
    team = getattr(event, "team", None)
    if team is not None:
        facts["agent.team"] = team
    return facts
