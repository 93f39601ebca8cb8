"""A partitioned simulation (engine.simulation.partition) on Dask distributed: each part
is one task that reads the store itself (PostgreSQL by URL, an SQLite file by its path),
not through the scheduler, and sends back only its part's result. A worker that cannot
read the store fails the simulation with one error naming the store and what failed:
no report is made of the parts that could.

A task is a pure function of its arguments, so a worker lost mid-replay costs only a
rerun of its tasks (Dask does it) and the report is the same. The parts run to an end
computed from the store's last event; when that event is one no engine takes (the last
events were refused), the parts run again to the end one replay would use.

Dask is an optional extra (`pip install 'callqa[distributed]'`): this module imports it
only when a simulation asks for workers.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from callqa.dsl.i18n import _
from callqa.engine.errors import ClusterError
from callqa.engine.policy import Policy
from callqa.engine.simulation.collector import replay_collector
from callqa.engine.simulation.partition import (
    NAMED_KINDS,
    ROUTED_BY_REFERENT,
    PartReplay,
    PartResult,
    Router,
    merge,
    part_of,
)
from callqa.engine.simulation.simulate import Report, replay_end
from callqa.engine.store.database import Store, StoreError, shown_target, stored_event

INSTALL = "pip install 'callqa[distributed]'"


def dask_client(workers: int | None = None, address: str | None = None) -> Any:
    """A Dask client: on a cluster at `address`, or on a local one of `workers` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(
            _(
                "simulating on workers needs Dask distributed, which is not installed: {install}"
            ).format(install=INSTALL)
        ) from None
    if address is not None:
        try:
            return Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as error:
            raise ClusterError(
                _(
                    "cannot reach the Dask scheduler at {address}: {problem}; check the address "
                    "(tcp://HOST:8786) and that the scheduler is running"
                ).format(address=address, problem=error)
            ) from None
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return Client(cluster)  # type: ignore[no-untyped-call]


@replay_collector()
def replay_part(
    target: str,
    old: Policy,
    new: Policy,
    index: int,
    partitions: int,
    last: dt.datetime | None,
    end: dt.datetime | None,
    bounds: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
) -> PartResult:
    """Part `index` of the store's history at `target` from `bounds[0]`, before
    `bounds[1]`, replayed under both versions to `end`. The database skips the other
    agents' rows, except those owning what an event without an agent names (their
    payloads stay unread)."""
    part = PartReplay.of(old, new)
    try:
        store = Store(target)
    except StoreError as error:
        raise _unreachable(target, error) from None
    try:
        router = Router(partitions, store.agents())
        mine = [agent for agent in router.agents if part_of(agent, partitions) == index]
        rows = store.event_rows(*bounds, agents=mine if partitions > 1 else None,
                                any_agent_kinds=NAMED_KINDS | ROUTED_BY_REFERENT)  # fmt: skip
        for event_id, kind, agent, payload in rows:
            found = router.row_part(event_id, kind, agent)
            if found == index:
                part.feed(stored_event(payload))
            elif found is None:
                raw = stored_event(payload)
                if router.route(raw) == index:
                    part.feed(raw)
    except (StoreError, SQLAlchemyError) as error:
        raise _unreachable(target, store.driver_error(error)) from None
    finally:
        store.close()
    return part.finish(last, end)


def _unreachable(target: str, error: BaseException) -> ClusterError:
    """A worker that cannot read the store: which worker, which store, what failed."""
    return ClusterError(
        _(
            "a worker on {host} could not read the store at {store}: {problem}; every worker "
            "reads the history itself: give --db a PostgreSQL URL the workers can connect to, "
            "or an SQLite file on a path every worker sees"
        ).format(host=socket.gethostname(), store=shown_target(target), problem=error)
    )


def simulate_on_cluster(
    client: Any,
    target: str,
    new: Policy,
    old: Policy,
    partitions: int,
    start: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """`simulate(new, old, store.events(start, until), until, now=now)`'s report, its
    parts replayed as tasks on `client`'s workers."""
    store = Store(target)
    try:
        span = store.time_span(start, until)
    finally:
        store.close()
    last = span[1].astimezone(old.timezone) if span else None
    while True:
        end = until or (replay_end((old, new), last, now) if last else None)
        futures = [
            client.submit(
                replay_part,
                target,
                old,
                new,
                index,
                partitions,
                last,
                end,
                (start, until),
                pure=False,
            )
            for index in range(partitions)
        ]
        try:
            results: list[PartResult] = client.gather(futures)
        except BaseException as error:
            client.cancel(futures)  # no part's result outlives the failed simulation
            said = _lost(error)
            if said is error:
                raise
            raise said from None
        clocks = [result.clock for result in results if result.clock is not None]
        clock = max(clocks, key=dt.datetime.timestamp) if clocks else None
        if _same_moment(clock, last):
            break
        last = clock  # the last events were refused: run to where one replay runs
    return merge((old, new), results, last, end)


def _lost(error: BaseException) -> BaseException:
    """Dask's word that a part could not be replayed, said as callqa says it; any other
    error (ours, an interrupt) as it is."""
    from distributed.scheduler import KilledWorker

    if isinstance(error, KilledWorker):
        return ClusterError(
            _(
                "part {part} of the replay was lost: every worker that ran it died "
                "({workers} of them); no report is made of the other parts. "
                "Look at the workers' logs: a worker killed for memory needs fewer events per "
                "part (more --parts) or more memory"
            ).format(part=error.task, workers=error.allowed_failures + 1)
        )
    if isinstance(error, OSError):  # the scheduler went away
        return ClusterError(
            _(
                "lost the Dask scheduler while replaying: {problem}; no report is made of the "
                "parts that finished"
            ).format(problem=error)
        )
    return error


def _same_moment(one: dt.datetime | None, other: dt.datetime | None) -> bool:
    if one is None or other is None:
        return one is other
    return one.timestamp() == other.timestamp() and one.utcoffset() == other.utcoffset()
