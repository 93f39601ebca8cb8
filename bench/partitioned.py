"""Partitioned simulation on Dask: the same two-version simulation from an SQLite store,
one replay in this process vs. its parts as tasks on a LocalCluster of 1 and of 2 worker
processes, side by side in one run; and the cost of many parts (16 on 2 workers). Every
part reads the whole history from the store and keeps its agents' events, so the reading
is paid once per part: the overhead column says what that costs.

    python bench/partitioned.py --n 2000000
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
from callqa.engine.simulation.cluster import dask_client, simulate_on_cluster
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2_000_000, help="events in the history")
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
    for workers, parts in ((1, 1), (2, 2), (2, 16)):
        with dask_client(workers=workers) as client:
            started = time.perf_counter()
            report = simulate_on_cluster(client, target, new, old, parts)
            seconds = time.perf_counter() - started
            client.cluster.close()
        same = report.to_dict() == whole.to_dict()
        print(f"{workers} worker(s), {parts:>2} parts: {seconds:6.1f} s = {single / seconds:.2f}x "
              f"one replay; same report: {same}", flush=True)  # fmt: skip
    Path(target).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
