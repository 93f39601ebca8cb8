"""Partitioned simulation on Dask: the same two-version simulation from an SQLite store,
one replay in this process vs. its parts as tasks on a LocalCluster of 1 and of 2 worker
processes, side by side in one run; and the cost of many parts (16 on 2 workers). Each
part's query returns only its agents' rows (and the few that name no agent), but the
database still walks the whole history's index once per part, and each part pays the
time periods every engine closes (a day's sampling for each agent it holds...): the
16-part row says what a part costs beyond its share of the events.

    python bench/partitioned.py --n 2000000
    python bench/partitioned.py --n 2000000 --ray   # also on Ray (pip install ray), 2 CPUs

With --ray the same tasks (`replay_part`, merged by `merge`) run on a local Ray of 2
CPUs beside Dask's: the measurement behind README's choice of Dask.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT
from bench.simulate_curve import fill
from callqa.engine import load_policy
from callqa.engine.policy import Policy
from callqa.engine.simulation.cluster import dask_client, replay_part, simulate_on_cluster
from callqa.engine.simulation.partition import merge
from callqa.engine.simulation.simulate import replay_end, simulate
from callqa.engine.store.database import Store


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2_000_000, help="events in the history")
    parser.add_argument("--ray", action="store_true", help="also run the parts on Ray")
    args = parser.parse_args()
    old = load_policy(text=POLICY_TEXT, file="bench.policy")
    new = load_policy(text=POLICY_TEXT.replace(">= 3 then off_floor", ">= 2 then off_floor", 1),
                      file="stricter.policy")  # fmt: skip
    folder = Path(tempfile.mkdtemp())
    target = str(folder / "history.db")
    print(f"filled {args.n:,} events in {fill(Path(target), args.n):.1f} s", flush=True)
    store = Store(target)
    started = time.perf_counter()
    whole = simulate(new, old, store.events())
    single = time.perf_counter() - started
    store.close()
    print(f"one replay in this process: {single:.1f} s", flush=True)
    took = {}
    for workers, parts in ((1, 1), (2, 2), (2, 16)):
        with dask_client(workers=workers) as client:
            started = time.perf_counter()
            report = simulate_on_cluster(client, target, new, old, parts)
            seconds = took[parts] = time.perf_counter() - started
            client.cluster.close()
        same = report.to_dict() == whole.to_dict()
        print(f"{workers} worker(s), {parts:>2} parts: {seconds:6.1f} s = {single / seconds:.2f}x "
              f"one replay; same report: {same}", flush=True)  # fmt: skip
    if args.ray:
        for parts in (2, 16):
            seconds, same = on_ray(target, new, old, parts, whole.to_dict())
            print(f"Ray, 2 CPUs, {parts:>2} parts: {seconds:6.1f} s = {single / seconds:.2f}x "
                  f"one replay; same report: {same}", flush=True)  # fmt: skip
    per_part = (took[16] - took[2]) / 14 * 2  # 14 more parts, on 2 workers
    rate = args.n / (took[2] * 2)  # events a worker (one core) replays per second
    if per_part > 0:
        print(f"a part costs {per_part:.2f} s of a worker beyond its events")
    else:  # smaller parts even out the workers' loads more than they cost
        print(f"16 parts took {took[2] - took[16]:.1f} s less than 2: a part's own cost is "
              "below what this run can measure")  # fmt: skip
    print(f"a worker replays {rate:,.0f} events/s under both versions")
    big, cores = 400_000_000, 64
    estimate = big / (rate * cores) + max(per_part, 0) * 2  # two parts per core, for balance
    print(
        f"estimate, {big:,} events on {cores} cores (one worker each, {2 * cores} parts): "
        f"{estimate / 60:.1f} min (this machine's per-core rate)"
    )
    Path(target).unlink()
    return 0


def on_ray(target: str, new: Policy, old: Policy, parts: int,
           expected: dict[str, object]) -> tuple[float, bool]:  # fmt: skip
    """The parts as Ray tasks on a local Ray of 2 CPUs (started outside the timing, as a
    LocalCluster is): seconds, and whether the report is the one-process one."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(replay_part)
        store = Store(target)
        span = store.time_span()
        store.close()
        last = span[1].astimezone(old.timezone) if span else None
        end = replay_end((old, new), last, None) if last else None
        started = time.perf_counter()
        refs = [task.remote(target, old, new, index, parts, last, end) for index in range(parts)]
        report = merge((old, new), ray.get(refs), last, end)
        return time.perf_counter() - started, report.to_dict() == expected
    finally:
        ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
