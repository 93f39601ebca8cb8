"""Every exception the engine raises, in one place, each with a message a manager can act
on. Catch `EngineError` for anything the engine refuses about its input; a subclass when
the caller does something particular about it. Each also derives from the built-in a
caller would have caught before it existed (`except KeyError` still catches an unknown
rubric).

    Exception
    ├── EngineError                       the engine refuses its input; catch this
    │   ├── UnknownRubric (KeyError)      no rubric of that id: Policy.rubric, Policy.score
    │   ├── EvaluationError (ValueError)  an evaluation that cannot be scored: Policy.score;
    │   │                                 .item or .fact names what to correct
    │   ├── EventError (ValueError)       an event that cannot be accepted: parse_event,
    │   │   │                             Engine.feed; every problem in plain words
    │   │   └── MappingError              an import mapping file that is itself wrong:
    │   │                                 store.importer (before any row is read)
    │   ├── ClockGapError (ValueError)    Engine.advance too far past the clock (its
    │   │                                 max_gap), or into a year no event may be in
    │   ├── InputFileError (OSError)      a file that cannot be read (missing, a folder,
    │   │                                 not text): store.text_files, load_policy
    │   ├── StoreError                    the database cannot be used as it is: Store;
    │   │   │                             the message says what to do
    │   │   └── NoHistory                 a database with no history to read (yet)
    │   ├── SweepError                    a --sweep that cannot run: simulation.sweep
    │   └── ClusterError                  a partitioned replay's cluster cannot run it:
    │                                     simulation.cluster (Dask missing, unreachable)
    ├── PolicyError                       a policy that does not check: load_policy,
    │                                     format_text; .diagnostics lists every problem
    │                                     (defined in callqa.dsl.diagnostics, which may not
    │                                     import the engine: not an EngineError)
    └── BadAnswer                         internal: raised inside generated scoring code
                                          (scoring.fast_path), always caught there and
                                          turned into an EvaluationError; never escapes

A caller that wants everything callqa may refuse catches `(EngineError, PolicyError)`.
A foreign error (a database driver's, the operating system's) is translated where it
enters, into one of these; `first_line` tells one in a line for a message.
"""

from __future__ import annotations

import re

from callqa.dsl.i18n import _


class EngineError(Exception):
    """Base class of everything the engine raises about its input."""


class UnknownRubric(EngineError, KeyError):
    """A rubric id the policy does not have; the message lists the ones it has."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else _("unknown rubric")


class EvaluationError(EngineError, ValueError):
    """An evaluation that cannot be scored: names the item or fact, and what to write."""

    def __init__(self, message: str, *, item: str | None = None, fact: str | None = None) -> None:
        super().__init__(message)
        self.item = item
        self.fact = fact


class EventError(EngineError, ValueError):
    """An event that cannot be accepted, with every problem in plain words."""


class MappingError(EventError):
    """The mapping file itself is wrong."""


class ClockGapError(EngineError, ValueError):
    """`advance` to a time further past the engine's clock than its `max_gap`, or in a
    year no event may be in."""


class InputFileError(EngineError, OSError):
    """A file that cannot be read: missing, a folder, or not text. The message names the
    file and what to do. (An OSError too, so code that caught the old error still does.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else _("cannot read the file")


class StoreError(EngineError):
    """The database cannot be used as it is; the message says what to do."""


class NoHistory(StoreError):
    """A database with no history to read: the message is a whole sentence naming it."""


class SweepError(EngineError):
    """A sensitivity sweep that cannot run: a rule or a range it cannot replay."""


class ClusterError(EngineError):
    """The cluster cannot run a partitioned simulation; the message says what to do."""


def first_line(error: BaseException | None) -> str:
    """The first line of an error's message, without the `(sqlite3.DatabaseError) ` prefix
    and the SQL a database driver adds; the error's class name if it has no message."""
    text = str(error).strip().splitlines()[0] if error is not None and str(error).strip() else ""
    return re.sub(r"^\([\w.]+\) ", "", text) or type(error).__name__
