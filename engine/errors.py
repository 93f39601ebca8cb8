"""The engine's exceptions: one base class, each with a message a manager can act on."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of everything the engine raises about its input."""


class UnknownRubric(EngineError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown rubric"


class EvaluationError(EngineError, ValueError):
    """An evaluation that cannot be scored: names the item or fact, and what to write."""

    def __init__(self, message: str, *, item: str | None = None, fact: str | None = None) -> None:
        super().__init__(message)
        self.item = item
        self.fact = fact


class ClockGapError(EngineError, ValueError):
    """`advance` to a time further past the engine's clock than its `max_gap`, or in a
    year no event may be in."""


class InputFileError(EngineError, OSError):
    """A file that cannot be read: missing, a folder, or not text. The message names the
    file and what to do. (An OSError too, so code that caught the old error still does.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot read the file"
