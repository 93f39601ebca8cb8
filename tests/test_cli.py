"""The `callqa` command line, run as a user would (through `main(argv)`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from callqa.engine import load_policy
from callqa.tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
# the test blocks written in the shipped rulebook: what `callqa test` and the demo count
CENTER_TESTS = (ROOT / "policies" / "center.policy").read_text(encoding="utf-8").count('\ntest "')
STANDARD = ROOT / "policies" / "standard.policy"
BROKEN = """policy "坏的" version "1" timezone "Asia/Shanghai"
rubric r "质检" {
  scale 100
  section s "服务" {
    item greeting "开场白" deduct 5 when call.duraton > 60
    item jargon "术语" deduct 2 per occurrence
  }
  grades { "优秀" >= 90 "良好" >= 80 }
}
"""


def test_check_passes_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    policies = sorted(str(p) for p in (ROOT / "policies").glob("*.policy"))
    assert len(policies) >= 3
    assert main(["check", *policies]) == 0
    assert f"OK: {len(policies)} files checked, 0 errors" in capsys.readouterr().out


def test_check_reports_every_problem_with_line_caret_and_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.policy"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5:39: error: unknown field call.duraton" in out
    assert "try: did you mean call.duration?" in out
    assert "a per-occurrence item needs a cap" in out
    assert "no grade covers scores from 0 to below 80" in out
    assert "FAILED: 1 file checked, 3 errors" in out
    caret_line = out.splitlines()[out.splitlines().index(
        next(line for line in out.splitlines() if "when call.duraton" in line)) + 1]  # fmt: skip
    # the caret sits under "call.duraton", counting Chinese characters as two cells
    assert caret_line.rstrip().endswith("^" * len("call.duraton"))
    assert (
        caret_line.index("^")
        == out.splitlines()[out.splitlines().index(caret_line) - 1].index("call.duraton") + 3
    )  # 开场白 is 3 characters of 2 cells


def test_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.policy"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["check", "--format", "json", str(path)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["errors"] == 3
    first = payload["files"][0]["diagnostics"][0]
    assert {"severity", "message", "file", "line", "col", "end_line", "end_col", "hint"} <= set(
        first
    )


def test_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no/such.policy"]) == 1
    assert "no/such.policy:1:1: error: file not found" in capsys.readouterr().out


CSV = """id,call.type,call.duration,call.hold_time,greeting,closing,wait_ack,tone,interrupting,forbidden,identity_check,data_leak,recording_note,accuracy,recap,ownership,jargon,courtesy,empathy
E1,account,400,30,pass,pass,pass,pass,0,pass,pass,pass,pass,pass,pass,pass,0,0,fail
E2,billing,100,0,fail,pass,pass,pass,2,pass,pass,pass,pass,pass,pass,pass,1,0,pass
E3,account,400,0,pass,pass,pass,pass,0,fail,pass,pass,pass,pass,pass,pass,0,0,fail
E4,account,400,0,pass,maybe,pass,pass,0,pass,pass,pass,pass,pass,pass,pass,0,0,fail
E5,account,400,0,pass,pass
E6,account,abc,0,pass,pass,pass,pass,0,pass,pass,pass,pass,pass,pass,pass,0,0,fail
"""


def test_score_csv_scores_good_rows_and_reports_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evals.csv"
    path.write_text(CSV, encoding="utf-8")
    code = main(["score", "--policy", str(STANDARD), "--rubric", "standard_call",
                 "--input", str(path), "--format", "jsonl"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["id"] for r in rows] == ["E1", "E2", "E3"]
    assert rows[0]["score"] == 100.0 and rows[0]["grade"] == "优秀"
    assert rows[2]["score"] == 0.0 and rows[2]["critical"][0]["label"] == "服务忌语"
    assert "standard.policy:" in rows[1]["deductions"][0]["location"]
    err = captured.err
    assert "row 5: item closing (规范结束语) has the answer 'maybe'" in err
    assert "row 6: has 6 cells but the header has 19 columns" in err
    assert "row 7: call.duration: 'abc' is not a duration" in err
    assert "scored 3 of 6 evaluations; 3 rejected" in err


def test_score_table_and_jsonl_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evals.jsonl"
    good = {"id": "J1", "call": {"type": "card", "duration": 30, "hold_time": 0},
            "answers": {i: "pass" for i in ["greeting", "closing", "wait_ack", "tone",
                        "forbidden", "identity_check", "data_leak", "recording_note",
                        "accuracy", "recap", "ownership", "empathy"]}
            | {"interrupting": 0, "jargon": 3, "courtesy": 0}}  # fmt: skip
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    code = main(["score", "--policy", str(STANDARD), "--rubric", "standard_call",
                 "--input", str(path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "J1" in captured.out and "使用客户听不懂的术语 -6" in captured.out
    assert "row 2: not valid JSON" in captured.err


def test_score_with_unknown_rubric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.csv"
    path.write_text("id\n", encoding="utf-8")
    assert main(["score", "--policy", str(STANDARD), "--rubric", "standard",
                 "--input", str(path)]) == 1  # fmt: skip
    assert "did you mean standard_call?" in capsys.readouterr().err


def test_demo_runs_and_can_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "demo.db")
    assert main(["demo", "--count", "200", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "标准来电质检表" in out and "grade distribution" in out
    assert "red line" in out or "N/A" in out
    tests = CENTER_TESTS
    assert f"policy tests: {tests} of {tests} pass" in out
    assert "proposed change" in out and "outcome(s) changed" in out
    # the stored history has QA evaluations of the included scorecard, appeals among them
    assert "action: coaching" in out and "rescore" in out and "grades after appeals: 优秀" in out
    assert main(["demo", "--count", "200", "--db", db]) == 0
    assert "0 events added" in " ".join(capsys.readouterr().out.split())


def test_fmt_check_and_rewrite_keep_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "messy.policy"
    messy = (
        '# 说明\npolicy "t"   version "1"  timezone "UTC"\n'
        'rubric r {  # 开始\n scale 100\n section s "服务" {\n'
        '      item a "开场白" deduct 5   # 常见\n item bb "术语" deduct 2 per occurrence max 6\n }\n}\n'
    )
    path.write_text(messy, encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 1
    assert f"would reformat {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == messy  # --check writes nothing
    assert main(["fmt", str(path)]) == 0
    tidy = path.read_text(encoding="utf-8")
    assert tidy == (
        '# 说明\npolicy "t" version "1" timezone "UTC"\n\n'
        'rubric r {  # 开始\n  scale 100\n  section s "服务" {\n'
        '    item a  "开场白" deduct 5  # 常见\n'
        '    item bb "术语"   deduct 2 per occurrence max 6\n  }\n}\n'
    )
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_refuses_a_file_with_syntax_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.policy"
    path.write_text('policy "t"\nrubric r { section s { item a deduct five } }\n', encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert "unexpected word “five”" in err and "not formatted" in err


def callqa_test(folder: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`callqa test` of a policy written as `text`: its exit code and what it printed."""
    policy = folder / "t.policy"
    policy.write_text(text, encoding="utf-8")
    code = main(["test", str(policy)])
    return code, capsys.readouterr().out


def test_callqa_test_reports_pass_and_fail_with_expected_vs_actual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(ROOT / "policies" / "center.policy")]) == 0
    assert "PASS  three substantiated complaints" in capsys.readouterr().out
    code, out = callqa_test(
        tmp_path,
        'policy "t" version "1" timezone "Asia/Shanghai"\n'
        'action warn "警告" notify 班长\n'
        "discipline d {\n  rule v when count(violation) in calendar month >= 2 then warn\n}\n"
        'test "one violation is not enough" {\n'
        '  violation agent "A1" type "late" at 2026-11-02 08:40\n'
        '  expect warn for "A1"\n}\n',
        capsys,
    )
    assert code == 1
    assert "FAIL  one violation is not enough" in out
    assert "line 8: expected warn for A1, but the engine decided:" in out
    assert "(no decisions)" in out
    assert "0 passed, 1 failed" in out


def test_callqa_test_names_the_call_a_sampling_test_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`expect sample "c2"` wants that call sampled; the failure shows what was sampled."""
    code, out = callqa_test(
        tmp_path,
        'policy "t" version "1" timezone "Asia/Shanghai"\n'
        "sampling s {\n  per agent per day\n  pick 1st call where call.duration >= 60s\n}\n"
        'test "the first long call" {\n'
        '  call id "c1" agent "A1" duration 90 at 2026-11-02 09:00\n'
        '  call id "c2" agent "A1" duration 90 at 2026-11-02 10:00\n'
        '  expect sample "c2" for "A1" at 2026-11-03 00:00\n}\n',
        capsys,
    )
    assert code == 1
    assert "line 9: expected sample c2 for A1 at 2026-11-03 00:00, but the engine decided:" in out
    assert "2026-11-03 00:00 sample c1 for A1" in out


# two violations within two years send the agent to HR
TWO_YEAR_RULE = (
    'policy "t" version "1" timezone "Asia/Shanghai"\n'
    'action hr "转人力资源部" notify 主管\n'
    "discipline d {\n  rule w when count(violation) in 730 days >= 2 then hr\n}\n"
)


def test_callqa_test_spans_years_but_reports_a_mistyped_year_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule over two years is tested with events two years apart; a year typed wrong
    (2926) fails its test with the line and the dates, instead of stopping `callqa test`."""
    code, out = callqa_test(
        tmp_path,
        TWO_YEAR_RULE + 'test "two warnings within two years go to HR" {\n'
        '  violation agent "A1" type "late" at 2026-01-05 09:00\n'
        '  violation agent "A1" type "late" at 2027-12-20 09:00\n'
        '  expect hr for "A1" at 2027-12-20 09:00\n}\n'
        'test "a mistyped year" {\n'
        '  violation agent "A1" type "late" at 2026-01-05 09:00\n'
        '  expect no hr for "A1" at 2926-01-06 09:00\n}\n',
        capsys,
    )
    assert code == 1
    assert "PASS  two warnings within two years go to HR" in out
    assert "FAIL  a mistyped year" in out
    assert (
        "line 13: 2926-01-06 09:00 is 328,719 days after the test's time before it "
        "(2026-01-05 09:00); a test steps at most 10 years at once: is the year a typing mistake?"
    ) in out
    assert "1 passed, 1 failed" in out
    code, out = callqa_test(
        tmp_path,
        TWO_YEAR_RULE
        + 'test "an expectation in 9999" {\n  expect no hr for "A1" at 9999-01-06 09:00\n}\n',
        capsys,
    )
    assert code == 1
    assert "line 7: the year 9999 is not a real time (years 1900 to 2999): correct the date" in out


def test_demo_says_when_its_database_is_not_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On one line, whole: Rich wrapped it where the temporary path's length fell (in the
    middle of the path at times), so the words joined back did not always match."""
    monkeypatch.setenv("COLUMNS", "1000")  # the demo's console is as wide as told
    broken = tmp_path / "bad.db"
    broken.write_bytes(b"not a database" * 100)
    assert main(["demo", "--count", "10", "--db", str(broken)]) == 1
    assert f"{broken}: cannot use it as the demo database: file is not a database\n" in (
        capsys.readouterr().out
    )


def test_demo_next_steps_never_show_the_database_password() -> None:
    """The demo's closing lines named a PostgreSQL target as given, password and all."""
    from rich.console import Console

    from callqa.policies import shipped_policies
    from callqa.tui.demo import _next_steps

    console = Console(file=io.StringIO(), record=True, width=200)
    _next_steps(console, shipped_policies(), "postgresql+psycopg://qa:s3cret@db.local/callqa")
    out = console.export_text()
    assert "s3cret" not in out
    assert "the demo's history is in postgresql+psycopg://qa:***@db.local/callqa;" in out
    assert "callqa tui --db 'postgresql+psycopg://qa:***@db.local/callqa' my-policies/" in out


def test_demo_refuses_a_count_it_cannot_or_should_not_make(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for count, message in (("0", "0 is not between 1 and 1,000,000"),
                           ("99999999999999999999", "is not between 1 and 1,000,000"),
                           ("x", "'x' is not a whole number")):  # fmt: skip
        with pytest.raises(SystemExit) as stop:
            main(["demo", "--count", count])
        assert stop.value.code == 2
        assert message in capsys.readouterr().err


def test_callqa_sample_publishes_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    rows = ["id,agent,at,duration"]
    rows += [f"k{h},A1,2026-11-02 {h:02d}:05,{60 + h}" for h in range(9, 17)]
    rows += ["bad,A2,not a time,10"]
    calls.write_text("\n".join(rows) + "\n", encoding="utf-8")
    plan = tmp_path / "plan.json"
    args = ["sample", "--policy", str(ROOT / "policies" / "center.policy"), "--calls", str(calls)]
    assert main([*args, "--period", "2026-11-02", "--out", str(plan)]) == 1  # the bad row
    err = capsys.readouterr().err
    assert "'not a time' is not a date and time" in err
    rows.pop()
    calls.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main([*args, "--period", "2026-11-02", "--out", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "k12" in out and "2nd eligible call" in out
    assert main([*args, "--verify", str(plan)]) == 0
    assert "the plan matches" in capsys.readouterr().out
    assert main([*args, "--period", "2029-01", "--out", str(tmp_path / "none.json")]) == 1
    assert capsys.readouterr().err == (
        f"{calls}: no call in 2029-01 among its 8 row(s), so there is nothing to sample (is it "
        "the right period, and the right file?)\n"
    )
    assert not (tmp_path / "none.json").exists()  # no empty plan to publish
    assert main([*args, "--period", "2026-W00"]) == 2
    assert capsys.readouterr().err.startswith("--period: '2026-W00' is not a period: write a day")
    assert main([*args, "--period", "9999-12-31"]) == 2
    assert "the year 9999 is not a real time (years 1900 to 2999)" in capsys.readouterr().err
    tampered = json.loads(plan.read_text(encoding="utf-8"))
    tampered["periods"][0]["picks"][0]["call"] = "k9"
    plan.write_text(json.dumps(tampered), encoding="utf-8")
    assert main([*args, "--verify", str(plan)]) == 1
    assert "does NOT match" in capsys.readouterr().out


def test_callqa_sample_verify_reports_a_tampered_seed_or_rule_and_a_malformed_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    rows = [
        "id,agent,at,duration",
        *(f"k{h},A1,2026-11-02 {h:02d}:05,{60 + h}" for h in range(9, 17)),
    ]
    calls.write_text("\n".join(rows) + "\n", encoding="utf-8")
    plan = tmp_path / "plan.json"
    args = ["sample", "--policy", str(ROOT / "policies" / "center.policy"), "--calls", str(calls)]
    assert main([*args, "--period", "2026-11-02", "--out", str(plan)]) == 0
    capsys.readouterr()
    good = json.loads(plan.read_text(encoding="utf-8"))

    def verify(published: object) -> tuple[int, str, str]:
        plan.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
        code = main([*args, "--verify", str(plan), "--period", "2026-11-02"])
        out, err = capsys.readouterr()
        return code, out, err

    seeded = json.loads(json.dumps(good))
    seeded["periods"][0]["seed"] = "chosen by hand"
    code, out, _ = verify(seeded)
    assert code == 1 and "2026-11-02: the plan's seed is 'chosen by hand', the rule's '" in out
    ruled = json.loads(json.dumps(good))
    ruled["rules"][0]["rule"] = ["pick 1st call"]
    code, out, _ = verify(ruled)
    assert code == 1 and "rules: published [{" in out
    for malformed, message in (
        ([1, 2], "it is not a JSON object"),
        ({**good, "periods": [1]}, "periods[0]: not a sampling period with its rule and label"),
        ({**good, "periods": [{"sampling": "daily_check", "period": "2026-11-02",
                               "picks": [{"call": "k9"}]}]},
         "periods[0] (2026-11-02): picks must each have an agent and a call"),
        ({key: value for key, value in good.items() if key != "periods"} | {"days": []},
         "it lists days, as callqa wrote plans before it planned weekly and monthly rules"),
        ({**good, "period": 5}, "period: missing or not text"),
    ):  # fmt: skip
        code, _, err = verify(malformed)
        assert code == 1 and f"plan.json: not a sampling plan: {message}" in err, err


def test_import_refuses_an_unknown_timezone_with_the_zone_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "kind,id,agent,at,duration\ncall,k1,A1,2026-11-02 09:00,60\n", encoding="utf-8"
    )
    args = ["import", "--db", str(tmp_path / "h.db"), str(calls)]
    assert main([*args, "--timezone", "UTC+8"]) == 2
    assert capsys.readouterr().err.strip() == (
        "--timezone: unknown timezone 'UTC+8': write your city's zone (China: \"Asia/Shanghai\"), "
        'or "Etc/GMT-8"'
    )
    assert main([*args, "--timezone", "Asia/Shanghai"]) == 0


def test_callqa_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"kind": "commendation", "id": "m1", "at": "2026-11-02 10:00", "agent": "A1", "text": "耐心"}\n'
        '{"kind": "complaint", "id": "c1", "at": "2026-11-02 11:00", "agent": "A1"}\n'
        '{"kind": "violation", "id": "v1", "at": "2026-11-02 12:00"}\n',
        encoding="utf-8",
    )
    code = main(["explain", "--policy", str(ROOT / "policies" / "center.policy"),
                 "--events", str(events), "--until", "2026-11-03 00:00"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert (
        "action praise for A1" in captured.out
        and "why: 表扬: commendation m1: 耐心" in captured.out
    )
    assert "escalation 主管副总经理 for c1" in captured.out
    assert "row 3: violation event 'v1' rejected: agent: missing" in captured.err


def test_callqa_explain_refuses_an_until_years_ahead(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"kind": "complaint", "id": "c1", "at": "2026-11-02 11:00", "agent": "A1"}\n',
        encoding="utf-8",
    )
    code = main(["explain", "--policy", str(ROOT / "policies" / "center.policy"),
                 "--events", str(events), "--until", "2926-11-03 00:00"])  # fmt: skip
    assert code == 2
    said = capsys.readouterr().err
    assert said.startswith(
        "--until 2926-11-03 00:00: it cannot run to 2926-11-03 00:00, 328,7"
    )  # what to type, not the engine's Python option (Engine(max_gap=...))
    assert said.rstrip().endswith("else give an end (--until) on or before 2036-11-02")
    assert "max_gap" not in said
    for until, message in (("tomorrow", "--until: 'tomorrow' is not a date such as 2026-11-01"),
                           ("9026-11-03", "--until: '9026-11-03': the year 9026 is not a real"),
                           ("0001-01-01", "--until: '0001-01-01': the year 1 is not a real")):  # fmt: skip
        code = main(["explain", "--policy", str(ROOT / "policies" / "center.policy"),
                     "--events", str(events), "--until", until])  # fmt: skip
        assert code == 2 and capsys.readouterr().err.startswith(message)


def test_import_policy_and_simulate_from_the_command_line(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    log = tmp_path / "events.csv"
    log.write_text(
        "kind,id,agent,at,severity\n"
        + "".join(f"complaint,c{n},A1,2026-11-{n + 1:02d} 10:00,normal\n" for n in range(1, 3))
        + "complaint,bad,A1,someday,normal\n",
        encoding="utf-8",
    )
    assert main(["import", "--db", db, str(log)]) == 1  # one bad row
    captured = capsys.readouterr()
    assert "read 3 rows: kept 2 events" in captured.out
    assert "row 4: complaint event 'bad' rejected: at: 'someday'" in captured.err
    assert main(["import", "--db", db, str(log)]) == 1
    assert "kept 0 events, 2 already stored" in capsys.readouterr().out
    center = str(ROOT / "policies" / "center.policy")
    assert main(["simulate", "--db", db, "--policy", center]) == 1
    assert "no policy is active yet" in capsys.readouterr().err
    assert main(["policy", "add", center, "--db", db, "--author", "王"]) == 0
    digest = capsys.readouterr().out.split()[-1]
    assert main(["policy", "activate", digest, "--db", db, "--by", "李主管"]) == 0
    assert main(["policy", "history", "--db", db]) == 0
    assert "activated by 李主管" in capsys.readouterr().out
    stricter = folder / "stricter.policy"  # beside the scorecards it includes
    stricter.write_text(
        (ROOT / "policies" / "center.policy")
        .read_text(encoding="utf-8")
        .replace(
            "in calendar month since back_on_floor >= 3 then off_floor_retraining",
            "in calendar month since back_on_floor >= 2 then off_floor_retraining",
            1,
        ),
        encoding="utf-8",
    )
    assert main(["simulate", "--db", db, "--policy", str(stricter), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["action: off_floor_retraining"] == {"before": 0, "after": 1}
    [change] = report["changed"]
    assert change["subject"] == "A1" and change["before"] == []
    assert main(["simulate", "--db", db, "--policy", center, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == []


def test_policy_diff_and_effective_dates(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    center = ROOT / "policies" / "center.policy"
    newer = folder / "center.policy"  # beside the scorecards it includes
    # the change, and the policy test it moves (or activation would refuse the version)
    newer.write_text(
        center.read_text(encoding="utf-8")
        .replace("24h at 主管副总经理", "12h at 主管副总经理")
        .replace('"总经理" for "k9" at 2026-11-03 10:59', '"总经理" for "k9" at 2026-11-02 22:59')
        .replace('"总经理" for "k9" at 2026-11-03 11:00', '"总经理" for "k9" at 2026-11-02 23:00'),
        encoding="utf-8",
    )
    assert main(["policy", "add", str(center), "--db", db]) == 0
    old = capsys.readouterr().out.split()[-1]
    assert main(["policy", "add", str(newer), "--db", db, "--effective", "2026-12-01"]) == 0
    new = capsys.readouterr().out.split()[-1]
    assert main(["policy", "diff", old, new, "--db", db]) == 0
    diff = capsys.readouterr().out
    assert "24h at 主管副总经理" in diff and "+  escalate after 8h at 班长, 12h" in diff
    # a change in a scorecard the rulebook includes is a new version, shown in its file
    card = folder / "standard.policy"
    card.write_text(card.read_text(encoding="utf-8").replace("deduct 15", "deduct 20", 1),
                    encoding="utf-8")  # fmt: skip
    assert main(["policy", "add", str(newer), "--db", db]) == 0
    newest = capsys.readouterr().out.split()[-1]
    assert newest != new
    assert main(["policy", "diff", new, newest, "--db", db]) == 0
    diff = capsys.readouterr().out
    assert f"+++ standard.policy ({newest})" in diff and "\x1c" not in diff
    assert [line for line in diff.splitlines() if line.startswith("+ ")] == [
        '+    item accuracy  "业务解答准确"     deduct 20'
    ]
    for digest in (old, new):
        assert main(["policy", "activate", digest, "--db", db]) == 0
    log = tmp_path / "events.csv"
    log.write_text("kind,id,agent,at\ncomplaint,c1,A1,2026-11-20 10:00\ncomplaint,c2,A1,2026-12-20 10:00\n",
                   encoding="utf-8")  # fmt: skip
    assert main(["import", "--db", db, str(log)]) == 0
    capsys.readouterr()
    assert main(["simulate", "--db", db, "--policy", str(newer), "--against", "history",
                 "--format", "json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    # in December the 12h version was already in force: only November's complaint moves
    # (its escalations to 总经理 and 主管领导 come 12 hours earlier)
    assert report["retimed"] == 2 and report["changed"] == []


def test_empty_inputs_and_unknown_names_are_said_not_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty evaluations file, an empty policy (activated, it would judge nothing) and
    an expert nobody in the data is were all 'OK' with exit 0."""
    from callqa.engine.scoring.demo_data import demo_calibration

    standard = str(ROOT / "policies" / "standard.policy")
    empty = tmp_path / "evals.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["score", "--policy", standard, "--rubric", "standard_call",
                 "--input", str(empty)]) == 1  # fmt: skip
    assert "evals.csv: no evaluations in the file (is it the right one?)" in capsys.readouterr().err
    nothing = tmp_path / "empty.policy"
    nothing.write_text("", encoding="utf-8")
    assert main(["check", str(nothing)]) == 1
    assert "the file does not say which policy it is (it is empty)" in capsys.readouterr().out
    rows = demo_calibration(load_policy(standard).rubric("standard_call").table, calls=5)
    data = tmp_path / "cal.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["calibration", "--policy", standard, "--rubric", "standard_call",
                 "--input", str(data), "--expert", "NOBODY"]) == 2  # fmt: skip
    assert capsys.readouterr().err.strip() == (
        "--expert 'NOBODY' scored none of these evaluations; the evaluators are: EXPERT, QA1, "
        "QA2, QA3"
    )
    args = ["calibration", "--policy", standard, "--rubric", "standard_call", "--input", str(data)]
    assert main(args) == 0
    assert "QA2" in capsys.readouterr().out
    alone = [{**row, "call": row["id"]} for row in rows]  # no call scored twice
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in alone), encoding="utf-8")
    assert main(args) == 1  # compared nothing
    out = capsys.readouterr().out
    assert "nothing to compare: calibration needs the same call scored by two or more" in out
    assert "disagree" not in out  # no table of items on 0% of 0 calls
    rows[0] = {**rows[0], "facts": "not an object"}
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(args) == 1  # a rejected row fails the run, as in `score`
    assert "facts and answers must each be an object" in capsys.readouterr().err


def test_options_that_cannot_mean_what_they_say_are_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    center = str(ROOT / "policies" / "center.policy")
    assert main(["demo", "--count", "10", "--db", str(tmp_path / "d.db"),
                 "--data", str(tmp_path / "nope")]) == 1  # fmt: skip
    assert "no such folder" in capsys.readouterr().out.replace("\n", "")
    assert main(["simulate", "--db", str(tmp_path / "d.db"), "--policy", center, "--against",
                 center, "--from", "2026-12-01", "--to", "2026-11-01"]) == 2  # fmt: skip
    assert "--from 2026-12-01 is not before --to 2026-11-01: swap them" in capsys.readouterr().err
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"kind": "complaint", "id": "c1", "at": "2026-11-02 11:00", "agent": "A1"}\n',
        encoding="utf-8",
    )
    assert main(["explain", "--policy", center, "--events", str(events),
                 "--until", "2026-01-01"]) == 0  # fmt: skip
    assert (
        "--until 2026-01-01 is before the last event (2026-11-02 11:00): nothing more falls due"
        in capsys.readouterr().err
    )


def test_policy_add_of_a_stored_text_with_a_new_effective_date_says_it_is_not_applied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, standard = str(tmp_path / "h.db"), str(ROOT / "policies" / "standard.policy")
    assert main(["policy", "add", "--db", db, standard, "--effective", "2026-12-01"]) == 0
    assert main(["policy", "add", "--db", db, standard, "--effective", "2027-01-01"]) == 1
    assert "so --effective is not applied to it" in capsys.readouterr().err
    assert main(["policy", "add", "--db", db, standard]) == 0  # storing it again is harmless


def test_callqa_sample_names_the_row_of_a_bad_call_and_of_a_repeated_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "id,agent,at,duration\nk1,A1,2026-11-02 10:05,70\nk2,,2026-11-02 11:05,80\n"
        "k1,A1,2026-11-02 10:05,70\n",
        encoding="utf-8",
    )
    assert main(["sample", "--policy", str(ROOT / "policies" / "center.policy"),
                 "--calls", str(calls), "--period", "2026-11-02"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "calls.csv row 3: call event 'k2' rejected: agent: missing" in err
    assert "calls.csv row 4: the call id 'k1' is in row 2 too: counted once" in err


def test_a_store_url_callqa_does_not_speak_says_which_it_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["policy", "history", "--db", "mysql://x"]) == 1
    assert "callqa keeps its store in SQLite (a file) or PostgreSQL" in capsys.readouterr().err


def test_every_command_reads_callqa_db_and_only_the_demo_writes_the_demo_database() -> None:
    from callqa.tui.cli import DEFAULT_DB, DEMO_DB, build_parser

    parser = build_parser()
    assert DEFAULT_DB == "callqa.db" and DEMO_DB == "callqa-demo.db"
    for argv in (["tui"], ["simulate", "--policy", "p"], ["import", "f"], ["policy", "history"]):
        assert parser.parse_args(argv).db == DEFAULT_DB, argv
    assert parser.parse_args(["demo"]).db == DEMO_DB


def test_every_db_option_says_its_default_and_whether_it_is_read_or_written() -> None:
    """simulate, policy and calibration said nothing of their --db; demo did not name
    callqa-demo.db."""
    import argparse

    from callqa.tui.cli import build_parser

    def commands(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, object]]:
        found: list[tuple[str, object]] = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    found += commands(child, f"{name} {sub}".strip())
            elif "--db" in action.option_strings:
                found.append((name, action))
        return found

    found = commands(build_parser(), "")
    assert {name for name, _ in found} >= {"import", "simulate", "calibration", "tui", "demo",
                                          "policy add", "policy activate", "policy history",
                                          "policy diff"}  # fmt: skip
    for name, action in found:
        text = action.help or ""  # type: ignore[attr-defined]
        default = action.default  # type: ignore[attr-defined]
        assert (f"(default: {default}" in text) if default else "no default" in text, name
        assert "read" in text or "written" in text, name
    helps = {name: action.help for name, action in found}  # type: ignore[attr-defined]
    assert "(default: callqa-demo.db;" in helps["demo"] and "never callqa.db" in helps["demo"]
    assert "never written" in helps["simulate"] and "written to" in helps["policy add"]


def test_a_command_reading_a_missing_database_says_so_and_where_the_demo_history_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`callqa simulate` after `callqa demo` read callqa.db, replayed 0 events and exited 0
    (and created callqa.db by reading it)."""
    monkeypatch.chdir(tmp_path)
    center = str(ROOT / "policies" / "center.policy")
    standard = str(ROOT / "policies" / "standard.policy")
    missing = ("callqa.db does not exist, so it holds no history; import the center's "
               "events first: callqa import --db callqa.db calls.csv")  # fmt: skip
    for argv in (
        ["simulate", "--policy", center],
        ["policy", "history"],
        ["calibration", "--policy", standard, "--rubric", "standard_call", "--db", "callqa.db"],
    ):
        assert main(argv) == 1, argv
        assert capsys.readouterr().err == missing + "\n"
    (tmp_path / "callqa-demo.db").write_bytes(b"")  # the demo ran in this folder
    assert main(["simulate", "--policy", center]) == 1
    assert capsys.readouterr().err == (
        missing + " (the demo's generated history is in callqa-demo.db: --db callqa-demo.db)\n"
    )
    assert not (tmp_path / "callqa.db").exists()  # reading creates nothing


def test_replaying_nothing_is_an_error_that_says_where_the_events_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    center = str(ROOT / "policies" / "center.policy")
    header = tmp_path / "header.csv"
    header.write_text("kind,id,agent,at\n", encoding="utf-8")
    assert main(["import", "--db", db, str(header)]) == 1  # imports none, creates nothing
    assert "header.csv: the file has no rows, so nothing was imported" in capsys.readouterr().err
    assert not Path(db).exists()
    assert main(["policy", "add", "--db", db, center]) == 0  # a database without events
    capsys.readouterr()
    simulate = ["simulate", "--db", db, "--policy", center, "--against", center]
    assert main(simulate) == 1
    assert f"{db} holds no events to replay; import the center's events first" in (
        capsys.readouterr().err
    )
    log = tmp_path / "events.csv"
    log.write_text("kind,id,agent,at\ncomplaint,c1,A1,2026-11-02 10:00\n"
                   "complaint,c2,A1,2026-11-20 10:00\n", encoding="utf-8")  # fmt: skip
    assert main(["import", "--db", db, str(log)]) == 0
    capsys.readouterr()
    for flags, asked in (
        (["--from", "2026-12-01", "--to", "2027-01-01"], "from 2026-12-01 to 2027-01-01"),
        (["--from", "2026-12-01"], "from 2026-12-01 on"),
        (["--to", "2026-11-01"], "before 2026-11-01"),
    ):
        for mode in (
            [],
            ["--against", "history"],
            ["--sweep", "bottom_removal.complaints_month=2..3"],
        ):
            argv = ["simulate", "--db", db, "--policy", center, *flags, *mode]
            if not mode:
                argv += ["--against", center]
            assert main(argv) == 1, argv
            assert capsys.readouterr().err == (
                f"{db} has no events {asked}: its events run from 2026-11-02 10:00 to "
                "2026-11-20 10:00; choose --from and --to within them\n"
            )
    assert main([*simulate, "--format", "json"]) == 0
    replay = json.loads(capsys.readouterr().out)["replay"]
    assert replay["last_event"] == "2026-11-20 10:00+08:00"
    assert replay["replayed_to"] == "2026-12-01 00:00+08:00"  # November's KPIs close
    assert main(simulate) == 0
    out = capsys.readouterr().out
    assert "events from 2026-11-02 10:00+08:00 to 2026-11-20 10:00+08:00; replayed to " in out
    assert main([*simulate, "--to", "2926-01-01"]) == 1  # a typing mistake: not replayed to
    out = " ".join(capsys.readouterr().out.split())
    assert ("events from 2026-11-02 10:00+08:00 to 2026-11-20 10:00+08:00; replayed to "
            "2026-11-20 10:00+08:00 ") in out  # where it stopped, not 2926  # fmt: skip
    assert ("the replay stopped at its last event, so no period after it was closed: it cannot "
            "run to 2926-01-01 00:00, ") in out  # fmt: skip
    assert (
        "elsegiveanend(--to)onorbefore2036-11-20" in "".join(out.split()) and "Engine(" not in out
    )
    assert "they end after 2026-11-20 10:00+08:00, where the replay stopped" in out
    # --against history replays the span asked for too (it replayed the whole history)
    assert main(["policy", "add", "--db", db, center]) == 0
    assert main(["policy", "activate", "--db", db, capsys.readouterr().out.split()[-1]]) == 0
    capsys.readouterr()
    assert main(["simulate", "--db", db, "--policy", center, "--against", "history",
                 "--from", "2026-11-20", "--format", "json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["events"] == 2  # from November's start: its monthly KPIs are judged whole
    assert data["replay"]["replayed_from"] == "2026-11-01 00:00+08:00"


def test_simulate_from_inside_a_week_judges_the_whole_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--from 2026-11-07 (a Saturday) judged week W45's KPIs on 2 of its days (satisfaction
    3/5 = 0.6): 1 alert instead of 2. The replay starts at the first period's start, and
    the report says so."""
    from callqa.engine.scoring.demo_data import demo_events
    from callqa.engine.store.database import Store

    db = str(tmp_path / "h.db")
    store = Store(db, create=True)
    store.add_events(demo_events(days=7, agents=6, seed=3))  # 2 to 8 November
    store.close()
    center = str(ROOT / "policies" / "center.policy")
    runs = {}
    for start in ("2026-11-02", "2026-11-07"):
        assert main(["simulate", "--db", db, "--policy", center, "--against", center,
                     "--from", start, "--to", "2026-11-09", "--format", "json"]) == 0  # fmt: skip
        runs[start] = json.loads(capsys.readouterr().out)
    whole, cut = runs["2026-11-02"], runs["2026-11-07"]
    assert cut["counts"] == whole["counts"] and cut["events"] == whole["events"]
    assert cut["replay"]["asked_from"] == "2026-11-07 00:00+08:00"
    assert cut["replay"]["replayed_from"] == "2026-11-01 00:00+08:00"
    assert main(["simulate", "--db", db, "--policy", center, "--against", center,
                 "--from", "2026-11-07", "--to", "2026-11-09"]) == 0  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())
    assert ("--from 2026-11-07 00:00+08:00 falls inside a week or month the policies judge "
            "whole, so the replay started at 2026-11-01 00:00+08:00, the start of that "
            "period") in out  # fmt: skip


def test_explain_says_which_periods_its_events_left_open_and_the_until_that_closes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --until no KPI of the events' weeks and months was reported, silently."""
    events = tmp_path / "events.jsonl"
    events.write_text('{"kind": "complaint", "id": "c1", "at": "2026-11-02 11:00", '
                      '"agent": "A1", "team": "T1"}\n', encoding="utf-8")  # fmt: skip
    args = [
        "explain",
        "--policy",
        str(ROOT / "policies" / "center.policy"),
        "--events",
        str(events),
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "not decided yet, as these periods had not ended at 2026-11-02 11:00: 2026-W45 (" in err
    assert (
        "2026-11 (commended_agent, model_agent, most_improved), ends 2026-12-01 00:00; to close them, give --until 2026-12-01 00:00"
        in err
    )
    assert main([*args, "--until", "2026-12-01 00:00"]) == 0
    out, err = capsys.readouterr()
    assert "not decided yet" not in err
    assert "for 2026-W45 is" in out or "no data for 2026-W45" in out  # the week's KPIs closed


def test_explain_and_calibration_of_nothing_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    center, standard = str(ROOT / "policies" / "center.policy"), str(STANDARD)
    assert main(["explain", "--policy", center, "--events", str(empty)]) == 1
    assert capsys.readouterr().err == (
        f"{empty}: the file has no events, so there is nothing to explain (is it the right "
        "file? one JSON object per line, or a CSV with a header line)\n"
    )
    assert main(["calibration", "--policy", standard, "--rubric", "standard_call",
                 "--input", str(empty)]) == 1  # fmt: skip
    assert capsys.readouterr().err == (
        f"{empty}: no evaluations in it, so there is nothing to calibrate (is it the right file?)\n"
    )


def test_the_demo_keeps_out_of_a_center_database_and_names_its_own_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = str(tmp_path / "real.db")
    assert main(["policy", "add", "--db", real, str(ROOT / "policies" / "center.policy")]) == 0
    capsys.readouterr()
    assert main(["demo", "--count", "10", "--db", real]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"{real} holds history the demo did not make" in out
    from callqa.engine.store.database import Store

    store = Store(real)
    assert store.time_span() is None  # no generated event went in
    store.close()
    demo = str(tmp_path / "callqa-demo.db")
    assert main(["demo", "--count", "10", "--db", demo]) == 0
    out = capsys.readouterr().out
    assert f"callqa simulate --db {demo} --policy my-policies/center.policy --against active" in out
    assert f"callqa tui --db {demo} my-policies/center.policy" in out
    assert "mkdir my-policies && cp " in out and "/*.policy my-policies/" in out


def test_the_demo_refuses_the_center_database_name_and_import_refuses_a_demo_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`callqa demo --db callqa.db` filled the database every other command reads by
    default: `callqa import calls.csv` and `callqa simulate` then reported on generated and
    real events together, without a word."""
    from callqa.engine.scoring.demo_data import demo_events
    from callqa.engine.store.database import Store

    monkeypatch.chdir(tmp_path)
    for db in ("callqa.db", str(tmp_path / "callqa.db"), f"sqlite:///{tmp_path}/callqa.db"):
        assert main(["demo", "--count", "10", "--db", db]) == 1
        out = " ".join(capsys.readouterr().out.split())
        assert out == (
            f"--db {db}: the demo does not write there: callqa.db is where callqa import, "
            "simulate and policy keep a center's own history, and the demo's generated events "
            "would stay in it for good, counted with the real ones; give the demo a new file "
            "of its own: --db callqa-demo.db (the default) or another new name"
        )
        assert not (tmp_path / "callqa.db").exists()
    demo = tmp_path / "callqa-demo.db"
    store = Store(str(demo), create=True)
    store.add_events(demo_events(days=2, agents=2, seed=1), source="demo")
    before = store.count_events()
    store.close()
    calls = tmp_path / "calls.csv"
    calls.write_text("kind,id,agent,at\ncomplaint,c1,A1,2026-11-02 10:00\n", encoding="utf-8")
    assert main(["import", "--db", str(demo), "calls.csv"]) == 1
    assert capsys.readouterr().err == (
        f"{demo}: nothing imported: it holds the events callqa demo generated, and the "
        "center's real events imported there would be counted with them for good; import "
        "into another database: callqa import --db callqa.db calls.csv\n"
    )
    store = Store(str(demo))
    assert store.count_events() == before
    store.close()
    assert main(["import", "calls.csv"]) == 0  # into callqa.db, the center's own
    capsys.readouterr()
    store = Store("callqa.db")
    assert store.count_events() == 1
    store.close()


def test_nothing_scored_prints_no_table_and_an_unreadable_policy_no_test_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callqa score` with every evaluation rejected printed an empty table header;
    `callqa test /dev/zero` reported the unreadable file as '0 passed, 1 failed'."""
    rows = tmp_path / "bad.jsonl"
    rows.write_text('{"id": "E1", "answers": {"greeting": "maybe"}}\n', encoding="utf-8")
    standard = str(ROOT / "policies" / "standard.policy")
    assert main(["score", "--policy", standard, "--rubric", "standard_call",
                 "--input", str(rows)]) == 1  # fmt: skip
    out, err = capsys.readouterr()
    assert out == ""  # no header of an empty table
    assert "scored 0 of 1 evaluations; 1 rejected (see the messages above)" in err
    assert main(["test", "/dev/zero"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("/dev/zero: not a file but a device")
    assert out.endswith(
        "; its tests were not run\nnothing was tested: 1 file(s) could not be read or have "
        "errors, see above\n"
    )
    assert "passed" not in out and "failed" not in out
    center = str(ROOT / "policies" / "center.policy")
    assert main(["test", center, "/dev/zero"]) == 1  # the readable one's tests still count
    assert capsys.readouterr().out.endswith(
        f"{CENTER_TESTS} passed, 0 failed; 1 file(s) not tested, see above\n"
    )


def test_callqa_test_of_a_policy_without_tests_says_nothing_was_tested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It printed '0 passed, 0 failed' and exited 0, as if the rules were tested."""
    rules = WARNING_ONLY + "discipline d {\n  rule r on violation then warn\n}\n"
    code, out = callqa_test(tmp_path, rules, capsys)
    assert code == 1
    assert out.startswith(f"{tmp_path / 't.policy'}: the policy has no test blocks, so nothing "
                          "was tested")  # fmt: skip
    # a file of declarations only (a calendar, actions) has nothing of its own to test
    code, out = callqa_test(tmp_path, WARNING_ONLY, capsys)
    assert code == 1
    assert out.startswith(f"{tmp_path / 't.policy'}: no rules to test here (a calendar or "
                          "declarations, tested in the files that include it)")  # fmt: skip


WARNING_ONLY = 'policy "t" version "1" timezone "Asia/Shanghai"\naction warn "警告" notify 班长\n'


def test_calibration_reads_the_evaluations_of_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callqa.engine.scoring.demo_data import demo_calibration

    standard = str(STANDARD)
    rows = demo_calibration(load_policy(standard).rubric("standard_call").table, calls=5)
    data = tmp_path / "cal.jsonl"
    data.write_text("\n".join(json.dumps({**r, "at": "2026-11-02 10:00"}, ensure_ascii=False)
                              for r in rows), encoding="utf-8")  # fmt: skip
    db = str(tmp_path / "h.db")
    assert main(["import", "--db", db, str(data)]) == 0
    capsys.readouterr()
    args = ["calibration", "--policy", standard, "--rubric", "standard_call", "--db", db]
    assert main([*args, "--expert", "EXPERT"]) == 0
    assert "Calibration of standard_call: 5 calls scored by several evaluators" in (
        capsys.readouterr().out
    )
