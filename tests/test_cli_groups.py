"""The command line's layout: one module per command group (callqa.tui.cli), each adding its
own commands, so that a contributor adding a command touches one module."""

from __future__ import annotations

import argparse
import importlib.metadata
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import callqa.tui.cli as cli
from callqa.tui.cli import build_parser, main
from callqa.tui.cli.common import CommandGroup
from callqa.tui.cli.parser import COMMAND_GROUPS

ROOT = Path(__file__).resolve().parent.parent
NOT_GROUPS = {"common", "parser", "progress"}  # what the groups share, and the parser they fill


def commands_of(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's sub-commands by name."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


def registered_by(group: CommandGroup) -> dict[str, argparse.ArgumentParser]:
    """The commands a group's module adds to an empty `callqa`."""
    parser = argparse.ArgumentParser(prog="callqa")
    group.register(parser.add_subparsers(dest="command"))
    return commands_of(parser)


def test_each_command_group_registers_its_own_commands_and_runs_them_itself() -> None:
    seen: dict[str, str] = {}
    for group in COMMAND_GROUPS:
        commands = registered_by(group)
        assert commands, f"{group.__name__} registers no command"
        for name, parser in commands.items():
            assert name not in seen, f"{name} is registered by {seen.get(name)} and {group}"
            seen[name] = group.__name__
            run = parser.get_default("run")
            assert callable(run), f"{name}: no run"
            assert run.__module__ == group.__name__, f"{name} runs {run.__module__}'s code"
    assert set(seen) == set(commands_of(build_parser()))  # callqa has these, and only these
    assert {name: seen[name].rsplit(".", 1)[1] for name in ("check", "score", "sample",
            "import", "simulate", "policy", "demo")} == {
        "check": "policy_files", "score": "scoring", "sample": "sampling", "import": "events",
        "simulate": "simulate", "policy": "versions", "demo": "apps"}  # fmt: skip


def test_every_module_of_the_command_line_is_a_group_callqa_lists() -> None:
    """A new group module left out of parser.COMMAND_GROUPS would add no command at all."""
    modules = {info.name for info in pkgutil.iter_modules(cli.__path__)}
    groups = {group.__name__.rsplit(".", 1)[1] for group in COMMAND_GROUPS}
    assert modules - NOT_GROUPS == groups
    assert len(groups) == len(COMMAND_GROUPS) >= 7


def test_help_lists_every_command_of_every_group_from_each_way_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`callqa --help` (the installed script), `python -m callqa --help` and main()."""
    every = [name for group in COMMAND_GROUPS for name in registered_by(group)]
    assert len(every) == 12
    script = importlib.metadata.entry_points(group="console_scripts", name="callqa")
    assert [entry.load() for entry in script] == [main]
    shown = subprocess.run(
        [sys.executable, "-m", "callqa", "--help"], capture_output=True, text=True, check=True,
        cwd=ROOT,
    ).stdout  # fmt: skip
    listed = re.findall(r"^    (\S+)", shown, re.MULTILINE)  # a long name's help wraps
    assert listed == every  # in the groups' order: check, fmt, test, score, ...
    for name in every:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: callqa {name} ")


def test_checking_a_policy_loads_neither_the_store_nor_the_terminal_app() -> None:
    """SQLAlchemy and Textual take ~0.2 s each to import: the command groups import them
    when a command needs them, so `callqa check` or `callqa --help` do not wait for them."""
    policy = ROOT / "policies" / "standard.policy"
    code = (
        "import sys\n"
        "from callqa.tui.cli import main\n"
        f"assert main(['check', {str(policy)!r}]) == 0\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'textual') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.splitlines()[-1] == "[]"


def test_every_time_option_given_wrongly_is_named_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--until (explain), --effective (policy add) and --from/--to (simulate) read a time
    the same way (common.moment_option): the message names the option, the exit code is 2."""
    policy = str(ROOT / "policies" / "standard.policy")
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    db = str(tmp_path / "h.db")
    for argv, option in (
        (["explain", "--policy", policy, "--events", str(events), "--until", "soon"], "--until"),
        (["policy", "add", policy, "--db", db, "--effective", "soon"], "--effective"),
        (["simulate", "--policy", policy, "--db", db, "--from", "soon"], "--from/--to"),
        (["simulate", "--policy", policy, "--db", db, "--to", "soon"], "--from/--to"),
    ):
        assert main(argv) == 2, argv
        said = capsys.readouterr().err
        assert said.startswith(f"{option}: 'soon' is not a date such as 2026-11-01"), said
