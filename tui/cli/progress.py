"""Progress bars for the long commands (import, simulate, explain, sample): on stderr, so
what a command prints on stdout (text or JSON) is the same with or without them; shown only
when stderr is a terminal and `--quiet` was not given. CALLQA_PROGRESS=1 shows them anyway
(for tests and for a terminal stderr can't be seen to be)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from callqa.dsl.i18n import N_, _

T = TypeVar("T")


class Cancelled(Exception):
    """Ctrl+C stopped a command that had written something: its message says so, whole
    ("cancelled: ..., what, and where"; main says it with exit code 130; a bare
    KeyboardInterrupt means nothing was written)."""


Advance = Callable[[int], None]
"""Told how many rows or events are done so far (a running count, not a step)."""

RATES = {"rows": N_("{speed:,.0f} rows/s"), "events": N_("{speed:,.0f} events/s")}
"""A bar's speed, per unit it counts."""


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """The `--quiet` every long command accepts."""
    parser.add_argument(
        "--quiet", action="store_true", help=_("no progress bar (shown on stderr on a terminal)")
    )


def shown(args: argparse.Namespace) -> bool:
    """Whether a bar is drawn: not with --quiet; on a terminal, or when forced."""
    if getattr(args, "quiet", False):
        return False
    return os.environ.get("CALLQA_PROGRESS") == "1" or sys.stderr.isatty()


@contextmanager
def progress(
    args: argparse.Namespace, what: str, total: int | None = None, unit: str = "events"
) -> Iterator[Advance]:
    """A bar counting `unit` (a key of RATES) per second (and the time left when `total` is
    known); its Advance does nothing when no bar is shown, so the callers never ask."""
    if not shown(args):
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr, force_terminal=True if os.environ.get(
        "CALLQA_PROGRESS") == "1" else None)  # fmt: skip
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TimeRemainingColumn() if total else TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(what, total=total, rate="")

        def advance(done: int) -> None:
            bar.update(task, completed=done)
            speed = bar.tasks[task].speed
            bar.update(task, rate=_(RATES[unit]).format(speed=speed) if speed else "")

        yield advance


def counted(rows: Iterable[T], advance: Advance, every: int = 1000) -> Iterator[T]:
    """The rows, telling `advance` how many have gone by every `every` of them."""
    done = 0
    for done, row in enumerate(rows, 1):
        if done % every == 0:
            advance(done)
        yield row
    advance(done)
