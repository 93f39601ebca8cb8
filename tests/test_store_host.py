"""callqa's store beside a host service: its tables are callqa_..., on a MetaData of its own,
so a host's SQLModel `events` table lives in the same process and the same database; the
databases of callqa 1 and 2 (tables events, policy_versions, ...) are read as they are and
upgraded in place when opened to create. On SQLite and PostgreSQL (the `url` fixture)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import test_store
from sqlalchemy import inspect, text
from sqlmodel import create_engine
from test_store_safety import at_once, make_table, tables_of

from callqa.engine.store.database import Store, policy_hash

url = test_store.url  # the fixture: a new SQLite file, then a new PostgreSQL schema

# The tables as callqa 1 created them (SQLModel's DDL at commit 3dc4987), on each database;
# callqa 2 named the version table callqa_meta and changed nothing else.
OLD_DDL = {
    "sqlite": """
CREATE TABLE activations ( "row" INTEGER NOT NULL, policy_hash VARCHAR NOT NULL, activated_utc DATETIME NOT NULL, "by" VARCHAR NOT NULL, PRIMARY KEY ("row") );
CREATE INDEX ix_activations_policy_hash ON activations (policy_hash);
CREATE TABLE decisions ( "row" INTEGER NOT NULL, run VARCHAR NOT NULL, policy_hash VARCHAR NOT NULL, decision_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, subject VARCHAR NOT NULL, action VARCHAR, rule_location VARCHAR NOT NULL, at_utc DATETIME NOT NULL, payload VARCHAR NOT NULL, PRIMARY KEY ("row") );
CREATE INDEX ix_decisions_at_utc ON decisions (at_utc);
CREATE INDEX ix_decisions_kind ON decisions (kind);
CREATE INDEX ix_decisions_policy_hash ON decisions (policy_hash);
CREATE INDEX ix_decisions_run ON decisions (run);
CREATE INDEX ix_decisions_subject ON decisions (subject);
CREATE TABLE events ( id VARCHAR NOT NULL, kind VARCHAR NOT NULL, at_utc DATETIME NOT NULL, agent VARCHAR, payload VARCHAR NOT NULL, source VARCHAR, PRIMARY KEY (id) );
CREATE INDEX ix_events_agent ON events (agent);
CREATE INDEX ix_events_at_utc ON events (at_utc);
CREATE INDEX ix_events_kind ON events (kind);
CREATE TABLE meta ( "key" VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY ("key") );
CREATE TABLE policy_versions ( hash VARCHAR NOT NULL, name VARCHAR NOT NULL, version VARCHAR, file VARCHAR NOT NULL, text VARCHAR NOT NULL, author VARCHAR NOT NULL, created_utc DATETIME NOT NULL, effective_from_utc DATETIME, PRIMARY KEY (hash) );
""",
    "postgresql": """
CREATE TABLE activations ( row SERIAL NOT NULL, policy_hash VARCHAR NOT NULL, activated_utc TIMESTAMP WITH TIME ZONE NOT NULL, by VARCHAR NOT NULL, PRIMARY KEY (row) );
CREATE INDEX ix_activations_policy_hash ON activations (policy_hash);
CREATE TABLE decisions ( row SERIAL NOT NULL, run VARCHAR NOT NULL, policy_hash VARCHAR NOT NULL, decision_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, subject VARCHAR NOT NULL, action VARCHAR, rule_location VARCHAR NOT NULL, at_utc TIMESTAMP WITH TIME ZONE NOT NULL, payload VARCHAR NOT NULL, PRIMARY KEY (row) );
CREATE INDEX ix_decisions_at_utc ON decisions (at_utc);
CREATE INDEX ix_decisions_kind ON decisions (kind);
CREATE INDEX ix_decisions_policy_hash ON decisions (policy_hash);
CREATE INDEX ix_decisions_run ON decisions (run);
CREATE INDEX ix_decisions_subject ON decisions (subject);
CREATE TABLE events ( id VARCHAR NOT NULL, kind VARCHAR NOT NULL, at_utc TIMESTAMP WITH TIME ZONE NOT NULL, agent VARCHAR, payload VARCHAR NOT NULL, source VARCHAR, PRIMARY KEY (id) );
CREATE INDEX ix_events_agent ON events (agent);
CREATE INDEX ix_events_at_utc ON events (at_utc);
CREATE INDEX ix_events_kind ON events (kind);
CREATE TABLE meta ( key VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (key) );
CREATE TABLE policy_versions ( hash VARCHAR NOT NULL, name VARCHAR NOT NULL, version VARCHAR, file VARCHAR NOT NULL, text VARCHAR NOT NULL, author VARCHAR NOT NULL, created_utc TIMESTAMP WITH TIME ZONE NOT NULL, effective_from_utc TIMESTAMP WITH TIME ZONE, PRIMARY KEY (hash) );
""",
}  # fmt: skip
OLD_TABLES = {"activations", "decisions", "events", "policy_versions"}
CALLQA_TABLES = {"callqa_activations", "callqa_decisions", "callqa_events",
                 "callqa_policy_versions", "callqa_meta"}  # fmt: skip
NEW_TABLES = CALLQA_TABLES | {"meta"}  # callqa 1's version table, stamped 3: callqa 1 refuses
FIRST, SECOND = "policy 甲 {}\n", "policy 乙 {}\n"  # two stored versions, the second active


def old_database(target: str, version: int) -> None:
    """A database as callqa `version` (1 or 2) left it: three events, two policy versions,
    two activations and a decision."""
    engine = create_engine(target)
    meta = "meta" if version == 1 else "callqa_meta"
    with engine.begin() as connection:
        for statement in OLD_DDL[engine.dialect.name].split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement.replace("TABLE meta", f"TABLE {meta}"))
        connection.execute(text(f"INSERT INTO {meta} VALUES ('schema_version', :v)"),
                           {"v": str(version)})  # fmt: skip
        for event_id, minute, agent in [("c2", 10, "A2"), ("c1", 30, "A1"), ("c3", 20, None)]:
            payload = {"kind": "call", "id": event_id, "agent": agent, "duration": 60,
                       "at": f"2026-11-02T09:{minute}:00+08:00"}  # fmt: skip
            connection.execute(text(
                "INSERT INTO events (id, kind, at_utc, agent, payload, source) "
                "VALUES (:id, 'call', :at, :agent, :payload, 'calls.csv')"
            ), {"id": event_id, "at": f"2026-11-02 01:{minute}:00", "agent": agent,
                "payload": json.dumps(payload)})  # fmt: skip
        for body, author in [(FIRST, "王"), (SECOND, "李")]:
            connection.execute(text(
                "INSERT INTO policy_versions (hash, name, version, file, text, author, "
                "created_utc) VALUES (:hash, 'center', '1', 'center.policy', :text, :author, "
                "'2026-11-01 00:00:00')"
            ), {"hash": policy_hash(body), "text": body, "author": author})  # fmt: skip
            connection.execute(text(
                "INSERT INTO activations (policy_hash, activated_utc, by) "
                "VALUES (:hash, '2026-11-01 00:00:00', :author)"
            ), {"hash": policy_hash(body), "author": author})  # fmt: skip
        connection.execute(text(
            "INSERT INTO decisions (run, policy_hash, decision_id, kind, subject, action, "
            "rule_location, at_utc, payload) VALUES ('live', :hash, 'd1', 'alert', 'A1', "
            "'notify', 'center.policy:3:5', '2026-11-02 01:30:00', '{}')"
        ), {"hash": policy_hash(SECOND)})  # fmt: skip
    engine.dispose()


def kept(store: Store) -> tuple[Any, ...]:
    """Everything a store holds, as a reader sees it."""
    active = store.active_policy()
    return (
        [(event["id"], event["agent"]) for event in store.events()],
        store.count_events(),
        [(activation.by, version.text) for activation, version in store.history()],
        active.text if active else None,
        [(d.decision_id, d.subject, d.at_utc.isoformat()) for d in store.decisions("live")],
    )


EXPECTED = (
    [("c2", "A2"), ("c3", None), ("c1", "A1")],
    3,
    [("王", FIRST), ("李", SECOND)],
    SECOND,
    [("d1", "A1", "2026-11-02T01:30:00+00:00")],
)


def layout(target: str) -> dict[str, Any]:
    """A database's tables as its server describes them: columns, indexes, primary key and
    (PostgreSQL) the counter of each numbered table."""
    engine = create_engine(target)
    described: dict[str, Any] = {}
    with engine.connect() as connection:
        look = inspect(connection)
        for name in sorted(look.get_table_names()):
            counter = None
            if engine.dialect.name == "postgresql" and name.endswith(("decisions", "activations")):
                counter = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'row')"),
                                             {"t": name}).scalar()  # fmt: skip
            described[name] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in look.get_columns(name)],
                sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in look.get_indexes(name)
                ),
                look.get_pk_constraint(name),
                counter.rpartition(".")[2] if counter else None,
            )
    engine.dispose()
    return described


@pytest.fixture
def fresh(url: str, tmp_path: Path) -> Iterator[str]:
    """Another new database on the same server, for a database made by this callqa."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from test_store.postgres_schema()


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_database_is_read_as_it_is_and_upgraded_in_place_keeping_everything(
    url: str, fresh: str, version: int
) -> None:
    old_database(url, version)
    before = tables_of(url)
    assert before == OLD_TABLES | {"meta" if version == 1 else "callqa_meta"}
    file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    content = file.read_bytes() if file else None
    store = Store(url)  # to read: nothing is renamed or written
    assert store.schema_version() == version and kept(store) == EXPECTED
    store.close()
    assert tables_of(url) == before
    assert file is None or file.read_bytes() == content

    def upgrade(_: int) -> tuple[int, tuple[Any, ...]]:  # several writers: one upgrades it
        store = Store(url, create=True)
        try:
            return store.schema_version(), kept(store)
        finally:
            store.close()

    assert at_once(6, upgrade) == [(3, EXPECTED)] * 6
    assert tables_of(url) == NEW_TABLES
    Store(fresh, create=True).close()
    assert layout(url) == layout(fresh)  # its indexes and keys renamed too, as a new one's
    store = Store(url)
    assert kept(store) == EXPECTED
    store.add_events([{"kind": "call", "id": "c4", "agent": "A1", "duration": 1,
                       "at": dt.datetime(2026, 11, 2, 9, 40, tzinfo=dt.UTC)}])  # fmt: skip
    assert store.count_events() == 4
    store.close()


LATER = dt.datetime(2026, 11, 2, 9, 50, tzinfo=dt.UTC)
DECISION = SimpleNamespace(id="d2", kind="alert", subject="A2", action=None, at=LATER,
                           rule_location="center.policy:4:5", to_dict=dict)  # fmt: skip
EACH_METHOD: dict[str, tuple[Callable[[Store], Any], Any]] = {
    "schema_version": (lambda store: store.schema_version(), 3),
    "count_events": (lambda store: store.count_events(), 3),
    "events": (lambda store: [e["id"] for e in store.events(kinds=["call"])], ["c2", "c3", "c1"]),
    "time_span": (lambda store: [t.minute for t in store.time_span() or ()], [10, 30]),
    "decisions": (lambda store: [d.decision_id for d in store.decisions("live")], ["d1"]),
    "active_policy": (lambda store: getattr(store.active_policy(), "text", None), SECOND),
    "history": (lambda store: [v.text for _, v in store.history()], [FIRST, SECOND]),
    "policy": (lambda store: store.policy(policy_hash(FIRST)[:6]).text, FIRST),
    "add_events": (lambda store: store.add_events([{"kind": "call", "id": "c5", "agent": "A1",
                                                    "duration": 1, "at": LATER}]).kept, 1),
    "save_decisions": (lambda store: store.save_decisions("live", "x", [DECISION]), None),
    "add_policy": (lambda store: store.add_policy("policy 丙 {}\n", name="c", version=None,
                                                  file="c.policy", author="赵"),
                   policy_hash("policy 丙 {}\n")),
    "activate": (lambda store: store.activate(policy_hash(FIRST)[:6], by="周"), None),
}  # fmt: skip


@pytest.mark.parametrize("method", EACH_METHOD)
def test_a_store_open_while_another_process_upgrades_its_database_keeps_working(
    url: str, method: str
) -> None:
    """A store opened on callqa 2's tables (the TUI, say) while an import upgraded them
    failed at its next look: no such table: events."""
    old_database(url, 2)
    reader = Store(url)
    assert reader.schema_version() == 2
    Store(url, create=True).close()  # another process upgrades it meanwhile
    work, result = EACH_METHOD[method]
    try:
        assert work(reader) == result
    finally:
        reader.close()
    assert tables_of(url) == NEW_TABLES


HOST_MODELS = '''
from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    """The host's own events, named as callqa 2 named its table, with the same index name."""

    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    note: str
'''

HOST_SERVICE = """
import datetime as dt
import importlib
import json
import sys

import engine as host_engine  # the host's own `engine` package, beside callqa's callqa.engine

target, store_module, order, run = sys.argv[1:]
if order == "callqa first":
    Store = importlib.import_module(store_module).Store
    import host_models
else:
    import host_models
    Store = importlib.import_module(store_module).Store
from sqlmodel import Session, SQLModel, create_engine, select

engine = create_engine(target)
SQLModel.metadata.create_all(engine)  # the host's tables, as it makes them at start-up
store = Store(target, create=True, shared=True)
at = dt.datetime(2026, 11, 2, 9, int(run), tzinfo=dt.UTC)
store.add_events([{"kind": "call", "id": "c" + run, "agent": "A1", "duration": 60, "at": at}])
with Session(engine) as session:
    session.add(host_models.Event(kind="call", note="host " + run))
    session.commit()
    notes = [event.note for event in session.exec(select(host_models.Event))]
from callqa.engine import load_policy

policy = load_policy(text='policy "t" version "1" timezone "UTC"\\n'
                     "rubric r { scale 100 section s { item a deduct 5 item b deduct 5 } }")
score = policy.score("r", {"answers": {"a": "fail", "b": "pass"}}).score
print(json.dumps({"host's metadata": sorted(SQLModel.metadata.tables), "host": notes,
                  "callqa": [event["id"] for event in store.events()],
                  "host engine": host_engine.NAME, "callqa score": score}))
store.close()
"""


@pytest.mark.parametrize("order", ["callqa first", "host first"])
def test_a_host_service_with_its_own_sqlmodel_events_table_shares_process_and_database(
    url: str, tmp_path: Path, order: str
) -> None:
    """`import engine.store.database` registered an `events` table on SQLModel's metadata: the host's
    own model failed (Table 'events' is already defined for this MetaData instance); and a
    host with its own `engine` package could not import callqa's (issue 16)."""
    (tmp_path / "host_models.py").write_text(HOST_MODELS, encoding="utf-8")
    (tmp_path / "service.py").write_text(HOST_SERVICE, encoding="utf-8")
    (tmp_path / "engine").mkdir()  # the host's own package named `engine` (issue 16)
    (tmp_path / "engine" / "__init__.py").write_text('NAME = "host"\n', encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    outputs = []
    for run in ("1", "2"):  # a first start creates both sides' tables, a second finds them
        done = subprocess.run(
            [sys.executable, "service.py", url, Store.__module__, order, run],
            cwd=tmp_path, env=environment, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert outputs[-1] == {"host's metadata": ["events"], "host": ["host 1", "host 2"],
                           "callqa": ["c1", "c2"], "host engine": "host",
                           "callqa score": 50.0}  # fmt: skip
    assert tables_of(url) == CALLQA_TABLES | {"events"}  # no `meta`: the host may have one


OLD_CALLQA = """
import sys

import old_store

try:
    old_store.Store(sys.argv[1])
except old_store.StoreError as error:
    print(error)
else:
    print("opened")
"""


def open_with_callqa_1(target: str, folder: Path) -> str:
    """What callqa 1 (engine/store.py at commit 3dc4987, run as it is) says opening `target`:
    it creates its own tables where none are, then reads its version table, `meta`."""
    old = subprocess.run(["git", "show", "3dc4987:engine/store.py"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    (folder / "old_store.py").write_text(old, encoding="utf-8")
    (folder / "open_old.py").write_text(OLD_CALLQA, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    done = subprocess.run([sys.executable, "open_old.py", target], cwd=folder, env=environment,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("start", ["callqa 1", "callqa 2", "new", "callqa 3 without the stamp"])
def test_callqa_1_refuses_a_database_callqa_3_made_or_upgraded(
    url: str, tmp_path: Path, start: str
) -> None:
    """After an upgrade, callqa 1 (a colleague's install, a cron job) found no `meta` table,
    made new empty events and meta tables, and imported there: a second history this callqa
    never read. Now it finds `meta` saying schema 3 and refuses; this callqa ignores it."""
    if start == "new":
        Store(url, create=True).close()
    else:
        old_database(url, 1 if start == "callqa 1" else 2)
        Store(url, create=True).close()  # upgraded
    if start == "callqa 3 without the stamp":  # as made today before the stamp
        make_table(url, "DROP TABLE meta")
        Store(url).close()  # opened to read: nothing is written
        assert "meta" not in tables_of(url)
        Store(url, create=True).close()  # opened to import: stamped
    assert tables_of(url) == NEW_TABLES
    said = open_with_callqa_1(url, tmp_path)
    assert said == ("this database was written by a newer callqa (schema 3, this one reads "
                    "up to 1); upgrade callqa: pip install -U callqa")  # fmt: skip
    for create in (False, True):  # callqa 1 left its empty tables: never read as its database
        store = Store(url, create=create)
        assert store.schema_version() == 3
        assert store.count_events() == (0 if start == "new" else 3)
        store.close()
