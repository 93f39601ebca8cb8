"""The simulation report for people summarizes before it lists (`callqa simulate`, F6):
changed outcomes per decision, team and agent, the biggest movers first; the sampling
workload; the outcomes that only moved in time; a short list, `--all` for every one; the
grades in the rubric's band order with bars aligned by display width. JSON holds it all."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from test_tui import workers_done

from callqa.dsl.i18n import set_language
from callqa.engine import Policy, load_policy
from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.simulate import simulate
from callqa.engine.store.database import Store
from callqa.tui.app import CallqaApp
from callqa.tui.cli import main
from callqa.tui.editor import PolicyEditor
from callqa.tui.simulation_view import grade_chart

POLICIES = Path(__file__).resolve().parent.parent / "policies"
BANDS = ["优秀", "良好", "合格", "不合格"]  # standard.policy's grades, best first


def changed_policies(folder: Path) -> Path:
    """The shipped rulebook changed where it moves many outcomes: 3 random calls sampled a
    day instead of 2, complaints escalated after 4h instead of 8h, 良好 from 90 not 85."""
    folder.mkdir()
    for path in POLICIES.glob("*.policy"):
        shutil.copy(path, folder / path.name)
    center = folder / "center.policy"
    center.write_text(
        center.read_text(encoding="utf-8")
        .replace("pick 2 random calls", "pick 3 random calls")
        .replace("escalate after 8h at 班长", "escalate after 4h at 班长"),
        encoding="utf-8",
    )
    card = folder / "standard.policy"
    card.write_text(card.read_text(encoding="utf-8").replace('"良好" >= 85', '"良好" >= 90'),
                    encoding="utf-8")  # fmt: skip
    return center


def history(policy: Policy, agents: int = 12, teams: bool = True) -> list[dict[str, Any]]:
    """Two weeks of a center's events (its calls say each agent's team, T1 to T3)."""
    rubric = next(iter(policy.rubrics.values())).table
    events = demo_events(days=14, agents=agents, seed=5, rubric=rubric)
    if not teams:
        for event in events:
            event.pop("team", None)
    return events


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A database of that history and the changed rulebook (the shipped one is `--against`)."""
    tmp = tmp_path_factory.mktemp("report")
    center = changed_policies(tmp / "changed")
    db = str(tmp / "h.db")
    store = Store(db, create=True)
    store.add_events(history(load_policy(POLICIES / "center.policy")))
    store.close()
    return db, str(center)


def run(setup: tuple[str, str], capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    db, center = setup
    argv = ["simulate", "--db", db, "--policy", center, "--against",
            str(POLICIES / "center.policy"), "--quiet", *flags]  # fmt: skip
    assert main(argv) == 0
    return capsys.readouterr().out


def test_the_json_report_holds_every_change_and_the_summaries(
    setup: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(run(setup, capsys, "--format", "json"))
    changed = data["changed"]
    assert len(changed) > 100  # every one, as before: the people's report lists 10
    by_decision = {row["decision"]: row for row in data["changed_by_decision"]}
    assert by_decision["sample"]["changed"] == sum(1 for c in changed if c["kind"] == "sample")
    assert sum(row["changed"] for row in data["changed_by_decision"]) == len(changed)
    for key in ("changed_by_decision", "changed_by_team", "changed_by_agent"):
        moves = [abs(row["after"] - row["before"]) for row in data[key]]
        assert moves == sorted(moves, reverse=True), key  # the biggest movers first
    assert {row["team"] for row in data["changed_by_team"]} == {"T1", "T2", "T3"}
    assert len(data["changed_by_agent"]) == 12
    agent_of = {row["agent"]: row for row in data["changed_by_agent"]}
    samples = sum(1 for c in changed if c["kind"] == "sample" and c["subject"] == "A001")
    assert agent_of["A001"]["changed"] >= samples > 0
    # an escalation's subject is a complaint: it counts for the complaint's agent
    assert sum(r["changed"] for r in data["changed_by_agent"]) == len(changed)
    workload = data["sampling_workload"]
    assert (
        workload["after"] - workload["before"]
        == by_decision["sample"]["after"] - by_decision["sample"]["before"]
    )
    assert data["retimed"] == len(data["retimed_outcomes"]) > 0
    moved = data["retimed_outcomes"][0]
    assert set(moved) == {"kind", "subject", "action", "before", "after"}
    assert moved["kind"] == "escalation" and moved["before"] != moved["after"]
    assert data["grade_order"] == BANDS
    assert data["grades"]["before"] != data["grades"]["after"]  # 良好 moved


def test_the_report_for_people_summarizes_before_it_lists(
    setup: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(run(setup, capsys, "--format", "json"))
    out = run(setup, capsys)
    workload = data["sampling_workload"]
    added = workload["after"] - workload["before"]
    sections = [
        "grades after appeals: 优秀",
        "outcome(s) changed;",
        "changed outcomes by decision",
        "changed outcomes by team, the biggest movers first",
        "changed outcomes by agent, the biggest movers first",
        f"calls to review: {workload['before']:,} → {workload['after']:,} ({added:+,})",
        "the same decision at another time:",
        "changed outcomes, one by one:",
    ]
    places = [out.index(section) for section in sections]
    assert places == sorted(places), out
    grades = out[places[0] :].split("\n", 1)[0]
    assert [grades.index(name) for name in BANDS] == sorted(grades.index(n) for n in BANDS)
    agents = out[places[4] : places[5]]
    assert agents.count("│") == 10 * 4  # the top 10 (4 rules a row), then how many more
    assert "... and 2 more (--all lists them all)" in agents
    top = data["changed_by_agent"][0]
    assert re.search(rf"{top['agent']}\s+│\s+{top['changed']}\s+│", agents)
    retimed = data["retimed_outcomes"][0]
    assert (f"- escalation {retimed['action']} for {retimed['subject']}: "
            f"{retimed['before'][0]} → {retimed['after'][0]}") in out  # fmt: skip
    listed = out[places[7] :]
    assert listed.count(" time(s) before, ") == 10
    more = len(data["changed"]) - 10
    assert (f"... and {more} more: --all lists every one with its reasons, --format json "
            "too") in " ".join(listed.split())  # fmt: skip


def test_all_lists_every_changed_outcome_with_its_reasons(
    setup: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(run(setup, capsys, "--format", "json"))
    out = run(setup, capsys, "--all")
    listed = out[out.index("changed outcomes, one by one, with their reasons:") :]
    assert listed.count("\n    after: ") + listed.count("\n    before: ") >= 2 * len(
        data["changed"]
    )
    assert "--all lists" not in out  # nothing left out
    for row in data["changed"]:
        assert f"- {row['kind']} {row['action']} for {row['subject']}\n" in listed
    agents = out[out.index("by agent") : out.index("calls to review")]
    assert all(row["agent"] in agents for row in data["changed_by_agent"])


def test_the_report_speaks_chinese(
    setup: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, center = setup
    try:
        assert main(["--lang", "zh", "simulate", "--db", db, "--policy", center, "--against",
                     str(POLICIES / "center.policy"), "--quiet"]) == 0  # fmt: skip
    finally:
        set_language(None)  # the next tests read English
    out = capsys.readouterr().out
    for said in ("按决定类型汇总有变化的结果", "按班组汇总有变化的结果，变化最大的在前",
                 "按座席汇总有变化的结果，变化最大的在前", "需质检的通话：",
                 "决定相同、时间不同：", "逐个列出有变化的结果：", "加 --all 逐个列出并附理由"):  # fmt: skip
        assert said in out


def test_no_team_view_when_the_events_give_no_team(tmp_path: Path) -> None:
    old = load_policy(POLICIES / "center.policy")
    new = load_policy(changed_policies(tmp_path / "changed"))
    data = simulate(new, old, history(old, agents=6, teams=False)).to_dict()
    assert data["changed"] and data["changed_by_team"] == []
    assert {row["agent"] for row in data["changed_by_agent"]} == {f"A00{n}" for n in range(1, 7)}
    # with an agent_joined that gives a team, that team is summarized
    events = history(old, agents=6, teams=False)
    first = events[0]["at"]
    joined = [{"kind": "agent_joined", "id": f"J{n}", "agent": f"A00{n}", "team": "一组",
               "at": first} for n in range(1, 7)]  # fmt: skip
    data = simulate(new, old, [*joined, *events]).to_dict()
    assert [row["team"] for row in data["changed_by_team"]] == ["一组"]


def test_grades_in_band_order_and_bars_aligned_by_display_width() -> None:
    report = {
        "grades": {"before": {"不合格": 3, "优秀": 10, "zz": 1, "合格": 5, "良好": 8, "A+": 2},
                   "after": {"不合格": 4, "优秀": 9, "合格": 5, "良好": 8}},
        "grade_order": BANDS,
    }  # fmt: skip
    rows = grade_chart(report).splitlines()[1:]
    names = [row.split(" ", 1)[0] for row in rows[::2]]
    assert names == [*BANDS, "A+", "zz"]  # grades of no band after, by name
    bars = [re.search("[▓█]", row) for row in rows]
    starts = {cell_len(row[: bar.start()]) for row, bar in zip(rows, bars, strict=True) if bar}
    assert len(starts) == 1  # every bar starts in the same column
    assert len({cell_len(row) for row in rows}) == 1  # and the counts end in one


class _ReportApp(CallqaApp):
    NOTIFICATION_TIMEOUT = 600  # a toast stays for the screenshot

    @property
    def _db_shown(self) -> str:  # the same on every run, not the test's temporary path
        return "h.db"


def test_f6_with_a_large_simulation_summarizes_first(
    folder: Path, tmp_path: Path, snap_compare: Any
) -> None:
    """F6: the buffer (the shipped rulebook) against the active version, the changed one,
    on two weeks of 24 agents: hundreds of changed outcomes, summarized."""
    db = str(tmp_path / "h.db")
    store = Store(db, create=True)
    store.add_events(history(load_policy(folder / "center.policy"), agents=24))
    active = load_policy(changed_policies(tmp_path / "changed"))
    digest = store.add_policy(active.checked.stored_text, name=active.name,
                              version=active.version, file="center.policy", author="王")  # fmt: skip
    store.activate(digest, by="李主管")
    with store.engine.begin() as connection:  # the file list shows it: the same every run
        connection.execute(store.tables.activations.update().values(
            activated_utc=dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)))  # fmt: skip
    store.close()

    async def simulate_f6(pilot: Any) -> None:
        pilot.app.query_one(PolicyEditor).cursor_blink = False
        await pilot.pause(0.5)
        await workers_done(pilot.app)
        await pilot.press("f6")
        await pilot.pause(0.5)
        await workers_done(pilot.app)
        await pilot.pause()

    app = _ReportApp(folder, db, folder / "center.policy")
    assert snap_compare(app, terminal_size=(160, 45), run_before=simulate_f6)
