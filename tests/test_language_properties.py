"""Properties of the language front end: formatting round-trips and is idempotent on
generated policies; no input text makes the parser raise anything but diagnostics."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.dsl.format import format_text
from callqa.dsl.parse import parse_policy

NAMES = st.sampled_from(["greeting", "jargon", "开场白", "身份核实", "recap_2", "x", "服务_用语"])
LABELS = st.text(
    alphabet=st.sampled_from(list('服务规范开场白abc XYZ0123（）、，"\\')), min_size=0, max_size=8
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal_for(field: str) -> st.SearchStrategy[str]:
    if field in ("call.duration", "call.hold_time"):
        return st.sampled_from(["60s", "5m", "8h", "3d", "2 minutes", "1.5h"])
    if field == "call.type":
        return st.sampled_from(['"account"', '"billing"', '"卡"'])
    if field == "survey.rating":
        return st.sampled_from(["3", "4.5", "96%"])
    if field == "call.start.time":
        return st.sampled_from(["11:00", "9:30", "23:59:59"])
    return st.sampled_from(["true", "false"])


FIELDS = ["call.duration", "call.hold_time", "call.type", "survey.rating", "call.start.time",
          "call.resolved"]  # fmt: skip


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(FIELDS))
    value = draw(literal_for(field))
    if field == "call.resolved":
        return draw(st.sampled_from([field, f"{field} == {value}", f"not {field}"]))
    if field == "call.type" and draw(st.booleans()):
        values = draw(st.lists(literal_for(field), min_size=1, max_size=3))
        neg = draw(st.sampled_from(["in", "not in"]))
        return f"{field} {neg} [{', '.join(values)}]"
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    if field in ("call.type",):
        op = draw(st.sampled_from(["==", "!="]))
    left = field
    if field in ("call.duration", "call.hold_time") and draw(st.booleans()):
        left = f"({field} + 30s) * 2"
    return f"{left} {op} {value}"


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        inner.map(lambda c: f"not ({c})"),
    ),
    max_leaves=6,
)


@st.composite
def policies(draw: st.DrawFn) -> str:
    """A valid policy text laid out carelessly: odd spacing, comments everywhere."""
    rng = random.Random(draw(st.integers(0, 10_000)))

    def sp() -> str:
        return rng.choice([" ", "  ", "\t", " \n "])

    def comment() -> str:
        return rng.choice(["", "", f"  # 备注 {rng.randint(0, 9)}"])

    lines = [f"# 文件说明{comment()}", f'policy{sp()}"中心" version "1"  timezone "UTC"{comment()}']
    lines.append(f"field call.queue{sp()}text{comment()}")
    for r in range(draw(st.integers(1, 2))):
        lines.append(f"rubric r{r} {quote(draw(LABELS))} {{{comment()}")
        lines.append(f"scale {draw(st.sampled_from(['100', '10', '5.5']))}")
        if draw(st.booleans()):
            lines.append(f"critical means {draw(st.sampled_from(['zero_score', 'zero_section']))}")
        used: set[str] = set()
        for s in range(draw(st.integers(1, 3))):
            lines.append(f"  section s{s} {quote(draw(LABELS))} {{")
            if draw(st.booleans()):
                lines.append("")
                lines.append("# 本节")
            for _ in range(draw(st.integers(1, 4))):
                name = f"{draw(NAMES)}_{len(used)}"
                used.add(name)
                kind = draw(st.sampled_from(["deduct 5", "deduct 2 per occurrence max 6",
                                             "critical", "bonus 1", "deduct 3 critical"]))  # fmt: skip
                when = f" when {draw(conditions)}" if draw(st.booleans()) else ""
                label = f" {quote(draw(LABELS))}" if draw(st.booleans()) else ""
                lines.append(f"item {name}{label}{sp()}{kind}{when}{comment()}")
            lines.append("}")
        lines.append('grades { "A" >= 90 "B" >= 60 < 90 "C" otherwise }')
        lines.append(f"appeals within {draw(st.sampled_from(['3 days', '72h', '3d']))}")
        lines.append(f"}}{comment()}")
    return "\n".join(lines) + "\n"


@given(policies())
def test_generated_policies_check_clean(text: str) -> None:
    _, diagnostics = check_text(text, "g.policy")
    assert [d for d in diagnostics if d.is_error] == [], [d.message for d in diagnostics]


@given(policies())
def test_format_round_trips_and_is_idempotent(text: str) -> None:
    once = format_text(text)
    assert parse_policy(once)[0] == parse_policy(text)[0]
    assert format_text(once) == once


@given(policies())
def test_format_keeps_every_comment(text: str) -> None:
    before = sorted(c.text for c in parse_policy(text)[0].comments)
    after = sorted(c.text for c in parse_policy(format_text(text))[0].comments)
    assert after == before


@given(st.text(max_size=400))
def test_arbitrary_text_only_ever_gives_diagnostics(text: str) -> None:
    _, diagnostics = check_text(text, "fuzz.policy")
    for d in diagnostics:
        assert d.line >= 1 and d.col >= 1
        assert "__ANON" not in d.message and "$END" not in d.message


@given(policies(), st.data())
def test_mutated_policies_only_ever_give_diagnostics(text: str, data: st.DataObject) -> None:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, max(0, len(chars) - 1)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete" and chars:
            del chars[at]
        elif action == "insert":
            chars.insert(at, data.draw(st.sampled_from(list('{}()[]"#=<>,.：“ \nab1'))))
        elif chars:
            chars.insert(at, chars[at])
    mutated = "".join(chars)
    _, diagnostics = check_text(mutated, "m.policy")
    lines = mutated.split("\n")
    for d in diagnostics:
        assert 0 < d.line <= len(lines) + 1
        d.render(mutated)  # rendering never fails either


def test_deep_nesting_is_refused_cleanly() -> None:
    head = 'policy "p"\nrubric r { section s { item a deduct 1 when '
    for condition in (
        "not " * 5000 + "true",
        "- " * 5000 + "1 > 0",
        "(1 + " * 3000 + "1" + ")" * 3000 + " > 0",
    ):
        _, diagnostics = check_text(head + condition + " } }", "deep.policy")
        assert any("nested more than 64 levels" in d.message for d in diagnostics)


def test_redundant_parentheses_are_not_nesting() -> None:
    text = (
        'policy "p"\nrubric r { section s { item a deduct 1 when '
        + "(" * 5000
        + "true"
        + ")" * 5000
        + " } }"
    )
    _, diagnostics = check_text(text, "parens.policy")
    assert [d for d in diagnostics if d.is_error] == []
