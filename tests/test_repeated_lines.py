"""A line a block holds once (`per`, `value`, `chain`, `publish`) written twice is an error
at the second, never a crash when the policy loads (the fuzz tests found a sampling
block with two `per` lines that checked clean and then failed to compile)."""

from __future__ import annotations

import pytest

from callqa.dsl import PolicyError
from callqa.dsl.check import check_text
from callqa.engine import load_policy

HEAD = 'policy "p" version "1" timezone "Asia/Shanghai"\naction warn "警告" notify 班长\n'
SAMPLING = "sampling s {{\n  per agent per day\n  pick 2 random calls\n  {extra}\n}}\n"
THRESHOLD = (
    "threshold t {{\n  per team per week\n  value count(survey where survey.satisfied) / "
    "count(survey)\n  alert 主管 when value < 96%\n  {extra}\n}}\n"
)
ESCALATION = (
    "escalation e {{\n  chain 班长 -> 主管\n  escalate after 8h at 班长 while unresolved\n"
    "  {extra}\n}}\n"
)


@pytest.mark.parametrize(("block", "extra", "keyword"), [
    (SAMPLING, "per agent per week", "per"),
    (SAMPLING, "publish 1 day ahead to 班长\n  publish 2 days ahead to 班长", "publish"),
    (THRESHOLD, "per team per month", "per"),
    (THRESHOLD, "value count(survey) / count(survey)", "value"),
    (ESCALATION, "chain 主管 -> 班长", "chain"),
])  # fmt: skip
def test_a_repeated_line_is_an_error_at_the_repeat(block: str, extra: str, keyword: str) -> None:
    text = HEAD + block.format(extra=extra)
    _, diagnostics = check_text(text)
    [repeated] = [d for d in diagnostics if d.code == "repeated-line"]
    lines = text.splitlines()
    assert lines[repeated.line - 1].strip().startswith(keyword)
    assert f"a second {keyword} line (the first is line" in repeated.message
    assert repeated.hint == "keep the one you mean and delete the other"
    first = int(repeated.message.split("the first is line ")[1].split(")")[0])
    assert first < repeated.line and lines[first - 1].strip().startswith(keyword)
    with pytest.raises(PolicyError):  # refused with the diagnostic, not a crash
        load_policy(text=text, file="p.policy")


@pytest.mark.parametrize("block", [SAMPLING, THRESHOLD, ESCALATION])
def test_each_line_once_is_clean(block: str) -> None:
    _, diagnostics = check_text(HEAD + block.format(extra=""))
    assert not [d for d in diagnostics if d.severity == "error"]


def test_a_role_with_two_time_limits_is_an_error_at_the_second() -> None:
    """The later limit used to win silently: 8h written, 24h applied."""
    text = HEAD + ESCALATION.format(extra="escalate after 24h at 班长 while unresolved")
    _, diagnostics = check_text(text)
    [repeated] = [d for d in diagnostics if d.code == "repeated-line"]
    assert repeated.line == 6 and repeated.message == (
        "班长 already has a time limit (line 5); a role has one"
    )
