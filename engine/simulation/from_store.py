"""A change simulated against a store's history, with the baseline's replay kept there.

The first simulation against a version replays the history once under it
(engine.simulation.incremental's Baseline) and keeps that replay in the store, beside the
version's hash and what the history was (how many events, from when to when, the range
asked): the next simulation against the same version and history replays only the units
its change touches. Events added since change the history's key: the kept replay is then
not used, and replaced by a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from callqa.engine.policy import Policy
from callqa.engine.simulation.incremental import Baseline, simulate_change
from callqa.engine.simulation.simulate import Report
from callqa.engine.store.database import Store, policy_hash


@dataclass
class StoredSimulation:
    report: Report
    kept: bool  # a new replay of the baseline was kept in the store


def history_key(store: Store, start: dt.datetime | None, end: dt.datetime | None) -> str:
    """What the replay read: the history (events are only ever added, so their number and
    span name it) and the range asked."""
    span = store.time_span()
    first, last = (moment.isoformat() for moment in span) if span else ("", "")
    shown = [moment.isoformat() if moment else "all" for moment in (start, end)]
    return f"{store.count_events()} events {first}..{last}; from {shown[0]} to {shown[1]}"


def simulate_stored(
    store: Store,
    new: Policy,
    old: Policy,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> StoredSimulation:
    """`new` against `old` over the store's events from `start`, before `end`: an
    incremental simulation (engine.simulation.incremental) using, and keeping, `old`'s
    replay of that history in the store."""
    run = history_key(store, start, end)
    digest = policy_hash(old.checked.stored_text)
    text = store.replay(run, digest)
    baseline = Baseline.from_json(text, old.timezone) if text is not None else None
    made: list[Baseline] = []

    def events_of(kinds: frozenset[str] | None) -> Iterator[dict[str, Any]]:
        return store.events(start, end, None if kinds is None else sorted(kinds))

    report = simulate_change(new, old, events_of, baseline, end, now, progress, made.append)
    kept = bool(made) and made[-1].stopped is None
    if kept:
        store.keep_replay(run, digest, made[-1].to_json())
    return StoredSimulation(report, kept)
