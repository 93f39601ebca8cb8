"""Text from policies and data is printed literally by every command: Rich markup in an
evaluation id, a label or a name (`[/x]`) neither crashes `callqa score` (MarkupError)
nor restyles the output, and a terminal escape sequence in an imported name (`\\x1b[31m`)
is shown as \\u001b[31m instead of reaching the terminal. JSON output keeps the exact value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callqa.engine import load_policy
from callqa.tui.cli import main
from callqa.tui.literal import shown

ROOT = Path(__file__).resolve().parent.parent
EVIL = "[/x][bold]\x1b[31mA1\u202e"  # closing markup, opening markup, an escape, a bidi override
MARKUP = "[/x][bold]A1"  # what a policy may hold: it refuses control characters (dsl.check)
RAW = ("\x1b", "\u202e")


def literal(output: str, *values: str) -> None:
    """No control character of the data reached the output, and each value is in it as
    written (its control characters made visible)."""
    assert not any(raw in output for raw in RAW), output
    for value in values:
        assert shown(value) in output, (shown(value), output)


@given(st.text())
def test_shown_text_has_no_control_characters_and_json_stays_exact(text: str) -> None:
    visible = shown(text)
    assert all(c in "\n\t" or c.isprintable() or c == " " or ord(c) > 0x9F for c in visible)
    assert not any(raw in visible for raw in RAW)
    encoded = json.dumps({"value": text}, ensure_ascii=False)
    assert json.loads(shown(encoded)) == {"value": text}


SCORECARD = (
    'policy "p" version "1" timezone "Asia/Shanghai"\n'
    'rubric r "质检" {\n  scale 100\n  section s "服务" {\n'
    '    item greeting "[bold]问候" deduct 5\n'
    '    item tone "[red]语气" deduct 10\n  }\n'
    '  grades { "[/x]" >= 90 "合格" otherwise }\n}\n'
)


def test_score_prints_markup_and_escapes_in_ids_labels_and_grades_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[/x]` as an evaluation id crashed `callqa score` with MarkupError."""
    monkeypatch.setenv("COLUMNS", "200")  # the table's rows on one line each
    policy = tmp_path / "p.policy"
    policy.write_text(SCORECARD, encoding="utf-8")
    rows = tmp_path / "e.csv"
    rows.write_text(
        "id,greeting,tone\n[/x]\x1b[31m,pass,pass\nE2,fail,fail\nE3,maybe,pass\n", encoding="utf-8"
    )
    args = ["score", "--policy", str(policy), "--rubric", "r", "--input", str(rows)]
    assert main(args) == 1  # row 4 is rejected
    captured = capsys.readouterr()
    literal(captured.out, "[/x]\x1b[31m", "[bold]问候 -5", "[red]语气 -10", "[/x]")
    literal(captured.err, "[bold]问候")
    assert main([*args, "--format", "jsonl"]) == 1
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["id"] == "[/x]\x1b[31m" and first["grade"] == "[/x]"


WARNING = (
    'policy "t" version "1" timezone "Asia/Shanghai"\n'
    'action warn "[bold]警告" notify 班长\n'
    "discipline d {\n  rule v when count(violation) in calendar month >= 2 then warn\n}\n"
)


def test_explain_and_test_print_names_and_labels_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(
        WARNING + 'test "[/x] [red]" {\n'
        f'  violation agent "{MARKUP}" type "late" at 2026-11-02 08:40\n'
        f'  violation agent "{MARKUP}" type "late" at 2026-11-03 08:40\n'
        '  expect warn for "A1"\n}\n',
        encoding="utf-8",
    )
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(json.dumps({"kind": "violation", "id": f"v{n}", "agent": EVIL, "type": "late",
                            "at": f"2026-11-0{n} 08:40"}) + "\n" for n in (2, 3)),
        encoding="utf-8",
    )  # fmt: skip
    args = ["explain", "--policy", str(policy), "--events", str(events)]
    assert main(args) == 0
    literal(capsys.readouterr().out, f"action warn for {EVIL}", "[bold]警告")
    assert main([*args, "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["subject"] == EVIL
    assert main(["test", "-v", str(policy)]) == 1
    literal(capsys.readouterr().out, "FAIL  [/x] [red]", MARKUP)


def test_import_simulate_and_policy_history_print_imported_names_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    old.write_text(WARNING, encoding="utf-8")
    new.write_text(WARNING.replace(">= 2", ">= 1"), encoding="utf-8")
    log = tmp_path / "log.csv"
    log.write_text(
        f"kind,id,agent,type,at\nviolation,v1,{EVIL},late,2026-11-02 08:40\n"
        f"violation,v2,A2,late,{EVIL}\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "h.db")
    assert main(["import", "--db", db, str(log)]) == 1  # row 3's time is not one
    captured = capsys.readouterr()
    literal(captured.out + captured.err, "[/x][bold]")
    assert main(["policy", "add", "--db", db, str(old)]) == 0
    digest = capsys.readouterr().out.split()[-1]
    assert main(["policy", "activate", "--db", db, digest, "--by", EVIL]) == 0
    literal(capsys.readouterr().out, f"by {EVIL}")
    assert main(["policy", "history", "--db", db]) == 0
    literal(capsys.readouterr().out, f"activated by {EVIL}")
    assert main(["simulate", "--db", db, "--policy", str(new)]) == 0
    literal(capsys.readouterr().out, f"action warn for {EVIL}", "action: warn")
    assert main(["simulate", "--db", db, "--policy", str(new), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"][0]["subject"] == EVIL


def test_sample_and_calibration_print_names_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callqa.engine.scoring.demo_data import demo_calibration

    calls = tmp_path / "calls.csv"
    calls.write_text(
        "id,agent,at,duration\n"
        + "".join(f"k{h},{EVIL},2026-11-02 {h:02d}:05,{60 + h}\n" for h in range(9, 17)),
        encoding="utf-8",
    )
    plan = tmp_path / "plan.json"
    assert main(["sample", "--policy", str(ROOT / "policies" / "center.policy"), "--calls",
                 str(calls), "--period", "2026-11-02", "--out", str(plan)]) == 0  # fmt: skip
    literal(capsys.readouterr().out, EVIL)
    picks = json.loads(plan.read_text(encoding="utf-8"))["periods"][0]["picks"]
    assert {pick["agent"] for pick in picks} == {EVIL}
    standard = str(ROOT / "policies" / "standard.policy")
    rows = demo_calibration(load_policy(standard).rubric("standard_call").table, calls=5)
    data = tmp_path / "cal.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({**r, "evaluator": r["evaluator"].replace("QA1", EVIL)}) for r in rows
        ),
        encoding="utf-8",
    )
    assert main(["calibration", "--policy", standard, "--rubric", "standard_call",
                 "--input", str(data)]) == 0  # fmt: skip
    literal(capsys.readouterr().out, EVIL)


def test_check_shows_a_policy_line_with_an_escape_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.policy"
    escaped = SCORECARD.replace("[red]语气", "\x1b[31m语气")  # copied from a terminal
    policy.write_text(escaped.replace("deduct 10", "deduct 10 when call.duraton > 60"),
                      encoding="utf-8")  # fmt: skip
    assert main(["check", str(policy)]) == 1
    out = capsys.readouterr().out
    literal(out)  # the source line marks the control character, the caret stays aligned
    assert '"\ufffd[31m语气" deduct 10 when call.duraton' in out
    assert f"{policy}:6:16: error: an invisible character (U+001B) is in this text" in out
