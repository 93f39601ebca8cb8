"""`callqa tui`: edit, check, test and simulate policies in the terminal.

Workers do the slow parts (checking after a pause in typing, tests, simulation) in
threads, and post their results back; the editor never waits for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from shlex import quote
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ListItem,
    ListView,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
)
from textual.worker import Worker, WorkerState, get_current_worker

from callqa.dsl.check import check_text
from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.dsl.i18n import N_, _, named
from callqa.dsl.includes import unbundle
from callqa.engine import load_policy
from callqa.engine.errors import InputFileError
from callqa.engine.policy import Policy
from callqa.engine.runtime.events import parse_moment
from callqa.engine.store.defaults import DEFAULT_DB
from callqa.engine.store.text_files import read_utf8
from callqa.tui.editor import PolicyEditor
from callqa.tui.errors import first_line
from callqa.tui.files import SHIPPED, NotRegularFile, is_shipped, main_policy, write_atomically
from callqa.tui.literal import shown
from callqa.tui.screens import Ask, Confirm, Help, SaveAs, translate_bindings
from callqa.tui.simulation_view import (
    decision_label,
    grade_chart,
    refused_sentences,
    replay_sentences,
    summary_sentences,
)
from callqa.tui.tables import fill_table

CHECK_DELAY = 0.35  # seconds of quiet typing before the buffer is checked
# what each group of workers says when it fails
STOPPED = {
    "check": N_("the check stopped: {error} — your edits are kept"),
    "tests": N_("the tests stopped: {error} — your edits are kept"),
    "simulate": N_("the simulation stopped: {error} — your edits are kept"),
    "sampling": N_("the sampling plan stopped: {error} — your edits are kept"),
}
STOPPED_OTHER = N_("a background task stopped: {error} — your edits are kept")
HEADERS = {
    "problems": (N_("line:col"), N_("severity"), N_("message")),
    "tests": (N_("result"), N_("test"), N_("where")),
    "simulation": (N_("decision"), N_("before"), N_("after"), N_("change")),
    "sampling": (N_("period"), N_("agent"), N_("call"), N_("why")),
}
SEVERITIES = {"error": N_("error"), "warning": N_("warning")}
# Why F6 or F8 has nothing to work on (`_no_history`): which database, and how to fill it
NO_HISTORY = {
    ("replay", "missing"): N_(
        "Nothing replayed: the database {db} does not exist (nothing was created); import the "
        "center's calls with `callqa import --db {given} calls.csv`, or try callqa on "
        "generated data: `callqa demo`, then `callqa tui --db callqa-demo.db`"
    ),
    ("replay", "empty"): N_(
        "Nothing replayed: the database {db} holds no history (no events); import the center's "
        "calls with `callqa import --db {given} calls.csv`, or try callqa on generated data: "
        "`callqa demo`, then `callqa tui --db callqa-demo.db`"
    ),
    ("plan", "missing"): N_(
        "No sampling plan: the database {db} does not exist (nothing was created); import the "
        "center's calls with `callqa import --db {given} calls.csv`, or try callqa on "
        "generated data: `callqa demo`, then `callqa tui --db callqa-demo.db`"
    ),
    ("plan", "empty"): N_(
        "No sampling plan: the database {db} holds no calls; import the center's calls with "
        "`callqa import --db {given} calls.csv`, or try callqa on generated data: "
        "`callqa demo`, then `callqa tui --db callqa-demo.db`"
    ),
}
# Textual's own words that the screens show (the footer's palette key, the palette's
# commands and search box): put in the run's language with ours
TEXTUAL_WORDS = {
    "palette": N_("palette"),
    "palette tooltip": N_("Open the command palette"),
    "search": N_("Search for commands…"),
    "Theme": N_("Theme"),
    "Theme help": N_("Change the current theme"),
    "Quit": N_("Quit"),
    "Quit help": N_("Quit the application as soon as possible"),
    "Keys": N_("Keys"),
    "Keys hide": N_("Hide the keys and widget help panel"),
    "Keys show": N_("Show help for the focused widget and a summary of available keys"),
    "Minimize": N_("Minimize"),
    "Minimize help": N_("Minimize the widget and restore to normal size"),
    "Maximize": N_("Maximize"),
    "Maximize help": N_("Maximize the focused widget"),
    "Screenshot": N_("Screenshot"),
    "Screenshot help": N_("Save an SVG 'screenshot' of the current screen"),
}


class CallqaApp(App[None]):
    TITLE = "callqa"
    CSS = """
    #files { width: 28; border-right: solid $primary-darken-2; }
    Screen.-narrow #files, Screen.-files-hidden #files { display: none; }
    Screen.-narrow.-files-shown #files { display: block; }
    #main { width: 1fr; }
    #editor { height: 1fr; min-height: 5; }
    #panels { height: 45%; min-height: 12; }
    Screen.-short #panels { height: 50%; min-height: 8; }
    #main.-results #editor { display: none; }
    #main.-results #panels { height: 1fr; }
    #panels > ContentSwitcher { height: 1fr; }
    #panels TabPane { height: 1fr; padding: 0; }
    #status { height: 1; padding: 0 1; background: $boost; }
    DataTable { height: 1fr; }
    #tests { min-height: 3; }
    #sim-scroll { height: 1fr; }
    #sim-scroll DataTable { height: auto; }
    #sim-progress { width: auto; margin-left: 2; display: none; }
    Screen.-narrow #sim-progress Bar { width: 10; }
    .controls { height: 1; }
    .controls Input { width: 1fr; max-width: 32; height: 1; border: none; padding: 0 1; }
    #sample-period { max-width: 44; }
    .controls Button { height: 1; min-width: 14; border: none; margin-left: 2; }
    .version { color: $text-muted; }
    .detail { height: auto; padding: 0 1; }
    #test-detail-scroll { height: auto; max-height: 70%; }
    """
    # the file list hides below 100 columns (ctrl+b shows it); below 32 lines the results
    # take half the height: an 80x24 terminal keeps both the editor and the counts
    # (no ClassVar: Textual declares them as instance variables)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the editor has its own f6/f7 (select line/all); ours win
        # descriptions in the run's language: translate_bindings, when the app is made
        Binding("ctrl+s", "save", N_("save"), id="save", priority=True),
        Binding("f5", "run_tests", N_("tests"), id="tests", priority=True),
        Binding("f6", "simulate", N_("simulate"), id="simulate", priority=True),
        # only while a simulation runs (check_action): escape is otherwise the screens'
        Binding("escape", "cancel_simulation", N_("cancel"), id="cancel", priority=True),
        Binding("f7", "activate", N_("activate"), id="activate", priority=True),
        Binding("f8", "sampling_plan", N_("sampling"), id="sampling", priority=True),
        Binding("ctrl+r", "toggle_results", N_("results"), id="results", priority=True),
        Binding("f1", "help", N_("help"), id="help"),
        Binding("ctrl+o", "focus_files", N_("files"), show=False),
        Binding("ctrl+e", "focus_editor", N_("editor"), show=False),
        Binding("ctrl+b", "toggle_files", N_("file list"), show=False, priority=True),
        Binding("ctrl+t", "focus_dates", N_("dates"), show=False, priority=True),
        Binding("ctrl+n", "new_file", N_("new file"), show=False, priority=True),
        Binding("ctrl+g", "go_to_line", N_("go to line"), show=False, priority=True),
        Binding("f9", "format", N_("format"), show=False, priority=True),
        # the app's own quit action, which asks first: so do ctrl+p's Quit and ctrl+c's hint
        Binding("ctrl+q", "quit", N_("quit"), id="quit", priority=True),
    ]

    def __init__(self, folder: Path, db: str = DEFAULT_DB, file: Path | None = None) -> None:
        super().__init__()
        translate_bindings(self)  # ours, and the palette's key that Textual adds
        self.folder = folder
        self.db = db
        self.path: Path | None = file
        self.saved_text = ""
        self.problems: list[Diagnostic] = []
        self.plan: dict[str, Any] | None = None
        self._check_timer: Timer | None = None
        self._checked: str | None = None  # the text last sent to be checked

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield ListView(*self._file_items(), id="files")
            with Vertical(id="main"):
                yield PolicyEditor(id="editor")
                yield Static("", id="status", markup=False)
                with TabbedContent(id="panels"):
                    with TabPane(_("Problems"), id="problems-tab"):
                        yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)
                    with TabPane(_("Tests"), id="tests-tab"):
                        yield DataTable(id="tests", cursor_type="row")
                        with VerticalScroll(id="test-detail-scroll"):
                            yield Static("", id="test-detail", classes="detail", markup=False)
                    with TabPane(_("Simulation"), id="simulation-tab"):
                        with Horizontal(classes="controls"):
                            yield Label(_("from "))
                            yield Input(placeholder=_("the first event"), id="sim-from")
                            yield Label(_(" to "))
                            yield Input(placeholder=_("the last event"), id="sim-to")
                            yield ProgressBar(id="sim-progress")
                        # the counts, then all the detail (grade chart too): scrolls as one
                        with VerticalScroll(id="sim-scroll"):
                            yield DataTable(id="simulation", cursor_type="row")
                            yield Static("", id="sim-detail", classes="detail", markup=False)
                    with TabPane(_("Sampling"), id="sampling-tab"):
                        with Horizontal(classes="controls"):
                            yield Label(_("day or week "))
                            yield Input(
                                placeholder=_("the last day with calls"), id="sample-period"
                            )
                            yield Button(_("Export plan"), id="export-plan")
                        yield DataTable(id="sampling", cursor_type="row")
        yield Footer()

    def _file_items(self) -> Iterable[ListItem]:
        for path in sorted(self.folder.glob("*.policy")):
            item = ListItem(Label(shown(path.name), markup=False))
            item.path = path  # type: ignore[attr-defined]
            yield item
        yield from self._version_items()

    def _version_items(self) -> Iterable[ListItem]:
        """Versions recorded in the store (newest activation first), opened read-only."""
        if self._missing_database():
            return
        from callqa.engine.store.database import Store

        try:
            store = Store(self.db)
        except Exception:  # a broken database must not stop the editor from opening
            return
        try:
            history = store.history()
        except Exception:
            return
        finally:
            store.close()
        for activation, version in reversed(history[-8:]):
            label = f"{version.hash[:8]} {version.file} {activation.activated_utc:%m-%d %H:%M}"
            item = ListItem(Label(shown(label), markup=False), classes="version")
            item.version_text = version.text  # type: ignore[attr-defined]
            item.version_name = f"{version.file} ({version.hash[:8]})"  # type: ignore[attr-defined]
            yield item

    def on_mount(self) -> None:
        for name in HEADERS:
            self._fill(name, [])
        if self.path is None:
            self.path = main_policy(self.folder)
        if self.path is not None:
            self.open_file(self.path)
        self.query_one(PolicyEditor).focus()

    def on_resize(self, event: events.Resize) -> None:
        """Below 100 columns the footer packs its keys closer, and leaves out the palette's
        key (f1's help names it) so that ctrl+r and f1 still show."""
        footer = self.query_one(Footer)
        footer.compact = event.size.width < 100
        footer.show_command_palette = event.size.width >= 90

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):  # Textual's (TEXTUAL_WORDS)
            yield command._replace(title=_(command.title), help=_(command.help))
        for name, title, help_text in (
            ("save", _("Save"), _("save the file (errors: saved as a draft)")),
            ("save_as", _("Save as"), _("save the buffer in another file, then edit that one")),
            ("run_tests", _("Run tests"), _("run the policy's test blocks")),
            ("simulate", _("Simulate"), _("the buffer against the active version")),
            ("activate", _("Activate"), _("record this version as active (clean and tested)")),
            ("sampling_plan", _("Sampling plan"), _("the last day's published sample")),
            ("new_file", _("New file"), _("a new policy file in the folder (ctrl+n)")),
            ("focus_files", _("Open"), _("choose a policy in the file list (ctrl+o)")),
            ("format", _("Format"), _("lay the policy out as callqa fmt does, same keywords (f9)")),
            ("go_to_line", _("Go to line"), _("move the cursor to a line (ctrl+g)")),
            (
                "toggle_results",
                _("Results: maximize or restore"),
                _("give the results the whole height, or share it with the editor (ctrl+r)"),
            ),
            (
                "toggle_files",
                _("File list: show or hide"),
                _("show or hide the file list (ctrl+b)"),
            ),
            (
                "focus_dates",
                _("Dates"),
                _("type the simulation's from/to or the sampling day (ctrl+t)"),
            ),
            ("help", _("Help"), _("keys and what they do")),
        ):
            yield SystemCommand(title, help_text, getattr(self, f"action_{name}"))

    def action_command_palette(self) -> None:
        """Textual's, with its search box's placeholder in the run's language."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            placeholder = _(TEXTUAL_WORDS["search"])
            self.push_screen(CommandPalette(id="--command-palette", placeholder=placeholder))

    def action_help_quit(self) -> None:
        """Textual's answer to ctrl+c (which no longer quits), in the run's language."""
        for key, active_binding in self.active_bindings.items():
            if active_binding.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press [b]{key}[/b] to quit the app").format(key=key),
                    title=_("Do you want to quit?"),
                )
                return

    # -------------------------------------------------------------- files, save

    def open_file(self, path: Path) -> None:
        try:
            text = read_utf8(path)
        except InputFileError as error:  # a GBK file, say: the editor keeps what it shows
            self._say(str(error), severity="error", timeout=30)
            return
        self.path = path
        self.saved_text = text
        editor = self.query_one(PolicyEditor)
        editor.read_only = False
        editor.load_text(text)
        self.sub_title = shown(
            _("{name} (shipped example, read-only: ctrl+s saves a copy in your folder)").format(
                name=path.name
            )
            if self.shipped
            else path.name
        )
        self._checked = text
        self.check_buffer(text)

    @property
    def shipped(self) -> bool:
        """Whether the open file is one of the installed package's: never written there."""
        return self.path is not None and is_shipped(self.path)

    @on(ListView.Selected, "#files")
    def _file_chosen(self, event: ListView.Selected) -> None:
        if hasattr(event.item, "version_text"):
            self._show_version(event.item.version_text, event.item.version_name)  # type: ignore[attr-defined]
            return
        path: Path = event.item.path  # type: ignore[attr-defined]
        self._unless_unsaved(lambda: self.open_file(path))

    def _show_version(self, text: str, name: str) -> None:
        """A stored version is shown read-only; copy from it into a file to change it."""
        editor = self.query_one(PolicyEditor)
        if self.dirty:
            self._say(_("save or undo your changes before viewing a stored version"),
                      severity="warning")  # fmt: skip
            return
        self.path = None
        own, included = unbundle(text)  # the files it included, as they were stored
        self.saved_text = own
        editor.read_only = True
        editor.load_text(own)
        title = (
            _("{name} (stored version with {files}, read-only)")
            if included
            else _("{name} (stored version, read-only)")
        )
        self.sub_title = shown(title.format(name=name, files=", ".join(included)))
        self.check_buffer(text, stored=True)

    @property
    def dirty(self) -> bool:
        return self.query_one(PolicyEditor).text != self.saved_text

    def action_save(self) -> None:
        """Save the buffer to its file; a shipped example is saved as a copy elsewhere."""
        if self.path is None:
            self._say(_("no file is open"), severity="warning")
            return
        if self.shipped:
            self._save_copy()
            return
        self._save_to(self.path)

    def action_save_as(self) -> None:
        if self.path is None:
            self._say(_("no file is open (a stored version cannot be saved as a file yet)"),
                      severity="warning")  # fmt: skip
            return
        self._save_copy()

    def _save_to(self, path: Path, copy: list[str] | None = None) -> bool:
        """Write the buffer to `path` and say so (`copy`: it is the user's copy of a shipped
        example, with these files it includes copied along: its edits now go there); a
        failure (a full disk, a read-only folder) is told, and the buffer keeps its text and
        its unsaved state."""
        text = self.query_one(PolicyEditor).text
        try:
            write_atomically(path, text)
        except NotRegularFile as error:  # a pipe or a device: it would have been replaced
            self._say(_("not written: {path} is not a regular file; give the policy file's own "
                        "path with 'Save as' (ctrl+p); your changes are still in the editor, "
                        "unsaved").format(path=error.path),
                      severity="error", timeout=60)  # fmt: skip
            self._status()
            return False
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self._say(_("{path} was not saved ({reason}): your changes are still in the "
                        "editor, unsaved; free some space or fix the folder's permissions and "
                        "press ctrl+s again, or save them elsewhere with 'Save as' "
                        "(ctrl+p)").format(path=path, reason=reason),
                      severity="error", timeout=60)  # fmt: skip
            self._status()
            return False
        self.path = path
        self.saved_text = text
        errors = sum(d.is_error for d in self.problems)
        self._say(_saved_message(copy, errors).format(name=path.name, target=path,
                                                      files=", ".join(copy or []),
                                                      errors=errors),
                  severity="warning" if errors else "information")  # fmt: skip
        self._status()
        return True

    def _save_copy(self, then_do: Callable[[], None] | None = None, cancelled: str = "") -> None:
        """Ask where to save the buffer (by default the current folder), then edit there,
        and `then_do` what waited for the save (said `cancelled` if it was not saved).
        A copy of a shipped example takes the files it includes along, when they are not
        in that folder yet: the copy must check as the example does."""
        assert self.path is not None
        why = (_("{name} is a shipped example: it is never changed, so that an upgrade cannot "
                 "overwrite your rules; save your copy of it here:")
               if self.shipped else _("Save {name} as:")).format(name=self.path.name)  # fmt: skip
        suggestion = f"./{self.path.name}"

        def saved(target: Path) -> bool:
            copied = self._copy_included(self._included_files(), target) if self.shipped else []
            return self._save_to(target, copied)

        def chosen(target: Path | None) -> None:
            if target is None or not saved(target):
                if cancelled:
                    self._say(cancelled, severity="warning", timeout=15)
                return
            self.sub_title = shown(target.name)
            if target.parent.resolve() != self.folder.resolve():
                self.folder = target.parent
                self._refresh_files()
            self.check_buffer(self.saved_text)
            if then_do is not None:
                then_do()

        self.push_screen(SaveAs(why, suggestion, forbidden=SHIPPED), chosen)

    def _included_files(self) -> dict[str, str]:
        """The files the buffer includes, by their path from its folder, with their text."""
        checked, _problems = check_text(self.query_one(PolicyEditor).text, self._buffer_name,
                                        self._buffer_folder)  # fmt: skip
        return {checked.logical[shown]: text for shown, text in checked.sources.items()}

    def _copy_included(self, included: dict[str, str], copy: Path) -> list[str]:
        """Copy included files next to a policy's copy; one there already is kept."""
        copied = []
        for logical, text in included.items():
            target = copy.parent / logical
            if ".." in Path(logical).parts or Path(logical).is_absolute() or target.exists():
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(target, text)
            except OSError as error:
                self._say(_("{target} was not copied ({reason}): copy it from the shipped "
                            "examples by hand").format(target=target,
                                                       reason=error.strerror or error),
                          severity="error", timeout=60)  # fmt: skip
                continue
            copied.append(logical)
        return copied

    def _refresh_files(self) -> None:
        files_list = self.query_one("#files", ListView)
        files_list.clear()
        files_list.extend(self._file_items())

    async def action_quit(self) -> None:
        """Every way out (ctrl+q, the palette's Quit) asks first when there are unsaved
        changes; a second ctrl+q while it asks does not stack another question."""
        if not self.dirty:
            self.exit()
            return
        if isinstance(self.screen, Confirm) and self.screen.purpose == "quit":
            return

        def answer(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(Confirm(_("There are unsaved changes. Quit without saving?"),
                                 _("Quit"), _("Stay"), purpose="quit"), answer)  # fmt: skip

    def _say(self, message: str, severity: SeverityLevel = "information",
             timeout: float | None = None) -> None:  # fmt: skip
        """A notification of text that may hold a policy's or the data's words: shown
        literally (no markup, control characters shown as escapes: tui.literal)."""
        self.notify(shown(message), severity=severity, timeout=timeout, markup=False)

    # ------------------------------------------------------ live diagnostics

    @on(PolicyEditor.Changed)
    def _edited(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        editor = self.query_one(PolicyEditor)
        if editor.read_only:  # a stored version, loaded: checked with its stored files
            self._status()
            return
        text = editor.text
        if text != self._checked:  # not the file just opened, checked already

            def check() -> None:
                self._checked = text
                self.check_buffer(text)

            self._check_timer = self.set_timer(CHECK_DELAY, check)
        self._status()

    @work(exclusive=True, group="check", thread=True, exit_on_error=False)
    def check_buffer(self, text: str, stored: bool = False) -> None:
        """Check with the included files on disk, or with those stored with a version."""
        folder = None if stored else self._buffer_folder
        _checked, diagnostics = check_text(text, self._buffer_name, folder, stored)
        self.call_from_thread(self._show_problems, diagnostics)

    @property
    def _buffer_name(self) -> str:
        return self.path.name if self.path else "<buffer>"

    @property
    def _buffer_folder(self) -> Path:
        """Where the files the buffer includes are read from."""
        return self.path.parent if self.path else self.folder

    def _show_problems(self, diagnostics: list[Diagnostic]) -> None:
        self.problems = diagnostics
        rows = []
        here = self._buffer_name
        for d in diagnostics:
            message = (_("{message} — try: {hint}").format(message=d.message, hint=d.hint)
                       if d.hint else d.message)  # fmt: skip
            # a problem in an included file is shown with that file's name
            where = f"{d.line}:{d.col}" if d.file == here else d.location
            severity = d.severity.value
            rows.append((where, _(SEVERITIES[severity]) if severity in SEVERITIES else severity,
                         message))  # fmt: skip
        self._fill("problems", rows, keys=[str(index) for index in range(len(rows))])
        self.query_one(PolicyEditor).show_problems([d for d in diagnostics if d.file == here])
        self._status()

    @on(DataTable.RowSelected, "#problems")
    def _go_to_problem(self, event: DataTable.RowSelected) -> None:
        problem = self.problems[int(str(event.row_key.value))]
        editor = self.query_one(PolicyEditor)
        if problem.file != self._buffer_name:  # in a file the buffer includes: open it there
            target = self._buffer_folder / problem.file
            if editor.read_only or self.dirty or not target.is_file():
                said = (_("this problem is in {file}: save your changes first") if self.dirty
                        else _("this problem is in {file}: open that file to fix it"))  # fmt: skip
                self._say(said.format(file=problem.file))
                return
            self.open_file(target)
        editor.cursor_location = (problem.line - 1, problem.col - 1)
        editor.focus()

    def _status(self) -> None:
        errors = sum(d.is_error for d in self.problems)
        warnings = len(self.problems) - errors
        state = _("unsaved changes") if self.dirty else _("saved")
        counted = (_("{errors} error(s), {warnings} warning(s)") if errors
                   else _("clean, {warnings} warning(s)"))  # fmt: skip
        name = self.path.name if self.path else _("<no file>")
        if self.shipped:
            name = _("{name} (shipped example: ctrl+s saves a copy)").format(name=name)
        parts = (name, state, counted.format(errors=errors, warnings=warnings), _("F1 help"))
        self.query_one("#status", Static).update(shown(" · ".join(parts)))

    def _buffer_policy(self) -> Policy | None:
        try:
            return load_policy(text=self.query_one(PolicyEditor).text, file=self._buffer_name,
                               folder=self._buffer_folder)  # fmt: skip
        except PolicyError as error:
            self._say(_("the policy has {count} problem(s): see Problems").format(
                count=len(error.diagnostics)), severity="error")  # fmt: skip
            self._show_tab("problems-tab")
            return None

    # ------------------------------------------------------------------ tests

    def action_run_tests(self) -> None:
        policy = self._buffer_policy()
        if policy is not None:
            self._show_tab("tests-tab")
            self.run_tests(policy)

    @work(exclusive=True, group="tests", thread=True, exit_on_error=False)
    def run_tests(self, policy: Policy) -> None:
        from callqa.engine.runtime.policy_tests import run_policy_tests

        results = run_policy_tests(policy)
        self.call_from_thread(self._show_tests, results)

    def _show_tests(self, results: list[Any]) -> None:
        self._fill("tests", [(_("PASS") if result.passed else _("FAIL"), result.name,
                              result.location) for result in results])  # fmt: skip
        failed = [r for r in results if not r.passed]
        detail = "\n".join(f for r in failed for f in r.failures) if failed else ""
        summary = _("{passed} passed, {failed} failed").format(
            passed=len(results) - len(failed), failed=len(failed)
        )
        self.query_one("#test-detail", Static).update(shown(f"{summary}\n{detail}".strip()))
        self._say(summary, severity="error" if failed else "information")

    # ------------------------------------------------------------- simulation

    def action_simulate(self) -> None:
        policy = self._buffer_policy()
        if policy is None:
            return
        self._show_tab("simulation-tab")
        bounds: list[dt.datetime | None] = []
        for field_id in ("#sim-from", "#sim-to"):
            text = self.query_one(field_id, Input).value.strip()
            if not text:
                bounds.append(None)
                continue
            try:
                moment = parse_moment(text)
            except ValueError as error:
                self._say(str(error), severity="error")
                return
            bounds.append(moment if moment.tzinfo else moment.replace(tzinfo=policy.timezone))
        self.simulate(policy, bounds[0], bounds[1])
        self.refresh_bindings()  # escape cancels it now

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape cancels a simulation only while one runs and no dialog is open; else
        the key is the editor's or the dialog's."""
        if action == "cancel_simulation":
            return self._simulating() is not None and len(self.screen_stack) == 1
        return True

    def _simulating(self) -> Worker[None] | None:
        running = (WorkerState.PENDING, WorkerState.RUNNING)
        return next((worker for worker in self.workers
                     if worker.group == "simulate" and worker.state in running), None)  # fmt: skip

    def action_cancel_simulation(self) -> None:
        """Stop the replay: its thread stops at its next thousand events."""
        worker = self._simulating()
        if worker is None:
            return
        worker.cancel()
        self.query_one("#sim-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#sim-detail", Static).update(_("Simulation cancelled: nothing replayed "
                                                       "is shown; F6 runs it again"))  # fmt: skip
        self._say(_("simulation cancelled — your edits are kept"), timeout=5)
        self.refresh_bindings()

    @work(exclusive=True, group="simulate", thread=True, exit_on_error=False)
    def simulate(
        self, policy: Policy, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> None:
        """Replay the database's history. The TUI never makes up data: the one thing F6
        writes is the compared version's replay (kept for the next F6, and said so)."""
        from callqa.engine.simulation.from_store import simulate_stored
        from callqa.engine.simulation.simulate import replay_start
        from callqa.engine.store.database import Store

        worker = get_current_worker()
        if self._missing_database():
            self.call_from_thread(self._show_no_history, "missing")
            return
        store = Store(self.db)
        try:
            total = store.count_events()
            if total == 0:
                self.call_from_thread(self._show_no_history, "empty")
                return
            against, label = self._compared_with(store, policy)
            if against is None:
                return
            self.call_from_thread(self.query_one("#sim-progress", ProgressBar).update,
                                  total=total, progress=0)  # fmt: skip

            def progress(done: int) -> None:
                if worker.is_cancelled:  # escape, or a newer F6: stop reading now
                    raise _Cancelled
                self.call_from_thread(
                    self.query_one("#sim-progress", ProgressBar).update, progress=done
                )

            first = replay_start((policy, against), start) if start else None  # whole periods
            try:
                done = simulate_stored(store, policy, against, first, end, progress)
            except _Cancelled:
                return  # action_cancel_simulation has said so
            replayed = done.report
            replayed.asked_from, replayed.replayed_from = start, first
            report = replayed.to_dict()
        finally:
            store.close()
        if not worker.is_cancelled:
            self.call_from_thread(self._show_simulation, report, label, total, done.kept)

    def _compared_with(self, store: Any, buffer: Policy) -> tuple[Policy | None, str]:
        """What the buffer is compared with: the active version, else the file on disk
        (None when that file does not load: said so)."""
        active = store.active_policy()
        if active is not None:
            return load_policy(text=active.text, file=active.file, stored=True), (
                _("active {hash}").format(hash=active.hash[:8])
            )
        if self.path is None or not self.path.exists():
            return buffer, _("itself")
        try:
            return load_policy(self.path, file=self.path.name), _("{file} on disk").format(
                file=self.path.name
            )
        except PolicyError as error:
            self.call_from_thread(
                self._say,
                _(
                    "{file} on disk has {count} problem(s): there is no working version to compare "
                    "with. Save the buffer (ctrl+s); later changes are then compared with it"
                ).format(file=self.path.name, count=len(error.diagnostics)),
                severity="error",
            )
            return None, ""

    def _missing_database(self) -> bool:
        """A database file that is not there: read nothing, and create nothing."""
        return "://" not in self.db and not Path(self.db).expanduser().exists()

    @property
    def _db_shown(self) -> str:
        """The database as the screen names it: a file by its path, a URL without password."""
        from callqa.engine.store.database import shown_target

        if "://" not in self.db:
            return str(Path(self.db).expanduser().resolve())
        return shown_target(self.db)

    def _no_history(self, outcome: str, state: str) -> str:
        """Why F6 or F8 (`outcome`: "replay" or "plan") has nothing to work on (`state`:
        "missing" or "empty"): which database, and how to fill it."""
        from callqa.engine.store.database import shown_target

        given = quote(shown_target(self.db))  # as the user gave it, to run where they are
        return _(NO_HISTORY[outcome, state]).format(db=self._db_shown, given=given)

    def _show_no_history(self, state: str) -> None:
        self._fill("simulation", [])
        self.query_one("#sim-progress", ProgressBar).update(total=None, progress=0)
        message = self._no_history("replay", state)
        self.query_one("#sim-detail", Static).update(shown(message))

    def _show_simulation(
        self, report: dict[str, Any], against: str, stored: int, kept: bool = False
    ) -> None:
        self.refresh_bindings()  # escape has nothing to cancel any more
        self.query_one("#sim-progress", ProgressBar).update(progress=report["events"])
        rows = []
        for label, row in report["counts"].items():
            delta = row["after"] - row["before"]
            rows.append((decision_label(label), str(row["before"]), str(row["after"]),
                         f"{delta:+d}" if delta else ""))  # fmt: skip
        self._fill("simulation", rows)
        chart = grade_chart(report)  # band order, names aligned by display width
        changed = report["changed"]
        replayed = (
            _("Replayed {events:,} events from {db}, the buffer vs {against}: {changed} "
              "outcome(s) changed")
            if report["events"] == stored
            else _("Replayed {events:,} events (of {stored:,}: from/to chose them) from {db}, "
                   "the buffer vs {against}: {changed} outcome(s) changed")
        )  # fmt: skip
        lines = [replayed.format(events=report["events"], stored=stored, db=self._db_shown,
                                 against=against, changed=len(changed))]  # fmt: skip
        lines += [sentence for sentence, _style in replay_sentences(report)]  # as simulate
        lines += [sentence for sentence, _style in refused_sentences(report)]
        if kept:  # a write the manager did not type: say where
            lines.append(_("Kept the replay of {against} in {db}: the next F6 against it "
                           "replays only what a change touches.").format(
                against=against, db=self._db_shown))  # fmt: skip
        lines += summary_sentences(report)  # per decision, team, agent; workload; re-timed
        for row in changed[:6]:
            before = row["before"][0] if row["before"] else _("(not decided)")
            after = row["after"][0] if row["after"] else _("(not decided)")
            lines.append(_("• {kind} {action} {subject}: before {before} | after {after}").format(
                kind=named(row["kind"], "decision"), action=row["action"] or "",
                subject=row["subject"], before=before, after=after))  # fmt: skip
        text = "\n".join([*lines, chart]).strip()
        self.query_one("#sim-detail", Static).update(shown(text))
        self._show_covered(report.get("replay") or {})

    def _show_covered(self, replay: dict[str, Any]) -> None:
        """The empty from/to boxes say, dimmed, which days the run covered: its first and
        last events' (the boxes keep what was typed)."""
        first, last = replay.get("first_event"), replay.get("last_event")
        self.query_one("#sim-from", Input).placeholder = (
            _("the first event: {day}").format(day=first[:10]) if first else _("the first event")
        )
        self.query_one("#sim-to", Input).placeholder = (
            _("the last event: {day}").format(day=last[:10]) if last else _("the last event")
        )

    # ------------------------------------------------------------- activation

    def action_activate(self) -> None:
        if self.path is None:
            self._say(_("only a policy file can be activated (this is a stored version)"),
                      severity="warning")  # fmt: skip
            return
        if any(d.is_error for d in self.problems):
            self._say(_("a policy with errors can be saved as a draft, not activated"),
                      severity="error")  # fmt: skip
            return
        policy = self._buffer_policy()
        if policy is None:
            return
        from callqa.engine.runtime.policy_tests import run_policy_tests

        failed = [r for r in run_policy_tests(policy) if not r.passed]
        if failed:
            self._say(_("not activated: {failed} test(s) fail (F5 shows them)").format(
                failed=len(failed)), severity="error")  # fmt: skip
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._activate(policy)

        question = _("Activate {name} {version} in the database {db}? It will judge all new "
                     "events.").format(name=policy.name, version=policy.version or "",
                                       db=self._db_shown)  # fmt: skip
        self.push_screen(Confirm(question, _("Activate"), _("Cancel")), answer)

    def _activate(self, policy: Policy) -> None:
        """Save the buffer first: a version is activated only as it is in its file (a
        shipped example's edits are saved as a copy), and not when the save fails."""
        unsaved = (
            _("not activated: {name} was not saved, and only a policy as it is in its file is "
              "activated; save it (ctrl+s) and press f7 again").format(name=self.path.name)
            if self.path
            else _("not activated: the buffer was not saved, and only a policy as it is in its "
                   "file is activated; save it (ctrl+s) and press f7 again")
        )  # fmt: skip
        if self.dirty and self.shipped:
            self._save_copy(lambda: self._store_and_activate(policy), unsaved)
            return
        if self.dirty and self.path is not None and not self._save_to(self.path):
            self._say(unsaved, severity="warning", timeout=15)
            return
        self._store_and_activate(policy)

    def _store_and_activate(self, policy: Policy) -> None:
        from callqa.engine.store.database import Store

        try:
            store = Store(self.db, create=True)
            try:  # the text with the files it includes, as they are now
                digest = store.add_policy(policy.checked.stored_text, name=policy.name,
                                          version=policy.version, file=self._buffer_name,
                                          author="tui")  # fmt: skip
                store.activate(digest, by="tui")
            finally:
                store.close()
        except Exception as error:  # a broken or unreachable database: say so, stay open
            self._say(_("not activated: the database cannot be written: {error}").format(
                error=first_line(error)), severity="error", timeout=30)  # fmt: skip
            return
        self._say(_("activated {name} ({digest})").format(name=policy.name, digest=digest))

    # ------------------------------------------------------ new, go to, format

    def action_new_file(self) -> None:
        """Ask a name, create the policy in the folder (the shipped examples': the current
        folder) with its first line, and open it."""
        folder = (Path.cwd() if is_shipped(self.folder) else self.folder).resolve()

        def target(name: str) -> Path:
            return folder / (name if name.endswith(".policy") else f"{name}.policy")

        def problem(name: str) -> str | None:
            if not name:
                return _("write the new file's name, e.g. complaints")
            if "/" in name or "\\" in name or name.startswith("."):
                return _("write a name only: the file goes in {folder}").format(folder=folder)
            if target(name).exists():
                return _("{name} exists already: open it from the file list (ctrl+o)").format(
                    name=target(name).name)  # fmt: skip
            return None

        def create(name: str | None) -> None:
            if name is None:
                return
            path = target(name)
            stem = path.stem
            try:
                write_atomically(path, f'policy "{stem}" version "1" timezone "Asia/Shanghai"\n')
            except OSError as error:
                reason = error.strerror or error
                said = _("{path} was not created ({reason})").format(path=path, reason=reason)
                self._say(said, severity="error", timeout=30)
                return
            if folder.resolve() != self.folder.resolve():
                self.folder = folder
            self._refresh_files()
            self.open_file(path)
            self.query_one(PolicyEditor).focus()
            self._say(_("created {path}").format(path=path))

        def ask() -> None:
            self.push_screen(Ask(_("Name of the new policy file in {folder}:").format(
                folder=folder), _("Create"), problem), create)  # fmt: skip

        self._unless_unsaved(ask)

    def _unless_unsaved(self, then_do: Callable[[], None]) -> None:
        """Do `then_do` now, or after the user agrees to discard the unsaved changes."""
        if not self.dirty:
            then_do()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                then_do()

        question = (
            _("{name} has unsaved changes. Discard them?").format(name=self.path.name)
            if self.path
            else _("The buffer has unsaved changes. Discard them?")
        )
        self.push_screen(Confirm(question, _("Discard"), _("Keep")), answer)

    def action_go_to_line(self) -> None:
        editor = self.query_one(PolicyEditor)
        count = editor.document.line_count

        def number(given: str) -> int | None:
            line = given.split(":")[0].strip()
            return int(line) if line.isdigit() and 1 <= int(line) <= count else None

        def problem(given: str) -> str | None:
            if number(given) is None:
                return _("write a line number from 1 to {count}").format(count=count)
            return None

        def go(given: str | None) -> None:
            line = number(given or "")
            if line is None:
                return
            editor.cursor_location = (line - 1, 0)
            editor.scroll_cursor_visible(center=True)
            self.query_one("#main").remove_class("-results")
            editor.focus()

        row = editor.cursor_location[0] + 1
        self.push_screen(Ask(_("Go to line (1 to {count}):").format(count=count), _("Go"),
                             problem, str(row)), go)  # fmt: skip

    def action_format(self) -> None:
        """The buffer laid out as `callqa fmt` does, in the keywords it is written in (one
        undo step: ctrl+z gives the text back)."""
        from callqa.dsl.format import format_text

        editor = self.query_one(PolicyEditor)
        if editor.read_only:
            self._say(_("a stored version is read-only: it cannot be formatted"),
                      severity="warning")  # fmt: skip
            return
        try:
            formatted = format_text(editor.text, self._buffer_name)
        except PolicyError as error:
            self._say(_("not formatted: the policy has {count} problem(s) the parser cannot "
                        "read past: see Problems").format(count=len(error.diagnostics)),
                      severity="error")  # fmt: skip
            self._show_tab("problems-tab")
            return
        if formatted == editor.text:
            self._say(_("already formatted"))
            return
        row = editor.cursor_location[0]
        editor.replace(formatted, editor.document.start, editor.document.end)
        editor.cursor_location = (min(row, editor.document.line_count - 1), 0)
        self._say(_("formatted (ctrl+z undoes it)"))

    # ---------------------------------------------------------------- sampling

    def action_sampling_plan(self) -> None:
        policy = self._buffer_policy()
        if policy is not None:
            self._show_tab("sampling-tab")
            self.sampling_plan(policy)

    @work(exclusive=True, group="sampling", thread=True, exit_on_error=False)
    def sampling_plan(self, policy: Policy) -> None:
        from callqa.engine.sampling.plan import build_plan, period_days, plan_span
        from callqa.engine.store.database import Store

        if self._missing_database():
            message = self._no_history("plan", "missing")
            self.call_from_thread(self._say, message, severity="warning", timeout=30)
            return
        store = Store(self.db)  # to read: a missing database is not created
        try:
            span = store.time_span()
            if span is None:
                message = self._no_history("plan", "empty")
                self.call_from_thread(self._say, message, severity="warning", timeout=30)
                return
            period = self.query_one("#sample-period", Input).value.strip()
            if not period:
                period = _last_day_with_calls(store, policy, span).isoformat()
                self.call_from_thread(self._shown_default_day, period)
            try:
                period_days(period)
            except ValueError as error:
                self.call_from_thread(self._say, str(error), severity="error")
                return
            # only what can change the plan: status changes, and the calls of its span;
            # and one call after it, if any, to say the history goes on past it
            opens, closes = plan_span(policy, period)
            events = [
                *store.events(end=closes, kinds=("agent_status",)),
                *store.events(start=opens, end=closes, kinds=("call",)),
            ]
            for after in store.events(start=closes, kinds=("call",)):
                events.append(after)
                break
        finally:
            store.close()
        plan = build_plan(policy, events, period, [])
        self.call_from_thread(self._show_plan, plan)

    def _shown_default_day(self, day: str) -> None:
        """The empty day box says which day F8 chose (dimmed: not as if typed)."""
        self.query_one("#sample-period", Input).placeholder = _(
            "the last day with calls: {day}"
        ).format(day=day)

    @on(Button.Pressed, "#export-plan")
    def _export_plan(self) -> None:
        import json

        if self.plan is None:
            self._say(_("make a plan first: f8"), severity="warning")
            return
        # next to the policies, unless they are the shipped examples: never in the package
        folder = Path.cwd() if is_shipped(self.folder) else self.folder
        target = folder / f"sampling-plan-{self.plan['period']}.json"
        try:
            write_atomically(target, json.dumps(self.plan, ensure_ascii=False, indent=2) + "\n")
        except OSError as error:
            self._say(_("{target} was not written ({reason}): free some space or fix the "
                        "folder's permissions and export again").format(
                target=target, reason=error.strerror or error),
                      severity="error", timeout=60)  # fmt: skip
            return
        self._say(_("exported {target} (check it with: callqa sample --verify)").format(
            target=target))  # fmt: skip

    def _show_plan(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        rows = []
        for entry in plan["periods"]:
            rows += [(entry["period"], pick["agent"], pick["call"], pick["why"])
                     for pick in entry["picks"]]  # fmt: skip
            rows += [(entry["period"], short["agent"], _("SHORTFALL"), short["why"])
                     for short in entry["shortfalls"]]  # fmt: skip
        self._fill("sampling", rows)
        if not rows:
            self._say(_("no calls in {period}: nothing to sample").format(period=plan["period"]),
                      severity="warning")  # fmt: skip
        unfinished = [entry["period"] for entry in plan["periods"] if not entry["final"]]
        if unfinished:
            ends = plan["log_ends"][:16].replace("T", " ")  # in the policy's timezone
            self._say(_("the history ends {ends}, before {periods} does: a later call would "
                        "change its sample").format(ends=ends, periods=", ".join(unfinished)),
                      severity="warning", timeout=15)  # fmt: skip

    # ------------------------------------------------------------------ misc

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that fails says why, and the app (with any unsaved edits) stays open."""
        if event.worker.group == "simulate":
            self.refresh_bindings()  # escape cancels only while it runs
            # the bar shows while a replay runs; then the dates' boxes get its room
            self.query_one("#sim-progress").display = self._simulating() is not None
        if event.state is not WorkerState.ERROR:
            return
        stopped = STOPPED.get(event.worker.group or "", STOPPED_OTHER)
        self._say(_(stopped).format(error=first_line(event.worker.error)),
                  severity="error", timeout=30)  # fmt: skip
        if event.worker.group == "simulate":  # the results say which database, and why
            self._fill("simulation", [])
            self.query_one("#sim-detail", Static).update(shown(
                _("Nothing replayed from the database {db}: {error}").format(
                    db=self._db_shown, error=first_line(event.worker.error))
            ))  # fmt: skip

    def _fill(
        self, name: str, rows: Sequence[Sequence[str]], keys: Sequence[str] | None = None
    ) -> None:
        headers = [_(header) for header in HEADERS[name]]
        fill_table(self.query_one(f"#{name}", DataTable), headers, rows, keys)

    def action_help(self) -> None:
        self.push_screen(Help())

    def action_focus_files(self) -> None:
        """The file list (shown if it was hidden): enter opens the file chosen."""
        files = self.query_one("#files", ListView)
        if not files.display:
            self.action_toggle_files()
        files.focus()

    def action_toggle_files(self) -> None:
        """Show or hide the file list; the choice holds whatever the terminal's width."""
        shown_now = self.query_one("#files", ListView).display
        self.screen.set_class(shown_now, "-files-hidden")
        self.screen.set_class(not shown_now, "-files-shown")
        if shown_now and self.focused is self.query_one("#files", ListView):
            self.query_one(PolicyEditor).focus()

    def action_toggle_results(self) -> None:
        """The results take the whole height (the editor hides), or share it again."""
        main = self.query_one("#main")
        main.toggle_class("-results")
        if main.has_class("-results") and self.focused is self.query_one(PolicyEditor):
            self.query_one(TabbedContent).query_one(Tabs).focus()
        elif not main.has_class("-results") and self.focused is None:
            self.query_one(PolicyEditor).focus()

    def _show_tab(self, pane: str) -> None:
        """Show a results tab; the keyboard's focus leaves a box of the tab it hides (else
        the tabs would follow the focus back there)."""
        panels = self.query_one(TabbedContent)
        focused = self.focused
        panels.active = pane
        shown_pane = self.query_one(f"#{pane}")
        if focused is not None and panels in focused.ancestors \
                and shown_pane not in focused.ancestors:  # fmt: skip
            panels.query_one(Tabs).focus()

    def action_focus_dates(self) -> None:
        """The date boxes: the sampling day when the Sampling tab shows, else the
        simulation's from (its to is the next box: tab)."""
        panels = self.query_one(TabbedContent)
        if panels.active == "sampling-tab":
            self.query_one("#sample-period", Input).focus()
            return
        self._show_tab("simulation-tab")
        self.query_one("#sim-from", Input).focus()

    def action_focus_editor(self) -> None:
        self.query_one(PolicyEditor).focus()


class _Cancelled(Exception):
    """Raised in the simulation's thread when its worker was cancelled: it stops the replay
    at the next progress report."""


def _saved_message(copy: list[str] | None, errors: int) -> str:
    """What a save says: the file saved (or the user's copy, with the files it took along),
    whether as a draft (with errors), and for a copy that the edits now go to it."""
    if copy is None:
        if errors:
            return _("saved {name} as a draft: {errors} error(s) to fix before it can be "
                     "activated")  # fmt: skip
        return _("saved {name}")
    if copy and errors:
        return _("saved your copy as {target} with {files} (which it includes) as a draft: "
                 "{errors} error(s) to fix before it can be activated; your edits now go to it "
                 "(next time: callqa tui {target})")  # fmt: skip
    if copy:
        return _("saved your copy as {target} with {files} (which it includes); your edits now "
                 "go to it (next time: callqa tui {target})")  # fmt: skip
    if errors:
        return _("saved your copy as {target} as a draft: {errors} error(s) to fix before it "
                 "can be activated; your edits now go to it (next time: callqa tui "
                 "{target})")  # fmt: skip
    return _(
        "saved your copy as {target}; your edits now go to it (next time: callqa tui {target})"
    )


def _last_day_with_calls(
    store: Any, policy: Policy, span: tuple[dt.datetime, dt.datetime]
) -> dt.date:
    """F8's day when none is typed: the last whole day of the history (the day before its
    last event's) that has calls, in the policy's timezone; else the last event's day."""
    first = span[0].astimezone(policy.timezone).date()
    last = span[1].astimezone(policy.timezone).date()
    day = last - dt.timedelta(days=1)
    while day >= first:
        opens = dt.datetime.combine(day, dt.time(), policy.timezone)
        closes = opens + dt.timedelta(days=1)
        if next(iter(store.events(start=opens, end=closes, kinds=("call",))), None) is not None:
            return day
        day -= dt.timedelta(days=1)
    return last
