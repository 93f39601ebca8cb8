"""`callqa`: check, format and score policies from the command line.

Every message names the file, the line and what to do; bad input rows are reported with
their row number and never stop the good rows from being scored.

One module per command group, each registering its own commands (parser.py lists them):
policy_files (check, fmt, test), scoring (score, calibration), sampling (sample), events
(explain, import), simulate (simulate, --sweep), versions (policy add|activate|history|diff),
apps (tui, demo); common holds what they share (the --db defaults, reading a policy or a
time, opening the store), progress the bars of the long commands and their --quiet.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from callqa.dsl.i18n import LANGUAGES, Language, _, set_language
from callqa.engine.errors import InputFileError
from callqa.engine.store.defaults import DEFAULT_DB, DEMO_DB
from callqa.tui.cli.common import Run
from callqa.tui.cli.parser import build_parser
from callqa.tui.cli.progress import Cancelled
from callqa.tui.literal import say


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code (2: asked wrongly, 130: interrupted)."""
    set_language(_language_given(sys.argv[1:] if argv is None else argv))  # for the help too
    parser = build_parser()
    args = parser.parse_args(argv)
    set_language(args.lang)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    run: Run = args.run
    try:
        return run(args)
    except KeyboardInterrupt:  # ctrl+C: one line, not a traceback
        say(_("cancelled: nothing written"), file=sys.stderr)
        return 130
    except Cancelled as written:  # its message is the whole sentence: what was kept, where
        say(written, file=sys.stderr)
        return 130
    except InputFileError as error:  # a file that is missing, a folder, or not text
        say(error, file=sys.stderr)
        return 1
    except OSError as error:  # one written, or a database file: say which, not a traceback
        say(f"{error.filename or 'callqa'}: {error.strerror or error}", file=sys.stderr)
        return 1


def _language_given(argv: Sequence[str]) -> Language | None:
    """The `--lang` given before the command (`--lang zh`, `--lang=zh`), if any, read before
    the parser is built so that its help is said in that language; the parser reads it
    again, and says what is wrong with it."""
    for index, word in enumerate(argv):
        if word == "--lang":
            value = argv[index + 1] if index + 1 < len(argv) else ""
        elif word.startswith("--lang="):
            value = word.removeprefix("--lang=")
        elif word.startswith("-") or (index and argv[index - 1] == "--lang"):
            continue
        else:
            break  # the command: its own arguments follow
        for language in LANGUAGES:
            if value == language:
                return language
    return None


__all__ = ["DEFAULT_DB", "DEMO_DB", "build_parser", "main"]
