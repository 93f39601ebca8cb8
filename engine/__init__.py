"""callqa's engine: compiled policies that score evaluations and turn events into
decisions, with their reasons.

from callqa.engine import Engine, load_policy
policy = load_policy("policies/standard.policy")
result = policy.score("standard_call", evaluation)
decisions = Engine(policy).feed(event)
"""

from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.engine.decisions import Decision
from callqa.engine.errors import (
    ClockGapError,
    EngineError,
    EvaluationError,
    InputFileError,
    UnknownRubric,
)
from callqa.engine.policy import CompiledRubric, Policy, load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import EventError
from callqa.engine.scoring.results import (
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
