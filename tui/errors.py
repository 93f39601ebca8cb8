"""An unexpected error, told in one line a manager can read: the engine's `first_line`
(callqa.engine.errors, where every exception callqa raises is drawn), kept here for the
screens and commands that import it from the TUI."""

from __future__ import annotations

from callqa.engine.errors import first_line

__all__ = ["first_line"]
