"""`callqa policy add|activate|history|diff`: the policy versions kept in the store, who
activated which and when, and what changed between two."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.i18n import _
from callqa.dsl.includes import unbundle
from callqa.engine import load_policy
from callqa.engine.errors import StoreError
from callqa.engine.runtime.policy_tests import run_policy_tests
from callqa.engine.store.defaults import DEFAULT_DB
from callqa.tui.cli.common import Commands, moment_option, open_store
from callqa.tui.literal import say

if TYPE_CHECKING:
    from callqa.engine.store.database import PolicyVersion, Store


def register(commands: Commands) -> None:
    policy = commands.add_parser("policy", help=_("publish and activate policy versions"))
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    add = policy_commands.add_parser("add", help=_("store a version (checked)"))
    add.add_argument("file")
    add.add_argument("--author", default=os.environ.get("USER", "unknown"))
    add.add_argument("--effective", metavar="TIME", help=_("when this version takes effect"))
    activate = policy_commands.add_parser("activate", help=_("make a stored version active"))
    activate.add_argument("hash")
    activate.add_argument("--by", default=os.environ.get("USER", "unknown"))
    policy_commands.add_parser("history", help=_("who activated what, when"))
    diff = policy_commands.add_parser("diff", help=_("what changed between two stored versions"))
    diff.add_argument("old")
    diff.add_argument("new")
    for sub in policy_commands.choices.values():
        where = (
            _("database the versions are written to (default: {db})")
            if sub is add or sub is activate
            else _("database the versions are read from, never written (default: {db})")
        )
        sub.add_argument("--db", default=DEFAULT_DB, help=where.format(db=DEFAULT_DB))
    policy.set_defaults(run=run_policy)


def run_policy(args: argparse.Namespace) -> int:
    if not args.policy_command:
        say(_("say what to do: callqa policy add|activate|history|diff"), file=sys.stderr)
        return 2
    store = open_store(args.db, create=args.policy_command == "add")
    if store is None:
        return 1
    if args.policy_command == "history":
        return _history(store)
    if args.policy_command == "diff":
        return _diff(args, store)
    if args.policy_command == "add":
        return _add(args, store)
    return _activate(args, store)


def _history(store: Store) -> int:
    rows = store.history()
    if not rows:
        say(_("no policy has been activated yet"))
    for activation, version in rows:
        when = f"{activation.activated_utc:%Y-%m-%d %H:%M} UTC"
        what = f"{version.name} {version.version or ''}"
        say(_("{when}  {hash}  {what}  activated by {by}").format(
            when=when, hash=version.hash, what=what, by=activation.by
        ))  # fmt: skip
    return 0


def _diff(args: argparse.Namespace, store: Store) -> int:
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


def _add(args: argparse.Namespace, store: Store) -> int:
    """Store a checked version (with the files it includes, as they are now)."""
    from callqa.engine.store.database import policy_hash

    effective = None
    if args.effective:
        effective = moment_option(args.effective, "--effective")
        if effective is None:
            return 2
    try:
        policy = load_policy(args.file)
    except PolicyError as error:
        say(error.render(), file=sys.stderr)
        say(_("{file}: not stored — fix the errors first").format(file=args.file),
            file=sys.stderr)  # fmt: skip
        return 1
    text = policy.checked.stored_text  # with the files it includes, as they are now
    if effective is not None and effective.tzinfo is None:
        effective = effective.replace(tzinfo=policy.timezone)
    try:
        stored: PolicyVersion | None = store.policy(policy_hash(text))
    except StoreError:
        stored = None
    if stored is not None and effective is not None:
        say(_("{file} is already stored as {hash} (the same text is stored once), so "
              "--effective is not applied to it: change the text, e.g. its version, to store "
              "a new version").format(file=args.file, hash=stored.hash),
            file=sys.stderr)  # fmt: skip
        return 1
    try:
        digest = store.add_policy(text, name=policy.name, version=policy.version,
                                  file=Path(args.file).name, author=args.author,
                                  effective_from=effective)  # fmt: skip
    except StoreError as error:  # a NUL character: no database can keep it
        say(_("{error}; {file}: not stored").format(error=error, file=args.file),
            file=sys.stderr)  # fmt: skip
        return 1
    say(_("stored {name} {version} as {hash}").format(
        name=policy.name, version=policy.version or "", hash=digest
    ))  # fmt: skip
    return 0


def _activate(args: argparse.Namespace, store: Store) -> int:
    """Make a stored version active, only if its own tests pass."""
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
            say(_("FAIL  {name}  ({location})").format(
                name=result.name, location=result.location
            ), file=sys.stderr)  # fmt: skip
        say(_("not activated: {count} test(s) fail").format(count=len(failures)),
            file=sys.stderr)  # fmt: skip
        return 1
    store.activate(version.hash, args.by)
    say(_("activated {name} {version} ({hash}) by {by}").format(
        name=version.name, version=version.version or "", hash=version.hash, by=args.by
    ))  # fmt: skip
    return 0
