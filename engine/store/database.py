"""History on disk: events (append-only, idempotent by id), decisions, policy versions and
their activations. SQLite by default (one file, WAL, zero set-up); PostgreSQL by URL
(`postgresql+psycopg://user@host/db`) for several services writing at once.

A store is opened to read (`Store(target)`: the database must already be callqa's, and
opening it writes nothing) or to create (`Store(target, create=True)`: an empty or missing
database gets callqa's tables, once, however many processes open it at the same time).
Another application's database, an in-memory one (nothing would persist) and one written by
a newer callqa are refused, before anything is written, with a message that says what to do;
a host service that keeps callqa's history in its own database says so (`shared=True`).
callqa's tables are all named callqa_... and declared on a MetaData of callqa's own, so a
host's models (an `events` table on SQLModel's metadata) live beside them in one process and
one database. An older schema (callqa 1 and 2 named the tables events, decisions, ...) is
read as it is, and upgraded in place when opened to create.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

import orjson
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    create_engine,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import SQLAlchemyError

from callqa.dsl.i18n import N_, _, named
from callqa.engine.errors import NoHistory as NoHistory  # their old home
from callqa.engine.errors import StoreError as StoreError
from callqa.engine.runtime.events import empty_defaults
from callqa.engine.store.defaults import DEMO_DB
from callqa.engine.store.text_files import json_value

SCHEMA_VERSION = 3  # 3: every table is callqa_...; 2: only callqa_meta (1 called it meta)
PREFIX = "callqa_"  # callqa's tables share a database with a host service's without a clash
META_TABLE = "callqa_meta"
MIN_PREFIX = 4  # characters of a hash that name a stored policy version
REPLAY = "replay"  # the kind of the decisions row that holds a version's kept replay
_SCHEMA_LOCK = 0x63616C6C7161  # "callqa": the PostgreSQL advisory lock held to create tables
_HEX = frozenset("0123456789abcdef")
_EVENT_COLUMNS = ("id", "kind", "at_utc", "agent", "payload", "source")  # as rows give them
# agents one query may list: SQLite takes 32,766 parameters, PostgreSQL 65,535
MAX_LISTED_AGENTS = 30_000
LEGACY_META = "meta"  # callqa 1's version table: kept stamped so callqa 1 refuses the database


# a database's state when it has no history to read -> the sentence saying so, without and
# with where the demo's generated history is
_NO_HISTORY = {
    "missing": (
        N_("{db} does not exist, so it holds no history; import the center's events first: "
           "callqa import --db {db} calls.csv"),
        N_("{db} does not exist, so it holds no history; import the center's events first: "
           "callqa import --db {db} calls.csv (the demo's generated history is in {demo}: "
           "--db {demo})"),
    ),
    "empty": (
        N_("{db} holds no callqa history yet; import the center's events first: callqa "
           "import --db {db} calls.csv"),
        N_("{db} holds no callqa history yet; import the center's events first: callqa "
           "import --db {db} calls.csv (the demo's generated history is in {demo}: --db "
           "{demo})"),
    ),
    "no-events": (
        N_("{db} holds no events to replay; import the center's events first: callqa "
           "import --db {db} calls.csv"),
        N_("{db} holds no events to replay; import the center's events first: callqa "
           "import --db {db} calls.csv (the demo's generated history is in {demo}: --db "
           "{demo})"),
    ),
}  # fmt: skip


def no_history(target: str | Path, state: str) -> str:
    """The one sentence every command says when a database has no history to read: which
    database and its `state` ("missing", "empty" or "no-events": a key of _NO_HISTORY), how
    to import the center's events, and where the demo's generated history is when it is in
    this folder."""
    shown = shown_target(target)
    demo = Path(DEMO_DB)
    given = str(target)
    elsewhere = demo.is_file() and ("://" in given or Path(given).resolve() != demo.resolve())
    return _(_NO_HISTORY[state][elsewhere]).format(db=shown, demo=DEMO_DB)


@dataclass(frozen=True, eq=False)
class Tables:
    """callqa's tables under the names one schema version gave them, on a MetaData of their
    own: never SQLModel's shared one, where a host service's own `events` table would clash."""

    events: Table  # append-only, idempotent by id
    decisions: Table
    policy_versions: Table
    activations: Table
    meta: Table  # the schema version: its presence says the database is callqa's

    def all(self) -> tuple[Table, ...]:
        return (self.events, self.decisions, self.policy_versions, self.activations, self.meta)


@functools.cache
def tables(prefix: str = PREFIX, meta: str = META_TABLE) -> Tables:
    """The tables named with `prefix` (callqa 1 and 2 had none) and the version table `meta`;
    indexes are named after their table (ix_callqa_events_kind), as SQLModel named them."""
    metadata = MetaData()

    def table(name: str, *columns: Column[Any]) -> Table:
        return Table(prefix + name, metadata, *columns)

    moment = DateTime(timezone=True)  # in UTC, for ordering on any database
    return Tables(
        events=table(
            "events",
            Column("id", String, primary_key=True),
            Column("kind", String, nullable=False, index=True),
            Column("at_utc", moment, nullable=False, index=True),
            Column("agent", String, index=True),
            Column("payload", String, nullable=False),  # the event as JSON, with its offsets
            Column("source", String),
        ),
        decisions=table(
            "decisions",
            Column("row", Integer, primary_key=True),
            Column("run", String, nullable=False, index=True),  # "live" or a simulation id
            Column("policy_hash", String, nullable=False, index=True),
            Column("decision_id", String, nullable=False),
            Column("kind", String, nullable=False, index=True),
            Column("subject", String, nullable=False, index=True),
            Column("action", String),
            Column("rule_location", String, nullable=False),
            Column("at_utc", moment, nullable=False, index=True),
            Column("payload", String, nullable=False),
        ),
        policy_versions=table(
            "policy_versions",
            Column("hash", String, primary_key=True),
            Column("name", String, nullable=False),
            Column("version", String),
            Column("file", String, nullable=False),
            Column("text", String, nullable=False),
            Column("author", String, nullable=False),
            Column("created_utc", moment, nullable=False),
            Column("effective_from_utc", moment),
        ),
        activations=table(
            "activations",
            Column("row", Integer, primary_key=True),
            Column("policy_hash", String, nullable=False, index=True),
            Column("activated_utc", moment, nullable=False),
            Column("by", String, nullable=False),
        ),
        meta=Table(
            meta,
            metadata,
            Column("key", String, primary_key=True),
            Column("value", String, nullable=False),
        ),
    )


def _legacy_meta() -> Table:
    """callqa 1's version table as callqa 1 declared it (at 3dc4987), on a MetaData of its
    own: callqa 1 opens any database by creating its tables where none are, then reads the
    version here; finding this schema's, it refuses the database as a newer callqa's instead
    of keeping a second history, in tables this callqa never reads."""
    return Table(LEGACY_META, MetaData(), Column("key", String, primary_key=True),
                 Column("value", String, nullable=False))  # fmt: skip


@dataclass(frozen=True)
class DecisionRecord:
    row: int
    run: str
    policy_hash: str
    decision_id: str
    kind: str
    subject: str
    action: str | None
    rule_location: str
    at_utc: dt.datetime
    payload: str


@dataclass(frozen=True)
class PolicyVersion:
    hash: str
    name: str
    version: str | None
    file: str
    text: str
    author: str
    created_utc: dt.datetime
    effective_from_utc: dt.datetime | None


@dataclass(frozen=True)
class Activation:
    row: int
    policy_hash: str
    activated_utc: dt.datetime
    by: str


R = TypeVar("R", DecisionRecord, PolicyVersion, Activation)


def _record(kind: type[R], row: Row[Any]) -> R:
    """A stored row as its record, times in UTC whatever the database gave back (SQLite
    keeps them without an offset)."""
    values: dict[str, Any] = {key: _aware(value) if isinstance(value, dt.datetime) else value
                              for key, value in row._mapping.items()}  # fmt: skip
    return kind(**values)


@dataclass(frozen=True)
class ImportCount:
    kept: int
    duplicates: int  # the same event was already stored: nothing to do
    conflicts: tuple[str, ...] = ()  # another event was stored under its id: one line each
    rejected: tuple[str, ...] = ()  # events no database can store: one line each


def database_url(target: str | Path) -> str:
    """A URL from a URL or a file path (`history.db` -> sqlite)."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def shown_target(target: str | Path) -> str:
    """The database as a message names it: a file by its path, a URL without its password
    (even a URL too broken to read)."""
    given = str(target)
    if "://" not in given:
        return given
    try:
        url = make_url(given)
        shown = url.render_as_string(hide_password=True) if url.password else given
    except Exception:  # unreadable: hide whatever stands where a password would
        shown = re.sub(r"(://[^:/?#@]*:).*@", r"\1***@", given)
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", shown)


def policy_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unstorable(event: Any) -> str | None:
    """Why no database can store this event, or None: a NUL character (PostgreSQL's text
    cannot hold one, so SQLite refuses it too and a history is the same on both), or half
    of a character (a lone surrogate, which a JSON file can write as \\ud800 and no UTF-8
    text can hold)."""
    if hasattr(event, "model_dump_json"):  # JSON writes a NUL as \u0000: a quick look first
        try:
            if "\\u0000" not in event.model_dump_json():
                return None
        except ValueError:  # pydantic cannot write a lone surrogate either
            pass
        data = event.model_dump()
    else:
        data = dict(event)
    for path, value in _texts(data, ""):
        where = path.replace("\x00", "\\x00")
        shown = value if len(value) <= 40 else value[:40] + "..."
        if "\x00" in value:
            return _("{kind} event {id!r} rejected: {where}: {text!r} holds a NUL character "
                     "(\\x00), which a database cannot store; remove it from the file").format(
                kind=_kind(data), id=str(data.get("id")), where=where, text=shown
            )  # fmt: skip
        half = _SURROGATE.search(value)
        if half is not None:
            return _("{kind} event {id!r} rejected: {where}: {text!r} holds half of a character "
                     "(\\u{code:04x}, a lone surrogate), which a database cannot store; "
                     "correct the text in the file").format(
                kind=_kind(data), id=str(data.get("id")),
                where=where.encode("utf-8", "backslashreplace").decode(), text=shown,
                code=ord(half[0]),
            )  # fmt: skip
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _kind(data: Mapping[str, Any]) -> str:
    """An event's kind as a message names it (`named`: 通话 for a call, in Chinese)."""
    return named(str(data.get("kind")), "event")


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text in an event's data, keys included, with where it is (`answers.q1`)."""
    if isinstance(value, str):
        yield path or "(value)", value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield from _texts(str(key), where)
            yield from _texts(item, where)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


def _nul_in_policy(text: str, file: str) -> str | None:
    """Where a policy's text (or a file it includes) holds a NUL character, or None."""
    from callqa.dsl.includes import unbundle

    main, included = unbundle(text)
    for name, part in [(file, main), *included.items()]:
        index = part.find("\x00")
        if index >= 0:
            line = part.count("\n", 0, index) + 1
            column = index - (part.rfind("\n", 0, index) + 1) + 1
            return _("{file}, line {line}, column {column}: a NUL character (\\x00) cannot be "
                     "stored; remove it and add the policy again").format(
                file=name, line=line, column=column
            )  # fmt: skip
    return None


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("times stored must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _sqlite_time(moment: dt.datetime) -> str:
    """A time in UTC as SQLAlchemy's DateTime writes it into SQLite (its storage format),
    in a third of the time."""
    at = _utc(moment)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 (the fastest)
        at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond
    )  # fmt: skip


BATCH_ROWS = 5000  # rows in one INSERT
BATCH_BYTES = 32 << 20  # and at most about this much payload (one row may be megabytes)


class PreparedBatch(NamedTuple):
    """Rows as the store's INSERT takes them: (id, kind, at_utc, agent, payload, source) as
    text, the time in UTC as SQLAlchemy's DateTime writes it into SQLite (which PostgreSQL
    reads too); with the file's row of each when the events came from a file."""

    rows: list[tuple[str, str, str, str | None, str, str | None]]
    numbers: tuple[int, ...] | None


@dataclass(frozen=True)
class PreparedEvents:
    """Events made ready for the store without a database (`prepare_events`), so that an
    importer can make them in one process while the store writes them in another."""

    batches: tuple[PreparedBatch, ...]
    rejected: tuple[str, ...]  # events no database can store: one line each


def prepare_events(
    events: Iterable[Any], source: str | None = None, numbers: Sequence[int] | None = None
) -> PreparedEvents:
    """Events (models, dicts or `Serialized`) as the store's rows, in batches; an event no
    database can store (`unstorable`: a NUL character, half of a character) is rejected,
    named by its row (`numbers`: the file's row of each event), and the others kept."""
    batches: list[PreparedBatch] = []
    rejected: list[str] = []
    rows: list[tuple[str, str, str, str | None, str, str | None]] = []
    given: list[int] = []  # each row's place in `events`
    size = 0
    if source is not None:  # a file's name may hold bytes that are not UTF-8
        source = source.encode("utf-8", "backslashreplace").decode()
    for index, item in enumerate(events):
        if item.__class__ is Serialized:
            data, payload = item
        else:
            data = stored_form(item.model_dump() if hasattr(item, "model_dump") else dict(item))
            payload = encoded(data)
        if payload.__class__ is bytes:  # orjson's: every text in it is whole UTF-8
            text = payload.decode()
            problem = "\\u0000" in text
        else:  # json's: orjson tells half of a character (a lone surrogate)
            text = payload  # type: ignore[assignment]
            problem = "\\u0000" in text or not _whole(text)
        if problem:
            rejected.append(_in_row(numbers, index, unstorable(data) or ""))
            continue
        rows.append((str(data["id"]), str(data["kind"]), _sqlite_time(data["at"]),
                     data.get("agent"), text, source))  # fmt: skip
        given.append(index)
        size += len(text)
        if len(rows) == BATCH_ROWS or size >= BATCH_BYTES:
            batches.append(_batch(rows, given, numbers))
            rows, given, size = [], [], 0
    if rows:
        batches.append(_batch(rows, given, numbers))
    return PreparedEvents(tuple(batches), tuple(rejected))


def _whole(text: str) -> bool:
    """No half of a character in `text` (which no UTF-8 database can hold)."""
    try:
        orjson.dumps(text)
    except orjson.JSONEncodeError:
        return False
    return True


def _batch(
    rows: list[tuple[str, str, str, str | None, str, str | None]], given: list[int],
    numbers: Sequence[int] | None,
) -> PreparedBatch:  # fmt: skip
    return PreparedBatch(rows, None if numbers is None else tuple(numbers[i] for i in given))


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite gives it back without an offset)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def stored_event(payload: str) -> dict[str, Any]:
    """A stored event as the engine's plain path takes it: its time an aware datetime, not
    text. Read by orjson when it reads the payload to json's values (`json_value`, a fifth
    of the time: a replay from the store reads every event); its time when written as
    `isoformat` writes it with an offset of hours and minutes (as callqa stores it), which
    pydantic reads to the same instant; any other is left as text, for pydantic."""
    event: dict[str, Any] = json_value(payload)
    text = event.get("at")
    if text.__class__ is str and len(text) in (25, 32) and text[10] == "T":
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return event
        if moment.tzinfo is not None:
            event["at"] = moment
    return event


def stored_form(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as the store keeps it: without the fields that hold their empty
    default (a call's 15 fields are mostly None), which reading it back fills in again (the
    engine's plain path and pydantic both do): half the bytes to write and to read."""
    empty = empty_defaults(str(data.get("kind")))
    return {name: value for name, value in data.items()
            if name not in empty or value != empty[name]}  # fmt: skip


def _same_payload(stored: str, given: str) -> bool:
    """Whether a stored payload holds the same event as one given: the same values, a field
    left out being its empty default (a payload stored by callqa 3 has them all)."""
    if given == stored:
        return True
    mine, theirs = json.loads(given), json.loads(stored)
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return bool(mine == theirs)
    return {**empty_defaults(str(mine.get("kind"))), **mine} == {
        **empty_defaults(str(theirs.get("kind"))),
        **theirs,
    }


class Serialized(NamedTuple):
    """An event's `model_dump()` and its JSON as the store keeps it (`encoded`), made
    once by an importer that checks the JSON too."""

    data: dict[str, Any]
    payload: bytes | str


def serialized(data: dict[str, Any]) -> str:
    """An event's data as the store's payload (`encoded`), as text."""
    made = encoded(data)
    return made.decode() if isinstance(made, bytes) else made


def encoded(data: dict[str, Any]) -> bytes | str:
    """An event's data as the store's payload: by orjson, as UTF-8 bytes (a tenth of json's
    time, which was a fifth of an import's), unless it holds a center's own `fields` (any
    JSON, NaN included, which orjson would write as null) or an int beyond 64 bits: then by
    json, as text. Times as `isoformat` writes them either way."""
    if not data.get("fields"):
        try:
            return orjson.dumps(data, default=_json_default, option=_PASS_TIMES)
        except TypeError:  # an int of more than 64 bits
            pass
    return json.dumps(data, ensure_ascii=False, default=_json_default)


_PASS_TIMES = orjson.OPT_PASSTHROUGH_DATETIME  # to _json_default: isoformat, as json


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _in_row(numbers: Sequence[int] | None, index: int, message: str) -> str:
    """`message` about the `index`th event, named by its row ("row N: ...") when the rows
    were given."""
    if numbers is None:
        return message
    return _("row {number}: {message}").format(number=numbers[index], message=message)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


S = TypeVar("S", bound="Store")
T = TypeVar("T")
P = ParamSpec("P")


def _upgraded_meanwhile(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Run the method again, once, if it failed because another process upgraded this older
    database (renamed its tables) after it was opened."""

    @functools.wraps(method)
    def run(store: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(store, *args, **kwargs)
        except SQLAlchemyError:
            if not store._upgraded():
                raise
            return method(store, *args, **kwargs)

    return run


class Store:
    """callqa's history in one database; `create=True` for the commands that may start one
    (import, policy add, demo), the default for those that only read or add to it."""

    def __init__(self, target: str | Path, *, create: bool = False, shared: bool = False) -> None:
        """`shared=True` for a host service keeping callqa's history in its own database:
        callqa's tables are created beside the host's instead of the database being refused
        as another application's."""
        self.url = database_url(target)
        self.target = target
        self.shown = shown_target(target)
        url = self._usable_url(create)
        self.engine: SqlEngine = create_engine(url)
        self.dialect = self.engine.dialect.name
        self.tables = tables()  # as this database names them, once its version is known
        self._shared = shared
        if self.dialect == "sqlite":
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            self._open_schema(create)
        except StoreError:
            self.engine.dispose()
            raise
        except Exception as error:  # a server down, a file that is not a database, ...
            self.engine.dispose()
            raise self.driver_error(error) from None

    def close(self) -> None:
        self.engine.dispose()

    def driver_error(self, error: BaseException) -> StoreError:
        """A driver's or server's error in one line, without a password it may quote."""
        reason = re.sub(r"^\([\w.]+\) ", "", _first_line(error))  # (sqlite3.DatabaseError)
        try:
            password = make_url(self.url).password
        except Exception:  # an unreadable URL has no password to find
            password = None
        return StoreError(reason.replace(str(password), "***") if password else reason)

    def _usable_url(self, create: bool) -> URL:
        """The URL to connect to, once it is sure to name a database that persists and, to
        read, one that exists; refused otherwise before anything is created."""
        try:
            url = make_url(self.url)
        except Exception as error:  # a URL SQLAlchemy cannot read
            raise StoreError(_("not a database URL ({reason}); write a file name, or "
                               "postgresql+psycopg://user@host/db").format(
                reason=self.driver_error(error)
            )) from None  # fmt: skip
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(_("callqa keeps its store in SQLite (a file) or PostgreSQL "
                               "(postgresql+psycopg://user@host/db), not {backend}").format(
                backend=backend
            ))  # fmt: skip
        if backend == "postgresql" and url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")  # the driver callqa installs
        if backend == "sqlite":
            database = url.database or ""
            if database in ("", ":memory:") or "mode=memory" in database \
                    or url.query.get("mode") == "memory":  # fmt: skip
                raise StoreError(_("an in-memory database is lost when callqa exits, so "
                                   "nothing would be kept; give a file, e.g. --db "
                                   "history.db"))  # fmt: skip
            if not create and not Path(database).exists():
                raise NoHistory(no_history(self.target, "missing"))
        return url

    # ----------------------------------------------------------------- schema

    def _open_schema(self, create: bool) -> None:
        """Recognise callqa's tables and their version before writing anything; create or
        upgrade them only when opened to create, one process at a time: a first look takes
        no lock, so opening a database that is ready never waits for a writer."""
        try:
            needed = self._look(create, locked=False)
        except SQLAlchemyError:  # changed as we looked: another process is upgrading it
            needed = True
        if needed:  # again, under the lock when creating: another may have done it meanwhile
            self._look(create, locked=create)
        if create and self.dialect == "sqlite":
            _write_ahead_log(self.engine)

    def _look(self, create: bool, locked: bool) -> bool:
        """Check the schema; under the lock, create or upgrade it. True if it needs that."""
        with self.engine.begin() as connection:
            if locked and self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _SCHEMA_LOCK})  # fmt: skip
            elif locked:
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # the writers' lock, now
            names = set(inspect(connection).get_table_names())
            found = self._found_version(connection, names)
            if found is None:
                if names and not self._shared:
                    shown = sorted(names - {LEGACY_META}) or [LEGACY_META]  # callqa's stamp
                    listed = ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")
                    raise StoreError(_("this is not a callqa database: it has tables {tables} "
                                       "and no {meta}; give another file or an empty "
                                       "database").format(tables=listed,
                                                          meta=META_TABLE))  # fmt: skip
                if not create:
                    raise NoHistory(no_history(self.target, "empty"))
                if not locked:
                    return True
                self.tables = tables()
                self.tables.events.metadata.create_all(connection)
                connection.execute(self.tables.meta.insert().values(
                    key="schema_version", value=str(SCHEMA_VERSION)))  # fmt: skip
                self._stamp_legacy(connection)
                return True
            if found > SCHEMA_VERSION:
                raise StoreError(
                    _(
                        "this database was written by a newer callqa (schema {found}, this one "
                        "reads up to {version}); upgrade callqa: pip install -U callqa"
                    ).format(found=found, version=SCHEMA_VERSION)
                )
            if found < SCHEMA_VERSION and create:
                if locked:
                    self._upgrade(connection)
                    self._stamp_legacy(connection)
                return True
            if create and not self._legacy_stamped(connection, names):
                if locked:  # made or upgraded by a callqa 3 from before the stamp
                    self._stamp_legacy(connection)
                return True
            return False

    def _legacy_stamped(self, connection: Connection, names: set[str]) -> bool:
        """Whether callqa 1's version table says this schema (or need not: a host's database
        shared with callqa may have a `meta` of its own, left alone)."""
        if self._shared:
            return True
        if LEGACY_META not in names:
            return False
        return connection.execute(
            text(f"SELECT value FROM {LEGACY_META} WHERE key = 'schema_version'")
        ).scalar() == str(SCHEMA_VERSION)

    def _stamp_legacy(self, connection: Connection) -> None:
        """Stamp this schema's version in callqa 1's version table, made if missing: so
        callqa 1 refuses the database rather than write events this callqa never sees. It is
        never read as a version 1 database (callqa_meta comes first) nor listed as a table."""
        if self._shared:
            return
        legacy = _legacy_meta()
        legacy.create(connection, checkfirst=True)
        version = str(SCHEMA_VERSION)
        connection.execute(self._insert(legacy).values(key="schema_version", value=version)
                           .on_conflict_do_update(index_elements=["key"],
                                                  set_={"value": version}))  # fmt: skip

    def _found_version(self, connection: Connection, names: set[str]) -> int | None:
        """The schema version callqa stamped in this database, or None if it is not
        callqa's; `self.tables` then names its tables as that version did. A database from
        callqa 1 keeps its version in a table named meta."""
        meta = META_TABLE
        if META_TABLE not in names:
            legacy = {"meta", "events", "policy_versions"} <= names and {"key", "value"} <= {
                column["name"] for column in inspect(connection).get_columns("meta")
            }
            if not legacy:
                return None
            meta = "meta"
        value = connection.execute(
            text(f"SELECT value FROM {meta} WHERE key = 'schema_version'")
        ).scalar()
        if value is None or not str(value).isdigit():
            if meta == "meta":
                return None
            raise StoreError(_("its {meta} table has no schema version: it was not made by "
                               "callqa, or was changed by hand; give another database").format(
                meta=META_TABLE
            ))  # fmt: skip
        version = int(value)
        self.tables = tables() if version >= 3 else tables("", meta)  # 1 and 2: no prefix
        return version

    def _upgrade(self, connection: Connection) -> None:
        """Bring an older callqa's tables to this schema, inside the creation lock and one
        transaction: each table, its indexes and (PostgreSQL) its primary key and row
        counter take their callqa_ names, so the database is as a new one would be."""
        postgres = self.dialect == "postgresql"
        look = inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        for old, new in zip(self.tables.all(), tables().all(), strict=True):
            indexes = {tuple(index["column_names"]): str(index["name"])
                       for index in look.get_indexes(old.name)}  # fmt: skip
            key = look.get_pk_constraint(old.name).get("name") if postgres else None
            if old.name != new.name:
                connection.execute(text(f"ALTER TABLE {old.name} RENAME TO {new.name}"))
            for index in new.indexes:  # SQLite cannot rename an index: it is made again
                name = indexes.get(tuple(column.name for column in index.columns))
                if name == index.name:
                    continue
                if name is not None and postgres:
                    connection.execute(text(f"ALTER INDEX {quote(name)} RENAME TO {index.name}"))
                    continue
                if name is not None:
                    connection.execute(text(f"DROP INDEX {quote(name)}"))
                index.create(connection)
            if key and key != f"{new.name}_pkey":
                connection.execute(text(f"ALTER TABLE {new.name} RENAME CONSTRAINT "
                                        f"{quote(key)} TO {new.name}_pkey"))  # fmt: skip
            if postgres and "row" in new.c:
                counter = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'row')"),
                                             {"t": new.name}).scalar()  # fmt: skip
                if counter and counter.rpartition(".")[2] != f"{new.name}_row_seq":
                    connection.execute(text(f"ALTER SEQUENCE {counter} RENAME TO "
                                            f"{new.name}_row_seq"))  # fmt: skip
        self.tables = tables()
        connection.execute(
            self.tables.meta.update()
            .where(self.tables.meta.c.key == "schema_version")
            .values(value=str(SCHEMA_VERSION))
        )

    def _upgraded(self) -> bool:
        """Whether this database, opened with an older schema, now has this one's: another
        process upgraded it since. `self.tables` then names the tables anew."""
        if self.tables is tables():  # one object per layout (cached)
            return False
        try:
            self._look(create=False, locked=False)
        except Exception:  # not readable as it is: the first error stands
            return False
        return self.tables is tables()

    @_upgraded_meanwhile
    def schema_version(self) -> int:
        meta = self.tables.meta
        with self.engine.connect() as connection:
            value = connection.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar()
        return int(value) if value is not None else 0

    # ----------------------------------------------------------------- events

    def add_events(
        self, events: Iterable[Any], source: str | None = None,
        numbers: Sequence[int] | None = None,
    ) -> ImportCount:  # fmt: skip
        """Append validated events. An event already stored is a duplicate, skipped; another
        event under a stored id is a conflict: the stored one is kept and the new one named.
        An event no database can store (`unstorable`) is rejected; the others are kept.
        `numbers`: the file's row of each event, so each message names its row as a
        rejected row's does."""
        return self.add_prepared(prepare_events(events, source, numbers))

    @_upgraded_meanwhile
    def add_prepared(self, prepared: PreparedEvents) -> ImportCount:
        """Insert events made ready by `prepare_events`, in one transaction, a statement a
        batch (`_insert_sql`): on SQLite one `executemany`; on PostgreSQL the batch as one
        JSON parameter the server reads once (jsonb: each column is then taken from the parsed
        row; `json` re-read the row's text for each) and inserts in its own code (no
        temporary table, so no TEMP privilege needed). A batch that inserted fewer rows than
        it holds is then read back to tell duplicates from conflicts (`_conflicts`), which
        stays exact when two imports run at once: every id of the batch is stored by then,
        and the stored row is the one kept."""
        kept, rows, conflicts, stored = 0, 0, [], self.tables.events
        sql = self._insert_sql(stored)
        postgres = self.dialect == "postgresql"
        with self.engine.begin() as connection:
            for batch in prepared.batches:
                given = (orjson.dumps(batch.rows),) if postgres else batch.rows
                inserted = int(connection.exec_driver_sql(sql, given).rowcount)
                kept += inserted
                rows += len(batch.rows)
                if inserted < len(batch.rows):
                    conflicts += [
                        _in_row(batch.numbers, index, _(
                            "{kind} event {id!r} conflicts with the event stored under that "
                            "id: the stored one is kept; give this one another id to keep both"
                        ).format(kind=named(batch.rows[index][1], "event"),
                                 id=batch.rows[index][0]))
                        for index in self._conflicts(connection, stored, batch.rows)
                    ]  # fmt: skip
        return ImportCount(kept, rows - kept - len(conflicts), tuple(conflicts),
                           prepared.rejected)  # fmt: skip

    def _insert_sql(self, table: Table) -> str:
        """The events' INSERT that skips an id already stored, in the order of the rows (of
        two rows with one id, the first is kept): with positional parameters, or on
        PostgreSQL from the batch as one JSON array of rows."""
        dialect = self.engine.dialect
        names = ", ".join(dialect.identifier_preparer.quote(name) for name in _EVENT_COLUMNS)
        into = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        if dialect.name == "postgresql":  # the time as SQLite keeps it, read in UTC
            values = ", ".join(f"(r.e->>{index}" + (" || '+00')::timestamptz" if name == "at_utc"
                                                    else ")")
                               for index, name in enumerate(_EVENT_COLUMNS))  # fmt: skip
            return (f"{into}SELECT {values} FROM jsonb_array_elements(convert_from(%s, 'UTF8')"
                    "::jsonb) WITH ORDINALITY AS r(e, n) ORDER BY r.n "
                    "ON CONFLICT (id) DO NOTHING")  # fmt: skip
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        return (
            f"{into}VALUES ({', '.join(mark for _ in _EVENT_COLUMNS)}) ON CONFLICT (id) DO NOTHING"
        )

    @staticmethod
    def _conflicts(
        connection: Connection, events: Table, batch: Sequence[Sequence[Any]]
    ) -> list[int]:
        """Where in `batch` the rows are whose id is stored with other content (the rows
        not inserted: the one inserted is the stored one)."""
        stored: dict[str, str] = {}
        ids = list({row[0] for row in batch})
        for start in range(0, len(ids), 500):  # within every database's parameter limit
            some = events.c.id.in_(ids[start : start + 500])
            stored.update(
                connection.execute(select(events.c.id, events.c.payload).where(some)).all()
            )
        return [index for index, row in enumerate(batch)
                if not _same_payload(stored[row[0]], row[4])]  # fmt: skip

    def _insert(self, table: Table) -> Any:
        """INSERT that can skip a row already there (ON CONFLICT DO NOTHING), on the
        database in use."""
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)

    @_upgraded_meanwhile
    def count_events(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(self.tables.events)
            ).scalar_one())  # fmt: skip

    def events(
        self,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Events in time order (then by id), as the dicts the engine takes; those from
        `start`, before `end`, of `kinds`, when given."""
        for row in self._rows(start, end, kinds=kinds):
            yield stored_event(row[0])

    def event_rows(
        self,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        agents: Collection[str] | None = None,
        any_agent_kinds: Collection[str] = (),
    ) -> Iterator[tuple[str, str, str | None, str]]:
        """The stored rows (id, kind, agent, payload as text: `stored_event` reads it) in
        the events' order; with `agents`, only theirs, the rows of no agent and those of
        `any_agent_kinds`: a part of a partitioned replay leaves the database to skip
        other agents' events, and reads only the payloads it needs. A list longer than a
        query may hold is not applied: the caller skips rows by their agent anyway."""
        if agents is not None and len(agents) > MAX_LISTED_AGENTS:
            agents = None
        yield from self._rows(start, end, None, agents, any_agent_kinds, keyed=True)

    def _rows(
        self, start: dt.datetime | None, end: dt.datetime | None,
        kinds: Sequence[str] | None = None, agents: Collection[str] | None = None,
        any_agent_kinds: Collection[str] = (), keyed: bool = False,
    ) -> Iterator[Any]:  # fmt: skip
        """The rows in the events' order: their payloads, or (`keyed`) their id, kind,
        agent and payload. A store an older callqa wrote is upgraded first (`_upgraded`)."""
        arguments = (start, end, kinds, agents, any_agent_kinds, keyed)
        with self.engine.connect() as connection:
            try:
                rows = connection.execute(self._rows_query(*arguments))
            except SQLAlchemyError:
                if not self._upgraded():
                    raise
                connection.rollback()  # the query again, on the tables as they are named now
                rows = connection.execute(self._rows_query(*arguments))
            yield from rows

    def _rows_query(
        self, start: dt.datetime | None, end: dt.datetime | None,
        kinds: Sequence[str] | None, agents: Collection[str] | None,
        any_agent_kinds: Collection[str], keyed: bool,
    ) -> Any:  # fmt: skip
        stored = self.tables.events
        columns = (stored.c.id, stored.c.kind, stored.c.agent) if keyed else ()
        query = select(*columns, stored.c.payload).order_by(stored.c.at_utc, stored.c.id)
        if kinds is not None:
            query = query.where(stored.c.kind.in_(kinds))
        if agents is not None:
            query = query.where(or_(stored.c.agent.in_(sorted(agents)),
                                    stored.c.agent.is_(None),
                                    stored.c.kind.in_(sorted(any_agent_kinds))))  # fmt: skip
        if start is not None:
            query = query.where(stored.c.at_utc >= _utc(start))
        if end is not None:
            query = query.where(stored.c.at_utc < _utc(end))
        return query.execution_options(yield_per=2000)

    @_upgraded_meanwhile
    def agents(self) -> list[str]:
        """Every agent the stored events name, in order."""
        agent = self.tables.events.c.agent
        query = select(agent).where(agent.is_not(None)).distinct().order_by(agent)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    @_upgraded_meanwhile
    def time_span(
        self, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> tuple[dt.datetime, dt.datetime] | None:
        """The first and last events' times (of those from `start`, before `end`)."""
        at = self.tables.events.c.at_utc
        query = select(func.min(at), func.max(at))
        if start is not None:
            query = query.where(at >= _utc(start))
        if end is not None:
            query = query.where(at < _utc(end))
        with self.engine.connect() as connection:
            first, last = connection.execute(query).one()
        if first is None or last is None:
            return None
        return _aware(first), _aware(last)

    # -------------------------------------------------------------- decisions

    @_upgraded_meanwhile
    def save_decisions(self, run: str, policy: str, decisions: Sequence[Any]) -> None:
        rows = [{
            "run": run, "policy_hash": policy, "decision_id": decision.id,
            "kind": decision.kind, "subject": decision.subject, "action": decision.action,
            "rule_location": decision.rule_location, "at_utc": _utc(decision.at),
            "payload": json.dumps(decision.to_dict(), ensure_ascii=False, default=_json_default),
        } for decision in decisions]  # fmt: skip
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self.tables.decisions.insert(), rows)

    @_upgraded_meanwhile
    def decisions(self, run: str) -> list[DecisionRecord]:
        stored = self.tables.decisions
        query = select(stored).where(stored.c.run == run).order_by(stored.c.row)
        with self.engine.connect() as connection:
            return [_record(DecisionRecord, row) for row in connection.execute(query)]

    @_upgraded_meanwhile
    def keep_replay(self, run: str, policy: str, payload: str) -> None:
        """Keep policy version `policy`'s replay of the history (`run` names the history it
        read and how far; `payload` is engine.simulation.incremental's Baseline as JSON),
        in place of the one kept before for that version: a simulation against that version
        then replays only what a change touches."""
        stored = self.tables.decisions
        row = {"run": run, "policy_hash": policy, "decision_id": REPLAY, "kind": REPLAY,
               "subject": "history", "action": None, "rule_location": "",
               "at_utc": _utc(dt.datetime.now(dt.UTC)), "payload": payload}  # fmt: skip
        with self.engine.begin() as connection:
            connection.execute(stored.delete().where(
                (stored.c.policy_hash == policy) & (stored.c.kind == REPLAY)))  # fmt: skip
            connection.execute(stored.insert(), [row])

    @_upgraded_meanwhile
    def replay(self, run: str, policy: str) -> str | None:
        """The replay `keep_replay` kept for version `policy` of the history `run`, if any."""
        stored = self.tables.decisions
        query = select(stored.c.payload).where(
            (stored.c.run == run) & (stored.c.policy_hash == policy) & (stored.c.kind == REPLAY)
        )  # fmt: skip
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return None if found is None else str(found)

    # --------------------------------------------------------------- policies

    @_upgraded_meanwhile
    def add_policy(
        self, text: str, *, name: str, version: str | None, file: str, author: str,
        effective_from: dt.datetime | None = None,
    ) -> str:  # fmt: skip
        """Store a version once by its hash; processes adding the same text at once all
        get its hash. A text holding a NUL character is refused with where it is."""
        problem = _nul_in_policy(text, file)
        if problem is not None:
            raise StoreError(problem)
        digest = policy_hash(text)
        with self.engine.begin() as connection:
            connection.execute(self._insert(self.tables.policy_versions).values(
                hash=digest, name=name, version=version, file=file, text=text,
                author=author, created_utc=_utc(dt.datetime.now(dt.UTC)),
                effective_from_utc=_utc(effective_from) if effective_from else None,
            ).on_conflict_do_nothing(index_elements=["hash"]))  # fmt: skip
        return digest

    @_upgraded_meanwhile
    def policy(self, digest: str) -> PolicyVersion:
        """The version with this hash, or the one whose hash starts with these (4 or more)
        hexadecimal characters."""
        reference = digest.strip().lower()
        wrong = sorted(set(reference) - _HEX)
        if wrong:
            raise StoreError(_("a version's hash is hexadecimal: {digest!r} has {wrong!r}; see "
                               "callqa policy history").format(digest=digest,
                                                               wrong="".join(wrong)))  # fmt: skip
        if len(reference) < MIN_PREFIX:
            raise StoreError(_("{digest!r}: give at least {count} characters of a version's "
                               "hash; see callqa policy history").format(
                digest=digest, count=MIN_PREFIX
            ))  # fmt: skip
        versions = self.tables.policy_versions
        with self.engine.connect() as connection:
            found = connection.execute(select(versions).where(versions.c.hash == reference)).first()
            if found is not None:
                return _record(PolicyVersion, found)
            matches = connection.execute(select(versions).where(
                versions.c.hash.startswith(reference, autoescape=True)
            )).all()  # fmt: skip
        if len(matches) == 1:
            return _record(PolicyVersion, matches[0])
        if matches:
            raise StoreError(_("{digest!r} starts {count} versions' hashes: give more "
                               "characters; see callqa policy history").format(
                digest=digest, count=len(matches)
            ))  # fmt: skip
        raise StoreError(_("no policy version {digest!r} in the store; see callqa policy "
                           "history").format(digest=digest))  # fmt: skip

    @_upgraded_meanwhile
    def policies(self) -> list[PolicyVersion]:
        """Every stored version, newest first (by when it was stored)."""
        versions = self.tables.policy_versions
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(versions).order_by(versions.c.created_utc.desc(), versions.c.hash)
            ).all()
        return [_record(PolicyVersion, row) for row in rows]

    @_upgraded_meanwhile
    def activate(self, digest: str, by: str) -> None:
        """Put the version in force; it is recorded by its whole hash, so a short prefix
        given here stays unambiguous when more versions are added."""
        version = self.policy(digest)
        with self.engine.begin() as connection:
            connection.execute(self.tables.activations.insert().values(
                policy_hash=version.hash, activated_utc=_utc(dt.datetime.now(dt.UTC)), by=by,
            ))  # fmt: skip

    @_upgraded_meanwhile
    def active_policy(self) -> PolicyVersion | None:
        activations = self.tables.activations
        with self.engine.connect() as connection:
            last = connection.execute(
                select(activations.c.policy_hash).order_by(activations.c.row.desc()).limit(1)
            ).scalar()
        return self.policy(last) if last else None

    def versions_in_force(self) -> list[tuple[dt.datetime | None, PolicyVersion]]:
        """Activated versions with the time each takes effect (None: from the start), in
        order of effect; when two take effect at once, the later activation wins."""
        chosen: dict[dt.datetime | None, PolicyVersion] = {}
        for _activation, version in self.history():
            chosen[version.effective_from_utc] = version
        return sorted(chosen.items(), key=lambda kv: (kv[0] is not None, kv[0] or dt.datetime.min))

    @_upgraded_meanwhile
    def history(self) -> list[tuple[Activation, PolicyVersion]]:
        activations = self.tables.activations
        with self.engine.connect() as connection:
            rows = connection.execute(select(activations).order_by(activations.c.row)).all()
        return [(activation, self.policy(activation.policy_hash))
                for activation in (_record(Activation, row) for row in rows)]  # fmt: skip


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Per connection, writing nothing: another application's file is left as it was."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # the write-ahead log copied back every 40 MB, not 4: an import writing its batches
    # one transaction each copied the same index pages back over and over (-20% of its time)
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _write_ahead_log(engine: SqlEngine) -> None:
    """Readers and a writer at once: WAL is kept in the file, so it is set once, on a
    database that is callqa's (another process creating it at the same time may hold it
    busy: then that one sets it)."""
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
            return
        try:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        except Exception:  # busy: the database works, WAL comes next time
            return
