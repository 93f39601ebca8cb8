"""callqa's engine: compiled policies that score evaluations, with their reasons.

from engine import load_policy
policy = load_policy("policies/standard.policy")
result = policy.score("standard_call", evaluation)
"""

from dsl.diagnostics import Diagnostic, PolicyError
from engine.errors import EngineError, EvaluationError, UnknownRubric
from engine.policy import CompiledRubric, Policy, load_policy
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
    "CompiledRubric",
    "CriticalFailure",
    "Deduction",
    "Diagnostic",
    "EngineError",
    "EvaluationError",
    "NotApplicable",
    "Policy",
    "PolicyError",
    "ScoreResult",
    "SectionScore",
    "UnknownRubric",
    "load_policy",
]
