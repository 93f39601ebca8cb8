"""A policy's decision units, and what each one reads: the pieces an incremental
simulation replays alone when a change touches only them.

Every decision names its unit in `Decision.rule`: a rubric's id (score, rescore,
appeal_rejected), an escalation's, a KPI threshold's (alert, no_data), a sampling block's
(sample, shortfall, publish), or a discipline rule's `block.rule` (action, approved,
rejected, insufficient_evidence). Two versions of a policy decide alike in a unit when the
unit means the same (`Unit.shape`: its typed block without its place in the file) and
what it reads is the same: the events of its kinds and, if it reads `agent.status`, the
statuses that the other units' actions set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from callqa.dsl import ast, resolved
from callqa.dsl.source import Span
from callqa.engine.policy import Policy
from callqa.engine.runtime.events import EVENT_KINDS

# events that say something of a complaint: the engine reads the complaint's agent and
# team from the complaint itself, so they are read with the complaints
_OF_A_COMPLAINT = frozenset({"complaint_resolved", "complaint_escalated"})
_ESCALATION_KINDS = frozenset({"complaint", *_OF_A_COMPLAINT})
ALL_KINDS = frozenset(EVENT_KINDS)
# the kinds whose events an engine judges against evaluations it keeps, and forgets as its
# clock moves: a replay of only some kinds would forget them at other times
NEEDS_EVERY_EVENT = frozenset({"appeal", "appeal_accepted", "appeal_decision"})
_ROSTER = ("agent_joined", "agent_left")
_PLACE = frozenset({"span", "location", "end", "id_span", "then_span", "timezone_span"})


@dataclass(frozen=True)
class Unit:
    """One decision unit of a policy: what it means and what it reads and writes."""

    id: str  # as its decisions name their rule
    shape: Any  # what it means, without where it is written: equal shapes decide alike
    kinds: frozenset[str]  # the kinds of event it reads
    reads_status: bool  # it reads agent.status (set by agent_status events and actions)
    sets_status: bool  # its action sets an agent's status
    # the actions whose taking it hears of: what its own action was brought by is spent for
    # the other rules taking it, and a rule counting `since` an action starts again then
    hears: frozenset[str] = frozenset()
    acts: str | None = None  # the action it takes


def shape(value: Any) -> Any:
    """`value` without its place in the files (spans, `file:line` locations): two blocks
    with equal shapes are the same rule, wherever they are written."""
    if isinstance(value, Span):  # wherever a node keeps one (an item's, a band's...)
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(
            (f.name, shape(getattr(value, f.name)))
            for f in dataclasses.fields(value)
            if f.name not in _PLACE and not f.name.endswith("_span") and f.init
        ))  # fmt: skip
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), shape(v)) for k, v in value.items()))
    if isinstance(value, tuple | list):
        return tuple(shape(item) for item in value)
    return value


def _reads_status(node: Any) -> bool:
    """Whether a block's conditions mention agent.status."""
    return ast.mentions(node, ("agent", "status"))


def _kinds(*kinds: str) -> frozenset[str]:
    """`kinds` and what the engine reads with them (a resolution's complaint; the
    evaluation a deduction is an item of, and the appeals that amend it)."""
    found = frozenset(kinds)
    if "deduction" in found:
        found |= {"evaluation", "appeal", "appeal_accepted", "appeal_decision"}
    return found | {"complaint"} if found & _OF_A_COMPLAINT else found


def units(policy: Policy) -> dict[str, Unit]:
    """Every decision unit of `policy`, by the name its decisions give as their rule."""
    blocks = policy.time_blocks
    actions = policy.actions
    found: list[Unit] = []
    for rubric_id, rubric in policy.checked.rubrics.items():
        kinds = _kinds("evaluation", "appeal", "appeal_accepted", "appeal_decision")
        found.append(Unit(rubric_id, ("rubric", shape(rubric)), kinds, False, False))
    for escalation in blocks.escalations:
        found.append(Unit(escalation.id, shape(escalation), _ESCALATION_KINDS,
                          _reads_status(escalation), False))  # fmt: skip
    for threshold in blocks.thresholds:  # any event of a subject opens its period
        found.append(Unit(threshold.id, shape(threshold), ALL_KINDS,
                          _reads_status(threshold), False))  # fmt: skip
    for sampling in blocks.samplings:  # its seeds are the policy's name and version's
        seeded = (shape(sampling), policy.name, policy.version)
        # the roster's working days make a day without calls a shortfall
        kinds = _kinds("call", *_ROSTER)
        found.append(Unit(sampling.id, seeded, kinds, True, False))
    for rota in blocks.rotas:  # its turns go round the roster
        found.append(Unit(rota.id, shape(rota), _kinds(*_ROSTER), False, False))
    rules: Iterable[resolved.WindowRule | resolved.EventRule] = (
        *blocks.window_rules, *blocks.event_rules,
    )  # fmt: skip
    for rule in rules:
        action = actions[rule.then]
        read = rule.measure.kind if isinstance(rule, resolved.WindowRule) else rule.on
        answer = rule.without if isinstance(rule, resolved.EventRule) else None
        kinds = _kinds(
            read,
            *([answer] if answer else []),
            *(("approval",) if action.approval_by is not None else ()),
        )
        since = rule.since if isinstance(rule, resolved.WindowRule) else None
        hears = frozenset({rule.then, *([since] if since else [])})
        found.append(Unit(rule.name, (shape(rule), shape(action)), kinds,
                          _reads_status(rule), action.sets_status is not None,
                          hears, rule.then))  # fmt: skip
    by_id: dict[str, Unit] = {}
    for unit in found:  # two units of one name would share their decisions' rule
        if unit.id in by_id:
            raise ValueError(f"two decision units are named {unit.id!r}")
        by_id[unit.id] = unit
    return by_id


def common_ground(policy: Policy) -> Any:
    """What every unit of `policy` stands on: its timezone, fields, rubrics and settings
    (everything but its time-aware blocks, actions and tests). Two versions whose common
    ground differs are replayed whole."""
    skipped = (ast.PolicyHeader, ast.Include, ast.Escalation, ast.Threshold, ast.Sampling,
               ast.Discipline, ast.TestBlock, ast.ActionDecl)  # fmt: skip
    statements = [s for s in policy.checked.tree.statements if not isinstance(s, skipped)]
    return (str(policy.timezone), shape(policy.checked.fields), shape(statements))
