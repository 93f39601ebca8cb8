"""Simulation from a stored history: the store gives events back as the engine's plain path
takes them, and the simulations read them as a stream, once, never held."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from center_versions import POLICY, STRICTER
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.simulate import simulate, simulate_against_history
from callqa.engine.store.database import Store, stored_event

NOW = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)


def _in_store_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The store's order: by instant, then by id."""
    return sorted(events, key=lambda e: (e["at"].timestamp(), e["id"]))


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 40), st.integers(2, 8))
def test_simulating_the_stored_history_reports_as_the_history_in_memory(
    seed: int, days: int, agents: int
) -> None:
    events = _in_store_order(demo_events(days=days, agents=agents, seed=seed))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "history.db", create=True)
        store.add_events(events, source="test")
        stored = simulate(STRICTER, POLICY, store.events(), now=NOW).to_dict()
        store.close()
    assert stored == simulate(STRICTER, POLICY, events, now=NOW).to_dict()


def test_a_stored_time_comes_back_as_an_aware_datetime_and_an_odd_one_as_text() -> None:
    event = stored_event('{"id": "c1", "kind": "call", "at": "2026-11-02T09:30:00+08:00"}')
    assert event["at"] == dt.datetime(2026, 11, 2, 1, 30, tzinfo=dt.UTC)
    assert event["at"].utcoffset() == dt.timedelta(hours=8)
    # not as isoformat writes it: left for pydantic to read (and to word its message)
    assert stored_event('{"at": "2026-11-02T09:30:00Z"}')["at"] == "2026-11-02T09:30:00Z"
    assert stored_event('{"at": "2026-11-02T09:30:00"}')["at"] == "2026-11-02T09:30:00"
    assert stored_event('{"at": "yesterday"}')["at"] == "yesterday"


class OneShot:
    """Events that can be read once, counting the events handed out."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events, self.opened, self.handed = events, 0, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.opened += 1
        assert self.opened == 1, "the history was read twice"
        for event in self.events:
            self.handed += 1
            yield event


def test_the_comparison_against_history_reads_the_events_once_as_a_stream() -> None:
    events = demo_events(days=56, agents=24, seed=2026)
    december = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    versions = [(None, POLICY), (december, STRICTER)]
    once = OneShot(events)
    streamed = simulate_against_history(STRICTER, versions, once, now=NOW)
    assert once.opened == 1 and once.handed == len(events) == streamed.events
    changed = streamed.to_dict()
    assert changed["changed"] and all(
        min(r["after"] + r["before"]) < "2026-12" for r in changed["changed"]
    )


def test_the_comparison_against_history_keeps_only_the_decisions_that_differ() -> None:
    """Memory follows the change, not the history: against the very versions in force, no
    decision is kept on either side, yet every one is counted."""
    events = demo_events(days=56, agents=24, seed=11)
    december = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    report = simulate_against_history(POLICY, [(None, POLICY), (december, POLICY)], events, now=NOW)
    assert report.before.decisions == [] and report.after.decisions == []
    assert report.before.counts() == report.after.counts() and sum(report.after.counts().values())
