"""Store benchmark: import N generated events (JSON Lines) into SQLite, then simulate the
stored year under two policy versions (the replay benchmark's policy and a stricter one).

    python bench/store_run.py --n 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events
from callqa.engine import load_policy
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store
from callqa.engine.store.importer import import_file


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    log = folder / "events.jsonl"
    with log.open("w", encoding="utf-8") as out:
        for event in events(args.n):
            event["at"] = event["at"].isoformat()
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    store = Store(folder / "history.db", create=True)
    started = time.perf_counter()
    report = import_file(store, log, None, ZoneInfo("Asia/Shanghai"))
    import_seconds = time.perf_counter() - started
    old = load_policy(text=POLICY_TEXT, file="bench.policy")
    new = load_policy(text=POLICY_TEXT.replace(">= 3 then off_floor", ">= 2 then off_floor", 1),
                      file="stricter.policy")  # fmt: skip
    started = time.perf_counter()
    result = simulate(new, old, store.events())
    replay_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {report.summary()} in {import_seconds:.1f} s = "
          f"{args.n / import_seconds:,.0f} events/s into SQLite")  # fmt: skip
    print(f"simulate (two versions, one pass): {result.events:,} events in {replay_seconds:.1f} s "
          f"= {result.events / replay_seconds:,.0f} events/s")  # fmt: skip
    print(f"changed outcomes: {len(result.changed()):,}; peak memory {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
