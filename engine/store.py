"""History on disk: events (append-only, idempotent by id), decisions, policy versions and
their activations. SQLite by default (one file, WAL, zero set-up); PostgreSQL by URL
(`postgresql+psycopg://user@host/db`) for several services writing at once.

The schema version is recorded; a database written by a newer callqa is refused with a
message that says what to do, and an older one is upgraded in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine as SqlEngine
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from engine.errors import EngineError

SCHEMA_VERSION = 1
MIN_PREFIX = 4  # characters of a hash that name a stored policy version


class StoreError(EngineError):
    """The database cannot be used as it is; the message says what to do."""


class EventRecord(SQLModel, table=True):
    __tablename__ = "events"
    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    at_utc: dt.datetime = Field(index=True)  # in UTC, for ordering on any database
    agent: str | None = Field(default=None, index=True)
    payload: str  # the event as JSON, times with their offset
    source: str | None = None


class DecisionRecord(SQLModel, table=True):
    __tablename__ = "decisions"
    row: int | None = Field(default=None, primary_key=True)
    run: str = Field(index=True)  # "live" or a simulation id
    policy_hash: str = Field(index=True)
    decision_id: str
    kind: str = Field(index=True)
    subject: str = Field(index=True)
    action: str | None = None
    rule_location: str
    at_utc: dt.datetime = Field(index=True)
    payload: str


class PolicyVersion(SQLModel, table=True):
    __tablename__ = "policy_versions"
    hash: str = Field(primary_key=True)
    name: str
    version: str | None = None
    file: str
    text: str
    author: str
    created_utc: dt.datetime
    effective_from_utc: dt.datetime | None = None


class Activation(SQLModel, table=True):
    __tablename__ = "activations"
    row: int | None = Field(default=None, primary_key=True)
    policy_hash: str = Field(index=True)
    activated_utc: dt.datetime
    by: str


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


@dataclass(frozen=True)
class ImportCount:
    kept: int
    duplicates: int


def database_url(target: str | Path) -> str:
    """A URL from a URL or a file path (`history.db` -> sqlite)."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def policy_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("times stored must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


class Store:
    def __init__(self, target: str | Path) -> None:
        self.url = database_url(target)
        self.engine: SqlEngine = create_engine(self.url)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
        SQLModel.metadata.create_all(self.engine)
        self._check_schema()

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- schema

    def _check_schema(self) -> None:
        with Session(self.engine) as session:
            meta = session.get(Meta, "schema_version")
            if meta is None:
                session.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
                session.commit()
                return
            found = int(meta.value)
            if found > SCHEMA_VERSION:
                raise StoreError(
                    f"this database was written by a newer callqa (schema {found}, this one "
                    f"reads up to {SCHEMA_VERSION}); upgrade callqa: pip install -U callqa"
                )
            if found < SCHEMA_VERSION:  # no older schema exists yet; upgrades go here
                meta.value = str(SCHEMA_VERSION)
                session.add(meta)
                session.commit()

    def schema_version(self) -> int:
        with Session(self.engine) as session:
            meta = session.get(Meta, "schema_version")
            return int(meta.value) if meta else 0

    # ----------------------------------------------------------------- events

    def add_events(self, events: Iterable[Any], source: str | None = None) -> ImportCount:
        """Append validated events; an id already stored is skipped, not duplicated."""
        rows = []
        for item in events:
            data = item.model_dump() if hasattr(item, "model_dump") else dict(item)
            at = data["at"]
            rows.append({
                "id": str(data["id"]), "kind": str(data["kind"]), "at_utc": _utc(at),
                "agent": data.get("agent"), "source": source,
                "payload": json.dumps(data, ensure_ascii=False, default=_json_default),
            })  # fmt: skip
        kept = 0
        with self.engine.begin() as connection:
            for start in range(0, len(rows), 500):
                batch = rows[start : start + 500]
                insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
                statement = (
                    insert(EventRecord)
                    .values(batch)
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(col(EventRecord.id))  # rows really inserted, on any driver
                )
                kept += len(connection.execute(statement).all())
        return ImportCount(kept, len(rows) - kept)

    def count_events(self) -> int:
        with Session(self.engine) as session:
            return len(session.exec(select(EventRecord.id)).all())

    def events(
        self,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Events in time order (then by id), as the dicts the engine takes; those from
        `start`, before `end`, of `kinds`, when given."""
        query = select(EventRecord.payload).order_by(col(EventRecord.at_utc), col(EventRecord.id))
        if kinds is not None:
            query = query.where(col(EventRecord.kind).in_(kinds))
        if start is not None:
            query = query.where(col(EventRecord.at_utc) >= _utc(start))
        if end is not None:
            query = query.where(col(EventRecord.at_utc) < _utc(end))
        with Session(self.engine) as session:
            for payload in session.exec(query.execution_options(yield_per=2000)):
                yield json.loads(payload)

    def time_span(self) -> tuple[dt.datetime, dt.datetime] | None:
        with Session(self.engine) as session:
            first = session.exec(
                select(EventRecord.at_utc).order_by(col(EventRecord.at_utc))
            ).first()
            last = session.exec(
                select(EventRecord.at_utc).order_by(col(EventRecord.at_utc).desc())
            ).first()
        if first is None or last is None:
            return None
        return _aware(first), _aware(last)

    # -------------------------------------------------------------- decisions

    def save_decisions(self, run: str, policy: str, decisions: Sequence[Any]) -> None:
        with Session(self.engine) as session:
            for decision in decisions:
                session.add(DecisionRecord(
                    run=run, policy_hash=policy, decision_id=decision.id, kind=decision.kind,
                    subject=decision.subject, action=decision.action,
                    rule_location=decision.rule_location, at_utc=_utc(decision.at),
                    payload=json.dumps(decision.to_dict(), ensure_ascii=False,
                                       default=_json_default),
                ))  # fmt: skip
            session.commit()

    def decisions(self, run: str) -> list[DecisionRecord]:
        with Session(self.engine) as session:
            query = select(DecisionRecord).where(DecisionRecord.run == run)
            return list(session.exec(query.order_by(col(DecisionRecord.row))).all())

    # --------------------------------------------------------------- policies

    def add_policy(
        self, text: str, *, name: str, version: str | None, file: str, author: str,
        effective_from: dt.datetime | None = None,
    ) -> str:  # fmt: skip
        digest = policy_hash(text)
        with Session(self.engine) as session:
            if session.get(PolicyVersion, digest) is None:
                session.add(PolicyVersion(
                    hash=digest, name=name, version=version, file=file, text=text,
                    author=author, created_utc=_utc(dt.datetime.now(dt.UTC)),
                    effective_from_utc=_utc(effective_from) if effective_from else None,
                ))  # fmt: skip
                session.commit()
        return digest

    def policy(self, digest: str) -> PolicyVersion:
        """The version with this hash, or the one whose hash starts with these (4 or more)
        characters."""
        with Session(self.engine) as session:
            found = session.get(PolicyVersion, digest)
            if found is not None:
                return found
            if len(digest.strip()) < MIN_PREFIX:
                raise StoreError(f"{digest!r}: give at least {MIN_PREFIX} characters of a "
                                 "version's hash; see callqa policy history")  # fmt: skip
            matches = session.exec(
                select(PolicyVersion).where(col(PolicyVersion.hash).startswith(digest))
            ).all()
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise StoreError(f"{digest!r} starts {len(matches)} versions' hashes: give more "
                             "characters; see callqa policy history")  # fmt: skip
        raise StoreError(f"no policy version {digest!r} in the store; "
                         "see callqa policy history")  # fmt: skip

    def activate(self, digest: str, by: str) -> None:
        """Put the version in force; it is recorded by its whole hash, so a short prefix
        given here stays unambiguous when more versions are added."""
        version = self.policy(digest)
        with Session(self.engine) as session:
            session.add(Activation(policy_hash=version.hash,
                                   activated_utc=_utc(dt.datetime.now(dt.UTC)), by=by))  # fmt: skip
            session.commit()

    def active_policy(self) -> PolicyVersion | None:
        with Session(self.engine) as session:
            last = session.exec(select(Activation).order_by(col(Activation.row).desc())).first()
        return self.policy(last.policy_hash) if last else None

    def versions_in_force(self) -> list[tuple[dt.datetime | None, PolicyVersion]]:
        """Activated versions with the time each takes effect (None: from the start), in
        order of effect; when two take effect at once, the later activation wins."""
        chosen: dict[dt.datetime | None, PolicyVersion] = {}
        for _activation, version in self.history():
            effective = _aware(version.effective_from_utc) if version.effective_from_utc else None
            chosen[effective] = version
        return sorted(chosen.items(), key=lambda kv: (kv[0] is not None, kv[0] or dt.datetime.min))

    def history(self) -> list[tuple[Activation, PolicyVersion]]:
        with Session(self.engine) as session:
            rows = session.exec(select(Activation).order_by(col(Activation.row))).all()
        return [(row, self.policy(row.policy_hash)) for row in rows]


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
