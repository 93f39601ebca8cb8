"""`callqa check`, `callqa fmt` and `callqa test`: what a policy author runs on the files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from callqa.dsl.ast import Expect, TestBlock
from callqa.dsl.check import CheckedPolicy, check_text
from callqa.dsl.diagnostics import Diagnostic, PolicyError
from callqa.dsl.format import format_text
from callqa.dsl.i18n import _, ngettext
from callqa.engine import Policy, load_policy
from callqa.engine.decisions import Decision
from callqa.engine.errors import InputFileError
from callqa.engine.runtime.policy_tests import TestResult, expectation_problem, run_policy_tests
from callqa.tui.cli.common import Commands, add_format, read_policy_text
from callqa.tui.files import NotRegularFile, is_shipped, save_target, write_atomically
from callqa.tui.literal import say, say_diagnostic


def register(commands: Commands) -> None:
    check = commands.add_parser("check", help=_("report every problem in policy files"))
    check.add_argument("files", nargs="+", metavar="FILE", help=_("the policy files to check"))
    add_format(check, "json")
    check.set_defaults(run=run_check)

    fmt = commands.add_parser("fmt", help=_("rewrite policy files in the canonical layout"))
    fmt.add_argument("files", nargs="+", metavar="FILE",
                     help=_("the policy files to rewrite (each in place)"))  # fmt: skip
    fmt.add_argument("--check", action="store_true", help=_("only report files that would change"))
    fmt.add_argument(
        "--keywords",
        choices=["en", "zh"],
        help=_(
            "write the keywords in English (rubric, when) or Chinese (质检表, 当); "
            "by default each file keeps the set it is mostly written in"
        ),
    )
    add_format(fmt, "json")
    fmt.set_defaults(run=run_fmt)

    test = commands.add_parser("test", help=_("run the test blocks of policy files"))
    test.add_argument("files", nargs="+", metavar="FILE",
                      help=_("the policy files whose tests to run"))  # fmt: skip
    test.add_argument("-v", "--verbose", action="store_true", help=_("show every decision"))
    add_format(test, "json")
    test.set_defaults(run=run_tests)


def run_check(args: argparse.Namespace) -> int:
    results: list[tuple[str, CheckedPolicy | None, list[Diagnostic]]] = []
    for name in args.files:
        text, problem = read_policy_text(name)
        if problem is not None:
            results.append((name, None, [problem]))
            continue
        assert text is not None
        checked, diagnostics = check_text(text, name)
        results.append((name, checked, diagnostics))
    errors = sum(1 for _name, _checked, ds in results for d in ds if d.is_error)
    warnings = sum(1 for _name, _checked, ds in results for d in ds if not d.is_error)
    if args.format == "json":
        payload = {
            "files": [
                {"file": name, "ok": not any(d.is_error for d in ds),
                 "diagnostics": [d.to_dict() for d in ds]}
                for name, _, ds in results
            ],
            "errors": errors,
            "warnings": warnings,
        }  # fmt: skip
        say(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for _name, checked_or_none, diagnostics in results:
            for diagnostic in diagnostics:  # in the file it is in: the policy or an included one
                source = (
                    checked_or_none.text_of(diagnostic.file)
                    if checked_or_none is not None
                    else None
                )
                say_diagnostic(diagnostic.render(source), diagnostic.is_error, end="\n\n")
        files = len(results)
        counts = {  # each a count with its noun, in the form its number takes
            "checked": ngettext("{count} file checked", "{count} files checked", files),
            "errors": ngettext("{count} error", "{count} errors", errors),
            "warnings": ngettext("{count} warning", "{count} warnings", warnings),
        }
        verdict = (
            _("OK: {checked}, {errors}, {warnings}")
            if not errors
            else _("FAILED: {checked}, {errors}, {warnings}")
        )
        say(verdict.format(
            checked=counts["checked"].format(count=files),
            errors=counts["errors"].format(count=errors),
            warnings=counts["warnings"].format(count=warnings),
        ), style="red" if errors else "green")  # fmt: skip
    return 1 if errors else 0


def run_fmt(args: argparse.Namespace) -> int:
    """Each file formatted in place (or, with --check, only said). With --format json, one
    document: per file what happened (`unchanged`, `formatted`, `would_reformat`, `refused`)
    and why a refused one was."""
    as_json = args.format == "json"
    files: list[dict[str, Any]] = []

    def refused(name: str, *said: object) -> None:
        files.append({"file": name, "status": "refused", "problem": "\n".join(map(str, said))})
        if not as_json:
            for text in said:
                say(text, file=sys.stderr)

    for name in args.files:
        if not args.check and is_shipped(Path(name)):  # as the TUI: never written there
            shipped = _("{name}: not formatted: it is a shipped example inside the installed "
                        "callqa, where an upgrade would overwrite your changes; copy it to a "
                        "folder of your own and format the copy")  # fmt: skip
            refused(name, shipped.format(name=name))
            continue
        try:  # before reading: /dev/stdin would be read, then replaced by a file
            if not args.check:
                save_target(Path(name))
        except NotRegularFile as error:
            refused(name, error)
            continue
        text, problem = read_policy_text(name)
        if problem is not None:
            refused(name, problem.render())
            continue
        assert text is not None
        try:
            formatted = format_text(text, name, args.keywords)
        except PolicyError as error:
            refused(name, error.render(), _("{name}: not formatted, fix the syntax errors "
                                            "first").format(name=name))  # fmt: skip
            continue
        if formatted == text:
            files.append({"file": name, "status": "unchanged", "problem": None})
            continue
        if args.check:
            files.append({"file": name, "status": "would_reformat", "problem": None})
            if not as_json:
                say(_("would reformat {name}").format(name=name))
        else:
            write_atomically(Path(name), formatted)
            files.append({"file": name, "status": "formatted", "problem": None})
            if not as_json:
                say(_("formatted {name}").format(name=name))
    changed = sum(entry["status"] in ("would_reformat", "formatted") for entry in files)
    failed = sum(entry["status"] == "refused" for entry in files)
    if as_json:
        say(json.dumps({"files": files, "check": args.check}, ensure_ascii=False, indent=2))
    elif args.check and changed:
        say(_("{changed} file(s) would be reformatted; run callqa fmt to fix them").format(
            changed=changed
        ))  # fmt: skip
    return 1 if failed or (args.check and changed) else 0


def run_tests(args: argparse.Namespace) -> int:
    as_json = args.format == "json"
    report: list[dict[str, Any]] = []  # per file, for --format json
    failing: list[TestResult] = []
    passed = failed = untested = 0  # untested: files unreadable or with errors
    for name in args.files:
        try:
            policy = load_policy(name)
        except PolicyError as error:
            if as_json:
                report.append({"file": name, "tested": False, "problem": None,
                               "diagnostics": [d.to_dict() for d in error.diagnostics],
                               "tests": []})  # fmt: skip
            else:
                say(error.render())
                say(_("{name}: the policy has errors; its tests were not run").format(
                    name=name), style="red")  # fmt: skip
            untested += 1
            continue
        except InputFileError as error:  # missing, a folder, a device, not UTF-8
            if as_json:
                report.append({"file": name, "tested": False, "problem": str(error),
                               "diagnostics": [], "tests": []})  # fmt: skip
            else:
                say(_("{error}; its tests were not run").format(error=error), style="red")
            untested += 1
            continue
        results = run_policy_tests(policy)
        if as_json:
            blocks = policy.checked.tree.tests  # run_policy_tests' results are in their order
            tests = [_test_record(policy, block, result)
                     for block, result in zip(blocks, results, strict=True)]  # fmt: skip
            report.append({"file": name, "tested": True, "tests": tests})
        else:
            _say_results(args, name, policy, results)
        passed += sum(result.passed for result in results)
        failed += sum(not result.passed for result in results)
        failing += [result for result in results if not result.passed]
    if as_json:
        named = [{"name": result.name, "location": result.location} for result in failing]
        payload = {"files": report, "passed": passed, "failed": failed, "untested": untested,
                   "failing": named}  # fmt: skip
        say(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    elif passed or failed or not untested:
        tally = (
            _("{passed} passed, {failed} failed; {untested} file(s) not tested, see above")
            if untested
            else _("{passed} passed, {failed} failed")
        )
        say(tally.format(passed=passed, failed=failed, untested=untested),
            style="red" if failed or untested or not passed else "green")  # fmt: skip
        for result in failing:  # named where they are counted: which to open
            say(_("failed: {name} ({location})").format(
                name=result.name, location=result.location), style="red")  # fmt: skip
    else:  # a count would pass off an unreadable file as a failed test
        say(_("nothing was tested: {untested} file(s) could not be read or have errors, see "
              "above").format(untested=untested), style="red")  # fmt: skip
    return 1 if failed or untested or not passed else 0  # no test run is no pass


def _say_results(
    args: argparse.Namespace, name: str, policy: Policy, results: list[TestResult]
) -> None:
    """A file's tests for people: PASS or FAIL and where, each failure's reason."""
    blocks = policy.time_blocks
    rules = (blocks.escalations, blocks.thresholds, blocks.samplings, blocks.window_rules,
             blocks.event_rules, blocks.rotas, policy.rubrics)  # fmt: skip
    if not results and not any(rules):
        say(_("{name}: no rules to test here (a calendar or declarations, tested in the "
              "files that include it)").format(name=name))  # fmt: skip
    elif not results:
        say(_("{name}: the policy has no test blocks, so nothing was tested (add one: "
              'test "what it checks" {{ an event, then expect ... }})').format(
            name=name
        ))  # fmt: skip
    for result in results:
        line = _("PASS  {name}  ({location})") if result.passed else _(
            "FAIL  {name}  ({location})"
        )  # fmt: skip
        say(line.format(name=result.name, location=result.location),
            style="green" if result.passed else "red")  # fmt: skip
        for failure in result.failures:
            say("      " + failure.replace("\n", "\n      "))
        if args.verbose:
            for decision in result.decisions:
                say("      " + decision.explain().replace("\n", "\n      "))


def _test_record(policy: Policy, block: TestBlock, result: TestResult) -> dict[str, Any]:
    """One test for --format json: where it is, whether it passed, what it expected (each
    expectation as the policy writes it, in English keywords, and whether it was met) and
    what the engine decided (the decisions, as `explain --format jsonl` gives them)."""
    file, _colon, line = result.location.rpartition(":")
    expected = [
        {"line": expect.span.line, "expect": _expectation(expect),
         "met": expectation_met(expect, result.decisions, policy.timezone)}
        for expect in block.entries if isinstance(expect, Expect)
    ]  # fmt: skip
    return {
        "name": result.name, "location": result.location, "file": file,
        "line": int(line) if line.isdigit() else None, "passed": result.passed,
        "failures": list(result.failures), "expected": expected,
        "actual": [decision.to_dict() for decision in result.decisions],
    }  # fmt: skip


def expectation_met(expect: Expect, decisions: list[Decision], zone: Any) -> bool:
    """Whether the test's decisions meet one `expect` line (the engine's own check)."""
    return expectation_problem(expect, decisions, zone) is None


def _expectation(expect: Expect) -> str:
    """An `expect` line's expectation as written in English keywords (JSON is English)."""
    words = ["no"] if expect.negated else []
    words.append(expect.what + (f' "{expect.which}"' if expect.which else ""))
    words += ["for", f'"{expect.subject}"'] if expect.subject else []
    words += ["at", expect.at.text] if expect.at is not None else []
    return " ".join(words)
