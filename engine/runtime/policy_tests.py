"""Running a policy's `test` blocks: events given, decisions expected (or not).

Events without an `id` are numbered e1, e2, ... in the order written; events run in time
order; the test clock then runs to the latest time the test names (its events and its
expectations), so timers and periods that end by then are decided. `expect X for S at T`
wants X decided for S at T; `expect no X for S at T` wants no X for S up to T.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from callqa.dsl import ast
from callqa.dsl.i18n import _, current
from callqa.dsl.vocabulary_zh import KeywordSet, keyword
from callqa.engine.decisions import Decision
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.events import EventError, unreal_year


@dataclass
class TestResult:
    name: str
    location: str
    failures: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def run_policy_tests(policy: Policy) -> list[TestResult]:
    return [run_test(policy, block) for block in policy.checked.tree.tests]


def run_test(policy: Policy, block: ast.TestBlock) -> TestResult:
    result = TestResult(block.name, f"{policy.file}:{block.span.line}")
    zone = policy.timezone
    events: list[tuple[dt.datetime, int, dict[str, Any], int]] = []
    for index, entry in enumerate(e for e in block.entries if isinstance(e, ast.GivenEvent)):
        at = _local(entry.at.value, zone)
        data: dict[str, Any] = {"kind": entry.kind, "id": f"e{index + 1}", "at": at}
        for key, value in entry.attributes:
            # `answers.greeting "fail"` and `facts.call.type "account"` build nested values
            *groups, last = key.split(".")
            target = data
            for part in groups:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):  # the checker reports it: never a crash
                    result.failures.append(
                        _("line {line}: {key} gives {part} a part, but it is set to a value")
                        .format(line=entry.span.line, key=key, part=part)
                    )  # fmt: skip
                    return result
            if isinstance(target.get(last), dict):
                result.failures.append(
                    _("line {line}: {key} is set to a value, but it has parts already").format(
                        line=entry.span.line, key=key
                    )
                )
                return result
            target[last] = value.value
        events.append((at, index, data, entry.span.line))
    events.sort(key=lambda t: (t[0], t[1]))
    expects = [e for e in block.entries if isinstance(e, ast.Expect)]
    times = [(at, line) for at, _, _, line in events]
    times += [(_local(e.at.value, zone), e.span.line) for e in expects if e.at is not None]
    too_far = _time_problem(times)
    if too_far is not None:
        result.failures.append(too_far)
        return result
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    for _at, _index, data, line in events:
        try:
            result.decisions += engine.feed(data)
        except EventError as error:
            result.failures.append(_("line {line}: {problem}").format(line=line, problem=error))
            return result
    if times:  # within the years and steps _time_problem allows: advance takes it
        result.decisions += engine.advance(max(at for at, _ in times))
    for expect in expects:
        failure = expectation_problem(expect, result.decisions, zone)
        if failure:
            result.failures.append(
                _("line {line}: {problem}").format(line=expect.span.line, problem=failure)
            )
    return result


def _time_problem(times: list[tuple[dt.datetime, int]]) -> str | None:
    """The failure of a time in a year no event may be in, or over REPLAY_MAX_GAP (10
    years) after the time before it, if any. A test steps that far (a rule over two years
    needs events two years apart); further is most likely a mistyped year, better failed
    at its line than replayed."""
    for moment, line in times:
        problem = unreal_year(moment.year)
        if problem is not None:
            return _("line {line}: {problem}: correct the date").format(line=line, problem=problem)
    ordered = sorted(times)
    for (before, _line), (after, line) in pairwise(ordered):
        if after - before > REPLAY_MAX_GAP:
            return _(
                "line {line}: {after} is {days:,} days after the test's time before it "
                "({before}); a test steps at most 10 years at once: is the year a typing mistake?"
            ).format(
                line=line, after=f"{after:%Y-%m-%d %H:%M}", days=(after - before).days,
                before=f"{before:%Y-%m-%d %H:%M}",
            )  # fmt: skip
    return None


def _local(value: object, zone: Any) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def expectation_problem(expect: ast.Expect, decisions: list[Decision], zone: Any) -> str | None:
    def matches(d: Decision, with_time: bool = True) -> bool:
        if expect.what not in (d.action, d.kind, d.rule):  # a threshold's id is its rule
            return False
        if expect.which is not None and d.action != expect.which:
            return False
        if expect.subject is not None and d.subject != expect.subject:
            return False
        if not with_time or expect.at is None:
            return True
        at = _local(expect.at.value, zone)
        # `expect X at T`: decided at T; `expect no X at T`: not decided up to T
        return d.at <= at if expect.negated else d.at == at

    found = [d for d in decisions if matches(d)]
    if expect.negated:
        if not found:
            return None
        return _("expected no {wanted}, but got:\n{decisions}").format(
            wanted=_wanted(expect), decisions="\n".join(d.explain() for d in found)
        )
    if found:
        return None
    near = [d for d in decisions if matches(d, with_time=False)]
    if not near and expect.subject is not None:
        near = [d for d in decisions if d.subject == expect.subject]
    actual = "\n".join(d.explain() for d in near) if near else _("  (no decisions)")
    return _("expected {wanted}, but the engine decided:\n{decisions}").format(
        wanted=_wanted(expect), decisions=actual
    )


def _wanted(expect: ast.Expect) -> str:
    """What an expectation wants, as its line says it (`sample c4 for A001 at 2026-11-02
    18:00`), with the keywords of the language spoken: policy code, which a policy may
    write in either set."""
    words: KeywordSet = "zh" if current() == "zh" else "en"
    wanted = expect.what + (f" {expect.which}" if expect.which else "")
    wanted += f" {keyword('for', words)} {expect.subject}" if expect.subject else ""
    wanted += f" {keyword('at', words)} {expect.at.text}" if expect.at is not None else ""
    return wanted
