"""Simulation from the store at growing sizes: for each size, fill an SQLite store with the
replay benchmark's generated events, then, in a fresh process, simulate two versions from
the store (seconds, events/s, peak memory), and, in the same process afterwards, two
`Engine.run` replays of the same events held in memory (the ratio), once with Python's
default collector settings and once with the ones a simulation uses
(engine.simulation.collector: the engine's best from memory), and reading the stored
events alone (the part of the simulation that is the store's). Peak memory is taken before
the in-memory replays, so it is the simulation's own; it should not grow with the history
(target: at 4M events <= 1.5x that at 1M).

    python bench/simulate_curve.py --sizes 500000,1000000,2000000,4000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events
from callqa.engine import Engine, load_policy
from callqa.engine.simulation.collector import replay_collector
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store

BATCH = 50_000


def fill(path: Path, n: int) -> float:
    """Seconds to store `n` generated events through the store's own import path."""
    store = Store(path, create=True)
    started = time.perf_counter()
    history = events(n)
    for begin in range(0, n, BATCH):
        store.add_events(history[begin : begin + BATCH], source="bench")
    store.close()
    return time.perf_counter() - started


def _peak_mib() -> float:
    """This process's own peak memory: VmHWM, reset when the process starts the program;
    `ru_maxrss` keeps the parent's peak (it held the generated events) across the exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, n: int) -> dict[str, float]:
    """Run in a fresh process: the simulation from the store, then the in-memory replays."""
    old = load_policy(text=POLICY_TEXT, file="bench.policy")
    new = load_policy(text=POLICY_TEXT.replace(">= 3 then off_floor", ">= 2 then off_floor", 1),
                      file="stricter.policy")  # fmt: skip
    store = Store(path)
    started = time.perf_counter()
    report = simulate(new, old, store.events())
    seconds = time.perf_counter() - started
    peak = _peak_mib()
    history = events(n)
    started = time.perf_counter()
    for policy in (old, new):
        for _ in Engine(policy).run(history):
            pass
    memory = time.perf_counter() - started
    started = time.perf_counter()
    with replay_collector():  # as simulate collects: the engine's best from memory
        for policy in (old, new):
            for _ in Engine(policy).run(history):
                pass
    collected = time.perf_counter() - started
    started = time.perf_counter()
    for _ in store.events():
        pass
    read = time.perf_counter() - started
    return {"events": report.events, "seconds": seconds, "memory_seconds": memory,
            "collected_seconds": collected,
            "read_seconds": read, "peak_mib": peak, "changed": len(report.changed())}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500000,1000000,2000000,4000000",
                        help="comma-separated event counts")  # fmt: skip
    parser.add_argument("--measure", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]))))
        return 0
    folder = Path(tempfile.mkdtemp())
    print(f"{'events':>10} {'fill s':>8} {'simulate s':>11} {'events/s':>10} "
          f"{'vs memory':>9} {'vs same gc':>10} {'read s':>7} {'peak MiB':>9}")  # fmt: skip
    for n in (int(size) for size in args.sizes.split(",")):
        path = folder / f"history-{n}.db"
        filled = fill(path, n)
        out = subprocess.run([sys.executable, __file__, "--measure", str(path), str(n)],
                             check=True, capture_output=True, text=True).stdout  # fmt: skip
        row = json.loads(out.splitlines()[-1])
        print(f"{n:>10,} {filled:>8.1f} {row['seconds']:>11.1f} "
              f"{row['events'] / row['seconds']:>10,.0f} "
              f"{row['memory_seconds'] / row['seconds']:>8.2f}x "
              f"{row['collected_seconds'] / row['seconds']:>9.2f}x {row['read_seconds']:>7.1f} "
              f"{row['peak_mib']:>9,.0f}",
              flush=True)  # fmt: skip
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
