"""What every command group shares: the databases' defaults, reading a policy or a time,
opening the store, and the shape a group registers its commands in.

The store (SQLAlchemy) and the terminal app (Textual) are imported inside the functions that
use them: each takes about 0.2 s to import, and `callqa check` or `callqa --help` need
neither. Their types are imported for the type checker only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.dsl.i18n import N_, _
from callqa.dsl.source import NOWHERE
from callqa.engine import Policy, load_policy
from callqa.engine.errors import InputFileError, NoHistory, StoreError, first_line
from callqa.engine.runtime.events import parse_moment
from callqa.engine.store.text_files import read_utf8
from callqa.tui.literal import say

if TYPE_CHECKING:
    from callqa.engine.store.database import Store


Run = Callable[[argparse.Namespace], int]
"""A command: its parsed arguments in, its exit code out (set as the parser's `run`)."""


class Commands(Protocol):
    """Where a command group adds its commands (argparse's sub-parsers of `callqa`)."""

    def add_parser(self, name: str, *, help: str) -> argparse.ArgumentParser: ...


class CommandGroup(Protocol):
    """A module of commands (policy_files, scoring, ...): it adds its own to `callqa`, each
    parser with its `run` (a Run) as a default."""

    __name__: str

    def register(self, commands: Commands) -> None: ...


FORMAT_HELP = {
    ("json", False): N_("text for people (the default) or json: one JSON document, its keys "
                        "in English"),
    ("jsonl", False): N_("text for people (the default) or jsonl: one JSON object per line, "
                         "its keys in English"),
    ("json", True): N_("text for people (the default; table is another name for it) or json: "
                       "one JSON document, its keys in English"),
    ("jsonl", True): N_("text for people (the default; table is another name for it) or "
                        "jsonl: one JSON object per line, its keys in English"),
}  # fmt: skip
"""The --format help, by the machine format and whether `table` is still accepted."""


def add_format(
    parser: argparse.ArgumentParser, machine: Literal["json", "jsonl"], *, table: bool = False
) -> None:
    """The `--format` every command shares: `text` for people (the default), `json` for one
    JSON document or `jsonl` for one object per line (a command streaming many records);
    `table`, where a command had it, still accepted as `text` for the scripts using it."""
    parser.add_argument(
        "--format",
        choices=["text", machine],
        default="text",
        type=_table_is_text if table else str,
        help=_(FORMAT_HELP[machine, table]),
    )


def _table_is_text(name: str) -> str:
    return "text" if name == "table" else name


def read_policy_text(name: str) -> tuple[str | None, Diagnostic | None]:
    """A policy file's text, read as load_policy and the TUI read it (bounded: never
    /dev/zero), or why it cannot be, as a diagnostic."""
    try:
        return read_utf8(name), None
    except InputFileError as error:
        message = str(error).removeprefix(f"{name}: ")
    return None, Diagnostic.at(NOWHERE, message, file=name, code="io")


def moment_option(text: str, option: str) -> dt.datetime | None:
    """A time given as `option` (--until, --effective), or None after saying why it is
    not one (the command then exits with 2, as for any option given wrongly)."""
    try:
        return parse_moment(text)
    except ValueError as error:
        say(f"{option}: {error}", file=sys.stderr)
    return None


def load_or_report(path: str) -> Policy | None:
    """The compiled policy, or None after printing its problems (or why it can't be read)."""
    try:
        return load_policy(path)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        say(_("{path}: the policy has errors").format(path=path), file=sys.stderr)
    except InputFileError as error:
        say(error, file=sys.stderr)
    return None


def open_store(target: str, create: bool = False) -> Store | None:
    """The store, or None after saying why not; `create` for the commands that may start
    one (engine.store.database.Store)."""
    from callqa.engine.store.database import Store

    try:
        return Store(target, create=create)
    except Exception as error:
        say(store_problem(target, error), file=sys.stderr)
    return None


def store_problem(target: str, error: Exception) -> str:
    """Why the database cannot be opened, naming it (never with its password)."""
    from callqa.engine.store.database import shown_target

    if isinstance(error, NoHistory):  # a whole sentence naming the database
        return str(error)
    if isinstance(error, StoreError):
        return f"{shown_target(target)}: {error}"
    # a bad URL, an unreachable server: say which and why
    if "://" in target and not target.startswith(("sqlite", "postgresql")):
        return _("{db}: cannot open the database ({reason}); callqa keeps its store in SQLite "
                 "(a file) or PostgreSQL (postgresql+psycopg://...)").format(
            db=shown_target(target), reason=first_line(error)
        )  # fmt: skip
    return _("{db}: cannot open the database ({reason})").format(
        db=shown_target(target), reason=first_line(error)
    )


def shown_db(target: str) -> str:
    """The database as messages name it: a URL without its password."""
    from callqa.engine.store.database import shown_target

    return shown_target(target)
