"""A policy's time-aware blocks compiled once, for every engine that runs the policy.

`compile_rules` turns the typed blocks (`callqa.dsl.resolved`) into specs whose
conditions are functions and whose converters are chosen: what an escalation, a
threshold, a sampling block or a discipline rule decides with. An `Engine` keeps only
state (open complaints, periods, windows) beside them, so a simulation's two engines, a
sweep's engines and a policy test's engines compile nothing of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast, resolved
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import Condition, compile_expression
from callqa.engine.rules.discipline import EventRuleSpec, WindowRuleSpec
from callqa.engine.rules.escalation import EscalationSpec
from callqa.engine.rules.thresholds import ThresholdSpec
from callqa.engine.runtime.facts import DEFAULT_STATUS
from callqa.engine.runtime.working_time import WorkingCalendar
from callqa.engine.sampling.rule import SamplingSpec


@dataclass(frozen=True)
class CompiledRules:
    """Every time-aware block of one policy, compiled, in the order written."""

    escalations: tuple[EscalationSpec, ...]
    thresholds: tuple[ThresholdSpec, ...]
    samplings: tuple[SamplingSpec, ...]
    window_rules: tuple[WindowRuleSpec, ...]
    event_rules: tuple[EventRuleSpec, ...]
    calendar: WorkingCalendar | None = None  # the working time of `8 working hours`
    rotas: tuple[resolved.Rota, ...] = ()  # peer review rotas: nothing to compile

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of event a discipline or recognition rule counts or acts on (a
        deduction is one of an evaluation's items)."""
        return frozenset(r.rule.measure.kind for r in self.window_rules) | {
            r.rule.on for r in self.event_rules
        }

    @property
    def reads_deductions(self) -> bool:
        """Whether a rule or threshold reads an evaluation's deducted items."""
        return "deduction" in self.kinds or any(
            aggregator.aggregate.kind == "deduction"
            for spec in self.thresholds
            for aggregator in spec.aggregators
        )


def compile_rules(
    blocks: resolved.TimeRules,
    fields: Mapping[str, Type],
    zone: ZoneInfo,
    numbers: Mapping[str, Callable[[object, str], Any]],
    policy: tuple[str, str | None],
) -> CompiledRules:
    """Compile the blocks of a policy whose facts are `fields`, in timezone `zone`.
    `numbers`: the converters of the fields read as numbers (engine.values); `policy`:
    its name and version, part of every sampling seed."""

    def condition(expr: ast.Expr) -> Condition:
        return compile_expression(expr, fields, zone)

    calendar = None if blocks.calendar is None else WorkingCalendar(blocks.calendar, zone)
    return CompiledRules(
        tuple(EscalationSpec.compile(block, condition, calendar) for block in blocks.escalations),
        tuple(ThresholdSpec.compile(block, fields, zone, numbers) for block in blocks.thresholds),
        tuple(
            SamplingSpec.compile(block, fields, condition, policy, zone, DEFAULT_STATUS)
            for block in blocks.samplings
        ),
        tuple(
            WindowRuleSpec.compile(rule, condition, zone, numbers) for rule in blocks.window_rules
        ),
        tuple(EventRuleSpec.compile(rule, condition) for rule in blocks.event_rules),
        calendar,
        blocks.rotas,
    )
