"""A simulation's parts run as tasks on a Dask cluster (a LocalCluster here) give the
report one replay gives (engine.simulation.cluster)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from center_versions import POLICY, STRICTER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental_simulation import NOW, drawn_versions, histories

from callqa.engine import load_policy
from callqa.engine.errors import ClusterError
from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.cluster import dask_client, replay_part, simulate_on_cluster
from callqa.engine.simulation.partition import merge
from callqa.engine.simulation.simulate import replay_end, simulate
from callqa.engine.store import database
from callqa.engine.store.database import Store
from callqa.tui.cli import main

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client(workers=2) as made:
        yield made
        made.cluster.close()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(histories(), st.data())
def test_parts_on_a_cluster_report_what_one_replay_reports(
    client: Any, events: list[dict[str, Any]], data: st.DataObject
) -> None:
    old, new = drawn_versions(data, base_changes=False)
    partitions = data.draw(st.integers(1, 5), label="partitions")
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "history.db")
        store = Store(target, create=True)
        store.add_events(events, source="test")
        whole = simulate(new, old, store.events(), now=NOW)
        store.close()
        parts = simulate_on_cluster(client, target, new, old, partitions, now=NOW)
    assert parts.to_dict() == whole.to_dict()


def test_workers_without_dask_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ClusterError, match=r"pip install 'callqa\[distributed\]'"):
        dask_client(workers=2)


def test_an_unreachable_scheduler_is_named() -> None:
    with pytest.raises(ClusterError, match=re.escape("tcp://127.0.0.1:9")):
        dask_client(address="tcp://127.0.0.1:9")


def test_callqa_simulate_on_workers_prints_the_same_bytes(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command a manager types: --workers 1, --workers 2 (in 3 parts), --cluster (a
    running scheduler's address, in 5 parts) and one
    process give the same JSON, byte for byte; what cannot be split is refused."""
    db = str(tmp_path / "demo.db")
    assert main(["demo", "--count", "400", "--db", db]) == 0
    capsys.readouterr()
    center = str(ROOT / "policies" / "center.policy")
    stricter = tmp_path / "stricter.policy"
    text = Path(center).read_text(encoding="utf-8")
    stricter.write_text(text.replace("in calendar month >= 3 then off", "in calendar month >= 2 then off"),
                        encoding="utf-8")  # fmt: skip
    for name in ("standard.policy", "complaint.policy", "calendar.policy"):
        (tmp_path / name).write_text((ROOT / "policies" / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")  # fmt: skip
    asked = ["simulate", "--db", db, "--policy", str(stricter), "--against", center]
    outputs = []
    running = ["--cluster", client.scheduler.address, "--parts", "5"]
    for split in ([], ["--workers", "1"], ["--workers", "2", "--parts", "3"], running):
        assert main([*asked, "--format", "json", *split]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
    assert json.loads(outputs[0])["changed"]
    assert main([*asked, "--workers", "2", "--sweep", "bottom_removal.complaints_month=2..3"]) == 2
    assert "leave out --sweep" in capsys.readouterr().err
    assert main([*asked, "--workers", "0"]) == 2
    assert "--workers 0: give a number of 1 or more" in capsys.readouterr().err


def test_a_store_the_workers_cannot_read_is_one_clear_error(client: Any, tmp_path: Path) -> None:
    """The store's path as the workers see it holds no database: the simulation fails
    with the store named and what failed, and no report of the parts that could."""
    missing = str(tmp_path / "elsewhere" / "history.db")
    policy = load_policy(ROOT / "policies" / "center.policy")
    future = client.submit(replay_part, missing, policy, policy, 0, 2, None, None, pure=False)
    with pytest.raises(ClusterError) as caught:
        future.result()
    message = str(caught.value)
    assert f"could not read the store at {missing}" in message
    assert "no database" in message or "does not exist" in message, message
    assert "every worker sees" in message


class _DyingCluster:
    """A client whose every part dies with its workers, as Dask reports it."""

    def __init__(self) -> None:
        self.cancelled: list[Any] = []

    def submit(self, *args: Any, **kwargs: Any) -> object:
        return object()

    def gather(self, futures: list[Any]) -> list[Any]:
        from distributed.scheduler import KilledWorker

        raise KilledWorker("replay_part-0f3a", SimpleNamespace(address="tcp://w1:4000"), 3)

    def cancel(self, futures: list[Any]) -> None:
        self.cancelled.extend(futures)


def test_a_part_lost_with_every_worker_is_one_clear_error_and_no_report(tmp_path: Path) -> None:
    target = str(tmp_path / "history.db")
    store = Store(target, create=True)
    store.add_events([{"kind": "violation", "id": "v1", "agent": "A1", "type": "late",
                       "at": NOW - dt.timedelta(days=3)}], source="test")  # fmt: skip
    store.close()
    policy = load_policy(ROOT / "policies" / "center.policy")
    client = _DyingCluster()
    with pytest.raises(ClusterError) as caught:
        simulate_on_cluster(client, target, policy, policy, 2)
    assert "part replay_part-0f3a of the replay was lost" in str(caught.value)
    assert "(4 of them)" in str(caught.value) and "more --parts" in str(caught.value)
    assert len(client.cancelled) == 2  # the other parts stop too


def test_parts_of_more_agents_than_a_query_lists_skip_the_others_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part whose agents are too many to list in its query (database.MAX_LISTED_AGENTS)
    reads every row and skips the other agents' itself: the same parts, the same report."""
    events = sorted(demo_events(days=40, agents=12, seed=5, rubric=STRICTER.rubric("standard_call").table),
                    key=lambda e: (e["at"], e["id"]))  # fmt: skip
    target = str(tmp_path / "history.db")
    store = Store(target, create=True)
    store.add_events(events, source="test")
    whole = simulate(STRICTER, POLICY, store.events(), now=NOW)
    last = store.time_span()[1].astimezone(POLICY.timezone)  # type: ignore[index]
    store.close()
    end = replay_end((POLICY, STRICTER), last, NOW)
    monkeypatch.setattr(database, "MAX_LISTED_AGENTS", 1)
    parts = [replay_part(target, POLICY, STRICTER, index, 3, last, end) for index in range(3)]
    assert merge((POLICY, STRICTER), parts, last, end).to_dict() == whole.to_dict()
    assert sum(part.events for part in parts) == len(events)
    assert whole.changed()  # the versions differ on this history
