"""Store benchmark: import N generated events (JSON Lines) into SQLite, then simulate the
stored year under two policy versions (the replay benchmark's policy and a stricter one),
each side by side, in the same run, with what the machine can do:

- import vs. Python's own `sqlite3.executemany` of the same rows (id, kind, time, agent,
  payload, source; prepared beforehand) into a table with the same indexes;
- simulate vs. two `Engine.run` replays of the same events held in memory.

    python bench/store_run.py --n 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events
from callqa.engine import Engine, load_policy
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store
from callqa.engine.store.importer import import_file


def raw_executemany(log: Path, folder: Path) -> float:
    """Seconds `sqlite3.executemany` takes to insert the log's events, as rows already made,
    into a table shaped as the store's events (same columns, keys and indexes)."""
    rows = []
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            rows.append((event["id"], event["kind"], event["at"], event.get("agent"),
                         json.dumps(event, ensure_ascii=False), "bench"))  # fmt: skip
    connection = sqlite3.connect(folder / "raw.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE events (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "at_utc TEXT NOT NULL, agent TEXT, payload TEXT NOT NULL, source TEXT)"
    )
    for column in ("kind", "at_utc", "agent"):
        connection.execute(f"CREATE INDEX ix_events_{column} ON events ({column})")
    started = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (id) DO NOTHING", rows)  # fmt: skip
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def in_memory_replays(old: object, new: object, n: int) -> float:
    """Seconds two engines take to replay the same events held in memory, one per version."""
    history = list(events(n))
    started = time.perf_counter()
    for policy in (old, new):
        for _ in Engine(policy).run(history):  # type: ignore[arg-type]
            pass
    return time.perf_counter() - started


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
    raw_seconds = raw_executemany(log, folder)
    memory_seconds = in_memory_replays(old, new, args.n)
    print(f"import: {report.summary()} in {import_seconds:.1f} s = "
          f"{args.n / import_seconds:,.0f} events/s into SQLite")  # fmt: skip
    print(f"  sqlite3.executemany of the same rows: {raw_seconds:.1f} s = "
          f"{args.n / raw_seconds:,.0f} rows/s; callqa import at "
          f"{raw_seconds / import_seconds:.2f}x")  # fmt: skip
    print(f"simulate (two versions, one pass): {result.events:,} events in {replay_seconds:.1f} s "
          f"= {result.events / replay_seconds:,.0f} events/s")  # fmt: skip
    print(f"  two Engine.run replays from memory: {memory_seconds:.1f} s; callqa simulate at "
          f"{memory_seconds / replay_seconds:.2f}x")  # fmt: skip
    print(f"changed outcomes: {len(result.changed()):,}; peak memory {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
