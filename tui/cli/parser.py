"""The `callqa` argument parser, built from the command groups: each group's module
registers its own commands (`register`), so a new command touches one module."""

from __future__ import annotations

import argparse

from callqa import __version__
from callqa.dsl.i18n import LANGUAGES
from callqa.tui.cli import apps, events, policy_files, sampling, scoring, simulate, versions
from callqa.tui.cli.common import CommandGroup

COMMAND_GROUPS: tuple[CommandGroup, ...] = (
    policy_files,  # check, fmt, test
    scoring,  # score, calibration
    sampling,  # sample
    events,  # explain, import
    simulate,  # simulate (and its --sweep)
    versions,  # policy add|activate|history|diff
    apps,  # tui, demo
)
"""In the order `callqa --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callqa", description="Quality rules for call centers: check, format and score."
    )
    parser.add_argument("--version", action="version", version=f"callqa {__version__}")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language callqa speaks: zh (简体中文) or en; by default CALLQA_LANG, "
        "else the locale (LANG=zh_CN.UTF-8 is Chinese)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser
