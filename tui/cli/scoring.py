"""`callqa score` and `callqa calibration`: evaluations scored against a rubric, and how far
the evaluators who scored the same calls are from each other."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.i18n import N_, _
from callqa.dsl.suggest import did_you_mean
from callqa.engine import ScoreResult, load_policy
from callqa.engine.errors import EvaluationError, UnknownRubric
from callqa.engine.scoring.calibration import calibrate
from callqa.engine.scoring.evaluations import Row, RowError, read_evaluations
from callqa.tui.cli.common import Commands, add_format, load_or_report, open_store, shown_db
from callqa.tui.literal import rich_text, say


def register(commands: Commands) -> None:
    score = commands.add_parser("score", help=_("score a file of evaluations against a rubric"))
    score.add_argument("--policy", required=True, metavar="FILE",
                       help=_("the policy file that holds the rubric"))  # fmt: skip
    score.add_argument("--rubric", required=True, metavar="ID",
                       help=_("the rubric to score against, by its id"))  # fmt: skip
    score.add_argument("--input", required=True, metavar="FILE",
                       help=_("the evaluations, .csv or .jsonl"))  # fmt: skip
    add_format(score, "jsonl", table=True)
    score.set_defaults(run=run_score)

    calibration = commands.add_parser(
        "calibration", help=_("how far evaluators are from each other")
    )
    calibration.add_argument("--policy", required=True, metavar="FILE",
                             help=_("the policy file that holds the rubric"))  # fmt: skip
    calibration.add_argument("--rubric", required=True, metavar="ID",
                             help=_("the rubric the evaluations were scored against, by its "
                                    "id"))  # fmt: skip
    calibration.add_argument("--input", metavar="FILE", help=_("evaluations, .jsonl"))
    calibration.add_argument(
        "--db",
        help=_(
            "database the evaluations are read from, never "
            "written, instead of --input (no default: give one of them)"
        ),
    )
    calibration.add_argument("--expert", metavar="NAME", help=_("the reference evaluator"))
    add_format(calibration, "json", table=True)
    calibration.set_defaults(run=run_calibration)


def run_score(args: argparse.Namespace) -> int:
    policy = load_or_report(args.policy)
    if policy is None:
        return 1
    try:
        rubric = policy.rubric(args.rubric)
    except UnknownRubric as error:
        say(f"{args.policy}: {error}", file=sys.stderr)
        return 1
    results: list[ScoreResult] = []
    rows: dict[int, int] = {}  # a result without an id (by its place) -> its row, for the table
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
            say(_("{file} row {number}: {error}").format(
                file=args.input, number=row.number, error=error
            ), file=sys.stderr)  # fmt: skip
            continue
        if result.evaluation_id is None:  # named by its row: in English in the JSON (data)
            result.evaluation_id = f"row {row.number}"
            rows[len(results)] = row.number
        results.append(result)
    if not results and not rejected:
        say(_("{file}: no evaluations in the file (is it the right one?)").format(
            file=args.input
        ), file=sys.stderr)  # fmt: skip
        return 1
    if args.format == "jsonl":
        for result in results:
            say(json.dumps(result.to_dict(), ensure_ascii=False))
    elif results:  # all rejected: no empty table, the messages and the count say it
        _print_table(results, rows)
    total = len(results) + rejected
    tally = (
        _("scored {scored} of {total} evaluations; {rejected} rejected (see the messages above)")
        if rejected
        else _("scored {scored} of {total} evaluations")
    )
    say(tally.format(scored=len(results), total=total, rejected=rejected), file=sys.stderr)
    return 1 if rejected else 0


def _warn_unknown_items(name: str, row: Row, item_ids: Sequence[str], told: set[str]) -> None:
    """Say, at the first row holding it, an answer to no item of the rubric (a misspelt
    column or key), which scoring ignores."""
    answers = row.evaluation.get("answers")
    for key in answers if isinstance(answers, dict) else ():
        if key in item_ids or key in told:
            continue
        told.add(key)
        hint = did_you_mean(str(key), item_ids)
        warning = (
            _("{file} row {number}: {key!r} is not an item of this rubric, so its answer is "
              "ignored ({hint})")
            if hint
            else _("{file} row {number}: {key!r} is not an item of this rubric, so its answer "
                   "is ignored")
        )  # fmt: skip
        say(warning.format(file=name, number=row.number, key=str(key), hint=hint),
            file=sys.stderr)  # fmt: skip


COLUMNS = (N_("evaluation"), N_("score"), N_("grade"), N_("deductions"), N_("red lines"),
           N_("N/A"))  # fmt: skip
"""The score table's columns (said in the run's language)."""


def _print_table(results: Sequence[ScoreResult], rows: dict[int, int]) -> None:
    """The results as a table; those without an id (`rows`: by their place) named by their
    row, in the run's language."""
    table = Table(show_edge=False, header_style="bold")
    for column in COLUMNS:
        table.add_column(_(column), justify="right" if column == "score" else "left")
    for place, result in enumerate(results):
        deductions = ", ".join(f"{d.label} -{_num(d.points)}" for d in result.deductions)
        critical = ", ".join(c.label for c in result.critical)
        table.add_row(
            rich_text(
                _("row {number}").format(number=rows[place])
                if place in rows
                else result.evaluation_id
            ),
            f"{result.score:g}",
            rich_text(result.grade or ""),
            rich_text(deductions),
            rich_text(critical),
            str(len(result.not_applicable)),
        )
    Console(soft_wrap=False).print(table)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def run_calibration(args: argparse.Namespace) -> int:
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
        say(_("give the evaluations once: --input FILE or --db DATABASE, not both"),
            file=sys.stderr)  # fmt: skip
        return 2
    if args.db:
        store = open_store(args.db)
        if store is None:
            return 1
        evaluations = list(store.events(kinds=["evaluation"]))
    elif args.input:
        for row in read_evaluations(args.input):
            if isinstance(row, RowError):
                say(f"{args.input} {row}", file=sys.stderr)
            else:
                evaluations.append(row.evaluation)
    else:
        say(_("give the evaluations: --input FILE.jsonl or --db DATABASE"), file=sys.stderr)
        return 2
    if not evaluations:
        empty = (
            _("{where}: no evaluations in it, so there is nothing to calibrate (is it the "
              "right file?)").format(where=args.input)
            if args.input
            else _("{where}: no evaluations in it, so there is nothing to calibrate (is it the "
                   "right database?)").format(where=shown_db(args.db))
        )  # fmt: skip
        say(empty, file=sys.stderr)
        return 1
    report = calibrate(policy, args.rubric, evaluations, args.expert)
    names = sorted({str(e.get("evaluator")) for e in evaluations if e.get("evaluator")})
    if args.expert and args.expert not in names:
        unknown = (
            _("--expert {expert!r} scored none of these evaluations; the evaluators are: "
              "{names}")
            if names
            else _("--expert {expert!r} scored none of these evaluations; the evaluators are: "
                   "(none)")
        )  # fmt: skip
        say(unknown.format(expert=args.expert, names=", ".join(names[:20])), file=sys.stderr)
        return 2
    for problem in report.rejected:
        say(problem, file=sys.stderr)
    if args.format == "json":
        say(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2))
        return 1 if report.rejected or not report.calls else 0
    say(_("Calibration of {rubric}: {calls} calls scored by several evaluators; "
          "reference: {reference}; tolerance ±{tolerance:g} points").format(
        rubric=report.rubric, calls=report.calls, reference=report.reference,
        tolerance=report.tolerance,
    ))  # fmt: skip
    if not report.calls:
        say("  " + _("nothing to compare: calibration needs the same call scored by two or "
                     'more evaluators (each evaluation with its "call" and its '
                     '"evaluator")'))  # fmt: skip
        return 1  # compared nothing, as asked: not a success
    for evaluator in report.evaluators:
        line = (
            _("{evaluator:<12} {calls:>4} calls  mean difference {mean:+6.1f}  "
              "mean absolute {absolute:5.1f}  OUTSIDE TOLERANCE")
            if evaluator.flagged
            else _("{evaluator:<12} {calls:>4} calls  mean difference {mean:+6.1f}  "
                   "mean absolute {absolute:5.1f}")
        )  # fmt: skip
        say("  " + line.format(
            evaluator=evaluator.evaluator, calls=evaluator.calls,
            mean=evaluator.mean_difference, absolute=evaluator.mean_absolute_difference,
        ))  # fmt: skip
    say(_("Items where evaluators disagree most:"))
    for item in report.items[:5]:
        say("  " + _("{label} ({item}): on {share:.0%} of {calls} calls").format(
            label=item.label, item=item.item, share=item.disagreement, calls=item.calls
        ))  # fmt: skip
    return 1 if report.rejected else 0  # as `score`: a rejected row is a failure
