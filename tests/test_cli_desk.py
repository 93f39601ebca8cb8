"""The command line's conventions, as an operations manager or a script meets them: one
--format vocabulary (text, json, jsonl), help on every option, colour on a terminal only,
`policy list`, who activated a version and when (in local time), and failing policy tests
named wherever they are counted."""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from callqa.engine.runtime.policy_tests import TestResult as Outcome
from callqa.tui.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
CENTER = str(ROOT / "policies" / "center.policy")
STANDARD = str(ROOT / "policies" / "standard.policy")
GREEN, RED, YELLOW = "\x1b[32m", "\x1b[31m", "\x1b[33m"

# one test passes, one fails (it expects c2 sampled; the rule picks c1)
TWO_TESTS = (
    'policy "t" version "1" timezone "Asia/Shanghai"\n'
    "sampling s {\n  per agent per day\n  pick 1st call where call.duration >= 60s\n}\n"
    'test "the first long call" {\n'
    '  call id "c1" agent "A1" duration 90 at 2026-11-02 09:00\n'
    '  call id "c2" agent "A1" duration 90 at 2026-11-02 10:00\n'
    '  expect sample "c1" for "A1" at 2026-11-03 00:00\n}\n'
    'test "the second long call" {\n'
    '  call id "c1" agent "A1" duration 90 at 2026-11-02 09:00\n'
    '  call id "c2" agent "A1" duration 90 at 2026-11-02 10:00\n'
    '  expect sample "c2" for "A1" at 2026-11-03 00:00\n}\n'
)


class Terminal(io.StringIO):
    """Standard output as a terminal (a pipe's isatty is False)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Terminal]:
    """Makes standard output a terminal, from where it is called in the test (pytest's
    capture puts its own back between a fixture and the test)."""
    monkeypatch.delenv("NO_COLOR", raising=False)

    def attach() -> Terminal:
        screen = Terminal()
        monkeypatch.setattr(sys, "stdout", screen)
        return screen

    return attach


@pytest.fixture
def two_tests(tmp_path: Path) -> Path:
    path = tmp_path / "t.policy"
    path.write_text(TWO_TESTS, encoding="utf-8")
    return path


# ------------------------------------------------------------------ --format


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every verb (`policy list` too) with its parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                for inner, deeper in subcommands(sub):
                    yield f"{name} {inner}", deeper


def format_choices() -> dict[str, list[str]]:
    return {
        name: list(action.choices or [])
        for name, sub in subcommands(build_parser())
        for action in sub._actions
        if "--format" in action.option_strings
    }


def test_every_verb_says_text_for_people_and_json_or_jsonl_for_programs() -> None:
    formats = format_choices()
    for verb in ("check", "fmt", "test", "import", "sample", "calibration", "simulate",
                 "policy add", "policy activate", "policy list", "policy history",
                 "policy diff"):  # fmt: skip
        assert formats[verb] == ["text", "json"], verb
    for verb in ("score", "explain"):  # they stream one record per line
        assert formats[verb] == ["text", "jsonl"], verb
    verbs = {name for name, _ in subcommands(build_parser())}
    # every verb answers --format json, but the app and the demo, which are for people
    assert verbs - set(formats) == {"policy", "tui", "demo"}
    for name, sub in subcommands(build_parser()):
        if "--format" in {o for a in sub._actions for o in a.option_strings}:
            assert sub.get_default("format") == "text", name


def test_table_is_still_accepted_as_text_by_score_and_calibration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evaluations = tmp_path / "e.jsonl"
    evaluations.write_text(
        json.dumps({"id": "E1", "call": {"type": "account", "duration": 320},
                    "answers": {"greeting": "pass"}}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    score = ["score", "--policy", STANDARD, "--rubric", "standard_call", "--input",
             str(evaluations)]  # fmt: skip
    outputs = []
    for given in ([], ["--format", "text"], ["--format", "table"]):
        code = main([*score, *given])
        outputs.append((code, capsys.readouterr()))
    assert outputs[0] == outputs[1] == outputs[2]
    args = build_parser().parse_args(["calibration", "--policy", STANDARD, "--rubric", "r",
                                      "--format", "table"])  # fmt: skip
    assert args.format == "text"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["check", "--format", "table", "x.policy"])  # never had it
    assert "invalid choice" in capsys.readouterr().err


def test_callqa_test_json_gives_each_test_with_expected_and_actual(
    two_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["test", "--format", "json", str(two_tests), str(two_tests.parent / "no.policy")]) == 1
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["passed"], report["failed"], report["untested"]) == (1, 1, 1)
    assert report["failing"] == [{"name": "the second long call", "location": f"{two_tests}:11"}]
    tested, missing = report["files"]
    assert (missing["file"], missing["tested"], missing["tests"]) == (
        str(two_tests.parent / "no.policy"), False, [])  # fmt: skip
    assert "no.policy" in missing["problem"]
    first, second = tested["tests"]
    assert (first["name"], first["passed"], first["line"], first["file"]) == (
        "the first long call", True, 6, str(two_tests))  # fmt: skip
    assert first["expected"] == [
        {"line": 9, "expect": 'sample "c1" for "A1" at 2026-11-03 00:00', "met": True}
    ]
    assert second["passed"] is False and second["location"] == f"{two_tests}:11"
    assert second["expected"] == [
        {"line": 14, "expect": 'sample "c2" for "A1" at 2026-11-03 00:00', "met": False}
    ]
    assert "line 14: expected sample c2 for A1" in second["failures"][0]
    [actual] = second["actual"]  # what the engine decided instead
    assert (actual["kind"], actual["action"], actual["subject"]) == ("sample", "c1", "A1")


def test_callqa_test_json_of_a_policy_with_errors_gives_its_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "b.policy"
    broken.write_text('policy "t" version "1"\nrubric r {\n', encoding="utf-8")
    assert main(["test", "--format", "json", str(broken)]) == 1
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["tested"] is False and entry["diagnostics"]
    assert entry["diagnostics"][0]["file"] == str(broken)


def test_import_json_gives_the_counts_and_each_rejected_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    log = tmp_path / "events.csv"
    log.write_text(
        "kind,id,agent,at,severity\n"
        "complaint,c1,A1,2026-11-02 10:00,normal\n"
        "complaint,c2,A1,2026-11-03 10:00,normal\n"
        "complaint,bad,A1,someday,normal\n",
        encoding="utf-8",
    )
    assert main(["import", "--db", db, str(log)]) == 1  # as text first: kept 2
    capsys.readouterr()
    assert main(["import", "--format", "json", "--db", db, str(log)]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert captured.err == ""  # every problem is in the JSON
    [entry] = report["files"]
    assert {key: entry[key] for key in ("read", "kept", "duplicates", "conflicting", "filtered",
                                        "rejected")} == {
        "read": 3, "kept": 0, "duplicates": 2, "conflicting": 0, "filtered": 0, "rejected": 1}  # fmt: skip
    [row] = entry["rejected_rows"]
    assert row["row"] == 4 and row["message"].startswith("complaint event 'bad' rejected: at:")
    assert (report["read"], report["duplicates"], report["rejected"]) == (3, 2, 1)
    assert report["db"] == db


def test_import_json_row_numbers_are_read_when_speaking_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "events.csv"
    log.write_text("kind,id,agent,at\ncomplaint,bad,A1,someday\n", encoding="utf-8")
    assert main(["--lang", "zh", "import", "--format", "json", "--db",
                 str(tmp_path / "h.db"), str(log)]) == 1  # fmt: skip
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["rejected_rows"][0]["row"] == 2


def test_sample_json_is_the_plan_and_the_verification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    rows = ["id,agent,at,duration"]
    rows += [f"k{h},A1,2026-11-02 {h:02d}:05,{60 + h}" for h in range(9, 17)]
    calls.write_text("\n".join(rows) + "\n", encoding="utf-8")
    plan = tmp_path / "plan.json"
    args = ["sample", "--policy", CENTER, "--calls", str(calls), "--quiet"]
    assert main([*args, "--period", "2026-11-02", "--out", str(plan), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(plan.read_text(encoding="utf-8"))
    assert main([*args, "--verify", str(plan), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "plan": str(plan),
        "period": "2026-11-02",
        "matches": True,
        "differences": [],
    }
    published = json.loads(plan.read_text(encoding="utf-8"))
    published["periods"][0]["seed"] = "0" * 16
    plan.write_text(json.dumps(published), encoding="utf-8")
    assert main([*args, "--verify", str(plan), "--format", "json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["matches"] is False and verdict["differences"]


# ------------------------------------------------------------------ help


def test_every_option_of_every_verb_has_help_and_callqa_says_what_it_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, sub in [("callqa", parser), *subcommands(parser)]
        if not name.startswith("simulate")  # another part's
        for action in sub._actions
        if not action.help
    ]
    assert not missing
    description = parser.description or ""
    for verb in ("check", "format", "test", "score", "sample", "explain", "import", "simulate",
                 "activate"):  # fmt: skip
        assert verb in description, verb
    with pytest.raises(SystemExit):
        main(["--lang", "zh", "test", "--help"])
    shown = capsys.readouterr().out
    assert "要运行其测试的策略文件" in shown and "text 给人看（默认）" in shown


# ------------------------------------------------------------------ colour


def test_test_colours_pass_green_and_fail_red_on_a_terminal(
    two_tests: Path, terminal: Callable[[], Terminal]
) -> None:
    screen = terminal()
    assert main(["test", str(two_tests)]) == 1
    out = screen.getvalue()
    assert f"{GREEN}PASS  the first long call" in out
    assert f"{RED}FAIL  the second long call" in out
    assert f"{RED}1 passed, 1 failed\x1b[0m" in out


def test_no_colour_when_piped_or_no_color_is_set_even_empty(
    two_tests: Path, terminal: Callable[[], Terminal], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("NO_COLOR", "")
    screen = terminal()
    assert main(["test", str(two_tests)]) == 1
    on_terminal = screen.getvalue()
    assert "\x1b" not in on_terminal
    monkeypatch.undo()  # back to capsys's pipe, NO_COLOR unset
    monkeypatch.delenv("NO_COLOR", raising=False)
    capsys.readouterr()
    assert main(["test", str(two_tests)]) == 1
    piped = capsys.readouterr().out
    assert piped == on_terminal  # the same bytes
    assert piped.splitlines()[:2] == [
        f"PASS  the first long call  ({two_tests}:6)",
        f"FAIL  the second long call  ({two_tests}:11)",
    ]


def test_check_colours_errors_red_and_warnings_yellow_never_json(
    tmp_path: Path, terminal: Callable[[], Terminal]
) -> None:
    path = tmp_path / "w.policy"
    path.write_text(
        'policy "t" version "1" timezone "Asia/Shanghai"\n'
        'rubric r "R" {\n  scale 100\n  section s "S" {\n'
        '    item a "A" deduct 5 when call.duraton > 60\n  }\n'
        '  grades { "ok" >= 0 }\n}\n',
        encoding="utf-8",
    )
    screen = terminal()
    assert main(["check", str(path)]) == 1
    out = screen.getvalue()
    assert f"{RED}{path}:5:" in out and ": error: unknown field call.duraton" in out
    assert f"{RED}FAILED: 1 file checked" in out
    assert "\x1b[0m\n" in out and "^" in out.split(": error:")[1]  # the caret line is plain
    shipped = str(ROOT / "policies" / "standard.policy")
    screen = terminal()
    assert main(["check", shipped]) == 0
    assert f"{GREEN}OK: 1 file checked" in screen.getvalue()
    screen = terminal()
    assert main(["check", "--format", "json", str(path)]) == 1
    assert "\x1b" not in screen.getvalue()
    json.loads(screen.getvalue())


def test_a_warning_is_yellow(terminal: Callable[[], Terminal]) -> None:
    from callqa.tui.literal import say_diagnostic

    screen = terminal()
    say_diagnostic("p.policy:3:1: warning: unused\n    3 | x\n      | ^", error=False)
    assert (
        screen.getvalue() == f"{YELLOW}p.policy:3:1: warning: unused\x1b[0m\n    3 | x\n      | ^\n"
    )


def test_test_json_on_a_terminal_has_no_colour(
    two_tests: Path, terminal: Callable[[], Terminal]
) -> None:
    screen = terminal()
    assert main(["test", "--format", "json", str(two_tests)]) == 1
    assert "\x1b" not in screen.getvalue()
    json.loads(screen.getvalue())


# ------------------------------------------------------------------ policy list, who, when


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's timezone is Shanghai (UTC+8) for the test."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def two_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str, str]:
    """A database with two versions of a policy stored (the second later): its name and the
    two hashes."""
    db = str(tmp_path / "v.db")
    digests = []
    for version in ("1", "2"):
        path = tmp_path / f"p{version}.policy"
        path.write_text(TWO_TESTS.replace('version "1"', f'version "{version}"').split("test ")[0],
                        encoding="utf-8")  # fmt: skip
        assert main(["policy", "add", str(path), "--db", db, "--author", f"author{version}"]) == 0
        digests.append(capsys.readouterr().out.split()[-1])
    return db, digests[0], digests[1]


def test_policy_list_shows_every_version_newest_first_and_which_is_active(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], local_zone: None
) -> None:
    db, first, second = two_versions(tmp_path, capsys)
    assert main(["policy", "activate", first, "--db", db, "--by", "李主管"]) == 0
    capsys.readouterr()
    assert main(["policy", "list", "--db", db]) == 0
    newest, oldest = capsys.readouterr().out.splitlines()
    assert f"  {second}  t 2  stored by author2" in newest and newest.endswith("author2")
    assert oldest.endswith(f"  {first}  t 1  stored by author1  (active)")
    assert oldest[:16].count("-") == 2 and oldest[17:23] == "+08:00"  # local, with its offset
    assert main(["policy", "list", "--db", db, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["active"] == first
    assert [(v["hash"], v["version"], v["author"], v["active"]) for v in listed["versions"]] == [
        (second, "2", "author2", False), (first, "1", "author1", True)]  # fmt: skip
    assert listed["versions"][0]["stored"].endswith("+00:00")
    assert {"name", "file", "effective_from"} <= set(listed["versions"][0])


def test_policy_list_of_an_empty_store_says_how_to_store_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e.db"
    log = tmp_path / "events.csv"
    log.write_text("kind,id,agent,at\ncomplaint,c1,A1,2026-11-02 10:00\n", encoding="utf-8")
    assert main(["import", "--db", str(db), str(log)]) == 0
    capsys.readouterr()
    assert main(["policy", "list", "--db", str(db)]) == 0
    assert capsys.readouterr().out == (
        "no policy version is stored yet; store one: callqa policy add FILE\n"
    )


def test_activate_records_the_user_logged_in_and_history_shows_local_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    local_zone: None,
) -> None:  # fmt: skip
    db, first, second = two_versions(tmp_path, capsys)
    monkeypatch.setenv("LOGNAME", "wang.zhuguan")
    monkeypatch.setenv("USER", "wang.zhuguan")
    assert main(["policy", "activate", first, "--db", db]) == 0
    assert capsys.readouterr().out.endswith(f"({first}) by wang.zhuguan\n")
    assert main(["policy", "activate", second, "--db", db, "--by", "李主管"]) == 0
    capsys.readouterr()
    assert main(["policy", "history", "--db", db]) == 0
    mine, theirs = capsys.readouterr().out.splitlines()
    assert mine.endswith(f"  {first}  t 1  activated by wang.zhuguan")
    assert theirs.endswith("activated by 李主管") and "unknown" not in mine + theirs
    assert mine[16:23] == " +08:00" and "UTC" not in mine  # the machine's time, its offset
    assert main(["policy", "history", "--db", db, "--format", "json"]) == 0
    activations = json.loads(capsys.readouterr().out)["activations"]
    assert [(a["hash"], a["by"]) for a in activations] == [(first, "wang.zhuguan"),
                                                          (second, "李主管")]  # fmt: skip
    assert activations[0]["activated"].endswith("+00:00")  # ISO, with its offset


# ------------------------------------------------------------------ failing tests named


def test_callqa_test_names_each_failing_test_after_the_count(
    two_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(two_tests), str(two_tests)]) == 1
    out = capsys.readouterr().out.splitlines()
    at = out.index("2 passed, 2 failed")
    assert out[at + 1 :] == [f"failed: the second long call ({two_tests}:11)"] * 2
    assert main(["--lang", "zh", "test", str(two_tests)]) == 1
    assert f"未通过：the second long call（{two_tests}:11）" in capsys.readouterr().out


def test_the_demo_names_the_failing_policy_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callqa.engine.runtime import policy_tests

    def one_fails(policy: object) -> list[Outcome]:
        return [Outcome("green", "center.policy:10"),
                Outcome("escalates on the third", "center.policy:20",
                           failures=["line 23: expected hr_review for A1"])]  # fmt: skip

    monkeypatch.setattr(policy_tests, "run_policy_tests", one_fails)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["demo", "--count", "10", "--db", str(tmp_path / "d.db")]) == 1
    out = capsys.readouterr().out
    assert "policy tests: 1 of 2 pass\n  FAIL  escalates on the third  (center.policy:20)\n" in out
    assert "line 23: expected hr_review for A1" in out
    assert "\x1b" not in out  # piped: no colour


def test_fmt_json_says_what_happened_to_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tidy, messy, broken = tmp_path / "tidy.policy", tmp_path / "messy.policy", tmp_path / "b.policy"
    tidy.write_text('policy "p"\n', encoding="utf-8")
    messy.write_text('policy   "p"\n', encoding="utf-8")
    broken.write_text('policy "p"\nrubric {\n', encoding="utf-8")
    files = [str(tidy), str(messy), str(broken)]
    assert main(["fmt", "--check", "--format", "json", *files]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    report = json.loads(out)
    assert [(f["file"], f["status"]) for f in report["files"]] == [
        (str(tidy), "unchanged"),
        (str(messy), "would_reformat"),
        (str(broken), "refused"),
    ]
    assert "b.policy:2:8" in report["files"][2]["problem"] and report["check"] is True
    assert main(["fmt", "--format", "json", str(messy)]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["status"] == "formatted"
    assert messy.read_text(encoding="utf-8") == 'policy "p"\n'


def test_policy_add_activate_and_diff_answer_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, first, second = two_versions(tmp_path, capsys)
    path = tmp_path / "p3.policy"
    path.write_text(TWO_TESTS.replace('version "1"', 'version "3"').split("test ")[0],
                    encoding="utf-8")  # fmt: skip
    assert main(["policy", "add", str(path), "--db", db, "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert stored["version"] == "3" and stored["file"] == "p3.policy" and stored["stored"]
    assert main(["policy", "activate", first, "--db", db, "--by", "王经理", "--format",
                 "json"]) == 0  # fmt: skip
    activated = json.loads(capsys.readouterr().out)
    assert (activated["activated"], activated["by"]) == (first, "王经理")
    assert main(["policy", "diff", first, second, "--db", db, "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert (diff["old"], diff["new"]) == (first, second)
    [changed] = diff["files"]
    assert '-policy "t" version "1"' in changed["diff"]
    assert '+policy "t" version "2"' in changed["diff"]
