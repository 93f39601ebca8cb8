"""Store benchmark: import N generated events (JSON Lines) into SQLite, then simulate the
stored year under two policy versions (the replay benchmark's policy and a stricter one),
each side by side, in the same run, with what the machine can do:

- import vs. Python's own `sqlite3.executemany` of the same rows (id, kind, time, agent,
  payload, source; prepared beforehand) into a table with the same indexes;
- simulate vs. two `Engine.run` replays of the same events held in memory;
- with --postgres URL, import into PostgreSQL (a fresh schema, dropped afterwards) vs. a raw
  psycopg `COPY` of the same rows into a table of the same shape.

    python bench/store_run.py --n 1000000
    python bench/store_run.py --n 100000 --import-only \\
        --postgres postgresql+psycopg://callqa:callqa@127.0.0.1/callqa_test

On this 2-core machine, 2026-12-05, --import-only at 500,000 events: SQLite 0.56x,
PostgreSQL 0.43x (the file read in a process of its own while the store writes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import make_url

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events
from callqa.engine import Engine, load_policy
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store
from callqa.engine.store.importer import EventMapping, import_file, prepared_steps


def raw_executemany(log: Path, folder: Path) -> float:
    """Seconds `sqlite3.executemany` takes to insert the log's events, as rows already made,
    into a table shaped as the store's events (same columns, keys and indexes)."""
    rows = _raw_rows(log)
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


def _raw_rows(log: Path) -> list[tuple[object, ...]]:
    """The rows callqa import writes for the log's events (id, kind, time in UTC, agent,
    payload, source), made beforehand by callqa's own reading (`prepared_steps`), so that
    the database is given exactly the rows callqa gives it."""
    rows: list[tuple[object, ...]] = []
    steps = prepared_steps(log, [EventMapping("", {})], ZoneInfo("Asia/Shanghai"), log.name)
    for step in steps:
        for batch in step.events.batches if step.events else ():
            rows += batch.rows
    return rows


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema, dropped afterwards: its SQLAlchemy URL and its libpq one."""
    name = f"callqa_bench_{uuid.uuid4().hex[:12]}"
    base = make_url(url).update_query_dict({"options": f"-csearch_path={name}"})
    plain = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
    try:
        yield base.render_as_string(hide_password=False), plain
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {name} CASCADE")


def postgres_side_by_side(log: Path, url: str) -> tuple[str, float, float]:
    """Seconds callqa import into PostgreSQL takes, and a raw psycopg `COPY` of the same
    rows (made beforehand) into a table of the events' shape, keys and indexes."""
    with postgres_schema(url) as (target, _):
        store = Store(target, create=True)
        started = time.perf_counter()
        report = import_file(store, log, None, ZoneInfo("Asia/Shanghai"))
        seconds = time.perf_counter() - started
        store.close()
    rows = [(*row[:2], f"{row[2]}+00", *row[3:]) for row in _raw_rows(log)]  # UTC times
    with postgres_schema(url) as (_, plain), psycopg.connect(plain) as connection:
        connection.execute(
            "CREATE TABLE events (id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
            "at_utc TIMESTAMPTZ NOT NULL, agent VARCHAR, payload VARCHAR NOT NULL, "
            "source VARCHAR)"
        )
        for column in ("kind", "at_utc", "agent"):
            connection.execute(f"CREATE INDEX ix_events_{column} ON events ({column})")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor().copy("COPY events FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()
        raw = time.perf_counter() - started
    return report.summary(), seconds, raw


def in_memory_replays(old: object, new: object, n: int) -> float:
    """Seconds two engines take to replay the same events held in memory, one per version."""
    history = list(events(n))
    started = time.perf_counter()
    for policy in (old, new):
        for _ in Engine(policy).run(history):  # type: ignore[arg-type]
            pass
    return time.perf_counter() - started


def simulate_side_by_side(store: Store, n: int) -> None:
    """callqa simulate of the stored events vs. two replays of them held in memory."""
    old = load_policy(text=POLICY_TEXT, file="bench.policy")
    new = load_policy(text=POLICY_TEXT.replace(">= 3 then off_floor", ">= 2 then off_floor", 1),
                      file="stricter.policy")  # fmt: skip
    started = time.perf_counter()
    result = simulate(new, old, store.events())
    replay_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory_seconds = in_memory_replays(old, new, n)
    print(f"simulate (two versions, one pass): {result.events:,} events in {replay_seconds:.1f} s "
          f"= {result.events / replay_seconds:,.0f} events/s")  # fmt: skip
    print(f"  two Engine.run replays from memory: {memory_seconds:.1f} s; callqa simulate at "
          f"{memory_seconds / replay_seconds:.2f}x")  # fmt: skip
    print(f"changed outcomes: {len(result.changed()):,}; peak memory {peak:,.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="also import into PostgreSQL")
    parser.add_argument("--import-only", action="store_true", help="leave simulate out")
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
    raw_seconds = raw_executemany(log, folder)
    print(f"import: {report.summary()} in {import_seconds:.1f} s = "
          f"{args.n / import_seconds:,.0f} events/s into SQLite")  # fmt: skip
    print(f"  sqlite3.executemany of the same rows: {raw_seconds:.1f} s = "
          f"{args.n / raw_seconds:,.0f} rows/s; callqa import at "
          f"{raw_seconds / import_seconds:.2f}x")  # fmt: skip
    if not args.import_only:
        simulate_side_by_side(store, args.n)
    if args.postgres:
        summary, seconds, raw = postgres_side_by_side(log, args.postgres)
        print(f"import into PostgreSQL: {summary} in {seconds:.1f} s = "
              f"{args.n / seconds:,.0f} events/s")  # fmt: skip
        print(f"  psycopg COPY of the same rows: {raw:.1f} s = {args.n / raw:,.0f} rows/s; "
              f"callqa import at {raw / seconds:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
