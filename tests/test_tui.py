"""The TUI, driven as a user would: through the pilot (keys, clicks), never its methods."""

from __future__ import annotations

import asyncio
import errno
import html
import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from textual.widgets import DataTable, Input, Label, ListView, Static
from textual.worker import WorkerCancelled

from callqa.tui.app import CallqaApp
from callqa.tui.editor import PolicyEditor

POLICIES = Path(__file__).resolve().parent.parent / "policies"


@pytest.fixture(scope="session")
def demo_history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's generated history, stored once (what `callqa demo` writes)."""
    from callqa.engine import load_policy
    from callqa.engine.runtime.events import parse_event
    from callqa.engine.scoring.demo_data import demo_history
    from callqa.engine.store.database import Store

    path = tmp_path_factory.mktemp("demo") / "callqa-demo.db"
    store = Store(path, create=True)
    try:
        policy = load_policy(POLICIES / "center.policy")
        store.add_events([parse_event(e) for e in demo_history(policy)], source="demo")
    finally:
        store.close()
    return path


@pytest.fixture
def demo_db(demo_history_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo history that a test may change."""
    return Path(shutil.copy(demo_history_db, tmp_path / "callqa-demo.db"))


def with_center_active(db: Path, folder: Path) -> Path:
    """A database holding center.policy (with its scorecards) as its active version."""
    from callqa.engine import load_policy
    from callqa.engine.store.database import Store

    store = Store(db, create=True)
    try:
        stored = load_policy(folder / "center.policy").checked.stored_text
        digest = store.add_policy(stored, name="中心", version="1", file="center.policy",
                                  author="王")  # fmt: skip
        store.activate(digest, by="李")
    finally:
        store.close()
    return db


def event_count(db: Path) -> int:
    from callqa.engine.store.database import Store

    store = Store(db)
    try:
        return store.count_events()
    finally:
        store.close()


def detail(app: CallqaApp, widget_id: str) -> str:
    return str(app.query_one(f"#{widget_id}", Static).render())


SAID: WeakKeyDictionary[CallqaApp, list[str]] = WeakKeyDictionary()


@pytest.fixture(autouse=True)
def notifications_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every message an app shows (through its public `notify`), even one whose toast
    has timed out: Textual has no public list of an app's notifications."""
    real = CallqaApp.notify

    def notify(app: CallqaApp, message: Any, *args: Any, **kwargs: Any) -> None:
        SAID.setdefault(app, []).append(str(message))
        real(app, message, *args, **kwargs)

    monkeypatch.setattr(CallqaApp, "notify", notify)


def messages(app: CallqaApp) -> list[str]:
    """What the app has said, in order."""
    return SAID.get(app, [])


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
            lines = editor.text.split("\n")  # the threshold `value` line
            row = next(
                i for i, t in enumerate(lines) if t.lstrip().startswith("value count(survey")
            )
            editor.cursor_location = (row, 0)
            await pilot.press("end", *"  x", "enter")
            await settle(app, pilot)
            problems = rows(app, "problems")
            assert problems and problems[0][0].split(":")[0] in (str(row + 1), str(row + 2))
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
            written = (folder / "center.policy").read_text(encoding="utf-8").count('\ntest "')
            assert len(results) == written and all(r[0] == "PASS" for r in results)
            assert f"{written} passed, 0 failed" in str(
                app.query_one("#test-detail", Static).render()
            )

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
    folder: Path, demo_db: Path
) -> None:
    stored = event_count(demo_db)

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
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
            said = detail(app, "sim-detail")
            replayed = f"Replayed {stored:,} events from {demo_db}, the buffer vs"
            assert replayed in said.replace("\n", " ")
            assert "center.policy on disk" in said and "outcome(s) changed" in said

    asyncio.run(scenario())
    assert event_count(demo_db) == stored  # read, not added to


def test_escape_cancels_a_running_simulation_and_keeps_the_editor_text(
    folder: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay that would run on is stopped by escape at its next progress report: the
    panel says cancelled, no results are shown, and the buffer (edited) is as it was."""
    import threading

    from callqa.engine.simulation import from_store

    started, stopped = threading.Event(), threading.Event()

    def endless(*args: Any) -> None:
        progress = args[5]  # simulate_stored(store, new, old, start, end, progress)
        done = 0
        try:
            while done < 10_000_000:  # stands for a long history; ends only when cancelled
                done += 1000
                progress(done)
                started.set()
                threading.Event().wait(0.01)
        finally:
            stopped.set()
        raise AssertionError("the replay was not stopped")

    monkeypatch.setattr(from_store, "simulate_stored", endless)

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            editor = app.query_one(PolicyEditor)
            await pilot.press("end", "x")  # an unsaved edit that must survive
            text = editor.text
            await pilot.press("f6")
            while not started.is_set():
                await pilot.pause(0.05)
            await pilot.press("escape")
            await workers_done(app)
            await pilot.pause()
            assert stopped.is_set()
            assert "Simulation cancelled" in detail(app, "sim-detail")
            assert rows(app, "simulation") == []
            assert editor.text == text and "x" in text
            assert any("simulation cancelled" in said for said in SAID[app])
            await pilot.press("escape")  # nothing runs: escape is no longer taken
            assert "Simulation cancelled" in detail(app, "sim-detail")

    asyncio.run(scenario())


def test_f6_says_the_periods_left_open_and_a_replay_that_stopped_as_simulate_does(
    folder: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callqa simulate` says which periods a replay left open (not in the counts) and a
    replay that could not reach its end (--to 2926); F6's results said neither."""
    from callqa.tui import cli
    from callqa.tui.simulation_view import replay_sentences

    center = str(folder / "center.policy")
    ends = {"2026-11-18 12:00": "not closed, so not in these counts (they end after ",
            "2926-01-01": "the replay stopped at its last event, so no period after it was "
                          "closed: it cannot run to 2926-01-01 00:00"}  # fmt: skip

    said_by_cli = {}
    for end, sentence in ends.items():
        cli.main(["simulate", "--db", str(demo_db), "--policy", center, "--against", center,
                  "--to", end, "--format", "json"])  # fmt: skip
        sentences = [text for text, _ in replay_sentences(json.loads(capsys.readouterr().out))]
        assert any(text.startswith(sentence) for text in sentences), sentences
        said_by_cli[end] = sentences

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            for end, sentences in said_by_cli.items():
                app.query_one("#sim-to", Input).value = end
                await pilot.press("f6")
                await settle(app, pilot)
                said = detail(app, "sim-detail").split("\n")
                assert said[1 : 1 + len(sentences)] == sentences  # the CLI's, after the first

    asyncio.run(scenario())


def test_f6_from_inside_a_week_replays_it_whole_as_simulate_does(
    folder: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F6 with from 2026-11-07 (a Saturday) judged week W45's KPIs on 2 of its days, as
    `callqa simulate --from` did; both now start at the period's start and say so."""
    from callqa.tui import cli
    from callqa.tui.simulation_view import replay_sentences

    center = str(folder / "center.policy")
    argv = ["simulate", "--db", str(demo_db), "--policy", center, "--against", center,
            "--from", "2026-11-07", "--to", "2026-11-09", "--format", "json"]  # fmt: skip
    cli.main(argv)
    data = json.loads(capsys.readouterr().out)
    sentences = [text for text, _ in replay_sentences(data)]
    assert any("so the replay started at 2026-11-01 00:00+08:00" in s for s in sentences)

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            app.query_one("#sim-from", Input).value = "2026-11-07"
            app.query_one("#sim-to", Input).value = "2026-11-09"
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail").split("\n")
            assert said[1 : 1 + len(sentences)] == sentences

    asyncio.run(scenario())


def test_f6_says_the_events_a_version_refused_as_simulate_does(
    folder: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callqa simulate` lists the events a version refused (not in its counts); F6 left
    them out without a word, so its counts looked complete."""
    import datetime as dt

    from callqa.engine.runtime.events import parse_event
    from callqa.engine.store.database import Store
    from callqa.tui import cli
    from callqa.tui.simulation_view import refused_sentences

    at = dt.datetime(2026, 11, 3, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    store = Store(demo_db)
    try:
        store.add_events([parse_event({"kind": "evaluation", "id": "EV-BAD", "at": at,
                                       "agent": "A016", "team": "T1", "rubric": "no_such_card",
                                       "call": "CL000180", "evaluator": "QA2", "answers": {}})],
                         source="test")  # fmt: skip
    finally:
        store.close()
    center = str(folder / "center.policy")
    cli.main(["simulate", "--db", str(demo_db), "--policy", center, "--against", center,
              "--format", "json"])  # fmt: skip
    sentences = [text for text, _ in refused_sentences(json.loads(capsys.readouterr().out))]
    assert sentences[0] == "1 event(s) refused by both versions, not in the counts:"
    assert "EV-BAD" in sentences[1]

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail").split("\n")
            assert said[said.index(sentences[0]) :][: len(sentences)] == sentences

    asyncio.run(scenario())


def test_f6_on_a_database_without_events_says_so_and_adds_none(
    folder: Path, tmp_path: Path
) -> None:
    """A center's database with its policy versions but no history yet: F6 used to add the
    16,030 generated demo events to it, for good, and report on them as the center's."""
    db = with_center_active(tmp_path / "real.db", folder)

    async def scenario() -> None:
        app = CallqaApp(folder, str(db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail").replace("\n", " ")
            assert f"Nothing replayed: the database {db} holds no history" in said
            assert f"callqa import --db {db} calls.csv" in said
            assert "callqa demo`, then `callqa tui --db callqa-demo.db`" in said
            assert rows(app, "simulation") == []

    asyncio.run(scenario())
    assert event_count(db) == 0


def test_f6_and_f8_without_a_database_create_none(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --db: F6 silently created callqa-demo.db in the current folder and filled it."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)

    async def scenario() -> None:
        app = CallqaApp(folder, file=folder / "center.policy")  # the default database
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail").replace("\n", " ")
            assert f"the database {here / 'callqa.db'} does not exist (nothing was created)" in said
            assert "callqa import --db callqa.db calls.csv" in said
            await pilot.press("f8")
            await settle(app, pilot)
            assert any(m.startswith("No sampling plan: the database ") and "does not exist" in m
                       for m in messages(app)), messages(app)  # fmt: skip
            assert app.is_running

    asyncio.run(scenario())
    assert sorted(os.listdir(here)) == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in POLICIES.glob("*.policy")
    )


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
            messages = SAID.get(app, [])
            assert any(
                m.startswith("the simulation stopped: file is not a database") for m in messages
            ), messages
            said = detail(app, "sim-detail")
            assert said == f"Nothing replayed from the database {broken_db}: file is not a database"

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
            messages = SAID.get(app, [])
            assert any(
                m.startswith(
                    "not activated: the database cannot be written: file is not a database"
                )
                for m in messages
            ), messages

    asyncio.run(scenario())


def test_simulating_against_a_broken_file_on_disk_says_so(folder: Path, demo_db: Path) -> None:
    """The buffer fixes a policy whose file on disk is broken: there is nothing to compare
    it with, and the TUI says what to do (it used to stop the app)."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            (folder / "center.policy").write_text("policy oops\n", encoding="utf-8")
            await pilot.press("f6")
            await settle(app, pilot)
            assert app.is_running
            messages = SAID.get(app, [])
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
            question = str(app.screen.query_one(Label).render())
            assert f"in the database {tmp_path / 'h.db'}?" in question.replace("\n", " ")
            await pilot.press("y")
            await settle(app, pilot)
        from callqa.engine.store.database import Store

        store = Store(tmp_path / "h.db")
        active = store.active_policy()
        assert active is not None and active.file == "standard.policy"

    asyncio.run(scenario())


async def ask_for_the_plan_of(app: CallqaApp, pilot, period: str) -> None:  # type: ignore[no-untyped-def]
    """The sampling tab's F8 for `period`."""
    await settle(app, pilot)
    await pilot.click("#--content-tab-sampling-tab")
    await pilot.click("#sample-period")
    await pilot.press(*period)
    await pilot.press("f8")
    await settle(app, pilot)


def test_f8_shows_the_sampling_plan_for_a_chosen_day_and_exports_it(
    folder: Path, demo_db: Path
) -> None:
    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await ask_for_the_plan_of(app, pilot, "2026-11-03")
            plan = rows(app, "sampling")
            assert plan and all(row[0] == "2026-11-03" for row in plan)
            assert any("2nd eligible call" in row[3] for row in plan)
            # the demo's history goes on past the day: its sample is final
            assert not any("the history ends" in m for m in messages(app))
            await pilot.click("#export-plan")
            await pilot.pause()
            exported = folder / "sampling-plan-2026-11-03.json"
            assert exported.exists() and "2026-11-03" in exported.read_text(encoding="utf-8")

    asyncio.run(scenario())


def test_f8_for_a_period_long_after_the_calls_says_there_is_nothing_to_sample(
    folder: Path, demo_db: Path
) -> None:
    """The demo's calls are from 2026: a plan for 2029-01 has no calls, and says so
    (it used to stop the app: the engine refused to step its clock over two years)."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await ask_for_the_plan_of(app, pilot, "2029-01")
            assert app.is_running and rows(app, "sampling") == []
            assert any("no calls" in m for m in messages(app))

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
            messages = SAID.get(app, [])
            assert any(
                "a_gbk.policy: not UTF-8 text: line " in m and "save the file as UTF-8" in m
                for m in messages
            ), messages

    asyncio.run(scenario())


def test_stored_versions_are_listed_and_open_read_only(folder: Path, tmp_path: Path) -> None:
    db = with_center_active(tmp_path / "h.db", folder)
    text = (folder / "center.policy").read_text(encoding="utf-8")
    # the scorecard changes on disk: the stored version is checked with its own copy
    (folder / "standard.policy").write_text("broken", encoding="utf-8")

    async def scenario() -> None:
        app = CallqaApp(folder, str(db), folder / "complaint.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            files = len(list(folder.glob("*.policy")))
            await pilot.press("ctrl+o", *["down"] * files, "enter")  # past the files
            await settle(app, pilot)
            editor = app.query_one(PolicyEditor)
            assert editor.read_only and editor.text == text
            assert "read-only" in app.sub_title
            assert "with standard.policy, complaint.policy" in app.sub_title
            assert rows(app, "problems") == []

    asyncio.run(scenario())


# ------------------------------------------------------------ quitting (issue 15, item 3)


async def edited(app: CallqaApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    await pilot.press("ctrl+home", *"# edited", "enter")
    assert app.dirty


def test_the_palettes_quit_asks_when_there_are_unsaved_changes(
    folder: Path, tmp_path: Path
) -> None:
    """ctrl+p → Quit exited at once, unsaved edits and all."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await pilot.press("ctrl+p")
            await pilot.pause(0.3)
            await pilot.press(*"quit")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert app.is_running and app.screen.__class__.__name__ == "Confirm"
            await pilot.press("ctrl+q")  # asked again while asking: the same question
            await pilot.pause()
            assert len(app.screen_stack) == 2
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running and app.dirty
            assert app.query_one(PolicyEditor).text.startswith("# edited")
            await pilot.press("ctrl+q", "y")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(scenario())
    assert not (folder / "standard.policy").read_text(encoding="utf-8").startswith("# edited")


def test_ctrl_c_outside_the_editor_says_how_to_quit(folder: Path, tmp_path: Path) -> None:
    """ctrl+c copies in the editor; elsewhere Textual says which key quits: it found none
    once ctrl+q was bound to an action of another name, and said nothing."""

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await pilot.press("ctrl+o", "ctrl+c")
            await pilot.pause()
            assert app.is_running
            assert any("ctrl+q" in m for m in messages(app)), messages(app)

    asyncio.run(scenario())


# ------------------------------------------------------- saving (issue 15, items 12, 15)


def _no_space(real: Any) -> Any:
    def replace(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if str(target).endswith(".policy"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(source, target, *args, **kwargs)

    return replace


def _read_only_folder(real: Any) -> Any:
    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    return mkstemp


@pytest.mark.parametrize(
    ("module", "name", "failure", "reason"),
    [
        ("os", "replace", _no_space, "No space left on device"),
        ("tempfile", "mkstemp", _read_only_folder, "Permission denied"),
    ],
)
def test_a_failed_save_says_why_and_keeps_the_edits(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    name: str,
    failure: Any,
    reason: str,
) -> None:
    """ctrl+s on a full disk or in a read-only folder: an unhandled OSError stopped the app
    and the edits were lost."""
    path = folder / "standard.policy"
    before = path.read_bytes()

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), path)
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            target = __import__(module)
            monkeypatch.setattr(target, name, failure(getattr(target, name)))
            await pilot.press("ctrl+s")
            await pilot.pause()
            monkeypatch.undo()
            assert app.is_running and app.dirty
            assert app.query_one(PolicyEditor).text.startswith("# edited")
            assert "unsaved changes" in detail(app, "status")
            said = [m for m in messages(app) if "was not saved" in m]
            assert said == [
                f"{path} was not saved ({reason}): your changes are still in the editor, "
                "unsaved; free some space or fix the folder's permissions and press ctrl+s "
                "again, or save them elsewhere with 'Save as' (ctrl+p)"
            ]
            await pilot.press("ctrl+s")  # the disk has room again
            await pilot.pause()
            assert not app.dirty

    asyncio.run(scenario())
    assert before != path.read_bytes()
    assert path.read_text(encoding="utf-8").startswith("# edited")
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_a_save_is_flushed_to_the_disk_before_and_after_the_rename(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after a save must not leave an empty policy (the rename reached the disk
    before the text did) nor the old one (the rename never did)."""
    path = folder / "standard.policy"
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        steps.append("folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    def replace(source: Any, target: Any) -> None:
        steps.append("rename")
        real_replace(source, target)

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), path)
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            monkeypatch.setattr(os, "fsync", fsync)
            monkeypatch.setattr(os, "replace", replace)
            await pilot.press("ctrl+s")
            await pilot.pause()
            monkeypatch.undo()

    asyncio.run(scenario())
    assert steps == ["file", "rename", "folder"]
    assert path.read_text(encoding="utf-8").startswith("# edited")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(
        (POLICIES / "standard.policy").stat().st_mode
    )


@pytest.mark.parametrize("name", ["standard.policy", "[b]*?.policy"])
def test_a_temporary_file_left_by_a_killed_save_is_not_listed_and_the_next_save_removes_it(
    folder: Path, tmp_path: Path, name: str
) -> None:
    """A save killed outright (kill -9, a power cut) cannot clean up after itself."""
    path = folder / name
    if not path.exists():
        shutil.copy(folder / "standard.policy", path)
    killed = folder / f".{name}.k2x9_a.saving"
    killed.write_text("half a poli", encoding="utf-8")
    os.utime(killed, (0, 0))
    under_way = folder / f".{name}.u7m2_b.saving"  # another program's save, still going
    under_way.write_text("half", encoding="utf-8")
    other = folder / ".complaint.policy.q1w2_e.saving"  # another file's: not this save's
    other.write_text("half", encoding="utf-8")
    os.utime(other, (0, 0))

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            listed = [str(label.render()) for label in app.query_one(ListView).query(Label)]
            assert listed == sorted(p.name for p in folder.glob("*.policy"))
            assert not any(".saving" in label for label in listed)
            await edited(app, pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not app.dirty

    asyncio.run(scenario())
    assert not killed.exists() and under_way.exists() and other.exists()


# ------------------------------------------------ shipped examples (issue 15, item 2)


@pytest.fixture
def shipped_files() -> Any:
    """The installed examples' bytes: a test fails if the TUI wrote any of them."""
    before = {path: path.read_bytes() for path in sorted(POLICIES.rglob("*")) if path.is_file()}
    yield
    after = {path: path.read_bytes() for path in sorted(POLICIES.rglob("*")) if path.is_file()}
    assert after == before


def test_a_shipped_example_is_saved_as_a_copy_in_your_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_files: None
) -> None:
    """`callqa tui` in a folder without policies opens the shipped ones; ctrl+s wrote into
    the installed package, where an upgrade would overwrite the manager's rulebook."""
    here = tmp_path / "mine"
    here.mkdir()
    monkeypatch.chdir(here)

    async def scenario() -> None:
        app = CallqaApp(POLICIES, str(tmp_path / "h.db"), POLICIES / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert "shipped example" in detail(app, "status")
            assert "shipped example, read-only" in app.sub_title
            await edited(app, pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "SaveAs"
            assert app.screen.query_one(Input).value == "./center.policy"
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen.__class__.__name__ != "SaveAs"
            assert app.path == here / "center.policy" and not app.dirty
            assert rows(app, "problems") == []  # its scorecards came along
            assert any(
                m == f"saved your copy as {here / 'center.policy'} with standard.policy, "
                     "complaint.policy, calendar.policy (which it includes); your edits now go "
                     "to it (next "
                     f"time: callqa tui {here / 'center.policy'})" for m in messages(app)
            ), messages(app)  # fmt: skip
            listed = [str(label.render()) for label in app.query_one(ListView).query(Label)]
            assert listed == ["calendar.policy", "center.policy", "complaint.policy",
                              "standard.policy"]  # fmt: skip
            await pilot.press("ctrl+home", *"# again", "enter", "ctrl+s")  # the copy: no asking
            await pilot.pause()
            assert app.screen.__class__.__name__ != "SaveAs" and not app.dirty

    asyncio.run(scenario())
    copy = (here / "center.policy").read_text(encoding="utf-8")
    assert "# again\n" in copy and "# edited\n" in copy
    assert copy.endswith((POLICIES / "center.policy").read_text(encoding="utf-8"))
    for name in ("standard.policy", "complaint.policy", "calendar.policy"):
        assert (here / name).read_bytes() == (POLICIES / name).read_bytes()
        assert stat.S_IMODE((here / name).stat().st_mode) & 0o044  # readable, as files are
    assert sorted(os.listdir(here)) == ["calendar.policy", "center.policy", "complaint.policy",
                                        "standard.policy"]  # fmt: skip


def test_callqa_tui_opens_the_copy_saved_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_files: None
) -> None:
    """The save-as of a shipped example writes ./center.policy; `callqa tui` looked only in
    ./policies, so next time it opened the shipped examples again, not the manager's copy.
    It looks in the current folder, then ./policies, then falls back to the shipped ones."""
    from callqa.tui import cli

    started: list[CallqaApp] = []
    monkeypatch.setattr(CallqaApp, "run", lambda app: started.append(app))

    def opened(folder: Path) -> Path:
        monkeypatch.chdir(folder)
        assert cli.main(["tui", "--db", str(tmp_path / "h.db")]) == 0
        return started[-1].folder.resolve()

    here = tmp_path / "mine"
    here.mkdir()
    for path in POLICIES.glob("*.policy"):  # what the save-as leaves: the copy, its includes
        shutil.copy(path, here)
    (here / "center.policy").write_text(
        "# my copy\n" + (POLICIES / "center.policy").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (here / "policies").mkdir()  # a folder of others, looked in only when here has none
    shutil.copy(POLICIES / "standard.policy", here / "policies" / "old.policy")
    assert opened(here) == here

    async def scenario() -> None:
        app = started[-1]
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert app.path is not None and app.path.resolve() == here / "center.policy"
            assert not app.shipped and "shipped" not in app.sub_title
            assert app.query_one(PolicyEditor).text.startswith("# my copy\n")

    asyncio.run(scenario())
    for path in here.glob("*.policy"):
        path.unlink()
    assert opened(here) == here / "policies"
    (here / "policies" / "old.policy").unlink()
    assert opened(here) == POLICIES.resolve()  # neither has any: the shipped examples


def test_saving_a_shipped_example_never_replaces_a_file_without_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_files: None
) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "standard.policy"
    mine.write_text("# my own scorecard\n", encoding="utf-8")

    async def scenario() -> None:
        app = CallqaApp(POLICIES, str(tmp_path / "h.db"), POLICIES / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("enter")  # ./standard.policy: it exists
            await pilot.pause()
            assert app.screen.__class__.__name__ == "Confirm"
            assert "standard.policy exists already" in str(app.screen.query_one(Label).render())
            await pilot.press("n")  # keep it: back to the question of where
            await pilot.pause()
            assert app.screen.__class__.__name__ == "SaveAs"
            field = app.screen.query_one(Input)
            field.value = str(POLICIES / "mine.policy")  # into the package: refused
            await pilot.press("enter")
            await pilot.pause()
            problem = str(app.screen.query_one("#save-as-problem", Label).render())
            assert "holds callqa's shipped examples" in problem
            field.value = "./no-such-folder/x.policy"
            await pilot.press("enter")
            await pilot.pause()
            assert "there is no folder" in str(app.screen.query_one("#save-as-problem").render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.__class__.__name__ != "SaveAs"
            assert app.dirty and app.path == POLICIES / "standard.policy"

    asyncio.run(scenario())
    assert mine.read_text(encoding="utf-8") == "# my own scorecard\n"
    assert not (POLICIES / "mine.policy").exists()


def test_ctrl_s_writes_through_a_symbolic_link_and_never_replaces_a_pipe(
    folder: Path, tmp_path: Path
) -> None:
    """A save replaced a link to the team's shared rulebook with a file of its own (the two
    then diverged without a word), and would replace a pipe or a device likewise."""
    shared = tmp_path / "shared"
    shared.mkdir()
    team = shared / "team.policy"
    shutil.copy(folder / "standard.policy", team)
    team.chmod(0o640)
    mine = folder / "mine.policy"
    mine.symlink_to(team)
    pipe = folder / "piped.policy"

    async def scenario() -> None:
        app = CallqaApp(folder, str(tmp_path / "h.db"), mine)
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not app.dirty and app.path == mine
            shutil.copy(folder / "standard.policy", pipe)
            app.open_file(pipe)
            pipe.unlink()
            os.mkfifo(pipe)  # replaced on disk, after it was opened
            await edited(app, pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.dirty
            assert (
                f"not written: {pipe} is not a regular file; give the policy file's own path "
                "with 'Save as' (ctrl+p); your changes are still in the editor, unsaved"
            ) in messages(app)
            await pilot.press("ctrl+p", *"save as", "enter")  # the dialog refuses it too
            await pilot.pause()
            assert app.screen.__class__.__name__ == "SaveAs"
            app.screen.query_one(Input).value = str(pipe)
            await pilot.press("enter")
            await pilot.pause()
            problem = str(app.screen.query_one("#save-as-problem", Label).render())
            assert problem == (
                f"not written: {pipe} is not a regular file; give the policy file's own path"
            )

    asyncio.run(scenario())
    assert mine.is_symlink() and mine.resolve() == team
    assert team.read_text(encoding="utf-8").startswith("# edited\n")
    assert stat.S_IMODE(team.stat().st_mode) == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["team.policy"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def active_file(db: Path) -> str | None:
    from callqa.engine.store.database import Store

    if not db.exists():
        return None
    store = Store(db)
    try:
        active = store.active_policy()
        return None if active is None else active.file
    finally:
        store.close()


def test_f7_does_not_activate_what_could_not_be_saved(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F7 saved the buffer, ignored that the save failed and activated it: the user read
    'was not saved', then 'activated', a version that is in no file."""
    path = folder / "standard.policy"
    db = tmp_path / "h.db"

    async def scenario() -> None:
        app = CallqaApp(folder, str(db), path)
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await settle(app, pilot)
            await pilot.press("f7")
            await settle(app, pilot)
            assert app.screen.__class__.__name__ == "Confirm"
            monkeypatch.setattr(os, "replace", _no_space(os.replace))
            await pilot.press("y")
            await settle(app, pilot)
            monkeypatch.undo()
            said = messages(app)
            assert not any(m.startswith("activated") for m in said), said
            assert said[-1] == (
                "not activated: standard.policy was not saved, and only a policy as it is in "
                "its file is activated; save it (ctrl+s) and press f7 again"
            )
            assert app.dirty

    asyncio.run(scenario())
    assert active_file(db) is None
    assert not path.read_text(encoding="utf-8").startswith("# edited")


def test_f7_on_an_edited_shipped_example_activates_only_the_saved_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_files: None
) -> None:
    """F7 on a shipped example with edits activated text that was in no file (the example
    is never written); it asks where to save the copy first, and stops if not saved."""
    here = tmp_path / "mine"
    here.mkdir()
    monkeypatch.chdir(here)
    db = tmp_path / "h.db"

    async def scenario() -> None:
        app = CallqaApp(POLICIES, str(db), POLICIES / "standard.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await edited(app, pilot)
            await settle(app, pilot)
            await pilot.press("f7")
            await settle(app, pilot)
            await pilot.press("y")  # activate? yes
            await pilot.pause()
            assert app.screen.__class__.__name__ == "SaveAs"
            await pilot.press("escape")  # where to save the copy? cancelled
            await settle(app, pilot)
            assert messages(app)[-1] == (
                "not activated: standard.policy was not saved, and only a policy as it is in "
                "its file is activated; save it (ctrl+s) and press f7 again"
            )
            assert app.dirty and active_file(db) is None
            await pilot.press("f7")
            await settle(app, pilot)
            await pilot.press("y")
            await pilot.pause()
            await pilot.press("enter")  # ./standard.policy
            await settle(app, pilot)
            assert not app.dirty and app.path == here / "standard.policy"
            assert messages(app)[-1].startswith("activated ")

    asyncio.run(scenario())
    assert active_file(db) == "standard.policy"
    assert (here / "standard.policy").read_text(encoding="utf-8").startswith("# edited\n")


# ------------------------------------------- text from policies and data (issue 15, item 12)

MARKUP = "[/x] [bold]b[/bold]"  # a policy may hold markup, not control characters (dsl.check)
HOSTILE = f"{MARKUP} \x1b]0;pwned\x07\x1b[5m"  # markup, a title change, blinking: in data
MARKED = (
    'policy "[/x] p" version "1" timezone "UTC"\n\n'
    'rubric r "[/x] card" {\n  scale 100\n  section s "[bold]S" {\n'
    f'    item a "{MARKUP}" deduct 50\n  }}\n'
    '  grades {\n    "good" >= 90\n    "[/bad]" otherwise\n  }\n}\n\n'
    f'test "{MARKUP}" {{\n'
    '  evaluation id "[/y]" agent "[/a]" rubric "r" answers.a "fail" at 2026-11-02 10:00\n'
    '  expect good for "[/a]"\n}\n'
)


def terminal_output(app: CallqaApp) -> str:
    """What the app sends to the terminal to draw its whole screen."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def test_markup_and_escape_sequences_from_policies_and_data_are_shown_literally(
    tmp_path: Path,
) -> None:
    """`[/x]` in a test name, an item label, an evaluation id or a file name crashed the
    TUI (MarkupError) or restyled its text; an ESC sequence reached the terminal raw."""
    from callqa.engine.runtime.events import parse_event
    from callqa.engine.store.database import Store

    folder = tmp_path / "policies"
    folder.mkdir()
    path = folder / "[b]marked.policy"
    path.write_text(MARKED, encoding="utf-8")
    db = tmp_path / "h.db"
    store = Store(db, create=True)
    store.add_events([parse_event({"kind": "evaluation", "id": f"[/e{n}]", "agent": "[/a]",
                                   "rubric": "r", "answers": {"a": "fail"},
                                   "at": f"2026-11-0{n} 10:00:00+00:00"})
                      for n in (2, 3)])  # fmt: skip
    store.close()

    async def scenario() -> None:
        app = CallqaApp(folder, str(db))
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(app, pilot)
            assert app.path == path and rows(app, "problems") == []
            listed = [str(label.render()) for label in app.query_one(ListView).query(Label)]
            assert listed == ["[b]marked.policy"]
            await pilot.press("f5")
            await settle(app, pilot)
            [[result, name, _]] = rows(app, "tests")
            assert (result, name) == ("FAIL", MARKUP)
            assert "-50 " + MARKUP in detail(app, "test-detail")
            assert "score [/bad] for [/a]" in detail(app, "test-detail")
            # the buffer grades more kindly than the file: its grades are drawn literally
            editor = app.query_one(PolicyEditor)
            editor.text = editor.text.replace('"good" >= 90', '"good" >= 0')
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail")
            assert said.startswith(f"Replayed 2 events from {db}, the buffer vs [b]marked.policy")
            assert "\n[/bad] ▓" in said and "\ngood " in said
            editor.text = f"# {HOSTILE}\n{editor.text}"  # pasted from a terminal
            editor.move_cursor((0, 0))
            await settle(app, pilot)  # the editor draws what a policy may not hold, and why
            said = [row[2].split(" — try: ")[0] for row in rows(app, "problems")]
            assert said == [f"an invisible character (U+{code}) is in this comment"
                            for code in ("001B", "0007", "001B")]  # fmt: skip
            screen = terminal_output(app)
            assert "\x1b]0;pwned" not in screen and "\x1b[5m" not in screen
            assert "\x07" not in screen
            await pilot.press("f1")  # the editor's lines, drawn behind the help
            await pilot.press("escape")
            await pilot.pause()
            drawn = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", terminal_output(app))  # its styles out
            assert "# [/x] [bold]b[/bold] ␛]0;pwned␇␛[5m" in drawn  # the problems underlined
            assert app.is_running

    asyncio.run(scenario())


# ------------------------------------------------------------ stores (issue 15, item 9)


def test_a_failed_simulation_closes_its_store(
    folder: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulate worker closed its store only when all went well."""
    import callqa.engine.simulation.from_store
    from callqa.engine.store.database import Store

    opened: list[Store] = []
    closed: list[Store] = []
    real_init, real_close = Store.__init__, Store.close

    def init(self: Store, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        opened.append(self)

    def close(self: Store) -> None:
        closed.append(self)
        real_close(self)

    def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the replay broke")

    monkeypatch.setattr(Store, "__init__", init)
    monkeypatch.setattr(Store, "close", close)
    monkeypatch.setattr(callqa.engine.simulation.from_store, "simulate_stored", fails)

    async def scenario() -> None:
        app = CallqaApp(folder, str(demo_db), folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            assert any(m.startswith("the simulation stopped: the replay broke")
                       for m in messages(app)), messages(app)  # fmt: skip

    asyncio.run(scenario())
    assert opened and sorted(map(id, closed)) == sorted(map(id, opened))


def test_a_plan_exported_beside_the_shipped_examples_goes_to_your_folder(
    tmp_path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch, shipped_files: None
) -> None:
    """The export was written next to the policies: into the installed package for the
    shipped examples."""
    here = tmp_path / "mine"
    here.mkdir()
    monkeypatch.chdir(here)

    async def scenario() -> None:
        app = CallqaApp(POLICIES, str(demo_db), POLICIES / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await ask_for_the_plan_of(app, pilot, "2026-11-03")
            await pilot.click("#export-plan")
            await pilot.pause()
            exported = here / "sampling-plan-2026-11-03.json"
            assert f"exported {exported} (check it with: callqa sample --verify)" in messages(app)

    asyncio.run(scenario())
    assert os.listdir(here) == ["sampling-plan-2026-11-03.json"]


def test_a_database_password_is_never_shown(folder: Path) -> None:
    url = "postgresql+psycopg://callqa:s3cret@127.0.0.1:1/nothing"  # no server there

    async def scenario() -> None:
        app = CallqaApp(folder, url, folder / "center.policy")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            said = detail(app, "sim-detail")
            assert said.startswith(
                "Nothing replayed from the database postgresql+psycopg://callqa:***@127.0.0.1:1/"
            ), said
            assert not any("s3cret" in m for m in [said, *messages(app)])

    asyncio.run(scenario())
