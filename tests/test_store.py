"""The store on SQLite and on a real PostgreSQL server (CI starts one and sets
CALLQA_TEST_POSTGRES_URL; in CI a missing server is a failure, not a skip)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from callqa.engine.runtime.events import parse_event
from callqa.engine.store.database import Store, StoreError
from callqa.engine.store.importer import import_file

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MAPPINGS = Path(__file__).resolve().parent.parent / "policies" / "mappings"
SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTGRES = os.environ.get("CALLQA_TEST_POSTGRES_URL")


def backends() -> list[str]:
    names = ["sqlite"]
    if POSTGRES or os.environ.get("CI"):
        names.append("postgresql")
    return names


def postgres_schema() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema of its own (dropped afterwards), so tests
    see a new database and never touch another test's tables."""
    if not POSTGRES:
        pytest.fail("CI must provide a PostgreSQL server: set CALLQA_TEST_POSTGRES_URL")
    name = f"callqa_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {name}")
    try:
        yield (
            make_url(POSTGRES)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        engine.dispose()


@pytest.fixture(params=backends())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
    else:
        yield from postgres_schema()


def call(n: int, minute: int) -> object:
    return parse_event({"kind": "call", "id": f"c{n}", "agent": "A1", "duration": 60,
                        "at": dt.datetime(2026, 11, 2, 9, minute, tzinfo=SHANGHAI)})  # fmt: skip


def test_events_are_idempotent_and_come_back_in_time_order(url: str) -> None:
    store = Store(url, create=True)
    first = store.add_events([call(1, 30), call(2, 10), call(3, 20)])
    again = store.add_events([call(1, 30), call(4, 40)])
    assert (first.kept, first.duplicates, again.kept, again.duplicates) == (3, 0, 1, 1)
    assert [e["id"] for e in store.events()] == ["c2", "c3", "c1", "c4"]
    since = dt.datetime(2026, 11, 2, 9, 20, tzinfo=SHANGHAI)
    assert [e["id"] for e in store.events(start=since)] == ["c3", "c1", "c4"]
    assert store.count_events() == 4
    store.close()


def test_policy_versions_and_activation_history(url: str) -> None:
    store = Store(url, create=True)
    text = (Path(__file__).resolve().parent.parent / "policies" / "center.policy").read_text()
    digest = store.add_policy(text, name="中心", version="1", file="center.policy", author="王")
    assert (
        store.add_policy(text, name="中心", version="1", file="center.policy", author="王")
        == digest
    )
    assert store.active_policy() is None
    store.activate(digest[:8], by="李主管")  # a unique prefix is enough
    active = store.active_policy()
    assert active is not None and active.hash == digest and active.text == text
    [(activation, version)] = store.history()
    assert activation.by == "李主管" and version.name == "中心"
    # recorded by the whole hash: a later version sharing the prefix leaves no doubt
    assert activation.policy_hash == digest
    with pytest.raises(StoreError, match="no policy version 'beef'"):
        store.activate("beef", by="x")
    with pytest.raises(StoreError, match="'': give at least 4 characters of a version's hash"):
        store.activate("", by="x")  # used to activate the only version
    with pytest.raises(StoreError, match=f"'{digest[:3]}': give at least 4 characters"):
        store.policy(digest[:3])
    store.close()


def test_a_database_from_a_newer_callqa_is_refused_with_advice(url: str) -> None:
    store = Store(url, create=True)
    meta = store.tables.meta
    with store.engine.begin() as connection:
        connection.execute(meta.update().where(meta.c.key == "schema_version").values(value="99"))
    store.close()
    with pytest.raises(StoreError, match=r"written by a newer callqa .* upgrade callqa"):
        Store(url)


def test_import_rejects_bad_rows_with_their_number_and_keeps_the_rest(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "calls.csv"
    log.write_text(
        "kind,id,agent,at,duration\n"
        "call,k1,A1,2026-11-02 09:00,5m\n"
        "call,k2,,2026-11-02 09:05,60\n"
        "call,k3,A1,02/11/2026,60\n"
        "call,k4,A2,2026-11-02 09:10,00:03:45\n",
        encoding="utf-8",
    )
    store = Store(url, create=True)
    report = import_file(store, log, None, SHANGHAI)
    assert (report.read, report.kept, report.duplicates) == (4, 2, 0)
    assert report.rejected[0] == "row 3: call event 'k2' rejected: agent: missing"
    assert report.rejected[1].startswith("row 4: call event 'k3' rejected: at: '02/11/2026'")
    assert [e["duration"] for e in store.events()] == [300.0, 225.0]
    assert import_file(store, log, None, SHANGHAI).kept == 0
    store.close()


def _import_in_a_process(url: str, path: str, mapping: str) -> int:
    store = Store(url, create=True)
    report = import_file(store, path, mapping, SHANGHAI)
    store.close()
    return report.kept


@pytest.mark.skipif(not (DATA / "pwc_call_center.csv").exists(), reason="shared/data is absent")
def test_two_processes_importing_the_same_file_store_every_row_once(url: str) -> None:
    args = (url, str(DATA / "pwc_call_center.csv"), str(MAPPINGS / "pwc_call_center.toml"))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        kept = pool.starmap(_import_in_a_process, [args, args])  # both may create the tables
    store = Store(url)
    # 5,000 calls (946 unanswered) and a survey for each of the 4,054 answered
    assert sum(kept) == 9054
    assert store.count_events() == 9054
    store.close()


@pytest.mark.skipif(not DATA.exists(), reason="shared/data is absent")
@pytest.mark.parametrize(
    ("data", "mapping", "kept", "filtered"),
    [
        ("pwc_call_center.csv", "pwc_call_center.toml", 9054, 946),
        ("technion_anonymous_bank_1999_08.csv", "technion_bank.toml", 31011, 11067),
        ("comcast_telecom_complaints_2015.csv", "comcast_complaints.toml", 2224, 0),
    ],
)
def test_the_public_data_sets_import_through_the_shipped_mappings(
    tmp_path: Path, data: str, mapping: str, kept: int, filtered: int
) -> None:
    store = Store(tmp_path / "data.db", create=True)
    report = import_file(store, DATA / data, MAPPINGS / mapping, SHANGHAI)
    assert (report.kept, report.skipped, report.rejected) == (kept, filtered, [])
    span = store.time_span()
    assert span is not None
    if data.startswith("comcast"):  # the swapped day/month rows land in April-June 2015
        assert dt.date(2015, 3, 31) <= span[0].date() and span[1].date() <= dt.date(2015, 7, 1)
    store.close()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('kind = 5\n[fields]\nagent = "A"\n', 'kind must be text, e.g. kind = "call"'),
        ('kind = "call"\nfields = "x"\n', "fields must be a table"),
        ('kind = "call"\n[fields]\nagent = 5\n', 'fields.agent: write a column name'),
        ('kind = "call"\n[fields]\nagent = { map = { a = 1 } }\n', "fields.agent: name its column"),
        ('kind = "call"\n[fields]\nid = "{Call Id"\n', "opens and closes braces unevenly"),
        ('kind = "call"\nat = "x"\n[fields]\nagent = "A"\n', "at must be a table"),
        ('kind = "call"\n[fields]\nagent = "A"\n[at]\nformats = [5]\n', "at.formats must be a list"),
        ('kind = "call"\n[fields]\nagent = "A"\n[at]\nwithin = ["2021-02-01", "2021-01-01"]\n',
         "at.within must be two dates in order"),
        ('kind = "call"\nwhere = "x"\n[fields]\nagent = "A"\n', 'where must be a table of column'),
        ('kind = "call"\nalso = 5\n[fields]\nagent = "A"\n', "also must be tables"),
    ],
)  # fmt: skip
def test_a_mapping_mistake_names_its_part_and_what_to_write(
    tmp_path: Path, toml: str, message: str
) -> None:
    """Each of these was an AttributeError or TypeError traceback, or a silent mismatch."""
    from callqa.engine.store.importer import MappingError, load_mapping

    path = tmp_path / "m.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError, match=re.escape(message)):
        load_mapping(path)
