"""`callqa import` and `callqa explain`: event logs, kept in the store or fed to the engine
to see every decision they lead to and why."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from callqa.dsl.check import timezone_hint
from callqa.dsl.i18n import _
from callqa.engine.decisions import Decision
from callqa.engine.errors import (
    ClockGapError,
    EngineError,
    EventError,
    InputFileError,
    MappingError,
    NoHistory,
)
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.scoring.evaluations import RowError, read_records
from callqa.engine.simulation.simulate import open_periods, replay_end, replay_gap_reason
from callqa.engine.store.defaults import DEFAULT_DB
from callqa.tui.cli.common import (
    Commands,
    add_format,
    load_or_report,
    moment_option,
    open_store,
    shown_db,
    store_problem,
)
from callqa.tui.cli.progress import Advance, Cancelled, add_quiet, counted, progress
from callqa.tui.demo import holds_demo_events
from callqa.tui.literal import say

if TYPE_CHECKING:
    from callqa.engine.store.database import Store
    from callqa.engine.store.importer import ImportReport

IMPORT_BATCH = 5000
"""The rows import_file writes at a time (engine/store/importer.py): the bar counts them."""


def register(commands: Commands) -> None:
    explain = commands.add_parser("explain", help=_("feed events and explain every decision"))
    explain.add_argument("--policy", required=True, metavar="FILE",
                         help=_("the policy file whose rules decide"))  # fmt: skip
    explain.add_argument("--events", required=True, metavar="FILE", help=_(".jsonl of events"))
    explain.add_argument("--until", metavar="TIME", help=_("advance the clock to this time"))
    add_format(explain, "jsonl")
    add_quiet(explain)
    explain.set_defaults(run=run_explain)

    importer = commands.add_parser("import", help=_("import an event log into the store"))
    importer.add_argument("files", nargs="+", metavar="FILE", help=_(".csv or .jsonl"))
    importer.add_argument("--db", default=DEFAULT_DB, help=_("database the events are written "
                          "to, a file or URL (default: {db})").format(db=DEFAULT_DB))  # fmt: skip
    importer.add_argument(
        "--mapping", metavar="TOML", help=_("column mapping (see policies/mappings)")
    )
    importer.add_argument("--timezone", default="Asia/Shanghai",
                          help=_("how to read times without a timezone"))  # fmt: skip
    add_format(importer, "json")
    add_quiet(importer)
    importer.set_defaults(run=run_import)


def run_explain(args: argparse.Namespace) -> int:
    policy = load_or_report(args.policy)
    if policy is None:
        return 1
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    rejected = read = 0
    decisions: list[Decision] = []
    with progress(args, _("explaining"), unit="rows") as advance:
        for row in counted(read_records(args.events), advance):
            read += 1
            if isinstance(row, RowError):
                say(f"{args.events} {row}", file=sys.stderr)
                rejected += 1
                continue
            try:
                decisions += engine.feed(row.evaluation)
            except EventError as error:
                say(_("{file} row {number}: {error}").format(
                    file=args.events, number=row.number, error=error
                ), file=sys.stderr)  # fmt: skip
                rejected += 1
    if args.until:
        until = moment_option(args.until, "--until")
        if until is None:
            return 2
        clock = engine.clock
        if clock is not None and until.replace(tzinfo=until.tzinfo or policy.timezone) < clock:
            say(_("--until {until} is before the last event ({clock:%Y-%m-%d %H:%M}): nothing "
                  "more falls due").format(until=args.until, clock=clock),
                file=sys.stderr)  # fmt: skip
        try:
            decisions += engine.advance(until)
        except ClockGapError as error:  # what to type, not the engine's Python option
            horizon = until if until.tzinfo else until.replace(tzinfo=policy.timezone)
            reason = replay_gap_reason(engine, horizon, error, "--until")
            say(f"--until {args.until}: {reason}", file=sys.stderr)
            return 2
        except EngineError as error:
            say(f"--until {args.until}: {error}", file=sys.stderr)
            return 2
    for decision in decisions:
        if args.format == "jsonl":
            say(json.dumps(decision.to_dict(), ensure_ascii=False, default=str))
        else:
            say(decision.explain(), end="\n\n")
    if not read:
        say(_("{file}: the file has no events, so there is nothing to explain (is it "
              "the right file? one JSON object per line, or a CSV with a header "
              "line)").format(file=args.events), file=sys.stderr)  # fmt: skip
        return 1
    say(_("{read} events: {decisions} decisions; {rejected} events rejected").format(
        read=read, decisions=len(decisions), rejected=rejected
    ), file=sys.stderr)  # fmt: skip
    _say_open_periods(engine)
    return 1 if rejected else 0


def _say_open_periods(engine: Engine) -> None:
    """The periods the events opened that are not over at the engine's clock (their KPIs
    and samples are not decided yet), and the --until that closes them."""
    left = open_periods(engine)
    if not left or engine.clock is None:
        return
    end = replay_end([engine.policy], engine.clock)
    undecided = (
        _("not decided yet, as these periods had not ended at {clock:%Y-%m-%d %H:%M}: "
          "{periods}; ... and {more} more; to close them, give --until {end:%Y-%m-%d %H:%M}")
        if len(left) > 3
        else _("not decided yet, as these periods had not ended at {clock:%Y-%m-%d %H:%M}: "
               "{periods}; to close them, give --until {end:%Y-%m-%d %H:%M}")
    )  # fmt: skip
    say(undecided.format(clock=engine.clock, periods="; ".join(left[:3]), more=len(left) - 3,
                         end=end), file=sys.stderr)  # fmt: skip


class _NoStore(Exception):
    """The database could not be opened, and open_store said why: the import stops."""


def run_import(args: argparse.Namespace) -> int:
    # the importer imports the store, and with it SQLAlchemy: only when importing
    from callqa.engine.store.database import Store
    from callqa.engine.store.importer import import_file

    hint = timezone_hint(args.timezone)
    if hint is not None:
        say(_("--timezone: unknown timezone {timezone!r}: {hint}").format(
            timezone=args.timezone, hint=hint
        ), file=sys.stderr)  # fmt: skip
        return 2
    try:
        Store(args.db).close()  # one already there is checked before any file is read
    except NoHistory:
        pass  # none yet: created at the first event to keep
    except Exception as error:
        say(store_problem(args.db, error), file=sys.stderr)
        return 1
    opened: list[Store] = []
    batches = [0]  # the importer asks for the store once per batch it writes
    advance: Advance = lambda done: None  # noqa: E731

    def store() -> Store:
        """Opened (so created) at the first event to keep: a file refused before then, as
        unreadable or in no encoding callqa reads, leaves no empty database behind."""
        if not opened:
            made = open_store(args.db, create=True)
            if made is None or _holds_demo_history(args, made):
                raise _NoStore
            opened.append(made)
            before.append(made.count_events())
        batches[0] += 1
        advance((batches[0] - 1) * IMPORT_BATCH)
        return opened[0]

    before: list[int] = []
    failed = 0
    as_json = args.format == "json"
    files: list[dict[str, object]] = []  # for --format json
    for name in args.files:
        batches[0] = 0
        try:
            what = _("importing {file}").format(file=Path(name).name)
            with progress(args, what, unit="rows") as advance:
                report = import_file(store, name, args.mapping, ZoneInfo(args.timezone))
        except _NoStore:
            return 1
        except KeyboardInterrupt:
            stored = opened[0].count_events() - before[0] if opened else 0
            raise Cancelled(
                _("cancelled: {stored:,} events stored in {db} (each batch is kept once "
                  "written; importing the file again skips them)").format(
                    stored=stored, db=shown_db(args.db))
                if stored else _("cancelled: nothing written")
            ) from None  # fmt: skip
        except (InputFileError, MappingError) as error:  # each names its file
            say(error, file=sys.stderr)
            files.append({"file": name, "imported": False, "problem": str(error)})
            failed += 1
            continue
        except OSError as error:  # the database's: say which file was being imported
            say(f"{name}: {error.strerror or error}", file=sys.stderr)
            files.append({"file": name, "imported": False,
                          "problem": str(error.strerror or error)})  # fmt: skip
            failed += 1
            continue
        problems = [*report.rejected, *report.conflicts]  # conflicts: the stored one is kept
        failed += bool(problems)
        if as_json:
            files.append(_import_record(name, report))
        else:
            for problem in problems[:50]:
                say(f"{name} {problem}", file=sys.stderr)
            if len(problems) > 50:
                say(_("{file}: ... and {more} more rows rejected or in conflict").format(
                    file=name, more=len(problems) - 50
                ), file=sys.stderr)  # fmt: skip
            say(f"{name}: {report.summary()}")
        if not report.read:  # an empty file, or only a header: nothing was imported
            say(_("{file}: the file has no rows, so nothing was imported (is it the right "
                  "file? a CSV has a header line, then one line per event)").format(file=name),
                file=sys.stderr)  # fmt: skip
            failed += 1
    if as_json:
        totals = {key: sum(int(str(f.get(key) or 0)) for f in files)
                  for key in ("read", "kept", "duplicates", "conflicting", "filtered",
                              "rejected")}  # fmt: skip
        say(json.dumps({"db": shown_db(args.db), "files": files, **totals}, ensure_ascii=False,
                       indent=2))  # fmt: skip
    return 1 if failed else 0


def _import_record(name: str, report: ImportReport) -> dict[str, object]:
    """A file's import for --format json: its counts, and each row rejected or in conflict
    with its number and why."""
    return {
        "file": name, "imported": True, "problem": None, "read": report.read,
        "kept": report.kept, "duplicates": report.duplicates,
        "conflicting": len(report.conflicts), "filtered": report.skipped,
        "rejected": len(report.rejected),
        "rejected_rows": [_numbered(problem) for problem in report.rejected],
        "conflicting_rows": [_numbered(problem) for problem in report.conflicts],
    }  # fmt: skip


def _numbered(problem: str) -> dict[str, object]:
    """A row's problem ("row 12: ...", in the run's language) as its row and message; row
    None when the message names no row."""
    shape = re.escape(_("row {number}: {message}"))
    shape = shape.replace(re.escape("{number}"), r"(\d+)").replace(re.escape("{message}"), "(.*)")
    found = re.fullmatch(shape, problem, re.DOTALL)
    if found is None:
        return {"row": None, "message": problem}
    return {"row": int(found.group(1)), "message": found.group(2)}


def _holds_demo_history(args: argparse.Namespace, store: Store) -> bool:
    """Whether the database holds the demo's generated events, after refusing the import
    with the fix: a center's real events imported there would be counted with them."""
    if not holds_demo_events(store):
        return False
    store.close()
    other = DEFAULT_DB if Path(args.db).name != DEFAULT_DB else "center.db"
    files = " ".join(quote(name) for name in args.files)
    refusal = (
        _("{db}: nothing imported: it holds the events callqa demo generated, and the "
          "center's real events imported there would be counted with them for good; import "
          "into another database: callqa import --db {other} {files}")
        if other == DEFAULT_DB
        else _("{db}: nothing imported: it holds the events callqa demo generated, and the "
               "center's real events imported there would be counted with them for good; "
               "import into another database: callqa import --db {other} {files} (then give "
               "--db center.db to the other commands)")
    )  # fmt: skip
    say(refusal.format(db=shown_db(args.db), other=other, files=files), file=sys.stderr)
    return True
