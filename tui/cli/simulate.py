"""`callqa simulate`: the stored history replayed under a proposed policy and the one in
force (or the versions that were), or once per value of a rule's limit (`--sweep`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Generator, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.i18n import _
from callqa.engine import Policy, load_policy
from callqa.engine.errors import StoreError, SweepError
from callqa.engine.simulation.simulate import (
    Report,
    replay_start,
    simulate_against_history,
)
from callqa.engine.simulation.sweep import parse_sweep, sweep
from callqa.engine.store.defaults import DEFAULT_DB, DEMO_DB
from callqa.tui.cli.common import (
    Commands,
    add_format,
    load_or_report,
    moment_option,
    open_store,
    shown_db,
)
from callqa.tui.cli.progress import add_quiet, counted, progress
from callqa.tui.literal import rich_text, say
from callqa.tui.simulation_view import decision_label, print_simulation

if TYPE_CHECKING:
    from callqa.engine.store.database import Store

Bounds = list[dt.datetime | None]
"""--from and --to as moments in the policy's timezone (None: not given)."""


def register(commands: Commands) -> None:
    simulate = commands.add_parser("simulate", help=_("replay history under two policy versions"))
    simulate.add_argument("--policy", required=True, metavar="NEW",
                          help=_("the proposed policy"))  # fmt: skip
    simulate.add_argument("--against", default="active", metavar="OLD",
                          help=_("a policy file, a stored version hash, 'active', or 'history' "
                          "(each event under the version in force at its time)"))  # fmt: skip
    simulate.add_argument("--db", default=DEFAULT_DB, help=_("database the history and the "
                          "active policy are read from, never written (default: {db}; "
                          "the demo's: {demo_db})").format(db=DEFAULT_DB,
                                                           demo_db=DEMO_DB))  # fmt: skip
    simulate.add_argument("--from", dest="start", metavar="TIME")
    simulate.add_argument("--to", dest="end", metavar="TIME")
    add_format(simulate, "json", table=True)
    simulate.add_argument("--all", action="store_true", dest="everything",
                          help=_("list every changed outcome with its reasons, every agent "
                          "and team and every re-timed outcome (the report for people "
                          "shows the first ones)"))  # fmt: skip
    simulate.add_argument("--sweep", metavar="RULE=A..B",
                          help=_("replay once per value of a rule's limit, e.g. "
                          "bottom_removal.complaints_month=2..5"))  # fmt: skip
    simulate.add_argument("--workers", type=int, metavar="N",
                          help=_("replay in parts, by agent, on N worker processes of this "
                          "machine (Dask: pip install 'callqa[distributed]')"))  # fmt: skip
    simulate.add_argument("--cluster", metavar="ADDRESS",
                          help=_("replay in parts on the Dask scheduler at ADDRESS "
                          "(tcp://HOST:8786); its workers read --db themselves"))  # fmt: skip
    simulate.add_argument("--parts", type=int, metavar="K",
                          help=_("with --workers or --cluster: how many parts (default: one "
                          "per worker)"))  # fmt: skip
    add_quiet(simulate)
    simulate.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    new = load_or_report(args.policy)
    if new is None:
        return 1
    bounds: Bounds = []
    for text in (args.start, args.end):
        if text is None:
            bounds.append(None)
            continue
        moment = moment_option(text, "--from/--to")
        if moment is None:
            return 2
        bounds.append(moment if moment.tzinfo else moment.replace(tzinfo=new.timezone))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        say(_("--from {start} is not before --to {end}: swap them").format(
            start=args.start, end=args.end
        ), file=sys.stderr)  # fmt: skip
        return 2
    store = open_store(args.db)
    if store is None:
        return 1
    by_version = args.against == "history" and not args.sweep
    try:
        old = new if args.sweep or by_version else _policy_from(store, args.against)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    if old is None:
        return 1
    asked_from = bounds[0]
    if asked_from is not None:  # a period cut at the start is judged whole, not on its tail
        bounds[0] = replay_start((new, old), asked_from)
    if _nothing_to_replay(args, store, bounds, new.timezone):
        return 1
    if args.workers is not None or args.cluster is not None:
        if args.sweep or by_version:
            say(_("--workers and --cluster replay against one version: leave out "
                  "{option}").format(option="--sweep" if args.sweep else "--against history"),
                file=sys.stderr)  # fmt: skip
            return 2
        return _simulate_in_parts(args, new, old, bounds, asked_from)
    if args.sweep:
        with progress(args, _("reading"), _total(store, bounds)) as advance:
            events = list(counted(store.events(bounds[0], bounds[1]), advance))
        return _run_sweep(args, new, events, bounds[1])
    if by_version:
        return _simulate_history(args, store, new, bounds, asked_from)

    from callqa.engine.simulation.from_store import simulate_stored  # the store: when used

    with progress(args, _("replaying"), _total(store, bounds)) as advance:
        done = simulate_stored(store, new, old, bounds[0], bounds[1], advance)
    report = done.report
    if done.kept:
        say(
            _("kept the replay of the version compared with in {db}: the next "
              "simulation against it replays only what a change touches").format(
                db=shown_db(args.db)
            ),
            file=sys.stderr,
        )  # fmt: skip
    return _print_report(args, report, asked_from, bounds[0], args.against)


def _simulate_in_parts(
    args: argparse.Namespace, new: Policy, old: Policy, bounds: Bounds,
    asked_from: dt.datetime | None,
) -> int:  # fmt: skip
    """--workers N / --cluster ADDRESS: the replay split by agent into parts, each a task
    on a Dask worker that reads the history from --db itself."""
    from callqa.engine.errors import ClusterError
    from callqa.engine.simulation.cluster import dask_client, simulate_on_cluster

    for name, value in (("--workers", args.workers), ("--parts", args.parts)):
        if value is not None and value < 1:
            say(_("{option} {value}: give a number of 1 or more").format(option=name, value=value),
                file=sys.stderr)  # fmt: skip
            return 2
    target = args.db if "://" in args.db else str(Path(args.db).resolve())
    try:
        client = dask_client(args.workers, args.cluster)
    except ClusterError as error:
        say(str(error), file=sys.stderr)
        return 2
    try:
        workers = len(client.scheduler_info()["workers"]) or 1
        parts = args.parts or workers
        if not args.quiet:
            replaying = (
                _("replaying in {parts} part(s) on {workers} worker(s) at {where}")
                if args.cluster
                else _("replaying in {parts} part(s) on {workers} worker(s) at this machine")
            )  # fmt: skip
            say(replaying.format(parts=parts, workers=workers, where=args.cluster),
                file=sys.stderr)  # fmt: skip
        report = simulate_on_cluster(client, target, new, old, parts, bounds[0], bounds[1])
    except ClusterError as error:
        say(str(error), file=sys.stderr)
        return 1
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
    return _print_report(args, report, asked_from, bounds[0], args.against)


def _print_report(
    args: argparse.Namespace,
    report: Report,
    asked_from: dt.datetime | None,
    replayed_from: dt.datetime | None,
    against: str,
) -> int:
    """The report as --format asks; exit status 1 when it did not replay all it was asked."""
    report.asked_from, report.replayed_from = asked_from, replayed_from
    data = report.to_dict()
    if args.format == "json":
        say(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print_simulation(data, args.policy, against, everything=args.everything)
    return 1 if data["replay"]["stopped"] else 0


def _total(store: Store, bounds: Bounds) -> int | None:
    """How many events the replay reads, when it is all of them (a count within --from
    and --to would be one more query as long as a page of the replay: the bar then counts
    without an end)."""
    return store.count_events() if bounds == [None, None] else None


def _policy_from(store: Store, reference: str) -> Policy | None:
    """--against: a policy file, a stored version's hash or 'active'; None after saying
    why there is none."""
    if Path(reference).is_file() or reference.endswith(".policy") or "/" in reference:
        return load_policy(reference)  # a file; a missing one is said so (InputFileError)
    try:
        version = store.active_policy() if reference == "active" else store.policy(reference)
    except StoreError as error:
        say(str(error), file=sys.stderr)
        return None
    if version is None:
        say(_("no policy is active yet: callqa policy add FILE, then callqa policy activate "
              "HASH, or pass --against FILE"), file=sys.stderr)  # fmt: skip
        return None
    return load_policy(text=version.text, file=version.file, stored=True)


def _nothing_to_replay(
    args: argparse.Namespace, store: Store, bounds: Bounds, zone: tzinfo
) -> bool:
    """Whether the span asked for holds no event, after saying so and where the events
    are: a replay of nothing would report nothing changed, as if all were well."""
    from callqa.engine.store.database import no_history

    events = store.events(bounds[0], bounds[1])
    found = next(events, None) is not None
    if isinstance(events, Generator):
        events.close()  # ends its query now
    if found:
        return False
    span = store.time_span()
    if span is None:
        say(no_history(args.db, "no-events"), file=sys.stderr)
        return True
    first, last = (moment.astimezone(zone) for moment in span)
    if args.start and args.end:
        outside = _("{db} has no events from {start} to {end}: its events run from "
                    "{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; choose --from and --to "
                    "within them")  # fmt: skip
    elif args.start:
        outside = _("{db} has no events from {start} on: its events run from "
                    "{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; choose --from and --to "
                    "within them")  # fmt: skip
    else:
        outside = _("{db} has no events before {end}: its events run from "
                    "{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; choose --from and --to "
                    "within them")  # fmt: skip
    say(outside.format(db=shown_db(args.db), start=args.start, end=args.end, first=first,
                       last=last), file=sys.stderr)  # fmt: skip
    return True


def _simulate_history(
    args: argparse.Namespace,
    store: Store,
    new: Policy,
    bounds: Bounds,
    asked_from: dt.datetime | None,
) -> int:
    """--against history: each event under the version that was in force at its time."""
    try:
        versions = [
            (start, load_policy(text=version.text, file=version.file, stored=True))
            for start, version in store.versions_in_force()
        ]
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        return 1
    if not versions:
        say(_("no policy has been activated yet: callqa policy activate HASH"), file=sys.stderr)
        return 1
    with progress(args, _("replaying"), _total(store, bounds)) as advance:
        events = counted(store.events(bounds[0], bounds[1]), advance)
        report = simulate_against_history(new, versions, events,
                                          bounds[1])  # fmt: skip
    against = _("history ({count} version(s) in force)").format(count=len(versions))
    return _print_report(args, report, asked_from, bounds[0], against)


def _run_sweep(
    args: argparse.Namespace,
    policy: Policy,
    events: Sequence[Mapping[str, object]],
    until: dt.datetime | None,
) -> int:
    """--sweep RULE=A..B: the outcome counts once per value of the rule's limit."""
    try:
        target, values = parse_sweep(args.sweep)
        what = _("replaying for {count} values").format(count=len(values))
        with progress(args, what, len(events)) as advance:
            table = sweep(policy, target, values, events, until, advance)
    except SweepError as error:
        say(str(error), file=sys.stderr)
        return 2
    labels = sorted({label for counts in table.values() for label in counts})
    if args.format == "json":
        say(json.dumps({f"{v:g}": dict(c) for v, c in table.items()}, ensure_ascii=False,
                         indent=2))  # fmt: skip
        return 0
    title = _("{target}: outcome counts per limit ({count:,} events)").format(
        target=target, count=len(events)
    )
    view = Table(title=rich_text(title), show_edge=False)
    view.add_column(_("decision"))
    for value in table:
        view.add_column(f"{value:g}", justify="right")
    for label in labels:
        view.add_row(
            rich_text(decision_label(label)), *(str(table[v].get(label, 0)) for v in table)
        )
    Console(soft_wrap=False).print(view)
    return 0
