"""The callqa policy language: parse, check and format `.policy` files.

`dsl` knows nothing of the engine; the engine consumes what `check_text` returns.
"""

from callqa.dsl.check import CheckedPolicy, RubricSettings, check_text
from callqa.dsl.diagnostics import Diagnostic, PolicyError, Severity
from callqa.dsl.parse import parse_policy

__all__ = [
    "CheckedPolicy",
    "Diagnostic",
    "PolicyError",
    "RubricSettings",
    "Severity",
    "check_text",
    "parse_policy",
]
