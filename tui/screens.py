"""Modal screens: yes/no questions and the help screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown


class Confirm(ModalScreen[bool]):
    """Ask before doing something that cannot be undone (activating, quitting unsaved)."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical { width: 64; height: auto; border: thick $warning; padding: 1 2;
                         background: $surface; }
    Confirm Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Confirm Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


HELP = """
# callqa — keys

| key | what it does |
|---|---|
| **ctrl+s** | save the file (atomically; a policy with errors is saved as a draft) |
| **f5** | run the policy's `test` blocks |
| **f6** | simulate the buffer against the active version on the demo/chosen database |
| **f7** | activate the buffer (only when it checks clean and its tests pass) |
| **f8** | show the sampling plan for the last day of the history |
| **ctrl+o** | focus the file list · **ctrl+e** focus the editor |
| **ctrl+p** | command palette: every action by name |
| **f1** | this help · **ctrl+q** quit (asks when there are unsaved changes) |

Problems are checked as you type, after a short pause. Select a problem (enter) to move
the cursor to it. Mouse clicks work everywhere.
"""


class Help(ModalScreen[None]):
    DEFAULT_CSS = """
    Help { align: center middle; }
    Help > Vertical { width: 90; height: auto; max-height: 90%; border: thick $primary;
                      padding: 0 1; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "close")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
