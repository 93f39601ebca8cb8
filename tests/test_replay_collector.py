"""A replay collects garbage less often while it runs, and leaves the setting as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from center_versions import POLICY, STRICTER

from callqa.engine.runtime.engine import Engine
from callqa.engine.scoring.demo_data import demo_history
from callqa.engine.simulation.collector import REPLAY_THRESHOLDS, replay_collector
from callqa.engine.simulation.simulate import simulate


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_a_simulation_collects_less_often_while_it_runs_and_as_before_after(
    thresholds: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[int, int, int]] = []
    feed = Engine.feed

    def noting(self: Engine, raw: Any) -> Any:
        seen.append(gc.get_threshold())
        return feed(self, raw)

    monkeypatch.setattr(Engine, "feed", noting)
    report = simulate(STRICTER, POLICY, demo_history(POLICY)[:500])
    assert report.events == 500
    assert set(seen) == {REPLAY_THRESHOLDS}
    assert gc.get_threshold() == (700, 10, 10)


def test_an_error_in_the_block_restores_the_setting(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(ZeroDivisionError), replay_collector():
        assert gc.get_threshold() == REPLAY_THRESHOLDS
        _ = 1 / 0
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("setting", [(0, 10, 10), (100_000, 10, 10)])
def test_a_collector_turned_off_or_already_rarer_is_left_as_it_is(
    thresholds: tuple[int, int, int], setting: tuple[int, int, int]
) -> None:
    gc.set_threshold(*setting)
    with replay_collector():
        assert gc.get_threshold() == setting
    assert gc.get_threshold() == setting
