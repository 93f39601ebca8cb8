"""`callqa sample`: publish the calls to review in a period, or verify a published plan
against the policy and the call log."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callqa.dsl.i18n import _
from callqa.engine.errors import EventError, InputFileError
from callqa.engine.runtime.events import Event, parse_event
from callqa.engine.sampling.plan import (
    build_plan,
    call_side,
    period_days,
    plan_problems,
    plan_span,
    verify_plan,
)
from callqa.engine.scoring.evaluations import RowError, read_records
from callqa.engine.store.text_files import read_data
from callqa.tui.cli.common import Commands, add_format, load_or_report
from callqa.tui.cli.progress import add_quiet, counted, progress
from callqa.tui.files import write_atomically
from callqa.tui.literal import say


def register(commands: Commands) -> None:
    sample = commands.add_parser("sample", help=_("publish or verify a sampling plan"))
    sample.add_argument("--policy", required=True, metavar="FILE",
                        help=_("the policy whose sampling rules choose the calls"))  # fmt: skip
    sample.add_argument("--calls", required=True, metavar="FILE",
                        help=_("call log, .csv or .jsonl"))  # fmt: skip
    sample.add_argument("--period", metavar="PERIOD", help=_("2026-11-02, 2026-W48 or 2026-11"))
    sample.add_argument("--verify", metavar="PLAN",
                        help=_("a published plan.json to re-derive"))  # fmt: skip
    sample.add_argument("--out", metavar="FILE", help=_("write the plan as JSON here"))
    add_format(sample, "json")
    add_quiet(sample)
    sample.set_defaults(run=run_sample)


def run_sample(args: argparse.Namespace) -> int:
    policy = load_or_report(args.policy)
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
            say(_("{file}: cannot read the plan ({error})").format(file=args.verify, error=error),
                file=sys.stderr)  # fmt: skip
            return 1
        shape = plan_problems(published)
        if shape:
            say(_("{file}: not a sampling plan: {problems}").format(
                file=args.verify, problems="; ".join(shape[:5])
            ), file=sys.stderr)  # fmt: skip
            return 1
    period = args.period or (published or {}).get("period")
    if not period:
        say(_("say which period: --period 2026-11-02, 2026-W48 or 2026-11"), file=sys.stderr)
        return 2
    try:
        period_days(str(period))
    except ValueError as error:
        say(f"--period: {error}", file=sys.stderr)
        return 2
    # the first raw row past the periods (it tells build_plan the log goes on), and the
    # periods' calls, parsed here to name the row of a bad one
    events: list[Mapping[str, object] | Event] = []
    rejected = 0
    first_row: dict[str, int] = {}  # call id -> the row it was first in
    opens, closes = plan_span(policy, str(period))
    past = False  # whether a call after the plan's periods was seen (then they are over)
    read = 0
    with progress(args, _("reading calls"), unit="rows") as advance:
        for row in counted(read_records(args.calls), advance):
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
                say(_("{file} row {number}: {error}").format(
                    file=args.calls, number=row.number, error=error
                ), file=sys.stderr)  # fmt: skip
                rejected += 1
                continue
            if event.id in first_row:
                say(_("{file} row {number}: the call id {id!r} is in row {first} too: counted "
                      "once").format(file=args.calls, number=row.number, id=event.id,
                                     first=first_row[event.id]), file=sys.stderr)  # fmt: skip
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
        if args.format == "json":
            verdict = {"plan": args.verify, "period": str(period), "matches": not problems,
                       "differences": problems}  # fmt: skip
            say(json.dumps(verdict, ensure_ascii=False, indent=2))
            return 1 if problems else 0
        for problem in problems:
            say(problem)
        say(_("the plan matches the rule and the call log") if not problems
            else _("the plan does NOT match: {count} difference(s)").format(
                count=len(problems)))  # fmt: skip
        return 1 if problems else 0
    if not plan["periods"]:  # nothing to publish: say so, and write no plan
        nothing = (
            _("{file}: no call in {period} among its {read:,} row(s), so there is nothing to "
              "sample (is it the right period, and the right file?)")
            if read
            else _("{file}: the call log has no calls, so there is nothing to sample (is it the "
                   "right period, and the right file?)")
        )  # fmt: skip
        say(nothing.format(file=args.calls, period=period, read=read), file=sys.stderr)
        return 1
    text = json.dumps(plan, ensure_ascii=False, indent=2)
    if args.out:
        write_atomically(Path(args.out), text + "\n")
    if args.format == "json":
        say(text)  # the plan as --out writes it
    else:
        _print_plan(plan)
    if rejected:
        say(_("{rejected} call(s) rejected: the plan leaves them out").format(
            rejected=rejected
        ), file=sys.stderr)  # fmt: skip
    return 1 if rejected else 0


def _print_plan(plan: Mapping[str, Any]) -> None:
    """The plan as build_plan made it (the JSON a center publishes), for a reader."""
    say(_("Sampling plan — {policy} {version}, period {period}").format(
        policy=plan["policy"], version=plan["version"], period=plan["period"]
    ))  # fmt: skip
    for rule in plan["rules"]:
        say("  " + _("rule {sampling} ({location}):").format(
            sampling=rule["sampling"], location=rule["location"]
        ))  # fmt: skip
        for text in rule["rule"]:
            say(f"    {text}")
    say("  " + _("method: {method}").format(method=plan["seed_method"]))
    several = len(plan["rules"]) > 1
    for entry in plan["periods"]:
        heading = _("{period}  seed {seed}  ({sampling})") if several else _(
            "{period}  seed {seed}"
        )  # fmt: skip
        say("\n" + heading.format(
            period=entry["period"], seed=entry["seed"], sampling=entry.get("sampling")
        ))  # fmt: skip
        if not entry["final"]:
            ends = str(plan["log_ends"])[:16].replace("T", " ")  # in the policy's timezone
            say("  " + _("the call log ends {ends}, before this period does: a later call "
                         "would change this sample").format(ends=ends))  # fmt: skip
        for pick in entry["picks"]:
            say(f"  {pick['agent']:<10} {pick['call']:<14} {pick['why']}")
        for short in entry["shortfalls"]:
            say("  " + _("SHORTFALL {why}").format(why=short["why"]))
