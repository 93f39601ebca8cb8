"""Snapshots of the terminal app at 80x24 (the main screen; after F6 on a small history)
and at 160x45 (after F6, results maximized with ctrl+r)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_tui_desk import small_history
from test_tui_snapshots import _ready, _SteadyApp

from callqa.tui.app import CallqaApp


class _HistoryApp(_SteadyApp):
    @property
    def _db_shown(self) -> str:  # the test's temporary folder differs from run to run
        return "/srv/callqa/small.db"


def test_main_screen_at_80x24(folder: Path, tmp_path: Path, snap_compare: Any) -> None:
    app = _SteadyApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_ready)


def _simulated(*keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("f6")
        await _ready(pilot)
        await pilot.press(*keys)
        await _ready(pilot)

    return run_before


def test_f6_at_80x24(folder: Path, tmp_path: Path, snap_compare: Any) -> None:
    app: CallqaApp = _HistoryApp(folder, str(small_history(folder, tmp_path)),
                                 folder / "center.policy")  # fmt: skip
    assert snap_compare(app, terminal_size=(80, 24), run_before=_simulated())


def test_f6_maximized_at_160x45(folder: Path, tmp_path: Path, snap_compare: Any) -> None:
    app: CallqaApp = _HistoryApp(folder, str(small_history(folder, tmp_path)),
                                 folder / "center.policy")  # fmt: skip
    assert snap_compare(app, terminal_size=(160, 45), run_before=_simulated("ctrl+r"))


def test_main_screen_at_160x45(folder: Path, tmp_path: Path, snap_compare: Any) -> None:
    app = _SteadyApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    assert snap_compare(app, terminal_size=(160, 45), run_before=_ready)
