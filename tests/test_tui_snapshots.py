"""Snapshot tests of the TUI's main screens (pytest-textual-snapshot, fixed size)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_tui import workers_done
from textual.widgets import Input

from callqa.tui.app import CallqaApp
from callqa.tui.editor import PolicyEditor

POLICIES = Path(__file__).resolve().parent.parent / "policies"


@pytest.fixture
def app(folder: Path, tmp_path: Path) -> CallqaApp:
    return _SteadyApp(folder, str(tmp_path / "h.db"), folder / "center.policy")


class _SteadyApp(CallqaApp):
    # a toast lasts 5 s: on a loaded machine it could be gone before the screenshot
    NOTIFICATION_TIMEOUT = 600


async def _ready(pilot: Any) -> None:
    pilot.app.query_one(PolicyEditor).cursor_blink = False
    await pilot.pause(0.5)
    await workers_done(pilot.app)
    await pilot.pause()


def test_main_screen(app: CallqaApp, snap_compare: Any) -> None:
    assert snap_compare(app, terminal_size=(130, 42), run_before=_ready)


def test_problems_panel_with_a_mistake(app: CallqaApp, snap_compare: Any) -> None:
    async def mistake(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("ctrl+home", *"oops ", "enter")
        await _ready(pilot)

    assert snap_compare(app, terminal_size=(130, 42), run_before=mistake)


def test_tests_panel(app: CallqaApp, snap_compare: Any) -> None:
    async def tests(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("f5")
        await _ready(pilot)

    assert snap_compare(app, terminal_size=(130, 42), run_before=tests)


def test_help_screen(app: CallqaApp, snap_compare: Any) -> None:
    async def help_screen(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 42), run_before=help_screen)


def test_saving_a_shipped_example_asks_where(tmp_path: Path, snap_compare: Any) -> None:
    async def save(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False  # drawn the same every time
        await _ready(pilot)

    app = _SteadyApp(POLICIES, str(tmp_path / "h.db"), POLICIES / "center.policy")
    assert snap_compare(app, terminal_size=(130, 42), run_before=save)
