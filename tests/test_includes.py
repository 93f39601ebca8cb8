"""`include`: a rulebook in several files runs as one policy, one engine."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import policies

from callqa.dsl import ast
from callqa.dsl.check import check_text
from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.dsl.format import format_text, format_tree
from callqa.dsl.includes import SEPARATOR, bundle, unbundle
from callqa.engine import Engine, load_policy
from callqa.engine.simulation.sweep import sweep
from callqa.engine.store.database import policy_hash

ROOT = Path(__file__).resolve().parent.parent

SCORECARD = """\
policy "质检表" version "1" timezone "Asia/Shanghai"
field call.queue text
rubric card "质检表" {
  section s "服务" {
    item greeting "开场白" deduct 40
    item tone "语气" deduct 40
  }
  grades { "合格" >= 60  "不合格" otherwise }
}
action coaching "质检辅导" notify 班长
discipline qa "辅导" {
  rule low when avg(evaluation.score) in 30 days < 70 with at least 2 evaluations then coaching
}
test "its own test" {
  call agent "A1" duration 30 at 2026-11-02 10:00
  expect nothing for "A1"
}
"""

RULEBOOK = """\
policy "总则" version "2026.11" timezone "Asia/Shanghai"
include "cards/scorecard.policy"
field call.queue text
action retraining "下岗培训" notify 主管 sets status "retraining"
discipline floor "末位下岗" {
  rule failed when count(evaluation where evaluation.grade == "不合格") in calendar month >= 2 then retraining
}
test "two failed calls in a month" {
  evaluation agent "A1" rubric "card" answers.greeting "fail" answers.tone "fail" at 2026-11-02 10:00
  evaluation agent "A1" rubric "card" answers.greeting "fail" answers.tone "fail" at 2026-11-03 10:00
  expect action "retraining" for "A1" at 2026-11-03 10:00
  expect action "coaching" for "A1" at 2026-11-03 10:00
}
"""


def write(folder: Path, scorecard: str = SCORECARD, rulebook: str = RULEBOOK) -> Path:
    (folder / "cards").mkdir(exist_ok=True)
    (folder / "cards" / "scorecard.policy").write_text(scorecard, encoding="utf-8")
    main = folder / "center.policy"
    main.write_text(rulebook, encoding="utf-8")
    return main


def failed(at: str, n: int) -> dict[str, object]:
    return {
        "kind": "evaluation", "id": f"e{n}", "agent": "A1", "rubric": "card",
        "answers": {"greeting": "fail", "tone": "fail"},
        "at": dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone(dt.timedelta(hours=8))),
    }  # fmt: skip


def test_an_included_scorecard_is_scored_and_read_by_the_rules_of_one_engine(
    tmp_path: Path,
) -> None:
    policy = load_policy(write(tmp_path))
    assert policy.name == "总则" and policy.version == "2026.11"  # the including file's
    assert set(policy.rubrics) == {"card"}
    engine = Engine(policy)
    decisions = engine.feed(failed("2026-11-02 10:00", 1)) + engine.feed(
        failed("2026-11-03 10:00", 2)
    )
    actions = {d.action: d for d in decisions if d.kind == "action"}
    assert set(actions) == {"retraining", "coaching"}
    # each decision names the file and line of its rule
    card = str(tmp_path / "cards" / "scorecard.policy")
    assert actions["coaching"].rule_location == f"{card}:12"
    assert actions["retraining"].rule_location == f"{tmp_path / 'center.policy'}:6"
    assert engine.status["A1"] == "retraining"  # one engine holds the agent's status
    score = next(d for d in decisions if d.kind == "score")
    assert score.rule_location == f"{card}:3"


def test_the_included_files_tests_stay_with_it(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path))
    assert [t.name for t in policy.checked.tree.tests] == ["two failed calls in a month"]


def test_a_mistake_in_an_included_file_is_shown_in_that_file(tmp_path: Path) -> None:
    broken = SCORECARD.replace("deduct 40\n    item tone", "deduct 40\n    item tone ded 4")
    with pytest.raises(PolicyError) as raised:
        load_policy(write(tmp_path, scorecard=broken))
    card = str(tmp_path / "cards" / "scorecard.policy")
    [problem] = [d for d in raised.value.diagnostics if d.is_error]
    assert problem.file == card and problem.line == 6
    shown = raised.value.render()
    assert f"{card}:6:" in shown
    assert (
        '    6 |     item tone ded 4 "语气" deduct 40' in shown
    )  # that file's line, with its caret


def test_a_missing_included_file_is_an_error_at_the_include_line(tmp_path: Path) -> None:
    main = tmp_path / "center.policy"
    main.write_text(RULEBOOK, encoding="utf-8")
    _, diagnostics = check_text(RULEBOOK, str(main))
    [problem] = [d for d in diagnostics if d.code == "include"]
    assert (problem.file, problem.line, problem.col) == (str(main), 2, 1)
    assert f"cannot read {tmp_path / 'cards' / 'scorecard.policy'}" in problem.message
    assert problem.hint and "folder of the file that includes it" in problem.hint


def test_files_that_include_each_other_are_an_error(tmp_path: Path) -> None:
    looping = SCORECARD.replace("field call.queue text", 'include "../center.policy"')
    main = write(tmp_path, scorecard=looping)
    _, diagnostics = check_text(RULEBOOK, str(main))
    [problem] = [d for d in diagnostics if d.code == "include"]
    assert problem.file == str(tmp_path / "cards" / "scorecard.policy")
    assert "../center.policy includes this file back" in problem.message


def test_an_included_file_in_another_timezone_is_refused(tmp_path: Path) -> None:
    elsewhere = SCORECARD.replace("Asia/Shanghai", "Europe/Berlin")
    main = write(tmp_path, scorecard=elsewhere)
    _, diagnostics = check_text(RULEBOOK, str(main))
    [problem] = [d for d in diagnostics if d.is_error]
    assert problem.line == 2 and "reads times in Europe/Berlin" in problem.message
    assert problem.hint and "same timezone" in problem.hint


def test_an_id_used_in_both_files_names_where_the_other_is(tmp_path: Path) -> None:
    twice = RULEBOOK.replace("action retraining", "action coaching")
    twice = twice.replace("then retraining", "then coaching").replace('"retraining"', '"coaching"')
    main = write(tmp_path, rulebook=twice)
    _, diagnostics = check_text(twice, str(main))
    [problem] = [d for d in diagnostics if d.is_error]
    assert problem.file == str(tmp_path / "cards" / "scorecard.policy")
    assert f"already an action called coaching ({main} line 4)" in problem.message


def test_a_field_declared_alike_in_both_files_is_fine_but_not_differently(
    tmp_path: Path,
) -> None:
    main = write(tmp_path)
    _, diagnostics = check_text(RULEBOOK, str(main))
    assert not [d for d in diagnostics if d.is_error]
    other = RULEBOOK.replace("field call.queue text", "field call.queue number")
    _, diagnostics = check_text(other, str(main))
    [problem] = [d for d in diagnostics if d.is_error]
    assert "call.queue is declared twice" in problem.message


def test_a_stored_version_keeps_the_included_texts_of_its_day(tmp_path: Path) -> None:
    main = write(tmp_path)
    policy = load_policy(main)
    stored = policy.checked.stored_text
    assert stored.startswith(RULEBOOK) and f"{SEPARATOR}cards/scorecard.policy" in stored
    # the scorecard changes on disk: the stored version still has the old one
    (tmp_path / "cards" / "scorecard.policy").write_text(
        SCORECARD.replace("不合格", "差"), encoding="utf-8"
    )
    again = load_policy(text=stored, file="elsewhere/center.policy", stored=True)
    engine = Engine(again)
    [score] = [d for d in engine.feed(failed("2026-11-02 10:00", 1)) if d.kind == "score"]
    assert score.action == "不合格"
    # and a change of the included file is a new version
    assert policy_hash(load_policy(main).checked.stored_text) != policy_hash(stored)


def test_a_bundle_comes_apart_as_it_was_put_together() -> None:
    files = {"a/b.policy": "x\n\ny", "c.policy": ""}
    assert unbundle(bundle("main\n", files)) == ("main\n", files)
    assert unbundle("no includes") == ("no includes", {})


def test_the_formatter_keeps_include_lines(tmp_path: Path) -> None:
    formatted = format_text(RULEBOOK)
    assert formatted.splitlines()[2] == 'include "cards/scorecard.policy"'
    assert format_text(formatted) == formatted


def test_a_sweep_changes_a_rule_in_an_included_file(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path))
    events = [failed("2026-11-02 10:00", 1), failed("2026-11-03 10:00", 2)]
    counts = sweep(policy, "qa.low", [70, 0], events)  # scores of 0: below 70, not below 0
    assert counts[70]["action: coaching"] == 1
    assert counts[0]["action: coaching"] == 0


def test_the_shipped_rulebook_includes_the_scorecards() -> None:
    policy = load_policy(ROOT / "policies" / "center.policy")
    assert {"standard_call", "complaint_call"} <= set(policy.rubrics)


def test_callqa_check_shows_a_mistake_in_an_included_file_with_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callqa.tui.cli import main as callqa

    broken = SCORECARD.replace('item tone "语气" deduct 40', 'item tone "语气" dedcut 40')
    main = write(tmp_path, scorecard=broken)
    assert callqa(["check", str(main)]) == 1
    shown = capsys.readouterr().out
    assert f"{tmp_path / 'cards' / 'scorecard.policy'}:6:20: error" in shown
    assert '    6 |     item tone "语气" dedcut 40' in shown
    assert "did you mean deduct?" in shown


def test_the_rulebook_names_model_agents_from_the_included_scorecard() -> None:
    """标兵 (domain §5): a month's QA average of 95 or more, on at least 8 evaluations."""
    policy = load_policy(ROOT / "policies" / "center.policy")
    table = policy.rubric("standard_call").table
    clean = {i.id: 0 if i.per_occurrence else "fail" if i.kind == "bonus" else "pass"
             for i in table.items}  # fmt: skip
    facts = {"call": {"type": "billing", "duration": 100, "hold_time": 0}}
    zone = dt.timezone(dt.timedelta(hours=8))
    engine = Engine(policy)
    decisions = []
    for n in range(15):  # A1: 8 clean calls; A2: 7, too few to judge a month by
        agent = "A1" if n < 8 else "A2"
        decisions += engine.feed({
            "kind": "evaluation", "id": f"e{n}", "agent": agent, "rubric": "standard_call",
            "answers": clean, "facts": facts, "at": dt.datetime(2026, 11, 2 + n, 10, tzinfo=zone),
        })  # fmt: skip
    decisions += engine.advance(dt.datetime(2026, 12, 1, 1, tzinfo=zone))
    [model] = [d for d in decisions if d.rule == "model_agent"]
    assert (model.kind, model.subject, model.action) == ("alert", "A1", "主管")
    assert "count(evaluation) = 8" in model.reason and len(model.evidence) == 8


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies(), st.data())
def test_including_a_file_is_writing_its_blocks_in_place(
    tmp_path: Path, tree: ast.PolicyFile, data: st.DataObject
) -> None:
    header, *statements = tree.statements
    assert isinstance(header, ast.PolicyHeader)
    moved = [
        s for s in statements
        if not isinstance(s, ast.TestBlock) and data.draw(st.booleans(), label="moved")
    ]  # fmt: skip
    kept = [s for s in statements if s not in moved]
    whole = format_tree(ast.PolicyFile((header, *kept, *moved)))
    other = ast.PolicyHeader("评分表", None, header.timezone)
    (tmp_path / "part.policy").write_text(format_tree(ast.PolicyFile((other, *moved))), "utf-8")
    main = format_tree(ast.PolicyFile((header, ast.Include("part.policy"), *kept)))
    single, single_diagnostics = check_text(whole, str(tmp_path / "whole.policy"))
    split, split_diagnostics = check_text(main, str(tmp_path / "main.policy"))

    # A message may name the line of an earlier line in its block; moved blocks move it.
    def messages(diagnostics: list[Diagnostic]) -> list[str]:
        return [re.sub(r"line \d+", "line N", d.message) for d in diagnostics]

    assert messages(split_diagnostics) == messages(single_diagnostics)
    assert [s for s in split.tree.statements if not isinstance(s, ast.Include)] == list(
        single.tree.statements
    )
    assert split.fields == single.fields and split.settings == single.settings


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "/etc/passwd is not a policy file"),
        ("/dev/zero", "/dev/zero is not a policy file"),
        ("folder.policy", "cannot read"),  # a folder, not a file
    ],
)
def test_only_policy_files_can_be_included(tmp_path: Path, path: str, message: str) -> None:
    (tmp_path / "folder.policy").mkdir()
    text = f'policy "p" timezone "UTC"\ninclude "{path}"\n'
    _, diagnostics = check_text(text, str(tmp_path / "p.policy"))
    [problem] = diagnostics
    assert problem.line == 2 and message in problem.message


def test_includes_resolve_from_the_policys_folder_whatever_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "shared.policy").write_text(SCORECARD, encoding="utf-8")
    text = RULEBOOK.replace('"cards/scorecard.policy"', '"../shared.policy"')
    (deep / "center.policy").write_text(text, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # shown by its bare name (as the TUI and the demo show it), read from its folder
    policy = load_policy(deep / "center.policy", file="center.policy")
    assert "card" in policy.rubrics
    assert policy.checked.location(policy.checked.tree.rubrics[0].span) == "../shared.policy:3"
    # the stored version keeps the file under its name from the policy's folder
    _, files = unbundle(policy.checked.stored_text)
    assert list(files) == ["../shared.policy"]
    monkeypatch.chdir(tmp_path)
    again = load_policy(text=policy.checked.stored_text, file="x/center.policy", stored=True)
    assert again.checked.stored_text == policy.checked.stored_text


def test_one_file_included_by_two_spellings_is_read_once(tmp_path: Path) -> None:
    twice = RULEBOOK.replace(
        'include "cards/scorecard.policy"',
        f'include "cards/scorecard.policy"\ninclude "../{tmp_path.name}/cards/./scorecard.policy"',
    )
    main = write(tmp_path, rulebook=twice)
    policy = load_policy(main)
    assert len(policy.checked.sources) == 1


def test_a_separator_in_a_file_on_disk_is_not_read_as_a_stored_version(tmp_path: Path) -> None:
    main = write(tmp_path)
    smuggled = RULEBOOK + f"\n{SEPARATOR}cards/scorecard.policy\n" + 'policy "x"\n'
    _, diagnostics = check_text(smuggled, str(main))
    assert any(d.file == str(main) and "U+001C" in d.message for d in diagnostics)
    assert not any(d.file.endswith("scorecard.policy") for d in diagnostics)


def test_a_link_named_policy_to_another_kind_of_file_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0", encoding="utf-8")
    (tmp_path / "x.policy").symlink_to(secret)
    text = 'policy "p" timezone "UTC"\ninclude "x.policy"\n'
    _, diagnostics = check_text(text, str(tmp_path / "p.policy"))
    [problem] = diagnostics
    assert "cannot read" in problem.message and "not a .policy file" in problem.message
    assert "root:x" not in problem.render(text)


def test_the_demo_history_is_accepted_by_each_shipped_scorecard() -> None:
    from callqa.engine.scoring.demo_data import demo_history

    for name in ("standard.policy", "complaint.policy", "calendar.policy", "center.policy"):
        policy = load_policy(ROOT / "policies" / name)
        events = demo_history(policy, days=7)
        Engine(policy).feed_all(events)  # raises at the first rejected event


HOSTILE = 'policy "p" version "1" timezone "UTC"\ninclude "%s"\n'


def _hostile_includes(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Policies including what no policy is, by name -> (what the diagnostic says, hint)."""
    (tmp_path / "loop1.policy").symlink_to(tmp_path / "loop2.policy")
    (tmp_path / "loop2.policy").symlink_to(tmp_path / "loop1.policy")
    (tmp_path / "zero.policy").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.policy")  # opened, it would wait for a writer forever
    (tmp_path / "big.policy").write_bytes(b"#" * (4 << 20) + b"\n")
    cases = {
        "loop.policy": ("loop1.policy", "links that point at each other in a circle"),
        "nul.policy": (
            "a\x00b.policy",
            "the file name holds an invisible control character (U+0000)",
        ),
        "zero.policy": ("zero.policy", "not a .policy file"),
        "pipe.policy": ("pipe.policy", "not a policy file (a device, a pipe or a socket)"),
        "big.policy": ("big.policy", "larger than 4 MB, too large for a policy"),
    }
    for name, (included, _) in cases.items():
        (tmp_path / f"main-{name}").write_text(HOSTILE % included, encoding="utf-8")
    return {f"main-{name}": (message, included) for name, (included, message) in cases.items()}


def test_a_hostile_include_is_an_error_at_its_line_in_every_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symlink loop (RuntimeError), a NUL in the name (ValueError), a pipe (read
    forever): tracebacks in check, fmt, test and policy add; now one diagnostic each."""
    from callqa.tui.cli import main as callqa

    for name, (message, _) in _hostile_includes(tmp_path).items():
        path = str(tmp_path / name)
        _, diagnostics = check_text((tmp_path / name).read_text(encoding="utf-8"), path)
        [problem] = diagnostics
        assert (problem.line, problem.col) == (2, 1) and message in problem.message, name
        with pytest.raises(PolicyError):
            load_policy(path)
        assert callqa(["check", path]) == 1
        assert message in capsys.readouterr().out
        assert callqa(["test", path]) == 1
        assert message in capsys.readouterr().out
        assert callqa(["policy", "add", "--db", str(tmp_path / "h.db"), path]) == 1
        assert f"{path}:2:1: error" in capsys.readouterr().err
        assert callqa(["fmt", "--check", path]) in (0, 1)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "folder"])
def test_a_policy_that_is_not_a_regular_file_is_one_diagnostic_not_a_memory_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str
) -> None:
    """`callqa check /dev/zero` ended in MemoryError (the whole device was read)."""
    from callqa.tui.cli import main as callqa

    (tmp_path / "folder").mkdir()
    path = path if path.startswith("/") else str(tmp_path / path)
    for command in ("check", "fmt", "test"):
        assert callqa([command, path]) == 1
        shown = capsys.readouterr()
        said = shown.out + shown.err
        assert path in said.splitlines()[0], said  # named at once
        assert "Traceback" not in said and len(said.splitlines()) <= 4, said


def test_a_policy_over_4_mb_is_refused_before_it_is_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callqa.tui.cli import main as callqa

    big = tmp_path / "big.policy"
    big.write_bytes(HOSTILE.encode() + b"#" * (4 << 20) + b"\n")
    assert callqa(["check", str(big)]) == 1
    assert "larger than 4 MB" in capsys.readouterr().out
    with pytest.raises(OSError, match="larger than 4 MB"):
        load_policy(big)


def test_the_included_files_together_are_bounded_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file may be 4 MB, but a policy including hundreds of them would fill the
    memory: past MAX_INCLUDED in all, the next include is an error at its line."""
    import callqa.dsl.includes

    monkeypatch.setattr(callqa.dsl.includes, "MAX_INCLUDED", 250)
    for name in "abc":
        (tmp_path / f"{name}.policy").write_text(f"# {name}\n" + "#" * 100 + "\n", encoding="utf-8")
    text = 'policy "p" timezone "UTC"\ninclude "a.policy"\ninclude "b.policy"\ninclude "c.policy"\n'
    _, diagnostics = check_text(text, str(tmp_path / "p.policy"))
    [problem] = diagnostics
    assert problem.line == 4
    assert problem.message == (
        f"with {tmp_path / 'c.policy'}, the included files are larger than 0 MB in all, too "
        "large for one policy"
    )


def test_load_policy_refuses_a_name_with_a_nul_character_with_an_input_error() -> None:
    """It raised ValueError ('embedded null byte') from os.stat."""
    from callqa.engine.errors import InputFileError

    with pytest.raises(InputFileError, match="no file name holds a NUL character"):
        load_policy("a\x00b.policy")


def test_an_invisible_character_in_an_include_name_is_said_once(tmp_path: Path) -> None:
    """The include's own error ("the file name holds an invisible control character") and
    the checker's error at every invisible character said the same thing twice."""
    text = HOSTILE % "a\x1bb.policy"
    _, diagnostics = check_text(text, str(tmp_path / "main.policy"))
    assert [(d.line, d.message) for d in diagnostics] == [
        (2, "the file name holds an invisible control character (U+001B)")
    ]
