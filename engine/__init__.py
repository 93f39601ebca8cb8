"""callqa's engine: compiled policies that score evaluations and turn events into
decisions, with their reasons.

from engine import Engine, load_policy
policy = load_policy("policies/standard.policy")
result = policy.score("standard_call", evaluation)
decisions = Engine(policy).feed(event)
"""

from dsl.diagnostics import Diagnostic, PolicyError
from engine.decisions import Decision
from engine.errors import (
    ClockGapError,
    EngineError,
    EvaluationError,
    InputFileError,
    UnknownRubric,
)
from engine.events import EventError
from engine.policy import CompiledRubric, Policy, load_policy
from engine.runtime import Engine
from engine.scoring import (
    BatchScores,
    Bonus,
    CriticalFailure,
    Deduction,
    NotApplicable,
    ScoreResult,
    SectionScore,
)

__all__ = [
    "BatchScores",
    "Bonus",
    "ClockGapError",
    "CompiledRubric",
    "CriticalFailure",
    "Decision",
    "Deduction",
    "Diagnostic",
    "Engine",
    "EngineError",
    "EvaluationError",
    "EventError",
    "InputFileError",
    "NotApplicable",
    "Policy",
    "PolicyError",
    "ScoreResult",
    "SectionScore",
    "UnknownRubric",
    "load_policy",
]
