"""Decisions: what the engine concludes, always with the rule, the reason and the evidence.

A replay makes hundreds of thousands of decisions and a simulation drops nearly all of them
(each has an identical twin under the other version), so the engine may give a decision's
reason or evidence as a `Later`: the function and values that make it, run when a consumer
reads `Decision.reason` or `Decision.evidence`. Read, a decision is what it was eagerly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from callqa.dsl.i18n import _, named

NO_FACTS: Mapping[str, Any] = MappingProxyType({})


class Later(tuple[Any, ...]):
    """A value made when read: `Later((make, *arguments))` stands for `make(*arguments)`.
    A tuple (built in C, cheaper than formatting most reasons); equal to, hashed and shown
    as the value it makes, so a decision holding one equals the decision holding the value.
    `make` is a module's function (a decision pickles with it) and the arguments are not
    changed afterwards, so every read makes the same value."""

    __slots__ = ()

    def value(self) -> Any:
        return self[0](*self[1:])

    def __str__(self) -> str:  # a Later inside another's f-string formats as its text
        return str(self.value())

    def __repr__(self) -> str:
        return repr(self.value())

    def __eq__(self, other: object) -> bool:
        return bool(self.value() == (other.value() if isinstance(other, Later) else other))

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.value())


class _Fields(NamedTuple):
    id: str
    kind: str
    subject: str
    action: str | None
    reason: str | Later
    rule: str
    rule_location: str
    at: dt.datetime
    facts: Mapping[str, Any] = NO_FACTS
    evidence: tuple[str, ...] | Later = ()
    notify: tuple[str, ...] = ()
    status: str = "final"


class Decision(_Fields):
    """One conclusion of the engine; immutable (a named tuple: the engine builds one per
    sampled call and per action, and a tuple is the cheapest immutable record to build).

    kind: "action" (a discipline or recognition action), "approved", "insufficient_evidence",
    "escalation", "alert", "no_data", "sample", "shortfall", "score", "rescore",
    "appeal_rejected". `action` names the policy's action, the role escalated to, or
    the role alerted. `status` is "final", or "pending" when the action awaits approval.
    `reason` and `evidence` may be given as a `Later`: reading them makes the value.
    """

    __slots__ = ()

    @property  # the field, read as the value it stands for
    def reason(self) -> str:
        text = self[4]
        return text.value() if isinstance(text, Later) else text

    @property
    def evidence(self) -> tuple[str, ...]:
        ids = self[9]
        return ids.value() if isinstance(ids, Later) else ids

    def _asdict(self) -> dict[str, Any]:
        data = super()._asdict()
        data["reason"], data["evidence"] = self.reason, self.evidence
        return data

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["facts"] = dict(self.facts)
        data["at"] = self.at.isoformat()
        data["evidence"] = list(self.evidence)
        data["notify"] = list(self.notify)
        return data

    def explain(self) -> str:
        """Several plain lines: what, why, by which rule, from which facts and events."""
        at = f"{self.at:%Y-%m-%d %H:%M}"
        kind = named(self.kind, "decision")
        pending = self.status == "pending"
        if self.action and pending:
            head = _("{at} {kind} {action} for {subject} (awaiting approval)")
        elif self.action:
            head = _("{at} {kind} {action} for {subject}")
        elif pending:
            head = _("{at} {kind} for {subject} (awaiting approval)")
        else:
            head = _("{at} {kind} for {subject}")
        lines = [
            head.format(at=at, kind=kind, action=self.action, subject=self.subject),
            _("  why: {reason}").format(reason=self.reason),
            _("  rule: {rule} ({location})").format(rule=self.rule, location=self.rule_location),
        ]
        if pending:  # the id an approval event names
            lines.append(_('  approve with: approval decision "{id}"').format(id=self.id))
        if self.facts:
            facts = ", ".join(f"{k} = {v}" for k, v in self.facts.items())
            lines.append(_("  facts: {facts}").format(facts=facts))
        if self.evidence:
            shown = ", ".join(self.evidence[:8])
            more = len(self.evidence) - 8
            if more > 0:
                lines.append(
                    _("  evidence: {shown} and {more} more").format(shown=shown, more=more)
                )
            else:
                lines.append(_("  evidence: {shown}").format(shown=shown))
        if self.notify:
            lines.append(_("  notify: {roles}").format(roles=", ".join(self.notify)))
        return "\n".join(lines)
