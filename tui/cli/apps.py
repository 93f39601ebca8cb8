"""`callqa tui` and `callqa demo`: the terminal app, and a tour of callqa on a generated
center."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from callqa.dsl.i18n import _
from callqa.engine.store.defaults import DEFAULT_DB, DEMO_DB
from callqa.policies import shipped_policies
from callqa.tui import demo as demo_center
from callqa.tui.cli.common import Commands


def register(commands: Commands) -> None:
    tui = commands.add_parser("tui", help=_("edit, check, test and simulate in the terminal"))
    tui.add_argument("file", nargs="?", help=_("a policy file to open (default: the first one)"))
    tui.add_argument("--folder", help=_("where the policy files are (default: the current "
                     "folder's, else ./policies, else the shipped examples)"))  # fmt: skip
    tui.add_argument("--db", default=DEFAULT_DB, help=_("database F6 reads the history from "
                     "and activating a policy writes its version to (default: "
                     "{db})").format(db=DEFAULT_DB))  # fmt: skip
    tui.set_defaults(run=run_tui)

    demo = commands.add_parser("demo", help=_("check, test, score and simulate on a demo center"))
    demo.add_argument("--count", type=_demo_count, default=2000,
                      help=_("evaluations per rubric, 1 to 1,000,000"))  # fmt: skip
    demo.add_argument("--db", default=DEMO_DB, help=_("the demo's own database, written with "
                      "generated events (default: {db}; re-runs reuse it; never "
                      "{center_db}, a center's own)").format(db=DEMO_DB,
                                                             center_db=DEFAULT_DB))  # fmt: skip
    demo.add_argument("--data", metavar="DIR",
                      help=_("import the public data sets from DIR too"))  # fmt: skip
    demo.set_defaults(run=run_demo)


def run_tui(args: argparse.Namespace) -> int:
    from callqa.tui.app import CallqaApp  # Textual: imported only to run the app

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


def run_demo(args: argparse.Namespace) -> int:
    return demo_center.run(count=args.count, db=args.db, data=args.data)


def _demo_count(text: str) -> int:
    """--count: a whole number of evaluations per rubric, within what the demo generates."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a whole number").format(text=text)
        ) from None
    if not 1 <= count <= 1_000_000:
        raise argparse.ArgumentTypeError(
            _("{count} is not between 1 and 1,000,000").format(count=count)
        )
    return count
