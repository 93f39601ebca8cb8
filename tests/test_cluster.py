"""A simulation's parts run as tasks on a Dask cluster (a LocalCluster here) give the
report one replay gives (engine.simulation.cluster)."""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_incremental_simulation import NOW, TEXT, changes, histories, variant

from callqa.dsl.diagnostics import PolicyError
from callqa.engine.simulation.cluster import ClusterError, dask_client, simulate_on_cluster
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store

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
    new_text = data.draw(changes(TEXT), label="proposed")
    try:
        old, new = variant(TEXT, "old.policy"), variant(new_text, "new.policy")
    except PolicyError:
        assume(False)
        raise
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
