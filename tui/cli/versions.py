"""`callqa policy add|activate|list|history|diff`: the policy versions kept in the store,
who activated which and when (the user logged in, unless --by names another), and what
changed between two. Times are shown to people in the machine's timezone with its offset;
JSON gives them in ISO 8601 with theirs."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import getpass
import json
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
from callqa.tui.cli.common import Commands, add_format, moment_option, open_store
from callqa.tui.literal import say

if TYPE_CHECKING:
    from callqa.engine.store.database import PolicyVersion, Store


def register(commands: Commands) -> None:
    policy = commands.add_parser("policy", help=_("publish and activate policy versions"))
    policy_commands = policy.add_subparsers(
        dest="policy_command", metavar="ACTION",
        help=_("what to do with the versions; callqa policy ACTION --help says more"),
    )  # fmt: skip
    add = policy_commands.add_parser("add", help=_("store a version (checked)"))
    add.add_argument("file", help=_("the policy file to store, with the files it includes"))
    add.add_argument("--author", help=_("who wrote this version (default: you, the user "
                     "logged in: $USER)"))  # fmt: skip
    add.add_argument("--effective", metavar="TIME", help=_("when this version takes effect"))
    add_format(add, "json")
    activate = policy_commands.add_parser("activate", help=_("make a stored version active"))
    activate.add_argument("hash", help=_("the version's hash, or its first 4 or more "
                          "characters (see callqa policy list)"))  # fmt: skip
    activate.add_argument("--by", metavar="NAME", help=_("who activates it, as history shows "
                          "(default: you, the user logged in: $USER)"))  # fmt: skip
    add_format(activate, "json")
    listed = policy_commands.add_parser("list", help=_("every stored version, newest first"))
    add_format(listed, "json")
    history = policy_commands.add_parser("history", help=_("who activated what, when"))
    add_format(history, "json")
    diff = policy_commands.add_parser("diff", help=_("what changed between two stored versions"))
    diff.add_argument("old", help=_("the older version's hash (4 or more characters)"))
    diff.add_argument("new", help=_("the newer version's hash (4 or more characters)"))
    add_format(diff, "json")
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
        say(_("say what to do: callqa policy add|activate|list|history|diff"), file=sys.stderr)
        return 2
    store = open_store(args.db, create=args.policy_command == "add")
    if store is None:
        return 1
    if args.policy_command == "history":
        return _history(args, store)
    if args.policy_command == "list":
        return _list(args, store)
    if args.policy_command == "diff":
        return _diff(args, store)
    if args.policy_command == "add":
        return _add(args, store)
    return _activate(args, store)


def user() -> str:
    """Who runs callqa, as the system names them ($LOGNAME, $USER, else the account's
    name); "unknown" when nothing names them."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):  # no variable and no account entry
        return "unknown"


def local_time(moment: dt.datetime) -> str:
    """A stored time (UTC) as people read it: in the machine's timezone, with its offset
    from UTC (2026-11-02 14:05 +08:00)."""
    local = moment.astimezone()
    offset = local.strftime("%z")  # +0800
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def _history(args: argparse.Namespace, store: Store) -> int:
    rows = store.history()
    if args.format == "json":
        activations = [
            {"activated": activation.activated_utc.isoformat(), "by": activation.by,
             "hash": version.hash, "name": version.name, "version": version.version,
             "effective_from": _iso(version.effective_from_utc)}
            for activation, version in rows
        ]  # fmt: skip
        say(json.dumps({"activations": activations}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        say(_("no policy has been activated yet"))
    for activation, version in rows:
        what = f"{version.name} {version.version or ''}"
        say(_("{when}  {hash}  {what}  activated by {by}").format(
            when=local_time(activation.activated_utc), hash=version.hash, what=what,
            by=activation.by,
        ))  # fmt: skip
    return 0


def _list(args: argparse.Namespace, store: Store) -> int:
    """Every stored version, newest first: when stored, by whom, which is active."""
    versions = store.policies()
    active = store.active_policy()
    active_hash = active.hash if active is not None else None
    if args.format == "json":
        listed = [
            {"hash": version.hash, "name": version.name, "version": version.version,
             "file": version.file, "stored": version.created_utc.isoformat(),
             "author": version.author, "effective_from": _iso(version.effective_from_utc),
             "active": version.hash == active_hash}
            for version in versions
        ]  # fmt: skip
        say(json.dumps({"versions": listed, "active": active_hash}, ensure_ascii=False,
                       indent=2))  # fmt: skip
        return 0
    if not versions:
        say(_("no policy version is stored yet; store one: callqa policy add FILE"))
    for version in versions:
        line = (
            _("{when}  {hash}  {what}  stored by {by}  (active)")
            if version.hash == active_hash
            else _("{when}  {hash}  {what}  stored by {by}")
        )
        say(line.format(
            when=local_time(version.created_utc), hash=version.hash,
            what=f"{version.name} {version.version or ''}".rstrip(), by=version.author,
        ), style="green" if version.hash == active_hash else "")  # fmt: skip
    return 0


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


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
    files = []
    for old_name, new_name, before, after in pairs:
        lines = list(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            f"{old_name} ({old.hash})", f"{new_name} ({new.hash})",
        ))  # fmt: skip
        if args.format == "json":
            if lines:
                files.append({"old_file": old_name, "new_file": new_name, "diff": "".join(lines)})
            continue
        for line in lines:
            say(line, end="")
    if args.format == "json":
        say(json.dumps({"old": old.hash, "new": new.hash, "files": files}, ensure_ascii=False,
                       indent=2))  # fmt: skip
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
                                  file=Path(args.file).name, author=args.author or user(),
                                  effective_from=effective)  # fmt: skip
    except StoreError as error:  # a NUL character: no database can keep it
        say(_("{error}; {file}: not stored").format(error=error, file=args.file),
            file=sys.stderr)  # fmt: skip
        return 1
    if args.format == "json":
        say(json.dumps({"stored": digest, "name": policy.name, "version": policy.version,
                        "file": Path(args.file).name, "author": args.author or user(),
                        "db": args.db}, ensure_ascii=False, indent=2))  # fmt: skip
        return 0
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
    if args.format == "json" and failures:
        say(json.dumps({"activated": None, "hash": version.hash, "failing": [
            {"name": r.name, "location": r.location} for r in failures
        ]}, ensure_ascii=False, indent=2))  # fmt: skip
        return 1
    if failures:
        for result in failures:
            say(_("FAIL  {name}  ({location})").format(
                name=result.name, location=result.location
            ), file=sys.stderr, style="red")  # fmt: skip
        say(_("not activated: {count} test(s) fail").format(count=len(failures)),
            file=sys.stderr)  # fmt: skip
        return 1
    by = args.by or user()
    store.activate(version.hash, by)
    if args.format == "json":
        say(json.dumps({"activated": version.hash, "name": version.name,
                        "version": version.version, "by": by}, ensure_ascii=False,
                       indent=2))  # fmt: skip
        return 0
    say(_("activated {name} {version} ({hash}) by {by}").format(
        name=version.name, version=version.version or "", hash=version.hash, by=by
    ))  # fmt: skip
    return 0
