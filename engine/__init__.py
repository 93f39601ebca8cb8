"""callqa's engine: compiled policies that score evaluations and turn events into
decisions, with their reasons.

from callqa.engine import Engine, load_policy
policy = load_policy("policies/standard.policy")
result = policy.score("standard_call", evaluation)
decisions = Engine(policy).feed(event)

Every exception it raises derives from EngineError (callqa.engine.errors draws the tree);
a policy that does not check raises PolicyError.
"""

from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.engine.decisions import Decision
from callqa.engine.errors import (
    ClockGapError,
    ClusterError,
    EngineError,
    EvaluationError,
    EventError,
    InputFileError,
    MappingError,
    NoHistory,
    StoreError,
    SweepError,
    UnknownRubric,
)
from callqa.engine.policy import CompiledRubric, Policy, load_policy
from callqa.engine.runtime.engine import Engine
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
    "ClusterError",
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
    "MappingError",
    "NoHistory",
    "NotApplicable",
    "Policy",
    "PolicyError",
    "ScoreResult",
    "SectionScore",
    "StoreError",
    "SweepError",
    "UnknownRubric",
    "load_policy",
]
