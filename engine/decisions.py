"""Decisions: what the engine concludes, always with the rule, the reason and the evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

NO_FACTS: Mapping[str, Any] = MappingProxyType({})


class Decision(NamedTuple):
    """One conclusion of the engine; immutable (a named tuple: the engine builds one per
    sampled call and per action, and a tuple is the cheapest immutable record to build).

    kind: "action" (a discipline or recognition action), "approved", "insufficient_evidence",
    "escalation", "alert", "no_data", "sample", "shortfall", "score", "rescore",
    "appeal_rejected". `action` names the policy's action, the role escalated to, or
    the role alerted. `status` is "final", or "pending" when the action awaits approval.
    """

    id: str
    kind: str
    subject: str
    action: str | None
    reason: str
    rule: str
    rule_location: str
    at: dt.datetime
    facts: Mapping[str, Any] = NO_FACTS
    evidence: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    status: str = "final"

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["facts"] = dict(self.facts)
        data["at"] = self.at.isoformat()
        data["evidence"] = list(self.evidence)
        data["notify"] = list(self.notify)
        return data

    def explain(self) -> str:
        """Several plain lines: what, why, by which rule, from which facts and events."""
        head = f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
        if self.action:
            head += f" {self.action}"
        head += f" for {self.subject}" + (
            " (awaiting approval)" if self.status == "pending" else ""
        )
        lines = [head, f"  why: {self.reason}", f"  rule: {self.rule} ({self.rule_location})"]
        if self.status == "pending":  # the id an approval event names
            lines.append(f'  approve with: approval decision "{self.id}"')
        if self.facts:
            facts = ", ".join(f"{k} = {v}" for k, v in self.facts.items())
            lines.append(f"  facts: {facts}")
        if self.evidence:
            shown = ", ".join(self.evidence[:8])
            more = len(self.evidence) - 8
            lines.append(f"  evidence: {shown}" + (f" and {more} more" if more > 0 else ""))
        if self.notify:
            lines.append(f"  notify: {', '.join(self.notify)}")
        return "\n".join(lines)
