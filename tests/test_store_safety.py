"""The store under contention and on odd targets (issue 15, items 10 and 15): every test
runs on SQLite and on PostgreSQL (tests/test_store.py says how), with real threads or
processes, each with its own Store."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import test_store
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlmodel import create_engine

from callqa.engine.runtime.events import parse_event
from callqa.engine.store.database import Store, StoreError, shown_target
from callqa.engine.store.importer import import_file
from callqa.tui.cli import main

url = test_store.url  # the fixture: a new SQLite file, then a new PostgreSQL schema

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def at_once(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(i)` in `count` threads released together; what each returned or raised."""
    start = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("did not run")] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # collected for the assertion
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def call(event_id: str, agent: str = "A1", duration: float = 60) -> Any:
    return parse_event({"kind": "call", "id": event_id, "agent": agent, "duration": duration,
                        "at": dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)})  # fmt: skip


def tables_of(target: str) -> set[str]:
    engine = create_engine(target)
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    engine.dispose()
    return names


def count_rows(target: str, table: str) -> int:
    engine = create_engine(target)
    with engine.connect() as connection:
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    engine.dispose()
    return int(count or 0)


def make_table(target: str, statement: str) -> None:
    engine = create_engine(target)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


# ------------------------------------------------------------- (a), (b) contention


def test_many_processes_adding_the_same_policy_at_once_store_it_once(url: str) -> None:
    """6 of 64 concurrent `policy add` crashed with IntegrityError (a check, then an insert);
    here 16 at once, on a database none of them has created yet, five times over."""
    text_of = (ROOT / "policies" / "center.policy").read_text(encoding="utf-8")
    for round_ in range(5):
        policy = text_of.replace("version", f"version {round_} #", 1)

        def add(_: int, policy: str = policy, version: str = str(round_)) -> str:
            store = Store(url, create=True)
            try:
                return store.add_policy(policy, name="中心", version=version,
                                        file="center.policy", author="王")  # fmt: skip
            finally:
                store.close()

        results = at_once(16, add)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert len(set(results)) == 1
    assert count_rows(url, "callqa_policy_versions") == 5


def _import_in_a_process(target: str, path: str) -> tuple[int, int]:
    store = Store(target, create=True)
    report = import_file(store, path, None, SHANGHAI)
    store.close()
    return report.kept, report.duplicates


def test_processes_importing_into_a_new_database_at_once_create_it_once(
    url: str, tmp_path: Path
) -> None:
    """2 of 4 concurrent imports into a fresh PostgreSQL database failed creating tables."""
    log = tmp_path / "calls.csv"
    log.write_text("kind,id,agent,at,duration\n" + "".join(
        f"call,c{n},A{n % 7},2026-11-02 09:{n % 60:02d},60\n" for n in range(300)
    ), encoding="utf-8")  # fmt: skip
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        counts = pool.starmap(_import_in_a_process, [(url, str(log))] * 4)
    assert sum(kept for kept, _ in counts) == 300
    assert all(kept + duplicates == 300 for kept, duplicates in counts)
    store = Store(url)
    assert store.count_events() == 300 and store.schema_version() == 3
    store.close()


def test_imports_at_once_tell_duplicates_from_conflicts(url: str, tmp_path: Path) -> None:
    """Two imports of the same ids at once, over more than one batch: each id is stored
    once, and the import that did not store it reports it as a duplicate when its content
    is the same, else as a conflict that names its row."""
    count = 6500
    for name, duration in (("a", 60), ("b", 61)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({
            "kind": "call", "id": f"c{n}", "agent": "A1", "at": "2026-11-02T09:00:00+08:00",
            "duration": duration if n % 2 else 60}) + "\n" for n in range(count)
        ), encoding="utf-8")  # fmt: skip
    Store(url, create=True).close()

    def run(index: int) -> Any:
        store = Store(url)
        try:
            return import_file(store, tmp_path / f"{'ab'[index]}.jsonl", None, SHANGHAI)
        finally:
            store.close()

    reports = at_once(2, run)
    assert all(not isinstance(report, BaseException) for report in reports), reports
    assert sum(report.kept for report in reports) == count
    assert sum(report.duplicates for report in reports) == count // 2
    conflicts = [line for report in reports for line in report.conflicts]
    assert len(conflicts) == count // 2
    for line in conflicts:  # row n + 1 holds id c<n>, an odd n: the content differs
        found = re.match(r"row (\d+): call event 'c(\d+)' conflicts", line)
        assert found and int(found[1]) == int(found[2]) + 1 and int(found[2]) % 2, line
    store = Store(url)
    assert store.count_events() == count
    store.close()


def test_threads_opening_a_new_database_at_once_all_open_it(url: str) -> None:
    def open_and_add(index: int) -> int:
        store = Store(url, create=True)
        try:
            return store.add_events([call(f"t{index}")]).kept
        finally:
            store.close()

    assert at_once(12, open_and_add) == [1] * 12


# ------------------------------------------------------------------ (c) reading


def test_reading_a_missing_file_says_how_to_create_one_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "history.db"
    with pytest.raises(StoreError, match=r"history\.db does not exist, so it holds no history; "
                       r"import the center's events first: callqa import --db "
                       r".*history\.db calls\.csv$"):  # fmt: skip
        Store(missing)
    assert not missing.exists()
    assert main(["policy", "history", "--db", str(missing)]) == 1
    assert main(["simulate", "--db", str(missing),
                 "--policy", str(ROOT / "policies" / "center.policy")]) == 1  # fmt: skip
    assert not missing.exists()


def test_another_applications_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """`policy history` created callqa's tables in it (and set it to WAL)."""
    other = tmp_path / "crm.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("CREATE TABLE events (id TEXT, what TEXT)")  # a name callqa 2 used
    before = other.read_bytes()
    for create in (False, True):
        with pytest.raises(StoreError, match="this is not a callqa database: it has tables "
                           "customers, events and no callqa_meta"):  # fmt: skip
            Store(other, create=create)
    assert main(["policy", "history", "--db", str(other)]) == 1
    assert main(["import", "--db", str(other), str(tmp_path / "none.csv")]) == 1
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]  # no -wal, no -shm


def test_another_applications_database_is_refused_on_either_backend(url: str) -> None:
    Store(url, create=True).close()  # SQLite: the file exists; then make it someone else's
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in inspect(connection).get_table_names():
            connection.execute(text(f"DROP TABLE {name}"))
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    for create in (False, True):
        with pytest.raises(StoreError, match="it has tables invoices and no callqa_meta"):
            Store(url, create=create)
    assert tables_of(url) == {"invoices"}


def test_callqa_tables_without_a_version_are_not_stamped(url: str) -> None:
    """A database with an events table and no version table was stamped as version 1."""
    Store(url, create=True).close()
    make_table(url, "DROP TABLE callqa_meta")
    with pytest.raises(StoreError, match="this is not a callqa database: it has tables "
                       "callqa_activations, callqa_decisions, callqa_events, "
                       "callqa_policy_versions and no callqa_meta"):  # fmt: skip
        Store(url, create=True)
    assert "callqa_meta" not in tables_of(url)


def test_an_empty_database_opened_to_read_stays_empty(url: str) -> None:
    Store(url, create=True).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in inspect(connection).get_table_names():
            connection.execute(text(f"DROP TABLE {name}"))
    engine.dispose()
    with pytest.raises(StoreError, match=" holds no callqa history yet; import the center's "
                       "events first: callqa import --db "):  # fmt: skip
        Store(url)
    assert tables_of(url) == set()
    Store(url, create=True).close()  # opened to create, it is created
    assert "callqa_meta" in tables_of(url)


def test_a_newer_schema_is_refused_before_anything_is_created(url: str) -> None:
    """The tables were created first, then the newer schema refused."""
    Store(url, create=True).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in ("events", "decisions", "activations"):
            connection.execute(text(f"DROP TABLE callqa_{name}"))  # a newer callqa's layout
        connection.execute(text("UPDATE callqa_meta SET value = '4'"))
    engine.dispose()
    for create in (False, True):
        with pytest.raises(StoreError, match=r"newer callqa \(schema 4, this one reads up to 3"):
            Store(url, create=create)
    assert tables_of(url) == {"callqa_meta", "callqa_policy_versions", "meta"}


# ------------------------------------------------------------- (d) hash prefixes


@pytest.mark.parametrize("prefix", ["____", "%%%%", "\\\\\\\\", "ab_d", "abc%"])
def test_a_hash_prefix_with_like_wildcards_is_refused(url: str, prefix: str) -> None:
    """`policy activate ____` activated a version: the prefix went into LIKE unescaped."""
    store = Store(url, create=True)
    store.add_policy((ROOT / "policies" / "center.policy").read_text(encoding="utf-8"),
                     name="中心", version="1", file="center.policy", author="王")  # fmt: skip
    with pytest.raises(StoreError, match=r"a version's hash is hexadecimal: .* has '[_%\\]+'"):
        store.activate(prefix, by="x")
    assert store.history() == []
    store.close()


def test_a_hash_prefix_is_read_in_either_case(url: str) -> None:
    store = Store(url, create=True)
    digest = store.add_policy((ROOT / "policies" / "center.policy").read_text(encoding="utf-8"),
                              name="中心", version="1", file="center.policy", author="王")  # fmt: skip
    assert store.policy(f" {digest[:6].upper()} ").hash == digest
    store.close()


# --------------------------------------------------------------- (e) passwords


@pytest.mark.parametrize(
    "target",
    [
        "postgresql+psycopg://callqa:Sup3rSecret@127.0.0.1:1/callqa",  # nothing listens
        "postgresql://callqa:Sup3rSecret@127.0.0.1:notaport/callqa",  # SQLAlchemy cannot read it
        "postgresql+psycopg://callqa@127.0.0.1:1/callqa?password=Sup3rSecret",
        "mysql://callqa:Sup3rSecret@127.0.0.1/callqa",
    ],
)
def test_no_message_shows_the_database_password(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StoreError) as raised:
        Store(target)
    assert "Sup3rSecret" not in str(raised.value)
    assert "Sup3rSecret" not in shown_target(target) and "***" in shown_target(target)
    for command in (["policy", "history"], ["import", "x.csv"]):
        assert main([*command, "--db", target]) == 1
        err = capsys.readouterr().err
        assert "Sup3rSecret" not in err and "***" in err


@pytest.mark.parametrize(
    "backend", [name for name in test_store.backends() if name == "postgresql"]
)  # SQLite has no password; CI always has the server (test_store.backends)
def test_a_wrong_password_is_not_echoed(backend: str) -> None:
    assert test_store.POSTGRES is not None
    wrong = test_store.POSTGRES.replace("callqa:callqa@", "callqa:Wr0ngPassw0rd@")
    with pytest.raises(StoreError) as raised:
        Store(wrong)
    assert "Wr0ngPassw0rd" not in str(raised.value)
    assert "password authentication failed" in str(raised.value)


# --------------------------------------------------------------------- (f) NUL


def test_an_event_with_a_nul_is_rejected_and_the_rest_of_its_batch_kept(url: str) -> None:
    """On PostgreSQL one NUL lost its whole batch with a traceback; SQLite stored it."""
    store = Store(url, create=True)
    events = [call(f"c{n}") for n in range(1200)]
    events[700] = call("c700", agent="A\x001")
    events[900] = parse_event({"kind": "call", "id": "c900", "agent": "A1", "duration": 60,
                               "at": dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI),
                               "fields": {"said\x00": "x"}})  # fmt: skip
    counts = store.add_events(events)
    assert (counts.kept, counts.duplicates, counts.conflicts) == (1198, 0, ())
    assert counts.rejected == (
        "call event 'c700' rejected: agent: 'A\\x001' holds a NUL character (\\x00), which a "
        "database cannot store; remove it from the file",
        "call event 'c900' rejected: fields.said\\x00: 'said\\x00' holds a NUL character (\\x00), "
        "which a database cannot store; remove it from the file",
    )
    assert store.count_events() == 1198
    store.close()


def test_an_imported_row_with_a_nul_is_rejected_by_its_number(url: str, tmp_path: Path) -> None:
    log = tmp_path / "calls.csv"
    rows = [f"call,c{n},A1,2026-11-02 09:00,60\n" for n in range(6000)]
    rows[4321] = "call,c4321,A\x001,2026-11-02 09:00,60\n"
    log.write_text("kind,id,agent,at,duration\n" + "".join(rows), encoding="utf-8")
    store = Store(url, create=True)
    report = import_file(store, log, None, SHANGHAI)
    assert (report.read, report.kept) == (6000, 5999)
    assert report.rejected == [
        "row 4323: call event 'c4321' rejected: agent: 'A\\x001' holds a NUL character (\\x00), "
        "which a database cannot store; remove it from the file"
    ]
    store.close()


def with_a_nul_in_its_first_label(text_of: str) -> tuple[str, int, int]:
    """The text with a NUL after its first double quote, and the NUL's line and column."""
    lines = text_of.splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if '"' in line)
    column = lines[number].index('"') + 2
    lines[number] = lines[number][: column - 1] + "\x00" + lines[number][column - 1 :]
    return "".join(lines), number + 1, column


def test_a_policy_with_a_nul_is_refused_with_its_line_and_column(
    url: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`policy add` with a NUL in a label crashed on PostgreSQL though check says OK."""
    broken, line, column = with_a_nul_in_its_first_label(
        (folder / "center.policy").read_text(encoding="utf-8")
    )
    store = Store(url, create=True)
    with pytest.raises(StoreError) as raised:
        store.add_policy(broken, name="中心", version="1", file="center.policy", author="王")
    assert str(raised.value) == (
        f"center.policy, line {line}, column {column}: a NUL character (\\x00) cannot be "
        "stored; remove it and add the policy again"
    )
    store.close()
    # in a file the policy includes: named by that file
    scorecard = folder / "standard.policy"
    broken, line, column = with_a_nul_in_its_first_label(scorecard.read_text(encoding="utf-8"))
    scorecard.write_text(broken, encoding="utf-8")
    assert main(["policy", "add", str(folder / "center.policy"), "--db", url]) == 1
    assert (f"standard.policy:{line}:{column}: error: an invisible character (U+0000) is in "
            "this text") in capsys.readouterr().err  # the check's, as `callqa check` says  # fmt: skip
    assert count_rows(url, "callqa_policy_versions") == 0


# ---------------------------------------------------------------- (g) conflicts


def test_another_event_under_a_stored_id_is_a_conflict_not_a_duplicate(url: str) -> None:
    """It was counted as 'already stored' and dropped without a word."""
    store = Store(url, create=True)
    assert store.add_events([call("c1", duration=60)]).kept == 1
    again = store.add_events([call("c1", duration=60), call("c1", duration=75), call("c2")])
    assert (again.kept, again.duplicates) == (1, 1)
    assert again.conflicts == ("call event 'c1' conflicts with the event stored under that id: "
                               "the stored one is kept; give this one another id to keep both",)  # fmt: skip
    within = store.add_events([call("c3", agent="A1"), call("c3", agent="A2")])
    assert (within.kept, within.duplicates, len(within.conflicts)) == (1, 0, 1)
    assert [(e["id"], e["duration"], e["agent"]) for e in store.events()] == [
        ("c1", 60.0, "A1"), ("c2", 60.0, "A1"), ("c3", 60.0, "A1")
    ]  # fmt: skip
    store.close()


def test_the_import_summary_counts_conflicts_apart(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "calls.csv"
    log.write_text("kind,id,agent,at,duration\ncall,k1,A1,2026-11-02 09:00,60\n"
                   "call,k2,A1,2026-11-02 09:05,60\n", encoding="utf-8")  # fmt: skip
    assert main(["import", "--db", url, str(log)]) == 0
    log.write_text("kind,id,agent,at,duration\ncall,k1,A1,2026-11-02 09:00,60\n"
                   "call,k2,A1,2026-11-02 09:05,90\n", encoding="utf-8")  # fmt: skip
    capsys.readouterr()
    assert main(["import", "--db", url, str(log)]) == 1
    out, err = capsys.readouterr()
    assert "kept 0 events, 1 already stored, 1 conflicting with a stored event (the stored " \
        "one kept)" in out  # fmt: skip
    assert "calls.csv row 3: call event 'k2' conflicts with the event stored under that id" in err


def test_a_conflict_names_the_row_of_its_event(url: str) -> None:
    """Rejections said "row N", conflicts only the event: the row is carried to the store."""
    store = Store(url, create=True)
    store.add_events([call("c1"), call("c2")])
    again = store.add_events([call("c2", duration=61), call("c3"), call("c1", duration=9)],
                             numbers=[4, 5, 9])  # fmt: skip
    store.close()
    assert [line.split(": ")[0] for line in again.conflicts] == ["row 4", "row 9"]
    assert again.conflicts[1].startswith("row 9: call event 'c1' conflicts with the event")


# ------------------------------------------------------------ refused imports


def written_by_halves(folder: Path) -> str:
    """A file in no encoding callqa reads: UTF-8 Chinese, then bytes that are not."""
    path = folder / "mixed.csv"
    path.write_bytes("kind,id,agent,at,duration\ncall,k1,张三,2026-11-02 09:00,60\n".encode()
                     + b"call,k2,\xff\xfe,2026-11-02 09:05,60\n")  # fmt: skip
    return str(path)


def only_bad_rows(folder: Path) -> str:
    path = folder / "bad.csv"
    path.write_text("kind,id,agent,at,duration\ncall,k1,A1,someday,60\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("refused", [lambda _: "/dev/zero", written_by_halves, only_bad_rows])
def test_a_refused_import_creates_no_database(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], refused: Callable[[Path], str]
) -> None:
    """callqa import --db z.db /dev/zero (or a file refused for its encoding) left an empty
    z.db: simulate then said it 'holds no events' instead of 'does not exist'."""
    assert main(["import", "--db", url, refused(tmp_path)]) == 1
    file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    assert not file.exists() if file else tables_of(url) == set()
    capsys.readouterr()
    assert main(["simulate", "--db", url, "--policy",
                 str(ROOT / "policies" / "center.policy")]) == 1  # fmt: skip
    state = "does not exist, so it holds no history" if file else "holds no callqa history yet"
    assert (
        f"{shown_target(url)} {state}; import the center's events first" in capsys.readouterr().err
    )


@pytest.mark.parametrize("command", [["simulate", "--policy", str(ROOT / "policies" / "center.policy")],
                                     ["policy", "history"]])  # fmt: skip
@pytest.mark.parametrize("given", ["history.db", "sqlite:///history.db"])
def test_a_missing_database_is_one_sentence_whether_a_path_or_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str], given: str,
) -> None:  # fmt: skip
    """A path said "does not exist ... (the demo's history is in ...)", a URL "there is no
    such database; ... FILE": now the store's one sentence for both, for every command."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "callqa-demo.db").touch()
    assert main([*command, "--db", given]) == 1
    assert capsys.readouterr().err == (
        f"{given} does not exist, so it holds no history; import the center's events first: "
        f"callqa import --db {given} calls.csv (the demo's generated history is in "
        "callqa-demo.db: --db callqa-demo.db)\n"
    )
    assert not (tmp_path / "history.db").exists()


# ---------------------------------------------------------------- (h) in memory


@pytest.mark.parametrize(
    "target", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:h?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_refused(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--db sqlite://` printed 'kept 300' and stored nothing."""
    for create in (False, True):
        with pytest.raises(StoreError, match="an in-memory database is lost when callqa exits"):
            Store(target, create=create)
    log = tmp_path / "calls.csv"
    log.write_text("kind,id,agent,at,duration\ncall,k1,A1,2026-11-02 09:00,60\n",
                   encoding="utf-8")  # fmt: skip
    assert main(["import", "--db", target, str(log)]) == 1
    out, err = capsys.readouterr()
    assert "kept" not in out and "give a file, e.g. --db history.db" in err


# --------------------------------------------------------------------- property


@contextlib.contextmanager
def fresh_databases(folder: Path) -> Iterator[list[str]]:
    """A new SQLite file, and a new PostgreSQL schema when the server is given."""
    with contextlib.ExitStack() as stack:
        targets = [f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"]
        if "postgresql" in test_store.backends():
            targets.append(stack.enter_context(contextlib.contextmanager(
                test_store.postgres_schema)()))  # fmt: skip
        yield targets


@settings(max_examples=25, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2", "c3"]),
            st.sampled_from(["A1", "A2", "A\x001"]),
            st.sampled_from([60, 75]),
        ),
        max_size=10,
    ),
    cuts=st.lists(st.integers(0, 10), max_size=2),
)
def test_every_event_is_kept_counted_as_a_duplicate_a_conflict_or_rejected_alike_on_both(
    tmp_path_factory: pytest.TempPathFactory, events: list[tuple[str, str, int]], cuts: list[int]
) -> None:
    """Whatever the order and the batches: the first storable event of an id is stored,
    a later equal one is a duplicate, a later different one a conflict, one holding a NUL
    is rejected; and SQLite and PostgreSQL answer the same."""
    batches, start = [], 0
    for cut in [*sorted(cuts), len(events)]:
        batches.append(events[start : max(start, cut)])
        start = max(start, cut)
    batches[-1] += events[start:]
    first: dict[str, tuple[str, int]] = {}
    expected = [0, 0, 0, 0]  # kept, duplicates, conflicts, rejected
    for event_id, agent, duration in events:
        if "\x00" in agent:
            expected[3] += 1
        elif event_id not in first:
            first[event_id] = (agent, duration)
            expected[0] += 1
        else:
            expected[1 if first[event_id] == (agent, duration) else 2] += 1
    with fresh_databases(tmp_path_factory.mktemp("property")) as targets:
        for target in targets:
            store = Store(target, create=True)
            counts = [0, 0, 0, 0]
            for batch in batches:
                got = store.add_events([call(i, agent=a, duration=d) for i, a, d in batch])
                for n, value in enumerate((got.kept, got.duplicates, len(got.conflicts),
                                           len(got.rejected))):  # fmt: skip
                    counts[n] += value
            stored = {e["id"]: (e["agent"], e["duration"]) for e in store.events()}
            store.close()
            assert (counts, stored) == (expected, first), target.split(":")[0]
