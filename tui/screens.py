"""Modal screens: yes/no questions and the help screen."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown

from callqa.dsl.i18n import N_, _
from callqa.tui.files import NotRegularFile, save_target
from callqa.tui.literal import shown


def translate_bindings(node: DOMNode) -> None:
    """Key bindings are declared with the class, before the run's language is known: their
    descriptions (marked N_) are put in that language when the node is made (the footer,
    the keys panel and the palette show them)."""
    keys = node._bindings.key_to_bindings
    for key, bindings in keys.items():
        keys[key] = [
            dataclasses.replace(
                binding,
                description=_(binding.description) if binding.description else "",
                tooltip=_(binding.tooltip) if binding.tooltip else "",
            )
            for binding in bindings
        ]


class Confirm(ModalScreen[bool]):
    """Ask before doing something that cannot be undone (activating, quitting unsaved)."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
                         border: thick $warning; padding: 1 2; background: $surface; }
    Confirm Label { width: 100%; height: auto; }
    Confirm Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Confirm Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("yes")),
        Binding("n,escape", "answer(False)", N_("no")),
    ]

    def __init__(
        self, question: str, yes: str | None = None, no: str | None = None, purpose: str = ""
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question
        self.yes = _("Yes") if yes is None else yes
        self.no = _("No") if no is None else no
        self.purpose = purpose  # what is asked ("quit"): the same question is not stacked

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(shown(self.question), markup=False)  # it may name a file
            with Horizontal():
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SaveAs(ModalScreen[Path | None]):
    """Ask where to save the buffer: a path, checked before anything is written (a folder
    that exists, a .policy name, not `forbidden`, and an existing file only if confirmed).
    Answers the path, or None when cancelled."""

    DEFAULT_CSS = """
    SaveAs { align: center middle; }
    SaveAs > Vertical { width: 80; max-width: 100%; height: auto; max-height: 100%;
                        border: thick $primary; padding: 1 2; background: $surface; }
    SaveAs Label { width: 100%; height: auto; }
    SaveAs Input { margin-top: 1; }
    SaveAs #save-as-problem { color: $error; height: auto; }
    SaveAs Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    SaveAs Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("cancel"))]

    def __init__(self, why: str, suggestion: str, forbidden: Path) -> None:
        super().__init__()
        translate_bindings(self)
        self.why = why
        self.suggestion = suggestion
        self.forbidden = forbidden

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(shown(self.why), markup=False)
            yield Input(shown(self.suggestion), id="save-as-path")
            yield Label("", id="save-as-problem", markup=False)
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-as-path")
    def _save(self) -> None:
        given = self.query_one(Input).value.strip()
        target = Path(given).expanduser().absolute() if given else None
        problem = self._problem(given, target)
        if problem is not None or target is None:
            self.query_one("#save-as-problem", Label).update(shown(problem or ""))
            return
        if not target.exists():
            self.dismiss(target)
            return

        def replace(yes: bool | None) -> None:
            if yes:
                self.dismiss(target)

        question = _("{target} exists already. Replace it with the editor's text?")
        self.app.push_screen(
            Confirm(question.format(target=target), _("Replace"), _("Keep it")), replace
        )

    def _problem(self, given: str, target: Path | None) -> str | None:
        """Why the path cannot be saved to, in a sentence with what to write instead."""
        if target is None:
            return _("write where to save the file, e.g. ./center.policy")
        if target.resolve().is_relative_to(self.forbidden):
            return _(
                "{folder} holds callqa's shipped examples, which an upgrade replaces: choose a "
                "folder of your own, e.g. ./{name}"
            ).format(folder=target.parent, name=target.name)
        if target.is_dir():
            return _("{given} is a folder: add a file name, e.g. {folder}/my.policy").format(
                given=given, folder=given.rstrip("/")
            )
        if not target.parent.is_dir():
            return _("there is no folder {folder}: create it first, or choose another").format(
                folder=target.parent
            )
        try:
            save_target(target)
        except NotRegularFile as error:  # a pipe, a device: saving would replace it
            return str(error)
        if target.suffix != ".policy":
            return _(
                "a policy file's name ends in .policy (callqa lists only those): {stem}.policy"
            ).format(stem=target.stem)
        return None


class Ask(ModalScreen[str | None]):
    """Ask for one line (a new file's name, a line to go to): `check` answers why the
    text will not do, or None; the answer is the text, or None when cancelled."""

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
                     border: thick $primary; padding: 1 2; background: $surface; }
    Ask Label { width: 100%; height: auto; }
    Ask Input { margin-top: 1; }
    Ask #ask-problem { color: $error; }
    Ask Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Ask Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("cancel"))]

    def __init__(
        self, question: str, ok: str, check: Callable[[str], str | None], value: str = ""
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question
        self.ok = ok
        self.check = check
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(shown(self.question), markup=False)
            yield Input(shown(self.value), id="ask-value")
            yield Label("", id="ask-problem", markup=False)
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(self.ok, id="ok", variant="primary")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#ask-value")
    def _answer(self) -> None:
        given = self.query_one(Input).value.strip()
        problem = self.check(given)
        if problem is not None:
            self.query_one("#ask-problem", Label).update(shown(problem))
            return
        self.dismiss(given)


# The help screen, a table of keys (Markdown), built in the run's language: `help_text()`
HELP_TITLE = N_("callqa — keys")
HELP_COLUMNS = (N_("key"), N_("what it does"))
HELP_KEYS = (
    ("**ctrl+s**", N_("save (with errors: as a draft; a shipped example: as your copy)")),
    ("**f5**", N_("run the policy's `test` blocks")),
    ("**f6**", N_("simulate the buffer against the active version on the history in `--db`")),
    ("**escape**", N_("while a simulation runs: cancel it (the editor's text is kept)")),
    ("**f7**", N_("activate the buffer (only when it checks clean and its tests pass)")),
    ("**f8**", N_("show the sampling plan for the last day of the history")),
    ("**ctrl+r**", N_("maximize the results (the editor hides), or share the height again")),
    ("**ctrl+o**", N_("focus the file list (enter opens a file) · **ctrl+e** focus the editor")),
    ("**ctrl+b**", N_("show or hide the file list (hidden by itself below 100 columns)")),
    ("**ctrl+n**", N_("new policy file in the folder · **ctrl+g** go to a line")),
    ("**f9**", N_("format the policy as `callqa fmt` does, keeping its keywords (ctrl+z undoes)")),
    ("**tab**", N_("next box or table (the editor too: indent with spaces, or f9)")),
    ("**ctrl+t**", N_("the date boxes: the simulation's from/to, or the sampling day")),
    ("**ctrl+p**", N_("command palette: every action by name")),
    ("**f1**", N_("this help · **ctrl+q** quit (asks first if anything is unsaved)")),
)
HELP_NOTE = N_(
    "Problems are checked as you type, after a short pause. Select a problem (enter) to move\n"
    "the cursor to it. Mouse clicks work everywhere."
)


def help_text() -> str:
    """The help screen's Markdown."""
    title, (key, what) = _(HELP_TITLE), HELP_COLUMNS
    rows = "".join(f"| {keys} | {_(does)} |\n" for keys, does in HELP_KEYS)
    return f"\n# {title}\n\n| {_(key)} | {_(what)} |\n|---|---|\n{rows}\n{_(HELP_NOTE)}\n"


class Help(ModalScreen[None]):
    DEFAULT_CSS = """
    Help { align: center middle; }
    Help > VerticalScroll { width: 90; max-width: 100%; height: auto; max-height: 100%;
                            border: thick $primary; padding: 0 1; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", N_("close"))]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with VerticalScroll():  # a short terminal scrolls it (arrows, page keys)
            yield Markdown(help_text())

    def action_close(self) -> None:
        self.dismiss(None)
