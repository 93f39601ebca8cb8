"""The TUI, driven as a user would: through the pilot (keys, clicks), never its methods."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled

from tui.app import CallqaApp
from tui.editor import PolicyEditor

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def rows(app: CallqaApp, table_id: str) -> list[list[str]]:
    table = app.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def workers_done(app: CallqaApp) -> None:
    while True:  # a check is cancelled by a newer one (an exclusive group): wait again
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(app: CallqaApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause(0.5)
    await workers_done(app)
    await pilot.pause()


def test_typing_a_mistake_shows_it_at_the_right_line(folder: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert rows(app, "problems") == []
            editor = app.query_one(PolicyEditor)
            editor.cursor_location = (37, 0)  # line 38: the threshold `value` line
            assert editor.document.get_line(37).lstrip().startswith("value count(survey")
            await pilot.press("end", *"  x", "enter")
            await settle(app, pilot)
            problems = rows(app, "problems")
            assert problems and problems[0][0].split(":")[0] in ("38", "39")
            assert "unsaved changes" in str(app.query_one("#status", Static).render())
            await pilot.press("ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z")
            await settle(app, pilot)

    asyncio.run(scenario())


def test_a_type_error_is_listed_and_selecting_it_moves_the_cursor(
    folder: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        policy = folder / "small.policy"
        policy.write_text('policy "p" version "1" timezone "UTC"\n\nrubric r {\n  section s {\n'
                          "    item a deduct 5 when call.duration > 60\n  }\n}\n", encoding="utf-8")  # fmt: skip
        app = CallqaApp(folder, str(tmp_path / "h.db"), policy)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            [problem] = rows(app, "problems")
            assert problem[0] == "5:26" and "cannot compare duration with number" in problem[2]
            assert "write 60s" in problem[2]
            await pilot.click("#problems")
            await pilot.press("enter")
            assert app.query_one(PolicyEditor).cursor_location == (4, 25)

    asyncio.run(scenario())


def test_a_mistake_in_an_included_scorecard_is_listed_under_its_file(
    folder: Path, tmp_path: Path
) -> None:
    card = folder / "standard.policy"
    card.write_text(card.read_text(encoding="utf-8").replace("deduct 10\n", "dedcut 10\n", 1),
                    encoding="utf-8")  # fmt: skip

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            [problem] = rows(app, "problems")
            assert problem[0].startswith("standard.policy:") and "dedcut" in problem[2]
            editor = app.query_one(PolicyEditor)
            assert editor.problems == []  # nothing to mark in center.policy's own lines
            line, col = (int(n) for n in problem[0].split(":")[1:])
            await pilot.click("#problems")
            await pilot.press("enter")  # opens the scorecard at the problem
            await settle(app, pilot)
            assert app.path == folder / "standard.policy"
            assert editor.cursor_location == (line - 1, col - 1)
            # listed now by line (its tests then miss the item that could not be read)
            assert rows(app, "problems")[0][0] == f"{line}:{col}"
            assert "dedcut" in editor.document.get_line(line - 1)

    asyncio.run(scenario())


def test_f5_runs_the_tests(folder: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f5")
            await settle(app, pilot)
            results = rows(app, "tests")
            assert len(results) == 20 and all(r[0] == "PASS" for r in results)
            assert "20 passed, 0 failed" in str(app.query_one("#test-detail", Static).render())

    asyncio.run(scenario())


def test_test_names_are_drawn_whole_even_by_a_frame_drawn_at_once(
    folder: Path, tmp_path: Path
) -> None:
    """On a busy machine a frame was drawn before the table widened its columns, and the
    table kept showing that frame: test names cut to four letters. Draw one on purpose."""

    class DrawsAtOnce(CallqaApp):
        def _show_tests(self, results: list[Any]) -> None:
            super()._show_tests(results)
            self.export_screenshot()

    async def scenario() -> None:
        app = DrawsAtOnce(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(130, 42)) as pilot:
            await settle(app, pilot)
            await pilot.press("f5")
            await settle(app, pilot)
            screen = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
            assert "three substantiated complaints in one month" in screen.replace("\xa0", " ")
            lines = (folder / "center.policy").read_text(encoding="utf-8").splitlines()
            first = next(n for n, line in enumerate(lines, 1) if line.startswith("test "))
            assert f"center.policy:{first}" in screen

    asyncio.run(scenario())


def test_f6_simulates_the_edited_policy_against_the_file_on_disk(
    folder: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            editor = app.query_one(PolicyEditor)
            text = editor.text
            row = text.split("\n").index(next(line for line in text.split("\n")
                                              if "complaints_month" in line))  # fmt: skip
            column = text.split("\n")[row].index(">= 3") + 3
            editor.selection = editor.selection.cursor((row, column))  # type: ignore[attr-defined]
            await pilot.press("delete", "2")
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            counts = {r[0]: r for r in rows(app, "simulation")}
            before, after = (
                int(counts["action: off_floor_retraining"][1]),
                int(counts["action: off_floor_retraining"][2]),
            )
            assert after > before
            assert "outcome(s) changed" in str(app.query_one("#sim-detail", Static).render())

    asyncio.run(scenario())


@pytest.fixture
def broken_db(tmp_path: Path) -> Path:
    """A file given as the database that is not one (a wrong --db)."""
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database" * 100)
    return path


def test_a_failed_simulation_says_why_and_keeps_the_edits(folder: Path, broken_db: Path) -> None:
    """A database file that is not one (a wrong --db) used to stop the app, edits and all."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(broken_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+home", *"# edited", "enter")
            await pilot.press("f6")
            await settle(app, pilot)
            assert app.is_running
            assert app.query_one(PolicyEditor).text.startswith("# edited")
            messages = [str(n.message) for n in app._notifications]
            assert any(
                m.startswith("the simulation stopped: file is not a database") for m in messages
            ), messages

    asyncio.run(scenario())


def test_activating_into_a_broken_database_says_so_and_keeps_the_app(
    folder: Path, broken_db: Path
) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(broken_db), folder / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f7")
            await settle(app, pilot)
            await pilot.press("y")
            await settle(app, pilot)
            assert app.is_running
            messages = [str(n.message) for n in app._notifications]
            assert any(
                m.startswith(
                    "not activated: the database cannot be written: file is not a database"
                )
                for m in messages
            ), messages

    asyncio.run(scenario())


def test_simulating_against_a_broken_file_on_disk_says_so(folder: Path, tmp_path: Path) -> None:
    """The buffer fixes a policy whose file on disk is broken: there is nothing to compare
    it with, and the TUI says what to do (it used to stop the app)."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            (folder / "center.policy").write_text("policy oops\n", encoding="utf-8")
            await pilot.press("f6")
            await settle(app, pilot)
            assert app.is_running
            messages = [str(n.message) for n in app._notifications]
            assert any(
                "center.policy on disk has" in m and "Save the buffer" in m for m in messages
            ), messages

    asyncio.run(scenario())


def test_ctrl_s_saves_to_disk_and_quit_asks_first(folder: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        path = folder / "standard.policy"
        app = CallqaApp(folder, str(tmp_path / "h.db"), path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+home", *"# 注释", "enter")
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "Confirm"
            await pilot.press("n")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert path.read_text(encoding="utf-8").startswith("# 注释\n")
            await pilot.press("ctrl+q")
            await pilot.pause()
        assert app.return_code == 0 or app.return_code is None

    asyncio.run(scenario())


def test_f7_refuses_to_activate_a_policy_with_errors(folder: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+home", *"oops", "enter")
            await settle(app, pilot)
            await pilot.press("f7")
            await pilot.pause()
            assert app.screen.__class__.__name__ != "Confirm"
            await pilot.press("ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z")
            await settle(app, pilot)
            await pilot.press("f7")
            await settle(app, pilot)
            assert app.screen.__class__.__name__ == "Confirm"
            await pilot.press("y")
            await settle(app, pilot)
        from engine.store import Store

        store = Store(tmp_path / "h.db")
        active = store.active_policy()
        assert active is not None and active.file == "standard.policy"

    asyncio.run(scenario())


async def ask_for_the_plan_of(app: CallqaApp, pilot, period: str) -> None:  # type: ignore[no-untyped-def]
    """F6 fills the demo database on first use; then the sampling tab's F8 for `period`."""
    await settle(app, pilot)
    await pilot.press("f6")
    await settle(app, pilot)
    await pilot.click("#--content-tab-sampling-tab")
    await pilot.click("#sample-period")
    await pilot.press(*period)
    await pilot.press("f8")
    await settle(app, pilot)


def test_f8_shows_the_sampling_plan_for_a_chosen_day_and_exports_it(
    folder: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await ask_for_the_plan_of(app, pilot, "2026-11-03")
            plan = rows(app, "sampling")
            assert plan and all(row[0] == "2026-11-03" for row in plan)
            assert any("2nd eligible call" in row[3] for row in plan)
            # the demo's history goes on past the day: its sample is final
            assert not any("the history ends" in str(n.message) for n in app._notifications)
            await pilot.click("#export-plan")
            await pilot.pause()
            exported = folder / "sampling-plan-2026-11-03.json"
            assert exported.exists() and "2026-11-03" in exported.read_text(encoding="utf-8")

    asyncio.run(scenario())


def test_f8_for_a_period_long_after_the_calls_says_there_is_nothing_to_sample(
    folder: Path, tmp_path: Path
) -> None:
    """The demo's calls are from 2026: a plan for 2029-01 has no calls, and says so
    (it used to stop the app: the engine refused to step its clock over two years)."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await ask_for_the_plan_of(app, pilot, "2029-01")
            assert app.is_running and rows(app, "sampling") == []
            assert any("no calls" in str(n.message) for n in app._notifications)

    asyncio.run(scenario())


def test_a_policy_file_that_is_not_utf8_is_refused_with_the_fix(
    folder: Path, tmp_path: Path
) -> None:
    """Saved as GBK by an old editor: opening it says to save it as UTF-8 (it stopped the
    app at start, since the first policy of the folder opens by itself)."""
    gbk = folder / "a_gbk.policy"
    gbk.write_bytes((folder / "standard.policy").read_text(encoding="utf-8").encode("gbk"))

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert app.is_running
            messages = [str(n.message) for n in app._notifications]
            assert any(
                "a_gbk.policy: not UTF-8 text (byte " in m and "save the file as UTF-8" in m
                for m in messages
            ), messages

    asyncio.run(scenario())


def test_stored_versions_are_listed_and_open_read_only(folder: Path, tmp_path: Path) -> None:
    from engine import load_policy
    from engine.store import Store

    db = tmp_path / "h.db"
    store = Store(db)
    text = (folder / "center.policy").read_text(encoding="utf-8")
    stored = load_policy(folder / "center.policy").checked.stored_text  # with its scorecards
    store.activate(
        store.add_policy(stored, name="中心", version="1", file="center.policy", author="王"),
        by="李",
    )
    store.close()
    # the scorecard changes on disk: the stored version is checked with its own copy
    (folder / "standard.policy").write_text("broken", encoding="utf-8")

    async def scenario() -> None:
        app = CallqaApp(folder, str(db), folder / "complaint.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+o", "down", "down", "down", "enter")
            await settle(app, pilot)
            editor = app.query_one(PolicyEditor)
            assert editor.read_only and editor.text == text
            assert "read-only" in app.sub_title
            assert "with standard.policy, complaint.policy" in app.sub_title
            assert rows(app, "problems") == []

    asyncio.run(scenario())
