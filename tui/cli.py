"""`callqa`: check, format and score policies from the command line.

Every message names the file, the line and what to do; bad input rows are reported with
their row number and never stop the good rows from being scored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Generator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from callqa import __version__
from callqa.dsl.check import CheckedPolicy, check_text, timezone_hint
from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.dsl.source import NOWHERE as _NO_SPAN
from callqa.engine import (
    EngineError,
    EvaluationError,
    Policy,
    ScoreResult,
    UnknownRubric,
    load_policy,
)
from callqa.engine.errors import InputFileError
from callqa.engine.runtime.events import parse_moment
from callqa.engine.scoring.evaluations import Row, RowError, read_evaluations
from callqa.engine.store.text_files import read_data, read_utf8
from callqa.tui.errors import first_line
from callqa.tui.literal import rich_text, say

DEFAULT_DB = "callqa.db"  # every command's history; only `callqa demo` writes to DEMO_DB
DEMO_DB = "callqa-demo.db"  # the demo's generated history, never mixed with a center's own


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except InputFileError as error:  # a file that is missing, a folder, or not text
        say(error, file=sys.stderr)
        return 1
    except OSError as error:  # one written, or a database file: say which, not a traceback
        say(f"{error.filename or 'callqa'}: {error.strerror or error}", file=sys.stderr)
        return 1
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callqa", description="Quality rules for call centers: check, format and score."
    )
    parser.add_argument("--version", action="version", version=f"callqa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="report every problem in policy files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.set_defaults(run=run_check)

    fmt = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument("--check", action="store_true", help="only report files that would change")
    fmt.set_defaults(run=run_fmt)

    score = commands.add_parser("score", help="score a file of evaluations against a rubric")
    score.add_argument("--policy", required=True, metavar="FILE")
    score.add_argument("--rubric", required=True, metavar="ID")
    score.add_argument("--input", required=True, metavar="FILE", help=".csv or .jsonl")
    score.add_argument("--format", choices=["table", "jsonl"], default="table")
    score.set_defaults(run=run_score)

    test = commands.add_parser("test", help="run the test blocks of policy files")
    test.add_argument("files", nargs="+", metavar="FILE")
    test.add_argument("-v", "--verbose", action="store_true", help="show every decision")
    test.set_defaults(run=run_tests)

    explain = commands.add_parser("explain", help="feed events and explain every decision")
    explain.add_argument("--policy", required=True, metavar="FILE")
    explain.add_argument("--events", required=True, metavar="FILE", help=".jsonl of events")
    explain.add_argument("--until", metavar="TIME", help="advance the clock to this time")
    explain.add_argument("--format", choices=["text", "jsonl"], default="text")
    explain.set_defaults(run=run_explain)

    sample = commands.add_parser("sample", help="publish or verify a sampling plan")
    sample.add_argument("--policy", required=True, metavar="FILE")
    sample.add_argument("--calls", required=True, metavar="FILE", help="call log, .csv or .jsonl")
    sample.add_argument("--period", metavar="PERIOD", help="2026-11-02, 2026-W48 or 2026-11")
    sample.add_argument("--verify", metavar="PLAN", help="a published plan.json to re-derive")
    sample.add_argument("--out", metavar="FILE", help="write the plan as JSON here")
    sample.set_defaults(run=run_sample)

    importer = commands.add_parser("import", help="import an event log into the store")
    importer.add_argument("files", nargs="+", metavar="FILE", help=".csv or .jsonl")
    importer.add_argument("--db", default=DEFAULT_DB, help="database the events are written "
                          f"to, a file or URL (default: {DEFAULT_DB})")  # fmt: skip
    importer.add_argument(
        "--mapping", metavar="TOML", help="column mapping (see policies/mappings)"
    )
    importer.add_argument("--timezone", default="Asia/Shanghai",
                          help="how to read times without a timezone")  # fmt: skip
    importer.set_defaults(run=run_import)

    simulate = commands.add_parser("simulate", help="replay history under two policy versions")
    simulate.add_argument("--policy", required=True, metavar="NEW", help="the proposed policy")
    simulate.add_argument("--against", default="active", metavar="OLD",
                          help="a policy file, a stored version hash, 'active', or 'history' "
                          "(each event under the version in force at its time)")  # fmt: skip
    simulate.add_argument("--db", default=DEFAULT_DB, help="database the history and the "
                          f"active policy are read from, never written (default: {DEFAULT_DB}; "
                          f"the demo's: {DEMO_DB})")  # fmt: skip
    simulate.add_argument("--from", dest="start", metavar="TIME")
    simulate.add_argument("--to", dest="end", metavar="TIME")
    simulate.add_argument("--format", choices=["table", "json"], default="table")
    simulate.add_argument("--sweep", metavar="RULE=A..B",
                          help="replay once per value of a rule's limit, e.g. "
                          "bottom_removal.complaints_month=2..5")  # fmt: skip
    simulate.set_defaults(run=run_simulate)

    calibration = commands.add_parser("calibration", help="how far evaluators are from each other")
    calibration.add_argument("--policy", required=True, metavar="FILE")
    calibration.add_argument("--rubric", required=True, metavar="ID")
    calibration.add_argument("--input", metavar="FILE", help="evaluations, .jsonl")
    calibration.add_argument(
        "--db",
        help="database the evaluations are read from, never "
        "written, instead of --input (no default: give one of them)",
    )
    calibration.add_argument("--expert", metavar="NAME", help="the reference evaluator")
    calibration.add_argument("--format", choices=["table", "json"], default="table")
    calibration.set_defaults(run=run_calibration)

    policy = commands.add_parser("policy", help="publish and activate policy versions")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    add = policy_commands.add_parser("add", help="store a version (checked)")
    add.add_argument("file")
    add.add_argument("--author", default=os.environ.get("USER", "unknown"))
    add.add_argument("--effective", metavar="TIME", help="when this version takes effect")
    activate = policy_commands.add_parser("activate", help="make a stored version active")
    activate.add_argument("hash")
    activate.add_argument("--by", default=os.environ.get("USER", "unknown"))
    policy_commands.add_parser("history", help="who activated what, when")
    diff = policy_commands.add_parser("diff", help="what changed between two stored versions")
    diff.add_argument("old")
    diff.add_argument("new")
    for sub in policy_commands.choices.values():
        verb = "written to" if sub is add or sub is activate else "read from, never written"
        sub.add_argument("--db", default=DEFAULT_DB, help=f"database the versions are {verb} "
                         f"(default: {DEFAULT_DB})")  # fmt: skip
    policy.set_defaults(run=run_policy)

    tui = commands.add_parser("tui", help="edit, check, test and simulate in the terminal")
    tui.add_argument("file", nargs="?", help="a policy file to open (default: the first one)")
    tui.add_argument("--folder", help="where the policy files are (default: the current "
                     "folder's, else ./policies, else the shipped examples)")  # fmt: skip
    tui.add_argument("--db", default=DEFAULT_DB, help="database F6 reads the history from "
                     "and activating a policy writes its version to (default: "
                     f"{DEFAULT_DB})")  # fmt: skip
    tui.set_defaults(run=run_tui)

    demo = commands.add_parser("demo", help="check, test, score and simulate on a demo center")
    demo.add_argument("--count", type=_demo_count, default=2000,
                      help="evaluations per rubric, 1 to 1,000,000")  # fmt: skip
    demo.add_argument("--db", default=DEMO_DB, help="the demo's own database, written with "
                      f"generated events (default: {DEMO_DB}; re-runs reuse it; never "
                      f"{DEFAULT_DB}, a center's own)")  # fmt: skip
    demo.add_argument("--data", metavar="DIR", help="import the public data sets from DIR too")
    demo.set_defaults(run=run_demo)
    return parser


# ------------------------------------------------------------------------ check


def run_check(args: argparse.Namespace) -> int:
    results: list[tuple[str, CheckedPolicy | None, list[Diagnostic]]] = []
    for name in args.files:
        text, problem = _read(name)
        if problem is not None:
            results.append((name, None, [problem]))
            continue
        assert text is not None
        checked, diagnostics = check_text(text, name)
        results.append((name, checked, diagnostics))
    errors = sum(1 for _, _, ds in results for d in ds if d.is_error)
    warnings = sum(1 for _, _, ds in results for d in ds if not d.is_error)
    if args.format == "json":
        payload = {
            "files": [
                {"file": name, "ok": not any(d.is_error for d in ds),
                 "diagnostics": [d.to_dict() for d in ds]}
                for name, _, ds in results
            ],
            "errors": errors,
            "warnings": warnings,
        }  # fmt: skip
        say(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for _name, checked_or_none, diagnostics in results:
            for diagnostic in diagnostics:  # in the file it is in: the policy or an included one
                source = (
                    checked_or_none.text_of(diagnostic.file)
                    if checked_or_none is not None
                    else None
                )
                say(diagnostic.render(source), end="\n\n")
        files = len(results)
        verdict = "OK" if not errors else "FAILED"
        say(
            f"{verdict}: {files} file{'s' if files != 1 else ''} checked, "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    return 1 if errors else 0


def _demo_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= count <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{count} is not between 1 and 1,000,000")
    return count


def _read(name: str) -> tuple[str | None, Diagnostic | None]:
    """A policy file's text, read as load_policy and the TUI read it (bounded: never
    /dev/zero), or why it cannot be, as a diagnostic."""
    try:
        return read_utf8(name), None
    except InputFileError as error:
        message = str(error).removeprefix(f"{name}: ")
    return None, Diagnostic.at(_NO_SPAN, message, file=name, code="io")


# -------------------------------------------------------------------------- fmt


def run_fmt(args: argparse.Namespace) -> int:
    from callqa.dsl.format import format_text
    from callqa.tui.files import NotRegularFile, is_shipped, save_target

    changed = failed = 0
    for name in args.files:
        if not args.check and is_shipped(Path(name)):  # as the TUI: never written there
            say(f"{name}: not formatted: it is a shipped example inside the installed callqa, "
                "where an upgrade would overwrite your changes; copy it to a folder of your own "
                "and format the copy", file=sys.stderr)  # fmt: skip
            failed += 1
            continue
        try:  # before reading: /dev/stdin would be read, then replaced by a file
            if not args.check:
                save_target(Path(name))
        except NotRegularFile as error:
            say(error, file=sys.stderr)
            failed += 1
            continue
        text, problem = _read(name)
        if problem is not None:
            say(problem.render(), file=sys.stderr)
            failed += 1
            continue
        assert text is not None
        try:
            formatted = format_text(text, name)
        except PolicyError as error:
            say(error.render(), file=sys.stderr)
            say(f"{name}: not formatted, fix the syntax errors first", file=sys.stderr)
            failed += 1
            continue
        if formatted == text:
            continue
        changed += 1
        if args.check:
            say(f"would reformat {name}")
        else:
            _write_atomically(Path(name), formatted)
            say(f"formatted {name}")
    if args.check and changed:
        say(f"{changed} file(s) would be reformatted; run callqa fmt to fix them")
    return 1 if failed or (args.check and changed) else 0


def _write_atomically(path: Path, text: str) -> None:
    from callqa.tui.files import write_atomically

    write_atomically(path, text)


# ------------------------------------------------------------------------ score


def run_score(args: argparse.Namespace) -> int:
    policy = _load_or_report(args.policy)
    if policy is None:
        return 1
    try:
        rubric = policy.rubric(args.rubric)
    except UnknownRubric as error:
        say(f"{args.policy}: {error}", file=sys.stderr)
        return 1
    results = []
    rejected = 0
    item_ids = [item.id for item in rubric.table.items]
    unknown: set[str] = set()  # answers named as no item is: each told once
    for row in read_evaluations(args.input):  # read once: a pipe works (/dev/stdin)
        if isinstance(row, RowError):
            rejected += 1
            say(f"{args.input} {row}", file=sys.stderr)
            continue
        _warn_unknown_items(args.input, row, item_ids, unknown)
        try:
            result = rubric.score(row.evaluation)
        except EvaluationError as error:
            rejected += 1
            say(f"{args.input} row {row.number}: {error}", file=sys.stderr)
            continue
        if result.evaluation_id is None:
            result.evaluation_id = f"row {row.number}"
        results.append(result)
    if not results and not rejected:
        say(f"{args.input}: no evaluations in the file (is it the right one?)", file=sys.stderr)
        return 1
    if args.format == "jsonl":
        for result in results:
            say(json.dumps(result.to_dict(), ensure_ascii=False))
    elif results:  # all rejected: no empty table, the messages and the count say it
        _print_table(results)
    total = len(results) + rejected
    say(
        f"scored {len(results)} of {total} evaluations"
        + (f"; {rejected} rejected (see the messages above)" if rejected else ""),
        file=sys.stderr,
    )
    return 1 if rejected else 0


def _warn_unknown_items(name: str, row: Row, item_ids: Sequence[str], told: set[str]) -> None:
    """Say, at the first row holding it, an answer to no item of the rubric (a misspelt
    column or key), which scoring ignores."""
    from callqa.dsl.suggest import did_you_mean

    answers = row.evaluation.get("answers")
    for key in answers if isinstance(answers, dict) else ():
        if key in item_ids or key in told:
            continue
        told.add(key)
        hint = did_you_mean(str(key), item_ids)
        say(f"{name} row {row.number}: {str(key)!r} is not an item of this rubric, so its "
            "answer is ignored" + (f" ({hint})" if hint else ""), file=sys.stderr)  # fmt: skip


def _print_table(results: Sequence[ScoreResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("evaluation", "score", "grade", "deductions", "red lines", "N/A"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for result in results:
        deductions = ", ".join(f"{d.label} -{_num(d.points)}" for d in result.deductions)
        critical = ", ".join(c.label for c in result.critical)
        table.add_row(
            rich_text(result.evaluation_id),
            f"{result.score:g}",
            rich_text(result.grade or ""),
            rich_text(deductions),
            rich_text(critical),
            str(len(result.not_applicable)),
        )
    Console(soft_wrap=False).print(table)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


# ------------------------------------------------------------------ test, explain


def run_tests(args: argparse.Namespace) -> int:
    from callqa.engine.runtime.policy_tests import run_policy_tests

    passed = failed = untested = 0  # untested: files unreadable or with errors
    for name in args.files:
        try:
            policy = load_policy(name)
        except PolicyError as error:
            say(error.render())
            say(f"{name}: the policy has errors; its tests were not run")
            untested += 1
            continue
        except InputFileError as error:  # missing, a folder, a device, not UTF-8
            say(f"{error}; its tests were not run")
            untested += 1
            continue
        results = run_policy_tests(policy)
        if not results:
            say(f"{name}: the policy has no test blocks, so nothing was tested (add one: "
                'test "what it checks" { an event, then expect ... })')  # fmt: skip
        for result in results:
            mark = "PASS" if result.passed else "FAIL"
            say(f"{mark}  {result.name}  ({result.location})")
            for failure in result.failures:
                say("      " + failure.replace("\n", "\n      "))
            if args.verbose:
                for decision in result.decisions:
                    say("      " + decision.explain().replace("\n", "\n      "))
            passed += result.passed
            failed += not result.passed
    if passed or failed or not untested:
        say(f"{passed} passed, {failed} failed"
            + (f"; {untested} file(s) not tested, see above" if untested else ""))  # fmt: skip
    else:  # a count would pass off an unreadable file as a failed test
        say(f"nothing was tested: {untested} file(s) could not be read or have errors, see above")
    return 1 if failed or untested or not passed else 0  # no test run is no pass


def _load_or_report(path: str) -> Policy | None:
    """The compiled policy, or None after printing its problems (or why it can't be read)."""
    try:
        return load_policy(path)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        say(f"{path}: the policy has errors", file=sys.stderr)
    except InputFileError as error:
        say(error, file=sys.stderr)
    return None


def run_explain(args: argparse.Namespace) -> int:
    from callqa.engine.errors import ClockGapError
    from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
    from callqa.engine.runtime.events import EventError
    from callqa.engine.scoring.evaluations import read_records
    from callqa.engine.simulation.simulate import replay_gap_reason

    policy = _load_or_report(args.policy)
    if policy is None:
        return 1
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    rejected = read = 0
    decisions = []
    for row in read_records(args.events):
        read += 1
        if isinstance(row, RowError):
            say(f"{args.events} {row}", file=sys.stderr)
            rejected += 1
            continue
        try:
            decisions += engine.feed(row.evaluation)
        except EventError as error:
            say(f"{args.events} row {row.number}: {error}", file=sys.stderr)
            rejected += 1
    if args.until:
        try:
            until = parse_moment(args.until)
        except ValueError as error:
            say(f"--until: {error}", file=sys.stderr)
            return 2
        clock = engine.clock
        if clock is not None and until.replace(tzinfo=until.tzinfo or policy.timezone) < clock:
            say(f"--until {args.until} is before the last event ({clock:%Y-%m-%d %H:%M}): "
                  "nothing more falls due", file=sys.stderr)  # fmt: skip
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
        say(f"{args.events}: the file has no events, so there is nothing to explain (is it "
            "the right file? one JSON object per line, or a CSV with a header line)",
            file=sys.stderr)  # fmt: skip
        return 1
    say(f"{read} events: {len(decisions)} decisions; {rejected} events rejected",
        file=sys.stderr)  # fmt: skip
    _say_open_periods(engine)
    return 1 if rejected else 0


def _say_open_periods(engine: Any) -> None:
    """The periods the events opened that are not over at the engine's clock (their KPIs
    and samples are not decided yet), and the --until that closes them."""
    from callqa.engine.simulation.simulate import open_periods, replay_end

    left = open_periods(engine)
    if not left or engine.clock is None:
        return
    end = replay_end([engine.policy], engine.clock)
    more = f"; ... and {len(left) - 3} more" if len(left) > 3 else ""
    say(f"not decided yet, as these periods had not ended at {engine.clock:%Y-%m-%d %H:%M}: "
        f"{'; '.join(left[:3])}{more}; to close them, give --until {end:%Y-%m-%d %H:%M}",
        file=sys.stderr)  # fmt: skip


# ------------------------------------------------------------ store, simulate


def _open_store(target: str, create: bool = False) -> object:
    """The store, or None after saying why not; `create` for the commands that may start
    one (engine.store.database.Store)."""
    from callqa.engine.store.database import Store

    try:
        return Store(target, create=create)
    except Exception as error:
        say(_store_problem(target, error), file=sys.stderr)
    return None


def _store_problem(target: str, error: Exception) -> str:
    """Why the database cannot be opened, naming it (never with its password)."""
    from callqa.engine.store.database import NoHistory, StoreError, shown_target

    if isinstance(error, NoHistory):  # a whole sentence naming the database
        return str(error)
    if isinstance(error, StoreError):
        return f"{shown_target(target)}: {error}"
    hint = ""  # a bad URL, an unreachable server: say which and why
    if "://" in target and not target.startswith(("sqlite", "postgresql")):
        hint = ("; callqa keeps its store in SQLite (a file) or PostgreSQL "
                "(postgresql+psycopg://...)")  # fmt: skip
    return f"{shown_target(target)}: cannot open the database ({first_line(error)}){hint}"


def _shown_db(target: str) -> str:
    from callqa.engine.store.database import shown_target

    return shown_target(target)


def _no_history(target: str, state: str) -> str:
    """Why a command that reads history has none: the store's sentence (engine.store.database)."""
    from callqa.engine.store.database import no_history

    return no_history(target, state)


class _NoStore(Exception):
    """The database could not be opened, and _open_store said why: the import stops."""


def run_import(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from callqa.engine.store.database import NoHistory, Store
    from callqa.engine.store.importer import MappingError, import_file

    hint = timezone_hint(args.timezone)
    if hint is not None:
        say(f"--timezone: unknown timezone {args.timezone!r}: {hint}", file=sys.stderr)
        return 2
    try:
        Store(args.db).close()  # one already there is checked before any file is read
    except NoHistory:
        pass  # none yet: created at the first event to keep
    except Exception as error:
        say(_store_problem(args.db, error), file=sys.stderr)
        return 1
    opened: list[Store] = []

    def store() -> Store:
        """Opened (so created) at the first event to keep: a file refused before then, as
        unreadable or in no encoding callqa reads, leaves no empty database behind."""
        if not opened:
            made = _open_store(args.db, create=True)
            if not isinstance(made, Store) or _holds_demo_history(args, made):
                raise _NoStore
            opened.append(made)
        return opened[0]

    failed = 0
    for name in args.files:
        try:
            report = import_file(store, name, args.mapping, ZoneInfo(args.timezone))
        except _NoStore:
            return 1
        except (InputFileError, MappingError) as error:  # each names its file
            say(error, file=sys.stderr)
            failed += 1
            continue
        except OSError as error:  # the database's: say which file was being imported
            say(f"{name}: {error.strerror or error}", file=sys.stderr)
            failed += 1
            continue
        problems = [*report.rejected, *report.conflicts]  # conflicts: the stored one is kept
        for problem in problems[:50]:
            say(f"{name} {problem}", file=sys.stderr)
        if len(problems) > 50:
            say(f"{name}: ... and {len(problems) - 50} more rows rejected or in conflict",
                  file=sys.stderr)  # fmt: skip
        say(f"{name}: {report.summary()}")
        failed += bool(problems)
        if not report.read:  # an empty file, or only a header: nothing was imported
            say(f"{name}: the file has no rows, so nothing was imported (is it the right "
                "file? a CSV has a header line, then one line per event)",
                file=sys.stderr)  # fmt: skip
            failed += 1
    return 1 if failed else 0


def _holds_demo_history(args: argparse.Namespace, store: object) -> bool:
    """Whether the database holds the demo's generated events, after refusing the import
    with the fix: a center's real events imported there would be counted with them."""
    from shlex import quote

    from callqa.engine.store.database import Store
    from callqa.tui.demo import holds_demo_events

    assert isinstance(store, Store)
    if not holds_demo_events(store):
        return False
    store.close()
    other = DEFAULT_DB if Path(args.db).name != DEFAULT_DB else "center.db"
    files = " ".join(quote(name) for name in args.files)
    say(f"{_shown_db(args.db)}: nothing imported: it holds the events callqa demo generated, "
        "and the center's real events imported there would be counted with them for good; "
        f"import into another database: callqa import --db {other} {files}"
        + ("" if other == DEFAULT_DB else " (then give --db center.db to the other commands)"),
        file=sys.stderr)  # fmt: skip
    return True


def _policy_from(store: object, reference: str) -> object:
    from callqa.engine.store.database import Store, StoreError

    assert isinstance(store, Store)
    if Path(reference).is_file() or reference.endswith(".policy") or "/" in reference:
        return load_policy(reference)  # a file; a missing one is said so (InputFileError)
    try:
        version = store.active_policy() if reference == "active" else store.policy(reference)
    except StoreError as error:
        say(str(error), file=sys.stderr)
        return None
    if version is None:
        say("no policy is active yet: callqa policy add FILE, then callqa policy activate HASH,"
              " or pass --against FILE", file=sys.stderr)  # fmt: skip
        return None
    policy: Policy = load_policy(text=version.text, file=version.file, stored=True)
    return policy


def run_simulate(args: argparse.Namespace) -> int:
    from callqa.engine.policy import Policy
    from callqa.engine.simulation.simulate import simulate
    from callqa.engine.store.database import Store

    new = _load_or_report(args.policy)
    if new is None:
        return 1
    bounds: list[Any] = []
    for text in (args.start, args.end):
        if text is None:
            bounds.append(None)
            continue
        try:
            moment = parse_moment(text)
        except ValueError as error:
            say(f"--from/--to: {error}", file=sys.stderr)
            return 2
        bounds.append(moment if moment.tzinfo else moment.replace(tzinfo=new.timezone))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        say(f"--from {args.start} is not before --to {args.end}: swap them", file=sys.stderr)
        return 2
    store = _open_store(args.db)
    if not isinstance(store, Store):
        return 1
    by_version = args.against == "history" and not args.sweep
    try:
        old = new if args.sweep or by_version else _policy_from(store, args.against)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    if not isinstance(old, Policy):
        return 1
    asked_from = bounds[0]
    if asked_from is not None:  # a period cut at the start is judged whole, not on its tail
        from callqa.engine.simulation.simulate import replay_start

        bounds[0] = replay_start((new, old), asked_from)
    if _nothing_to_replay(args, store, bounds, new.timezone):
        return 1
    if args.sweep:
        return _run_sweep(args, new, list(store.events(bounds[0], bounds[1])), bounds[1])
    if by_version:
        return _simulate_history(args, store, new, bounds, asked_from)
    total = store.count_events()
    shown = [0]

    def progress(done: int) -> None:
        if sys.stderr.isatty() and done - shown[0] >= 10000:
            shown[0] = done
            print(f"\rreplaying {done:,}/{total:,} events", end="", file=sys.stderr)

    report = simulate(new, old, store.events(bounds[0], bounds[1]), bounds[1], progress)
    if shown[0]:
        say(file=sys.stderr)
    report.asked_from, report.replayed_from = asked_from, bounds[0]
    data = report.to_dict()
    if args.format == "json":
        say(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        from callqa.tui.simulation_view import print_simulation

        print_simulation(data, args.policy, args.against)
    return 1 if data["replay"]["stopped"] else 0  # it did not replay all it was asked


def _nothing_to_replay(
    args: argparse.Namespace, store: object, bounds: list[Any], zone: tzinfo
) -> bool:
    """Whether the span asked for holds no event, after saying so and where the events
    are: a replay of nothing would report nothing changed, as if all were well."""
    from callqa.engine.store.database import Store

    assert isinstance(store, Store)
    events = store.events(bounds[0], bounds[1])
    found = next(events, None) is not None
    if isinstance(events, Generator):
        events.close()  # ends its query now
    if found:
        return False
    span = store.time_span()
    if span is None:
        say(_no_history(args.db, "holds no events to replay"), file=sys.stderr)
        return True
    first, last = (moment.astimezone(zone) for moment in span)
    asked = (f"from {args.start} to {args.end}" if args.start and args.end
             else f"from {args.start} on" if args.start else f"before {args.end}")  # fmt: skip
    say(f"{_shown_db(args.db)} has no events {asked}: its events run from "
          f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; choose --from and --to within "
          "them", file=sys.stderr)  # fmt: skip
    return True


def _simulate_history(
    args: argparse.Namespace, store: object, new: Policy, bounds: list[Any], asked_from: Any
) -> int:
    from callqa.engine.simulation.simulate import simulate_against_history
    from callqa.engine.store.database import Store
    from callqa.tui.simulation_view import print_simulation

    assert isinstance(store, Store)
    try:
        versions = [
            (start, load_policy(text=version.text, file=version.file, stored=True))
            for start, version in store.versions_in_force()
        ]
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    if not versions:
        say("no policy has been activated yet: callqa policy activate HASH", file=sys.stderr)
        return 1
    report = simulate_against_history(new, versions, store.events(bounds[0], bounds[1]),
                                      bounds[1])  # fmt: skip
    report.asked_from, report.replayed_from = asked_from, bounds[0]
    data = report.to_dict()
    if args.format == "json":
        say(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print_simulation(data, args.policy, f"history ({len(versions)} version(s) in force)")
    return 1 if data["replay"]["stopped"] else 0


def _run_sweep(args: argparse.Namespace, policy: object, events: list[dict[str, object]],
               until: object) -> int:  # fmt: skip
    from callqa.engine.policy import Policy
    from callqa.engine.simulation.sweep import SweepError, parse_sweep, sweep

    assert isinstance(policy, Policy)
    try:
        target, values = parse_sweep(args.sweep)
        table = sweep(policy, target, values, events, until)  # type: ignore[arg-type]
    except SweepError as error:
        say(str(error), file=sys.stderr)
        return 2
    labels = sorted({label for counts in table.values() for label in counts})
    if args.format == "json":
        say(json.dumps({f"{v:g}": dict(c) for v, c in table.items()}, ensure_ascii=False,
                         indent=2))  # fmt: skip
        return 0
    from rich.console import Console
    from rich.table import Table

    view = Table(title=rich_text(f"{target}: outcome counts per limit ({len(events):,} events)"),
                 show_edge=False)  # fmt: skip
    view.add_column("decision")
    for value in table:
        view.add_column(f"{value:g}", justify="right")
    for label in labels:
        view.add_row(rich_text(label), *(str(table[v].get(label, 0)) for v in table))
    Console(soft_wrap=False).print(view)
    return 0


def run_calibration(args: argparse.Namespace) -> int:
    import dataclasses

    from callqa.engine.scoring.calibration import calibrate
    from callqa.engine.store.database import Store

    try:
        policy = load_policy(args.policy)
        policy.rubric(args.rubric)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    except UnknownRubric as error:
        say(f"{args.policy}: {error}", file=sys.stderr)
        return 1
    evaluations: list[dict[str, object]] = []
    if args.db and args.input:
        say("give the evaluations once: --input FILE or --db DATABASE, not both", file=sys.stderr)
        return 2
    if args.db:
        store = _open_store(args.db)
        if not isinstance(store, Store):
            return 1
        evaluations = list(store.events(kinds=["evaluation"]))
    elif args.input:
        for row in read_evaluations(args.input):
            if isinstance(row, RowError):
                say(f"{args.input} {row}", file=sys.stderr)
            else:
                evaluations.append(row.evaluation)
    else:
        say("give the evaluations: --input FILE.jsonl or --db DATABASE", file=sys.stderr)
        return 2
    if not evaluations:
        where = ("file", args.input) if args.input else ("database", _shown_db(args.db))
        say(f"{where[1]}: no evaluations in it, so there is nothing to calibrate (is it the "
            f"right {where[0]}?)", file=sys.stderr)  # fmt: skip
        return 1
    report = calibrate(policy, args.rubric, evaluations, args.expert)
    names = sorted({str(e.get("evaluator")) for e in evaluations if e.get("evaluator")})
    if args.expert and args.expert not in names:
        say(f"--expert {args.expert!r} scored none of these evaluations; the evaluators "
              f"are: {', '.join(names[:20]) or '(none)'}", file=sys.stderr)  # fmt: skip
        return 2
    for problem in report.rejected:
        say(problem, file=sys.stderr)
    if args.format == "json":
        say(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2))
        return 1 if report.rejected or not report.calls else 0
    say(f"Calibration of {report.rubric}: {report.calls} calls scored by several evaluators; "
          f"reference: {report.reference}; tolerance ±{report.tolerance:g} points")  # fmt: skip
    if not report.calls:
        say("  nothing to compare: calibration needs the same call scored by two or more "
              'evaluators (each evaluation with its "call" and its "evaluator")')  # fmt: skip
        return 1  # compared nothing, as asked: not a success
    for evaluator in report.evaluators:
        flag = "  OUTSIDE TOLERANCE" if evaluator.flagged else ""
        say(
            f"  {evaluator.evaluator:<12} {evaluator.calls:>4} calls  "
            f"mean difference {evaluator.mean_difference:+6.1f}  "
            f"mean absolute {evaluator.mean_absolute_difference:5.1f}{flag}"
        )
    say("Items where evaluators disagree most:")
    for item in report.items[:5]:
        say(f"  {item.label} ({item.item}): on {item.disagreement:.0%} of {item.calls} calls")
    return 1 if report.rejected else 0  # as `score`: a rejected row is a failure


def run_policy(args: argparse.Namespace) -> int:
    from callqa.engine.runtime.policy_tests import run_policy_tests
    from callqa.engine.store.database import PolicyVersion, Store, StoreError, policy_hash

    if not args.policy_command:
        say("say what to do: callqa policy add|activate|history", file=sys.stderr)
        return 2
    store = _open_store(args.db, create=args.policy_command == "add")
    if not isinstance(store, Store):
        return 1
    if args.policy_command == "history":
        rows = store.history()
        if not rows:
            say("no policy has been activated yet")
        for activation, version in rows:
            when = f"{activation.activated_utc:%Y-%m-%d %H:%M} UTC"
            what = f"{version.name} {version.version or ''}"
            say(f"{when}  {version.hash}  {what}  activated by {activation.by}")
        return 0
    if args.policy_command == "diff":
        import difflib

        from callqa.dsl.includes import unbundle

        try:
            old, new = store.policy(args.old), store.policy(args.new)
        except StoreError as error:
            say(str(error), file=sys.stderr)
            return 1
        # file by file: the policy's own, then each file it includes (dsl.includes)
        (old_text, old_files), (new_text, new_files) = unbundle(old.text), unbundle(new.text)
        pairs = [(old.file, new.file, old_text, new_text)] + [
            (name, name, old_files.get(name, ""), new_files.get(name, ""))
            for name in sorted({*old_files, *new_files})
        ]
        for old_name, new_name, before, after in pairs:
            for line in difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                f"{old_name} ({old.hash})", f"{new_name} ({new.hash})",
            ):  # fmt: skip
                say(line, end="")
        return 0
    if args.policy_command == "add":
        effective = None
        if args.effective:
            try:
                effective = parse_moment(args.effective)
            except ValueError as error:
                say(f"--effective: {error}", file=sys.stderr)
                return 2
        try:
            policy = load_policy(args.file)
        except PolicyError as error:
            say(error.render(), file=sys.stderr)
            say(f"{args.file}: not stored — fix the errors first", file=sys.stderr)
            return 1
        text = policy.checked.stored_text  # with the files it includes, as they are now
        if effective is not None and effective.tzinfo is None:
            effective = effective.replace(tzinfo=policy.timezone)
        try:
            stored: PolicyVersion | None = store.policy(policy_hash(text))
        except StoreError:
            stored = None
        if stored is not None and effective is not None:
            say(f"{args.file} is already stored as {stored.hash} (the same text is stored "
                  "once), so --effective is not applied to it: change the text, e.g. its "
                  "version, to store a new version", file=sys.stderr)  # fmt: skip
            return 1
        try:
            digest = store.add_policy(text, name=policy.name, version=policy.version,
                                      file=Path(args.file).name, author=args.author,
                                      effective_from=effective)  # fmt: skip
        except StoreError as error:  # a NUL character: no database can keep it
            say(f"{error}; {args.file}: not stored", file=sys.stderr)
            return 1
        say(f"stored {policy.name} {policy.version or ''} as {digest}")
        return 0
    try:
        version = store.policy(args.hash)
    except StoreError as error:
        say(str(error), file=sys.stderr)
        return 1
    try:
        policy = load_policy(text=version.text, file=version.file, stored=True)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    failures = [r for r in run_policy_tests(policy) if not r.passed]
    if failures:
        for result in failures:
            say(f"FAIL  {result.name}  ({result.location})", file=sys.stderr)
        say(f"not activated: {len(failures)} test(s) fail", file=sys.stderr)
        return 1
    store.activate(version.hash, args.by)
    say(f"activated {version.name} {version.version or ''} ({version.hash}) by {args.by}")
    return 0


# ----------------------------------------------------------------------- sample


def run_sample(args: argparse.Namespace) -> int:
    from callqa.engine.runtime.events import EventError, parse_event
    from callqa.engine.sampling.plan import (
        build_plan,
        call_side,
        period_days,
        plan_problems,
        plan_span,
        verify_plan,
    )
    from callqa.engine.scoring.evaluations import read_records

    policy = _load_or_report(args.policy)
    if policy is None:
        return 1
    published = None
    if args.verify:
        try:
            published = json.loads(read_data(args.verify))
        except InputFileError as error:  # names the file
            say(error, file=sys.stderr)
            return 1
        except json.JSONDecodeError as error:
            say(f"{args.verify}: cannot read the plan ({error})", file=sys.stderr)
            return 1
        shape = plan_problems(published)
        if shape:
            say(f"{args.verify}: not a sampling plan: {'; '.join(shape[:5])}", file=sys.stderr)
            return 1
    period = args.period or (published or {}).get("period")
    if not period:
        say("say which period: --period 2026-11-02, 2026-W48 or 2026-11", file=sys.stderr)
        return 2
    try:
        period_days(str(period))
    except ValueError as error:
        say(f"--period: {error}", file=sys.stderr)
        return 2
    events: list[Any] = []  # raw rows past the periods, and the periods' parsed calls
    rejected = 0
    first_row: dict[str, int] = {}  # call id -> the row it was first in
    opens, closes = plan_span(policy, str(period))
    past = False  # whether a call after the plan's periods was seen (then they are over)
    read = 0
    for row in read_records(args.calls):
        read += 1
        if isinstance(row, RowError):
            say(f"{args.calls} {row}", file=sys.stderr)
            rejected += 1
            continue
        record = dict(row.evaluation)
        record.setdefault("kind", "call")
        side = call_side(record, opens, closes, policy.timezone)
        if side:  # a call that cannot be in the plan: not read (a year of calls takes seconds)
            if side > 0 and not past:
                past = True
                events.append(record)  # tells build_plan the log goes past the periods
            continue
        try:
            event = parse_event(record)  # here, to name the row of a bad one
        except EventError as error:
            say(f"{args.calls} row {row.number}: {error}", file=sys.stderr)
            rejected += 1
            continue
        if event.id in first_row:
            say(f"{args.calls} row {row.number}: the call id {event.id!r} is in row "
                  f"{first_row[event.id]} too: counted once", file=sys.stderr)  # fmt: skip
        first_row.setdefault(event.id, row.number)
        events.append(event)
    problems: list[str] = []
    try:
        plan = build_plan(policy, events, period, problems)
    except (EventError, ValueError) as error:
        say(f"{args.calls}: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        say(f"{args.calls}: {problem}", file=sys.stderr)
    rejected += len(problems)
    if published is not None:
        problems = verify_plan(published, plan)
        for problem in problems:
            say(problem)
        say("the plan matches the rule and the call log" if not problems
              else f"the plan does NOT match: {len(problems)} difference(s)")  # fmt: skip
        return 1 if problems else 0
    if not plan["periods"]:  # nothing to publish: say so, and write no plan
        say(f"{args.calls}: " + (f"no call in {period} among its {read:,} row(s)" if read
            else "the call log has no calls") + ", so there is nothing to sample (is it the "
            "right period, and the right file?)", file=sys.stderr)  # fmt: skip
        return 1
    text = json.dumps(plan, ensure_ascii=False, indent=2)
    if args.out:
        _write_atomically(Path(args.out), text + "\n")
    _print_plan(plan)
    if rejected:
        say(f"{rejected} call(s) rejected: the plan leaves them out", file=sys.stderr)
    return 1 if rejected else 0


def _print_plan(plan: dict[str, object]) -> None:
    say(f"Sampling plan — {plan['policy']} {plan['version']}, period {plan['period']}")
    for rule in plan["rules"]:  # type: ignore[attr-defined]
        say(f"  rule {rule['sampling']} ({rule['location']}):")
        for text in rule["rule"]:
            say(f"    {text}")
    say(f"  method: {plan['seed_method']}")
    several = len(plan["rules"]) > 1  # type: ignore[arg-type]
    for entry in plan["periods"]:  # type: ignore[attr-defined]
        rule = f"  ({entry['sampling']})" if several else ""
        say(f"\n{entry['period']}  seed {entry['seed']}{rule}")
        if not entry["final"]:
            ends = str(plan["log_ends"])[:16].replace("T", " ")  # in the policy's timezone
            say(f"  the call log ends {ends}, before this period does: a later call would "
                  "change this sample")  # fmt: skip
        for pick in entry["picks"]:
            say(f"  {pick['agent']:<10} {pick['call']:<14} {pick['why']}")
        for short in entry["shortfalls"]:
            say(f"  SHORTFALL {short['why']}")


# -------------------------------------------------------------------------- tui


def run_tui(args: argparse.Namespace) -> int:
    from callqa.policies import shipped_policies
    from callqa.tui.app import CallqaApp

    if args.file:
        folder = Path(args.file).parent
    else:  # a copy saved as ./center.policy (the TUI's save-as) is found here next time
        candidates = [Path(args.folder)] if args.folder else [Path(os.curdir), Path("policies")]
        folder = next((f for f in candidates if f.is_dir() and any(f.glob("*.policy"))),
                      candidates[0])  # fmt: skip
    if not folder.is_dir() or not any(folder.glob("*.policy")):
        shipped = shipped_policies()
        folder = shipped[0].parent if shipped else folder
    CallqaApp(folder, args.db, Path(args.file) if args.file else None).run()
    return 0


# ------------------------------------------------------------------------- demo


def run_demo(args: argparse.Namespace) -> int:
    from callqa.tui.demo import run

    return run(count=args.count, db=args.db, data=args.data)


if __name__ == "__main__":
    sys.exit(main())
