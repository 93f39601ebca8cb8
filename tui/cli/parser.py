"""The `callqa` argument parser, built from the command groups: each group's module
registers its own commands (`register`), so a new command touches one module."""

from __future__ import annotations

import argparse
import re
import unicodedata
from typing import Any

from callqa import __version__
from callqa.dsl.i18n import LANGUAGES, _, current
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


class _Formatter(argparse.HelpFormatter):
    """argparse's help, its "usage: " in the run's language, Chinese text wrapped by the
    cells it takes on a terminal (two a character) rather than by its characters."""

    def _format_usage(
        self, usage: Any, actions: Any, groups: Any, prefix: str | None
    ) -> str:  # fmt: skip
        prefix = _("usage: ") if prefix is None else prefix
        text = super()._format_usage(usage, actions, groups, prefix)
        wider = _cells(prefix) - len(prefix)  # the lines after the first align under it
        if not wider:
            return text
        lines = text.split("\n")
        return "\n".join(lines[:1] + [" " * wider + line if line.startswith(" ") else line
                                      for line in lines[1:]])  # fmt: skip

    def _split_lines(self, text: str, width: int) -> list[str]:
        if current() == "en" or _cells(text) == len(text):  # English: as argparse wraps it
            return super()._split_lines(text, width)
        lines, line = [], ""
        for word in _WORDS.findall(" ".join(text.split())):
            if line and _cells(line + word) > width and word not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = word.lstrip()
            else:
                line += word
        return [*lines, line.rstrip()] if line.strip() else lines


_WORDS = re.compile(r"[（《「“]?(?: ?[^\s\u2e80-\uffef]+|[\u2e80-\uffef])| ")
"""What help text is wrapped between: a Latin word (with the space before it), one Chinese
character or full-width sign, a space; an opening bracket with what follows it."""
_NO_LINE_START = frozenset("，。；：、）》」”！？")


def _cells(text: str) -> int:
    """Columns `text` takes on a terminal: two for a wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Parser(argparse.ArgumentParser):
    """A parser whose help is said in the run's language, argparse's own words too (the
    titles of its lists, -h); its sub-parsers are made of this class as well."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")


def build_parser() -> argparse.ArgumentParser:
    """The parser, its help in the run's language: `--lang` when main saw it before
    building it, else the environment's (CALLQA_LANG, the locale)."""
    parser = _Parser(
        prog="callqa",
        description=_(
            "Quality rules for call centers: check, format and test policies, score "
            "evaluations, sample the calls to review, explain decisions, import event logs, "
            "simulate a change on the history, and keep and activate policy versions."
        ),
    )
    parser.add_argument("--version", action="version", version=f"callqa {__version__}",
                        help=_("show program's version number and exit"))  # fmt: skip
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=_(
            "the language callqa speaks: zh (简体中文) or en; by default CALLQA_LANG, "
            "else the locale (LANG=zh_CN.UTF-8 is Chinese)"
        ),
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", help=_("what to do; callqa COMMAND --help says more")
    )
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser
