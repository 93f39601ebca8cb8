"""The terminal app at any size: the results panel that grows, the layout at 80x24, the
date boxes, focus, new file / go to line / format, and prompts that fit. Driven through
the pilot (keys), never the app's methods."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from test_tui import demo_history_db, detail, messages, notifications_kept, rows, settle
from textual.widgets import Input, Label, ListView, TabbedContent

from callqa.dsl.format import format_text
from callqa.tui.app import CallqaApp
from callqa.tui.editor import PolicyEditor

__all__ = ["demo_history_db", "notifications_kept"]  # fixtures shared with test_tui

SMALL = (80, 24)
LARGE = (160, 45)


def run(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """An async scenario run as a plain test (as test_tui does: no async plugin)."""

    @functools.wraps(test)
    def plain(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return plain


def small_history(folder: Path, tmp_path: Path, days: int = 7) -> Path:
    """A week of the demo's history (quick to replay)."""
    from callqa.engine import load_policy
    from callqa.engine.runtime.events import parse_event
    from callqa.engine.scoring.demo_data import demo_history
    from callqa.engine.store.database import Store

    path = tmp_path / "small.db"
    store = Store(path, create=True)
    try:
        policy = load_policy(folder / "center.policy")
        store.add_events([parse_event(e) for e in demo_history(policy, days=days)],
                         source="demo")  # fmt: skip
    finally:
        store.close()
    return path


def inside(app: CallqaApp, selector: str) -> bool:
    """Whether the widget is shown whole on the screen."""
    region = app.query_one(selector).region
    return bool(region.height) and app.screen.region.contains_region(region)


@run
async def test_at_80x24_the_file_list_hides_and_ctrl_b_shows_it(folder: Path,
                                                                tmp_path: Path) -> None:  # fmt: skip
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        files = app.query_one("#files", ListView)
        assert not files.display
        editor = app.query_one(PolicyEditor)
        assert editor.region.height >= 10  # 8 lines of policy, was 6
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert files.display and files.region.width == 28
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not files.display
        await pilot.press("ctrl+o")  # the file list, shown to be chosen from
        await pilot.pause()
        assert files.display and app.focused is files


@run
async def test_at_160x45_the_file_list_shows(folder: Path, tmp_path: Path) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=LARGE) as pilot:
        await settle(app, pilot)
        assert app.query_one("#files", ListView).display
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not app.query_one("#files", ListView).display


@run
async def test_f6_at_80x24_keeps_the_counts_table_in_sight(folder: Path, tmp_path: Path) -> None:
    db = small_history(folder, tmp_path)
    app = CallqaApp(folder, str(db), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        assert rows(app, "simulation")
        table = app.query_one("#simulation").region
        visible = table.intersection(app.query_one("#sim-scroll").region)
        assert visible.height >= 5  # the header and at least four decisions
        assert app.query_one(PolicyEditor).region.height >= 10


@run
async def test_ctrl_r_maximizes_the_results_with_the_whole_grade_chart(
    folder: Path, tmp_path: Path
) -> None:
    db = small_history(folder, tmp_path)
    app = CallqaApp(folder, str(db), folder / "center.policy")
    async with app.run_test(size=LARGE) as pilot:
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        said = detail(app, "sim-detail")
        assert "grades (before ▓ / after █):" in said
        assert len(said.split("\n")) > 8  # more than the old cap
        before = app.query_one("#panels").region.height
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.query_one(PolicyEditor).display
        assert app.query_one("#panels").region.height > before + 15
        # no cap: the detail is as tall as its text, all of it on the screen
        sim_detail = app.query_one("#sim-detail")
        assert sim_detail.region.height >= len(said.split("\n"))
        assert inside(app, "#sim-detail")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.query_one(PolicyEditor).display
        assert app.query_one("#panels").region.height == before


@run
async def test_the_date_boxes_say_what_the_run_covered(folder: Path, tmp_path: Path) -> None:
    db = small_history(folder, tmp_path)
    app = CallqaApp(folder, str(db), folder / "center.policy")
    async with app.run_test(size=LARGE) as pilot:
        await settle(app, pilot)
        start, end = app.query_one("#sim-from", Input), app.query_one("#sim-to", Input)
        assert (start.placeholder, end.placeholder) == ("the first event", "the last event")
        await pilot.press("f6")
        await settle(app, pilot)
        assert start.value == end.value == ""  # nothing typed for the user
        assert start.placeholder.startswith("the first event: 2026-")
        assert end.placeholder.startswith("the last event: 2026-")
        first, last = start.placeholder[-10:], end.placeholder[-10:]
        assert first <= last
        assert f"events from {first}" in detail(app, "sim-detail")


@run
async def test_tab_leaves_the_editor_and_ctrl_t_reaches_the_date_boxes(
    folder: Path, tmp_path: Path
) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        editor = app.query_one(PolicyEditor)
        text = editor.text
        assert app.focused is editor
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not editor and editor.text == text  # no indent typed
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "simulation-tab"
        assert app.focused is app.query_one("#sim-from", Input)
        await pilot.press("tab")
        assert app.focused is app.query_one("#sim-to", Input)
        await pilot.press(*"2026-11-09")
        assert app.query_one("#sim-to", Input).value == "2026-11-09"
        await pilot.press("f8")  # the Sampling tab (no history: said so), from a box too
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "sampling-tab"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.focused is app.query_one("#sample-period", Input)
        await pilot.press("tab")  # the export button is next
        assert app.focused is app.query_one("#export-plan")
        await pilot.click(PolicyEditor)
        assert app.focused is editor


@run
async def test_ctrl_n_creates_a_policy_in_the_folder_and_opens_it(
    folder: Path, tmp_path: Path
) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Ask"
        await pilot.press(*"center", "enter")  # exists: said, and asked again
        await pilot.pause()
        problem = str(app.screen.query_one("#ask-problem", Label).render())
        assert "center.policy exists already" in problem
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*"投诉质检", "enter")
        await settle(app, pilot)
        created = folder / "投诉质检.policy"
        assert created.is_file() and app.path == created
        assert app.query_one(PolicyEditor).text == created.read_text(encoding="utf-8")
        assert app.problems == []  # it checks clean
        names = [
            str(item.query_one(Label).render()) for item in app.query(ListView).first().children
        ]
        assert "投诉质检.policy" in names
        assert any("created" in said for said in messages(app))


@run
async def test_ctrl_n_with_unsaved_changes_asks_first(folder: Path, tmp_path: Path) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("n")  # keep the changes: no new file
        await pilot.pause()
        assert app.screen.__class__.__name__ != "Ask"
        assert app.query_one(PolicyEditor).text.startswith("x")


@run
async def test_ctrl_g_goes_to_a_line(folder: Path, tmp_path: Path) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        editor = app.query_one(PolicyEditor)
        await pilot.press("ctrl+g")
        await pilot.pause()
        app.screen.query_one(Input).value = ""
        await pilot.press(*"99999", "enter")  # past the end: said, asked again
        await pilot.pause()
        assert "write a line number from 1 to" in str(
            app.screen.query_one("#ask-problem", Label).render()
        )
        app.screen.query_one(Input).value = ""
        await pilot.press(*"20", "enter")
        await pilot.pause()
        assert editor.cursor_location == (19, 0) and app.focused is editor
        top = editor.scroll_offset.y
        assert top <= 19 < top + editor.scrollable_content_region.height


@run
async def test_f9_formats_keeping_the_chinese_keywords(folder: Path, tmp_path: Path) -> None:
    zh = format_text((folder / "standard.policy").read_text(encoding="utf-8"), keywords="zh")
    messy = zh.replace("\n  ", "\n      ", 3)
    path = folder / "zh.policy"
    path.write_text(messy, encoding="utf-8")
    app = CallqaApp(folder, str(tmp_path / "h.db"), path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        editor = app.query_one(PolicyEditor)
        assert editor.text == messy != zh
        await pilot.press("f9")
        await pilot.pause()
        assert editor.text == zh  # 质检表, 当, 则 as they were
        assert app.dirty
        await pilot.press("ctrl+z")  # one undo gives the text back
        await pilot.pause()
        assert editor.text == messy
        await pilot.press("f9", "f9")
        await pilot.pause()
        assert messages(app)[-1] == "already formatted"


@run
async def test_f9_on_an_unreadable_policy_says_why(folder: Path, tmp_path: Path) -> None:
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+home", *"oops {", "enter")
        text = app.query_one(PolicyEditor).text
        await pilot.press("f9")
        await pilot.pause()
        assert app.query_one(PolicyEditor).text == text
        assert "not formatted" in messages(app)[-1]


@pytest.mark.parametrize("width", [50, 80])
@run
async def test_the_activation_prompt_fits_the_screen(folder: Path, tmp_path: Path,
                                                     width: int) -> None:  # fmt: skip
    app = CallqaApp(folder, str(tmp_path / "a-rather-long-name-for-the-history.db"),
                    folder / "center.policy")  # fmt: skip
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f7")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "Confirm"
        question = app.screen.query_one(Label)
        assert "It will judge all new events." in str(question.render())
        box = app.screen.query_one("Confirm > Vertical").region
        assert app.screen.region.contains_region(box)
        assert box.contains_region(question.region)
        # every line of the question is drawn: the label is as tall as its wrapped text
        lines = question.render_lines(question.region.reset_offset)
        drawn = " ".join("".join(s.text for s in line).strip() for line in lines)
        assert "It will judge all new events." in " ".join(drawn.split())
        yes = app.screen.query_one("#yes").region
        assert box.contains_region(yes) and yes.y >= question.region.bottom


@run
async def test_f8_picks_the_last_day_with_calls(folder: Path, tmp_path: Path) -> None:
    db = small_history(folder, tmp_path)
    app = CallqaApp(folder, str(db), folder / "center.policy")
    async with app.run_test(size=LARGE) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        period = app.query_one("#sample-period", Input)
        assert period.value == ""
        assert period.placeholder.startswith("the last day with calls: 2026-")
        assert rows(app, "sampling")  # that day has calls to sample


@run
async def test_help_names_the_new_keys(folder: Path, tmp_path: Path) -> None:
    from textual.widgets import Markdown

    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "center.policy")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        source = app.screen.query_one(Markdown).source
        for key in ("ctrl+r", "ctrl+b", "ctrl+n", "ctrl+g", "f9", "tab", "ctrl+t"):
            assert f"**{key}**" in source
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to line")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Ask"  # the palette has it too
