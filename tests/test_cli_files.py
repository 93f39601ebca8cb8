"""The data files every command reads: a missing one is named once, a pipe is read
(`cat evals.jsonl | callqa score --input /dev/stdin`), a device is refused, and a file
inside the installed package is never written."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from callqa.engine import load_policy
from callqa.engine.scoring.demo_data import demo_calibration
from callqa.tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
CENTER = str(ROOT / "policies" / "center.policy")
STANDARD = str(ROOT / "policies" / "standard.policy")
ITEMS = ["greeting", "closing", "wait_ack", "tone", "forbidden", "identity_check", "data_leak",
         "recording_note", "accuracy", "recap", "ownership", "empathy"]  # fmt: skip
EVALUATION = {
    "id": "J1",
    "call": {"type": "card", "duration": 30, "hold_time": 0},
    "answers": dict.fromkeys(ITEMS, "pass") | {"interrupting": 0, "jargon": 3, "courtesy": 0},
}
UNFORMATTED = 'policy "t"   version "1"  timezone "UTC"\nrubric r {\n scale 100\n}\n'
DEVICE = "/dev/zero: not a file but a device (a terminal, a disk, /dev/zero...): give a file"


def _commands(name: str, tmp_path: Path) -> list[list[str]]:
    """Every command reading a data file, given `name` as that file."""
    return [
        ["import", "--db", str(tmp_path / "h.db"), name],
        ["score", "--policy", STANDARD, "--rubric", "standard_call", "--input", name],
        ["explain", "--policy", CENTER, "--events", name],
        ["sample", "--policy", CENTER, "--calls", name, "--period", "2026-11-02"],
        ["calibration", "--policy", STANDARD, "--rubric", "standard_call", "--input", name],
    ]


def test_a_missing_file_is_named_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`callqa import /nope.csv` said '/nope.csv: /nope.csv: file not found'."""
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "kind,id,agent,at,duration\ncall,k1,A1,2026-11-02 09:00,60\n", encoding="utf-8"
    )
    missing = str(tmp_path / "nope.csv")
    plan = str(tmp_path / "nope.json")
    mapping = str(tmp_path / "nope.toml")
    for args in [
        *_commands(missing, tmp_path),
        ["import", "--db", str(tmp_path / "h.db"), "--mapping", mapping, str(calls)],
        ["sample", "--policy", CENTER, "--calls", str(calls), "--verify", plan],
    ]:
        assert main(args) == 1, args
        err = capsys.readouterr().err
        named = next(name for name in (missing, plan, mapping) if name in args)
        assert err == f"{named}: file not found: check the path\n", args
    db = str(tmp_path / "h.db")
    assert main(["import", "--db", db, str(calls)]) == 0
    capsys.readouterr()
    older = str(tmp_path / "old.policy")  # was taken for a version hash: 'is hexadecimal'
    assert main(["simulate", "--db", db, "--policy", CENTER, "--against", older]) == 1
    assert capsys.readouterr().err == f"{older}: file not found: check the path\n"


def test_a_device_is_refused_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in _commands("/dev/zero", tmp_path):
        assert main(args) == 1, args
        assert capsys.readouterr().err.startswith(DEVICE), args


def _piped(args: list[str], data: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`callqa ARGS` with `data` piped into its standard input, as `cat file | callqa`."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from callqa.tui.cli import main; sys.exit(main())", *args],
        input=data, capture_output=True, cwd=cwd, timeout=120, text=True,
    )  # fmt: skip


def test_score_reads_evaluations_from_a_pipe(tmp_path: Path) -> None:
    """`callqa score --input /dev/stdin` said 'file not found' (it checked is_file first),
    and JSON Lines from a pipe were read as CSV rows (their answers lost)."""
    args = ["score", "--policy", STANDARD, "--rubric", "standard_call", "--input", "/dev/stdin",
            "--format", "jsonl"]  # fmt: skip
    result = _piped(args, json.dumps(EVALUATION) + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    scored = json.loads(result.stdout)
    assert scored["id"] == "J1" and scored["score"] < 100  # jargon 3 was read: deducted
    assert "jargon" in json.dumps(scored["deductions"])
    header = "id,call.type,call.duration,call.hold_time," + ",".join(ITEMS)
    header += ",interrupting,jargon,courtesy,greetng"
    row = "C1,card,30,0," + ",".join(["pass"] * len(ITEMS)) + ",0,0,0,fail"
    result = _piped(args, f"{header}\n{row}\n", tmp_path)
    assert json.loads(result.stdout)["id"] == "C1", result.stderr
    assert "/dev/stdin row 2: 'greetng' is not an item of this rubric, so its answer is " \
        "ignored (did you mean greeting?)" in result.stderr  # fmt: skip


def test_explain_sample_and_calibration_read_a_pipe(tmp_path: Path) -> None:
    event = {"kind": "commendation", "id": "m1", "at": "2026-11-02 10:00", "agent": "A1",
             "text": "耐心"}  # fmt: skip
    explained = _piped(["explain", "--policy", CENTER, "--events", "/dev/stdin"],
                       json.dumps(event, ensure_ascii=False) + "\n", tmp_path)  # fmt: skip
    assert explained.returncode == 0, explained.stderr
    assert "action praise for A1" in explained.stdout
    calls = ["id,agent,at,duration"] + [f"k{h},A1,2026-11-02 {h:02d}:05,{60 + h}"
                                        for h in range(9, 17)]  # fmt: skip
    sampled = _piped(["sample", "--policy", CENTER, "--calls", "/dev/stdin", "--period",
                      "2026-11-02"], "\n".join(calls) + "\n", tmp_path)  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    assert "k12" in sampled.stdout and "2nd eligible call" in sampled.stdout
    rows = demo_calibration(load_policy(STANDARD).rubric("standard_call").table, calls=5)
    calibrated = _piped(
        ["calibration", "--policy", STANDARD, "--rubric", "standard_call", "--input",
         "/dev/stdin"], "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), tmp_path,
    )  # fmt: skip
    assert calibrated.returncode == 0, calibrated.stderr
    assert "QA2" in calibrated.stdout and "Calibration of standard_call" in calibrated.stdout


def test_fmt_never_writes_into_the_installed_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callqa fmt` of a shipped example rewrote it inside site-packages, where an upgrade
    overwrites it; the TUI never writes there (tui.files.is_shipped), nor does fmt now."""
    from callqa.tui.files import SHIPPED

    shipped = SHIPPED / "center.policy"
    before = shipped.read_bytes()
    (tmp_path / "installed").symlink_to(SHIPPED)  # however the path is spelt
    for name in (str(shipped), str(tmp_path / "installed" / "center.policy")):
        assert main(["fmt", name]) == 1
        assert capsys.readouterr().err == (
            f"{name}: not formatted: it is a shipped example inside the installed callqa, "
            "where an upgrade would overwrite your changes; copy it to a folder of your own "
            "and format the copy\n"
        )
    assert shipped.read_bytes() == before
    assert main(["fmt", "--check", str(shipped)]) == 0  # reading it is fine
    copy = tmp_path / "center.policy"
    copy.write_bytes(before)
    assert main(["fmt", str(copy)]) == 0  # a copy of one's own is formatted


def test_only_callqa_edit_shipped_lets_the_developers_format_the_shipped_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped examples were writable wherever a pyproject.toml and a .git lay beside
    them, as at a center that installs with `git clone` and `pip install -e .` (the suite
    runs from such a checkout): now only CALLQA_EDIT_SHIPPED=1 makes them writable."""
    from callqa.tui import files

    shipped = files.SHIPPED / "center.policy"
    root = files.SHIPPED.parent
    assert (root / "pyproject.toml").is_file() and (root / ".git").exists()  # a checkout
    assert files.is_shipped(shipped)
    assert main(["fmt", str(shipped)]) == 1
    assert "not formatted: it is a shipped example" in capsys.readouterr().err
    for value in ("0", "", "yes"):
        monkeypatch.setenv("CALLQA_EDIT_SHIPPED", value)
        assert files.is_shipped(shipped)
    monkeypatch.setenv("CALLQA_EDIT_SHIPPED", "1")
    assert not files.is_shipped(shipped)
    assert main(["fmt", "--check", str(shipped)]) == 0  # formatted already: nothing written


def test_fmt_writes_through_a_symbolic_link_to_the_file_it_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ln -s shared/team.policy mine.policy; callqa fmt mine.policy` replaced the link
    with a file of its own: the team's rulebook stayed unformatted and the two diverged."""
    shared = tmp_path / "shared"
    shared.mkdir()
    team = shared / "team.policy"
    team.write_text(UNFORMATTED, encoding="utf-8")
    team.chmod(0o640)
    mine = tmp_path / "mine.policy"
    mine.symlink_to(Path("shared") / "team.policy")
    assert main(["fmt", str(mine)]) == 0, capsys.readouterr().err
    assert mine.is_symlink() and mine.resolve() == team
    assert team.read_text(encoding="utf-8") != UNFORMATTED
    assert main(["fmt", "--check", str(team)]) == 0
    assert team.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["team.policy"]  # no temporary left


def test_fmt_refuses_to_replace_a_pipe_or_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callqa fmt /dev/stdin` (a link to a pipe or a terminal) replaced the link with a
    file; a pipe, a device or a folder, however linked, is never replaced."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    link = tmp_path / "stdin"
    link.symlink_to(pipe)
    folder = tmp_path / "folder.policy"
    folder.mkdir()
    for path in (pipe, link, folder):
        assert main(["fmt", str(path)]) == 1
        assert capsys.readouterr().err == (
            f"not written: {path} is not a regular file; give the policy file's own path\n"
        )
    assert link.is_symlink() and stat.S_ISFIFO(pipe.stat().st_mode) and folder.is_dir()
