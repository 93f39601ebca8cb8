"""Progress bars and ctrl+C on the long commands: the bar is on stderr only, only on a
terminal (CALLQA_PROGRESS=1 stands for one here) and never with --quiet; ctrl+C is one line
and exit code 130."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callqa.tui.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
CENTER = str(ROOT / "policies" / "center.policy")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("progress") / "demo.db")
    assert main(["demo", "--count", "200", "--db", db]) == 0
    return db


def _simulate(db: str, *more: str) -> list[str]:
    return ["simulate", "--db", db, "--policy", CENTER, "--against", CENTER, "--format",
            "json", *more]  # fmt: skip


def test_the_bar_is_on_stderr_on_a_terminal_only_and_stdout_is_unchanged(
    demo_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    monkeypatch.setenv("CALLQA_PROGRESS", "1")  # first: the baseline's replay, with a bar
    assert main(_simulate(demo_db)) == 0
    shown = capsys.readouterr()
    assert "replaying" in shown.err and "events/s" in shown.err
    assert "kept the replay of the version compared with in " in shown.err
    monkeypatch.delenv("CALLQA_PROGRESS", raising=False)
    assert main(_simulate(demo_db)) == 0
    plain = capsys.readouterr()
    assert plain.err == ""  # stderr is not a terminal here: no bar (and nothing kept anew)
    assert shown.out == plain.out and json.loads(shown.out)["changed"] == []
    assert main(_simulate(demo_db, "--quiet")) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == plain.out


def test_every_long_command_takes_quiet(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    parser = build_parser()
    for argv in (["import", "x.csv"], ["simulate", "--policy", "p"],
                 ["explain", "--policy", "p", "--events", "e"],
                 ["sample", "--policy", "p", "--calls", "c"]):  # fmt: skip
        assert parser.parse_args([*argv, "--quiet"]).quiet is True
    monkeypatch.setenv("CALLQA_PROGRESS", "1")
    log = tmp_path / "events.jsonl"
    log.write_text('{"kind": "complaint", "id": "c1", "agent": "A1", '
                   '"at": "2026-11-02 10:00", "severity": "normal"}\n', encoding="utf-8")  # fmt: skip
    capsys.readouterr()
    assert main(["explain", "--policy", CENTER, "--events", str(log)]) == 0
    assert "explaining" in capsys.readouterr().err
    assert main(["explain", "--policy", CENTER, "--events", str(log), "--quiet"]) == 0
    assert "explaining" not in capsys.readouterr().err
    sweep = _simulate(demo_db, "--sweep", "bottom_removal.complaints_month=2..3")
    assert main(sweep) == 0
    assert "replaying for 2 values" in capsys.readouterr().err
    assert main(["import", "--db", str(tmp_path / "h.db"), str(log)]) == 0
    assert "importing events.jsonl" in capsys.readouterr().err


def test_ctrl_c_in_a_replay_is_one_line_and_130(
    demo_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("callqa.engine.simulation.from_store.simulate_stored", interrupted)
    capsys.readouterr()
    assert main(_simulate(demo_db)) == 130
    said = capsys.readouterr()
    assert said.err == "cancelled: nothing written\n" and said.out == ""


def test_ctrl_c_in_an_import_says_how_many_events_were_stored_and_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callqa.engine.store.database import Store

    log = tmp_path / "events.csv"
    log.write_text("kind,id,agent,at,severity\n" + "".join(
        f"complaint,c{n},A{n % 7},2026-11-{n % 28 + 1:02d} 10:00,normal\n" for n in range(12000)
    ), encoding="utf-8")  # fmt: skip
    add_prepared = Store.add_prepared
    calls = [0]

    def second_batch_interrupted(self: Store, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return add_prepared(self, *args, **kwargs)

    monkeypatch.setattr(Store, "add_prepared", second_batch_interrupted)
    db = tmp_path / "h.db"
    assert main(["import", "--db", str(db), str(log)]) == 130
    monkeypatch.setattr(Store, "add_prepared", add_prepared)
    stored = Store(str(db)).count_events()
    assert 0 < stored < 12000
    said = capsys.readouterr().err
    assert said.startswith(f"cancelled: {stored:,} events stored in {db} (each batch")
    assert "Traceback" not in said and said.count("\n") == 1
