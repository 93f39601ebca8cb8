"""A partitioned simulation on Dask (engine.simulation.cluster) through a fault and on
PostgreSQL: a worker process killed in the middle of its part's replay costs a rerun of
its task, and the report is still the one a single replay gives; parts that read their store
from a PostgreSQL server (CI starts one and sets CALLQA_TEST_POSTGRES_URL; in CI a missing
server is a failure, not a skip) report what one replay of that store reports."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental_simulation import NOW, drawn_versions, histories
from test_store import POSTGRES, postgres_schema

from bench.events_data import POLICY_TEXT, events  # conftest makes `bench` importable
from callqa.engine import load_policy
from callqa.engine.simulation.cluster import dask_client, simulate_on_cluster
from callqa.engine.simulation.simulate import Report, simulate
from callqa.engine.store.database import Store

pytest.importorskip("distributed")

from distributed.diagnostics.plugin import SchedulerPlugin

# A history whose parts take seconds each on a worker (about 2 s on a 2-core machine): a
# kill lands inside a replay.
FAULT_EVENTS = 300_000
FAULT_AGENTS = 200
# A worker is taken to be replaying a part when it holds the store open with the same task
# executing at two looks this far apart; the kill comes right after the second look, early
# in the part's replay.
STEADY = 0.1
# Only against a hang: no assertion is about how long anything took.
HANG = 600


class Finished(SchedulerPlugin):
    """Each task the scheduler saw finish: on which worker, and how many times it was
    processing on a worker that died (the LocalCluster's scheduler runs in this process)."""

    name = "callqa-fault-finished"

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[str, int]] = {}
        self.scheduler: Any = None

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def transition(self, key: Any, start: str, finish: str, *args: Any, stimulus_id: str,
                   **kwargs: Any) -> None:  # fmt: skip
        if start == "processing" and finish == "memory":
            self.tasks[str(key)] = (kwargs["worker"], self.scheduler.tasks[key].suspicious)


def _opens(pid: int, path: str) -> bool:
    """Whether process `pid` has the file at `path` open."""
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                    return True
    return False


def _kill_mid_replay(client: Any, running: Any, path: str) -> tuple[str, str, int]:
    """SIGKILL a worker process while it replays a part of the store at `path`: (its
    address, the task it was executing, its pid)."""

    def executing(dask_worker: Any) -> tuple[int, list[str]]:  # runs on each worker
        return os.getpid(), [str(task.key) for task in dask_worker.state.executing]

    path = os.path.realpath(path)
    seen: dict[str, tuple[int, list[str]]] = {}
    while not running.done():
        now = {address: (pid, keys) for address, (pid, keys) in client.run(executing).items()
               if len(keys) == 1 and _opens(pid, path)}  # fmt: skip
        for address, (pid, keys) in now.items():
            if seen.get(address) == (pid, keys):
                os.kill(pid, signal.SIGKILL)
                return address, keys[0], pid
        seen = now
        time.sleep(STEADY)
    pytest.fail("the simulation ended before a worker was seen replaying: make FAULT_EVENTS "
                "larger")  # fmt: skip


@pytest.fixture
def fault_history(tmp_path: Path) -> tuple[str, Any, Any, Report]:
    """An SQLite store of a year of a center's events, the two versions compared and the
    report one replay in this process gives."""
    old = load_policy(text=POLICY_TEXT, file="bench.policy")
    new = load_policy(text=POLICY_TEXT.replace(">= 3 then off_floor", ">= 2 then off_floor", 1),
                      file="stricter.policy")  # fmt: skip
    target = str(tmp_path / "history.db")
    store = Store(target, create=True)
    history = events(FAULT_EVENTS, agents=FAULT_AGENTS)
    for begin in range(0, len(history), 50_000):
        store.add_events(history[begin : begin + 50_000], source="test")
    whole = simulate(new, old, store.events(), now=NOW)
    store.close()
    return target, old, new, whole


def test_a_worker_killed_mid_replay_costs_a_rerun_not_the_report(
    fault_history: tuple[str, Any, Any, Report],
) -> None:
    target, old, new, whole = fault_history
    assert whole.to_dict()["changed"]  # the stricter rule acts: the report has something
    finished = Finished()
    with dask_client(workers=2) as client, ThreadPoolExecutor(1) as pool:
        try:
            client.register_plugin(finished)
            before = set(client.run(os.getpid).values())
            running = pool.submit(simulate_on_cluster, client, target, new, old, 2, now=NOW)
            address, key, pid = _kill_mid_replay(client, running, target)
            parts = running.result(timeout=HANG)
            client.wait_for_workers(2, timeout=HANG)
            after = set(client.run(os.getpid).values())
            removals = [event for _, event in client.get_events(address)
                        if event.get("action") == "remove-worker"]  # fmt: skip
            done = client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.plugins[Finished.name].tasks
            )
        finally:
            client.cluster.close()
    assert parts.to_dict() == whole.to_dict()
    # the kill was a fault in the middle of a task: the scheduler lost that worker, not
    # told beforehand, while the task was processing there; another worker (the one left
    # or the one the nanny started instead) replayed the part to the end
    assert pid in before and pid not in after
    assert len(removals) == 1 and removals[0]["expected"] is False
    assert key in removals[0]["processing-tasks"]
    assert done[key][0] != address and done[key][1] == 1


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client(workers=2) as made:
        yield made
        made.cluster.close()


@pytest.mark.skipif(not (POSTGRES or os.environ.get("CI")),
                    reason="no PostgreSQL server: set CALLQA_TEST_POSTGRES_URL")  # fmt: skip
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(histories(), st.data())
def test_parts_reading_postgresql_report_what_one_replay_reports(
    client: Any, history: list[dict[str, Any]], data: st.DataObject
) -> None:
    old, new = drawn_versions(data, base_changes=False)
    with contextlib.contextmanager(postgres_schema)() as url:
        store = Store(url, create=True)
        try:
            store.add_events(history, source="test")
            whole = simulate(new, old, store.events(), now=NOW)
            assert store.count_events() > 0
        finally:
            store.close()
        parts = simulate_on_cluster(client, url, new, old, 3, now=NOW)
    assert parts.to_dict() == whole.to_dict()
