"""A simulation against a stored version keeps that version's replay in the store: the next
one against it reads only the events of the kinds its change touches, and reports the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from center_versions import POLICY, STRICTER, STRICTER_KINDS, STRICTER_UNITS
from test_store import backends, postgres_schema

from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.from_store import history_key, simulate_stored
from callqa.engine.simulation.incremental import Baseline
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store, policy_hash

NOW = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(params=backends())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    urls = [f"sqlite:///{tmp_path / 'history.db'}"] if request.param == "sqlite" else None
    for url in urls or postgres_schema():  # a fresh schema, dropped after the test
        opened = Store(url, create=True)
        try:
            yield opened
        finally:
            opened.close()


def _reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The kinds asked of `store.events` on each read (None: every kind)."""
    asked: list[Any] = []
    events = store.events

    def counted(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[2] if len(args) > 2 else kwargs.get("kinds"))
        return events(*args, **kwargs)

    monkeypatch.setattr(store, "events", counted)
    return asked


def test_the_second_simulation_against_a_version_replays_only_the_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = demo_events(days=40, agents=12, seed=7)
    store.add_events(events, source="test")
    full = simulate(STRICTER, POLICY, store.events(), now=NOW).to_dict()
    asked = _reads(store, monkeypatch)
    first = simulate_stored(store, STRICTER, POLICY, now=NOW)
    assert first.kept and first.report.to_dict() == full
    slice_kinds = STRICTER_KINDS
    assert asked == [None, slice_kinds]  # the baseline's one pass, then the change's slice
    second = simulate_stored(store, STRICTER, POLICY, now=NOW)
    assert not second.kept and second.report.to_dict() == full
    assert asked[2:] == [slice_kinds]
    assert second.report.replayed_units == STRICTER_UNITS


def test_a_replay_kept_while_the_last_month_is_open_serves_a_later_present(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live center's last month is not over: each simulation ends at its present, and
    the replay kept at one present is used at the next."""
    events = demo_events(days=40, agents=12, seed=7)  # the last on 2026-12-11
    store.add_events(events, source="test")
    zone = dt.timezone(dt.timedelta(hours=8))
    now, later = dt.datetime(2026, 12, 13, 10, tzinfo=zone), dt.datetime(2026, 12, 20, tzinfo=zone)
    assert simulate_stored(store, STRICTER, POLICY, now=now).kept
    asked = _reads(store, monkeypatch)
    again = simulate_stored(store, STRICTER, POLICY, now=later)
    assert not again.kept and asked == [STRICTER_KINDS]  # the change's slice only
    assert again.report.replayed_units == STRICTER_UNITS
    full = simulate(STRICTER, POLICY, store.events(), now=later).to_dict()
    assert again.report.to_dict() == full and full["replay"]["replayed_to"].startswith("2026-12-20")


def test_events_added_since_make_the_kept_replay_stale(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = demo_events(days=40, agents=12, seed=8)
    store.add_events(events[:-50], source="test")
    simulate_stored(store, STRICTER, POLICY, now=NOW)
    store.add_events(events[-50:], source="test")
    asked = _reads(store, monkeypatch)
    again = simulate_stored(store, STRICTER, POLICY, now=NOW)
    assert again.kept and asked[0] is None  # replayed anew, and kept in place of the old
    assert again.report.to_dict() == simulate(STRICTER, POLICY, events, now=NOW).to_dict()
    run = history_key(store, None, None)
    assert store.replay(run, policy_hash(POLICY.checked.stored_text)) is not None


def test_a_kept_replay_reads_back_as_it_was(store: Store) -> None:
    store.add_events(demo_events(days=20, agents=6, seed=9), source="test")
    simulate_stored(store, STRICTER, POLICY, now=NOW)
    run = history_key(store, None, None)
    text = store.replay(run, policy_hash(POLICY.checked.stored_text))
    assert text is not None
    baseline = Baseline.from_json(text, POLICY.timezone)
    assert baseline is not None and baseline.to_json() == text
    assert Baseline.from_json('{"format": 0}', POLICY.timezone) is None  # another callqa's
    assert Baseline.from_json("not json", POLICY.timezone) is None
