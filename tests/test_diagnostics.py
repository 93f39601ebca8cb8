"""What a manager sees for common mistakes: the message, where, and the fix to try."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callqa.dsl.check import CONTROL_CHARACTERS, check_text
from callqa.dsl.diagnostics import Diagnostic
from callqa.dsl.source import Span

HEAD = 'policy "p" version "1" timezone "Asia/Shanghai"\n'
HEAD_HR = HEAD + 'action hr "HR" notify 主管\n'


def problems(body: str) -> list[Diagnostic]:
    _, diagnostics = check_text(HEAD + body, "p.policy")
    return diagnostics


def only(body: str) -> Diagnostic:
    found = [d for d in problems(body) if d.code != "no-timezone"]
    assert len(found) == 1, [d.message for d in found]
    return found[0]


@pytest.mark.parametrize(
    ("body", "message", "hint", "where"),
    [
        ('rubric r {\n  section s { item a deduct five }\n}\n', "unexpected word “five” here",
         "write a number here", (3, 29)),
        ('rubric r {\n  section s { item a “开场白” deduct 5 }\n}\n',
         "the full-width character “ (typed with a Chinese keyboard) is not part of the language",
         'type the half-width " instead', (3, 22)),
        ('rubric r {\n  section s { item a deduct 5 when call.type = "a" }\n}\n',
         "a single = is not a comparison", 'write == to compare (call.type == "account")', (3, 46)),
        ('rubric r {\n  section s { item a "开场白 deduct 5 }\n}\n',
         "this text is not closed: a double quote is missing at the end of the line",
         'close the text with " on the same line', (3, 22)),
        ('rubric r {\n  section s { item a deduct 5 }\n', "the block opened with { on line 2 is never closed",
         "add a closing } at the end of the block", (3, 1)),
        ('rubric r {\n  section s { item a deduct 5 when call.duration >= 60 }\n}\n',
         "cannot compare duration with number", "write 60s (seconds), 60m (minutes) or 60h (hours)",
         (3, 36)),
        ('rubric r {\n  section s { item a deduct 5 when call.duraton > 5m }\n}\n',
         "unknown field call.duraton", "did you mean call.duration?", (3, 36)),
        ('rubric r {\n  section s { item a deduct 5 when call.type == 3 }\n}\n',
         "cannot compare text with number", 'write the text in double quotes: "3"', (3, 36)),
        ('rubric r {\n  critical means zero_scor\n  section s { item a deduct 5 }\n}\n',
         "zero_scor is not a critical setting", "did you mean zero_score?", (3, 18)),
        ('rubric r {\n  section s { item a deduct 2 per occurrence }\n}\n',
         "a: a per-occurrence item needs a cap", "add max, e.g. 2 per occurrence max 6", (3, 22)),
        ('rubric r {\n  section s { item a }\n}\n', "item a does not say what it is worth",
         "add deduct 5, bonus 2 or critical", (3, 15)),
    ],
)  # fmt: skip
def test_error_messages(body: str, message: str, hint: str, where: tuple[int, int]) -> None:
    diagnostic = only(body)
    assert diagnostic.message == message
    assert diagnostic.hint == hint
    assert (diagnostic.line, diagnostic.col) == where
    assert diagnostic.is_error


def test_every_broken_block_is_reported_and_good_blocks_are_still_checked() -> None:
    found = problems(
        "rubric a {\n  section s { item x deduct }\n}\n"
        'rubric b {\n  section s { item y deduct 5 when call.typ == "x" }\n}\n'
        "rubric c {\n  section s { item z deduct （5） }\n}\n"
    )
    messages = [d.message for d in found if d.is_error]
    assert len(messages) == 3
    assert "unexpected “}” here" in messages[0]
    assert messages[1] == "unknown field call.typ"
    assert messages[2].startswith("the full-width character （")


def test_grade_bands_that_overlap_or_leave_a_gap() -> None:
    overlap = only(
        'rubric r {\n section s { item a deduct 5 }\n grades { "A" >= 90 "B" >= 80 < 95 "C" otherwise }\n}\n'
    )
    assert overlap.message == "the grades B and A overlap between 90 and 95"
    gap = only('rubric r {\n section s { item a deduct 5 }\n grades { "A" >= 90 "B" >= 60 }\n}\n')
    assert gap.message == "no grade covers scores from 0 to below 60"
    assert gap.hint == 'add a band such as "不合格" otherwise, or lower B'
    top = only(
        'rubric r {\n section s { item a deduct 5 }\n grades { "A" >= 90 < 95 "B" >= 0 < 90 }\n}\n'
    )
    assert top.message == "no grade covers scores of 95 and above"


def test_unreachable_grade_is_a_warning() -> None:
    warning = only(
        'rubric r {\n scale 10\n section s { item a deduct 5 }\n grades { "A" >= 90 "B" otherwise }\n}\n'
    )
    assert not warning.is_error
    assert "starts above the scale (10) and is never reached" in warning.message


def test_section_weights_must_add_up() -> None:
    found = only(
        "rubric r {\n section s weight 40% { item a deduct 5 }\n section t weight 50% { item b deduct 5 }\n}\n"
    )
    assert found.message == "the section weights add up to 90%, not 100%"
    missing = [
        d.message
        for d in problems(
            "rubric r {\n section s weight 40% { item a deduct 5 }\n section t { item b deduct 5 }\n}\n"
        )
    ]
    assert "section t has no weight, but other sections do" in missing


def test_duplicate_ids() -> None:
    found = problems(
        "rubric r {\n section s { item a deduct 5 }\n section s { item a deduct 5 }\n}\nrubric r { section t { item b deduct 1 } }\n"
    )
    messages = sorted(d.message for d in found if d.is_error)
    assert messages == [
        "there is already a rubric called r (line 2)",
        "there is already a section called s (line 3)",
        "there is already an item called a (line 3)",
    ]


@pytest.mark.parametrize(
    "condition",
    [
        'call.type == "a" and call.type == "b"',
        "call.duration > 5m and call.duration < 1m",
        "call.type in []",
        "false",
        'call.type in ["a"] and call.type not in ["a"]',
    ],
)
def test_items_that_can_never_apply_are_warned_about(condition: str) -> None:
    warning = only(f"rubric r {{\n section s {{ item a deduct 5 when {condition} }}\n}}\n")
    assert not warning.is_error
    assert warning.message.startswith("item a can never apply")


def test_center_fields_and_keywords_as_names() -> None:
    assert [
        d
        for d in problems(
            "field call.scale number\nrubric r {\n section s { item a deduct 5 when call.scale > 3 }\n}\n"
        )
        if d.is_error
    ] == []
    unknown_type = only("field call.queue txt\n")
    assert unknown_type.message == "unknown type txt" and unknown_type.hint == "did you mean text?"


def test_unknown_timezone_and_missing_header() -> None:
    _, found = check_text('policy "p" timezone "Asia/Shangai"\n', "p.policy")
    assert found[0].message == "unknown timezone 'Asia/Shangai'"
    assert found[0].hint == "did you mean Asia/Shanghai?"
    _, found = check_text('policy "p" timezone "UTC+8"\n', "p.policy")
    assert found[0].hint == 'write your city\'s zone (China: "Asia/Shanghai"), or "Etc/GMT-8"'
    _, found = check_text("rubric r { section s { item a deduct 5 } }\n", "p.policy")
    assert found[0].message == "the file does not say which policy it is"


def test_two_tests_with_one_name_are_a_warning() -> None:
    text = (
        HEAD_HR + "discipline d {\n  rule w when count(violation) in 30 days >= 2 then hr\n}\n"
        'test "t" {\n  expect no hr for "A1"\n}\ntest "t" {\n  expect no hr for "A2"\n}\n'
    )
    _, found = check_text(text, "p.policy")
    assert [(d.line, d.message, d.is_error) for d in found] == [
        (9, "there is already a test called 't' (line 6)", False)
    ]


def test_an_action_no_rule_takes_is_a_warning() -> None:
    text = (
        HEAD_HR + 'action warn "警告" notify 班长\n'
        "discipline d {\n  rule w when count(violation) in 30 days >= 2 then warn\n}\n"
    )
    _, found = check_text(text, "p.policy")
    assert [(d.line, d.col, d.message, d.hint, d.is_error) for d in found] == [(
        2, 8, "no rule takes the action hr",
        "end a discipline rule with: then hr (or delete the action)", False,
    )]  # fmt: skip


def test_a_text_after_expect_is_for_kinds_of_decision_only() -> None:
    text = HEAD_HR + 'test "t" {\n  expect sample "c4" for "A1"\n  expect hr "c1" for "A1"\n}\n'
    _, found = check_text(text, "p.policy")
    assert [(d.line, d.message, d.hint) for d in found if d.is_error] == [(
        5, '“expect hr "c1"”: only a kind of decision takes a text after it (the call '
        "sampled, the role escalated to)",
        'write: expect hr for "A1", or expect sample "c1" for "A1"',
    )]  # fmt: skip


def test_render_puts_the_caret_under_chinese_text() -> None:
    text = (
        HEAD + 'rubric r {\n  section s { item 开场白 "规范" deduct 5 when call.duraton > 5m }\n}\n'
    )
    _, found = check_text(text, "p.policy")
    rendered = found[0].render(text).splitlines()
    assert rendered[0] == "p.policy:3:43: error: unknown field call.duraton"
    assert (
        rendered[1] == '    3 |   section s { item 开场白 "规范" deduct 5 when call.duraton > 5m }'
    )
    # 开场白 and 规范 are five characters but ten terminal cells: the caret counts cells
    assert rendered[2] == "      |" + " " * 48 + "^" * len("call.duraton")
    assert rendered[3] == "      = try: did you mean call.duration?"


@given(st.text(alphabet="abc xyz()=", min_size=1, max_size=3000), st.data())
def test_on_a_line_of_any_length_the_caret_sits_under_its_character(
    line: str, data: st.DataObject
) -> None:
    """A 2 MB line used to be echoed whole, with as many carets; now a window of it."""
    col = data.draw(st.integers(1, len(line)), label="col")
    diagnostic = Diagnostic.at(Span(1, col, 1, col + 1), "here", file="p.policy")
    shown, carets = diagnostic.render(line).splitlines()[1:3]
    assert len(shown) <= 8 + 3 + 160 + 3
    assert shown[carets.index("^")] == line[col - 1]


def test_dividing_by_a_written_zero_is_an_error_at_the_zero() -> None:
    """It passed `check`, then every evaluation was rejected: 'a condition divides by zero'."""
    text = (
        HEAD + 'rubric r {\n  section s { item a "A" deduct 5 when call.hold_time / 0s > 1 }\n}\n'
    )
    _, found = check_text(text, "p.policy")
    assert [(d.line, d.col, d.message) for d in found if d.is_error] == [
        (3, 57, "0s divides by zero")
    ]


def test_a_duration_longer_than_a_century_is_an_error() -> None:
    """99999999999d passed `check`; then every evaluation's date arithmetic overflowed."""
    text = (
        HEAD
        + 'rubric r {\n  section s { item a "A" deduct 5 when call.duration > 99999999999d }\n}\n'
    )
    _, found = check_text(text, "p.policy")
    assert [d.message for d in found if d.is_error] == [
        "the duration 99999999999d is longer than 100 years"
    ]


def test_an_aggregate_outside_a_threshold_or_a_count_rule_is_an_error_not_a_crash() -> None:
    text = (
        'policy "p" version "1" timezone "UTC"\naction coaching "辅导"\n'
        "discipline d {\n  rule x on call where count(call) > 2 then coaching\n"
        "  rule y when count(complaint where count(call) > 1) in 30 days >= 3 then coaching\n}\n"
        "threshold t {\n  per team per week\n  value count(survey)\n"
        "  alert 主管 when value < 5 and count(call) >= 10\n}\n"
    )
    _, diagnostics = check_text(text, "p.policy")
    errors = [(d.line, d.col) for d in diagnostics if d.is_error]
    assert errors == [(4, 24), (5, 37)]  # the alert may read an aggregate of its own
    assert all("cannot be used here" in d.message for d in diagnostics if d.is_error)


@pytest.mark.parametrize("number", ["1e400", "2.5e-3", "7E2"])
def test_scientific_notation_is_named_and_the_caret_covers_the_number(number: str) -> None:
    text = f'policy "p" timezone "UTC"\nrubric r {{\n  section s {{\n    item a "x" deduct {number}\n  }}\n}}\n'
    _, diagnostics = check_text(text, "p.policy")
    [problem] = diagnostics
    assert (problem.line, problem.col, problem.end_col) == (4, 23, 23 + len(number))
    assert (
        problem.message == f"{number} is a number in scientific notation, which policies do not use"
    )
    assert problem.hint == "write the number in digits, such as 5, 2.5 or 1000"


GRADED = 'rubric r {\n  section s { item a "A" deduct 5 }\n  grades { %s }\n}\n'


def test_a_gap_between_grades_is_reported_though_otherwise_is_there() -> None:
    """A 92 was graded 不合格 and `check` said nothing: otherwise is the bottom grade, it
    does not fill holes between bands."""
    gap = only(GRADED % '"良好" >= 85 < 90  "优秀" >= 95  "不合格" otherwise')
    assert gap.is_error
    assert gap.message == (
        "scores from 90 to below 95 fall between 良好 and 优秀 and would get 不合格 "
        "(otherwise), a lower grade than 良好"
    )
    assert (gap.line, gap.col, gap.end_col) == (4, 25, 27)  # under the 90 of "< 90"
    assert gap.hint == 'change 良好\'s "< 90" to "< 95", or lower 优秀 to "优秀" >= 90'


def test_a_gap_between_grades_is_closed_by_moving_a_bound_not_by_adding_otherwise() -> None:
    gap = only(GRADED % '"良好" >= 0 < 90  "优秀" >= 95')
    assert gap.message == "no grade covers scores from 90 to below 95, between 良好 and 优秀"
    assert "otherwise" not in (gap.hint or "")
    assert gap.hint == 'change 良好\'s "< 90" to "< 95", or lower 优秀 to "优秀" >= 90'


def test_a_top_grade_ending_below_the_scale_is_reported_though_otherwise_is_there() -> None:
    """`"优秀" >= 95 < 100` graded a perfect 100 as 不合格."""
    top = only(GRADED % '"优秀" >= 95 < 100  "良好" >= 60  "不合格" otherwise')
    assert (
        top.message == "no grade covers scores of 100 and above: they would get 不合格 (otherwise)"
    )
    assert (top.line, top.col) == (4, 25)


def _band_text(low: int | None, high: int | None, label: str) -> str:
    bounds = (f" >= {low}" if low is not None else "") + (f" < {high}" if high is not None else "")
    return f'"{label}"{bounds}' if bounds else f'"{label}" otherwise'


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.none() | st.integers(0, 100), st.none() | st.integers(0, 100)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_grade_gaps_and_overlaps_are_those_of_the_scores(
    bounds: list[tuple[int | None, int | None]], otherwise: bool
) -> None:
    """The sorted sweep reports a gap exactly when some score from 0 (or, with otherwise,
    from the lowest band) to the scale falls in no band, and an overlap exactly when one
    falls in two, each band reaching up to its < or else to the next band's >=."""
    bands = [(low, high) for low, high in bounds if (low, high) != (None, None)]
    texts = [_band_text(low, high, f"g{i}") for i, (low, high) in enumerate(bands)]
    texts += ['"fallback" otherwise'] if otherwise else []
    found = {d.code for d in problems(GRADED % "  ".join(texts))}
    lowers = sorted(low for low, _ in bands if low is not None)
    covers: list[tuple[float, float]] = []
    for low, high in bands:
        lo = float(low or 0)
        hi = high if high is not None else min([x for x in lowers if x > lo], default=1e9)
        if hi > lo:
            covers.append((lo, hi))
    assume(covers)  # else every band is reported as containing no score
    start = min((lo for lo, _ in covers), default=0) if otherwise else 0
    scores = [s / 2 for s in range(int(start * 2), 201)]  # every half point up to the scale
    counts = [sum(lo <= s < hi for lo, hi in covers) for s in scores]
    assert ("grades-gap" in found) == (0 in counts)
    assert ("grades-overlap" in found) == any(c > 1 for c in counts)


def test_two_grades_from_one_score_up_overlap_without_a_crash() -> None:
    """`"A" >= 60  "B" >= 60` crashed the checker (OverflowError) on the open upper end."""
    overlap = only(GRADED % '"A" >= 60  "B" >= 60  "C" otherwise')
    assert overlap.message == "the grades A and B overlap from 60 up"


def test_twenty_thousand_grade_bands_are_checked_in_one_sorted_pass() -> None:
    """20,000 bands took 11 s (each band searched every other band's lower bound)."""
    count = 20_000
    lowest, *bands = [f'"g{i}" >= {i}' for i in range(count)]
    shuffled = bands[1::2] + bands[::2]  # in no order: the checker sorts them
    gap = 12_345  # one band ends before the next starts
    shuffled = [
        f'"g{gap}" >= {gap} < {gap}.5' if b.startswith(f'"g{gap}" ') else b for b in shuffled
    ]
    text = f'rubric r {{\n  scale {count}\n  section s {{ item a "A" deduct 5 }}\n  grades {{ {" ".join([lowest, *shuffled])} }}\n}}\n'
    [found] = problems(text)
    assert (
        found.message
        == f"no grade covers scores from {gap}.5 to below {gap + 1}, between g{gap} and g{gap + 1}"
    )


FRACTION = "threshold sat {\n  per team per week\n  value %s\n  alert 主管 when %s\n}\n"
SHARE = "count(survey where survey.satisfied) / count(survey)"


@pytest.mark.parametrize(
    ("alert", "message", "where"),
    [
        ("value < 96", "the threshold's value is a share from 0 to 1 (96% is 0.96), so "
         "comparing it with 96 is always true", (5, 25, 27)),
        ("96 > value and count(survey) >= 20", "the threshold's value is a share from "
         "0 to 1 (96% is 0.96), so comparing it with 96 is always true", (5, 17, 19)),
        ("value >= 80", "the threshold's value is a share from 0 to 1 (80% is 0.8), so "
         "comparing it with 80 is always false", (5, 26, 28)),
    ],
)  # fmt: skip
def test_a_share_compared_with_a_number_above_one_is_an_error_with_the_percent_to_write(
    alert: str, message: str, where: tuple[int, int, int]
) -> None:
    """`alert 主管 when value < 96` meant 96% and alerted on every team every week."""
    [problem] = [d for d in problems(FRACTION % (SHARE, alert)) if d.code == "fraction"]
    assert problem.is_error and problem.message == message
    assert (problem.line, problem.col, problem.end_col) == where
    number = next(word for word in alert.split() if word.isdigit())
    assert problem.hint == f"write {number}%"


@pytest.mark.parametrize(
    ("value", "alert"),
    [
        (SHARE, "value < 96%"),
        (SHARE, "value < 0.96"),
        (SHARE, "value <= 1 and value > 0"),
        (f"({SHARE}) * 100", "value < 96"),
        ("avg(evaluation.score)", "value < 96"),
        ("count(complaint)", "value >= 3"),
    ],
)
def test_a_share_written_as_a_percentage_or_a_plain_number_is_accepted(
    value: str, alert: str
) -> None:
    assert [d.message for d in problems(FRACTION % (value, alert)) if d.code != "no-timezone"] == []


def test_a_ratio_of_two_kinds_of_count_above_one_is_a_warning() -> None:
    """count(complaint_resolved) / count(complaint) is a rate, but may pass 1: a warning."""
    warning = only(FRACTION % ("count(complaint_resolved) / count(complaint)", "value < 80"))
    assert not warning.is_error
    assert warning.message == (
        "the threshold's value divides one count by another, so 80 here means 80 times as "
        "many, not 80%"
    )
    assert warning.hint == "write 80% if you mean a percentage"


def test_a_percent_field_compared_with_a_number_above_one_is_an_error_anywhere() -> None:
    """Not only in alerts: an item's when, a sampling where, a rule's average."""
    text = (
        "field call.csat percent\nfield evaluation.qa percent\n"
        'action coach "辅导" notify 班长\n'
        'rubric r {\n  section s { item a "A" deduct 5 when call.csat < 90 }\n}\n'
        "sampling s {\n  per agent per day\n  pick 1st call where call.csat <= 0.5 or call.csat > 60\n}\n"
        "discipline d {\n  rule low when avg(evaluation.qa) in 30 days < 85 then coach\n}\n"
    )
    found = [(d.line, d.col, d.message, d.hint) for d in problems(text) if d.code == "fraction"]
    assert found == [
        (6, 52, "call.csat is a percentage, kept as a fraction (90% is 0.9), so 90 here means "
         "9000%", "write 90%"),
        (10, 55, "call.csat is a percentage, kept as a fraction (60% is 0.6), so 60 here means "
         "6000%", "write 60%"),
        (13, 49, "avg(evaluation.qa) is a percentage, kept as a fraction (85% is 0.85), so 85 here "
         "means 8500%", "write 85%"),
    ]  # fmt: skip


TEST_EVENT = (
    'rubric r {\n  section s { item a "A" deduct 5 }\n}\n'
    'test "t" {\n  evaluation agent "A1" rubric "r" %s at 2026-11-02 10:00\n'
    '  expect no score for "A2"\n}\n'
)


@pytest.mark.parametrize(
    ("attributes", "message", "hint", "col"),
    [
        ('x "a" x.y "b"', 'x.y gives x a part, but x is set to "a" at line 6, column 38',
         "set either x or its parts (x.y), not both", 46),
        ('facts.q.r "b" facts.q "a"', 'facts.q is set to "a", but it has parts already '
         "(facts.q.r)", "set either facts.q or its parts (facts.q.r), not both", 58),
        ('answers.a "pass" answers.a "fail"', "answers.a is set twice in this event (first "
         "at line 6, column 46), and only this value is used", "keep one of the two", 63),
    ],
)  # fmt: skip
def test_a_test_event_setting_a_value_and_its_parts_is_an_error_not_a_crash(
    attributes: str, message: str, hint: str, col: int
) -> None:
    """`x "a"` and `x.y "b"` passed `check`, then crashed `callqa test` and `policy
    activate` (TypeError in engine/policy_tests.py)."""
    problem = only(TEST_EVENT % attributes)
    assert (problem.line, problem.col, problem.message, problem.hint) == (6, col, message, hint)


@pytest.mark.parametrize("attributes", ['x "a" x.y "b"', 'x.y "b" x "a"', 'x.y "a" x.y.z "b"'])
def test_the_test_runner_reports_an_event_it_cannot_build_instead_of_crashing(
    attributes: str,
) -> None:
    """Whatever the checker lets through, running a test never raises on an event."""
    from callqa.engine import load_policy
    from callqa.engine.runtime.policy_tests import run_test

    clean = TEST_EVENT % 'answers.a "pass"'
    policy = load_policy(text=HEAD + clean, file="p.policy")
    conflicting = check_text(HEAD + TEST_EVENT % attributes, "p.policy")[0].tree.tests[0]
    result = run_test(policy, conflicting)
    assert not result.passed
    [failure] = result.failures
    assert failure.startswith("line 6: ") and "x" in failure


@pytest.mark.parametrize(
    ("value", "alert", "message", "hint"),
    [
        ("count(complaint)", "value > 5%", "the threshold's value counts events, so 5% here "
         "means 0.05 of one event", "write a number of events, such as 5, or divide by "
         "another count for a share"),
        ("avg(evaluation.score)", "value < 90%", "the threshold's value is in points, so 90% "
         "here means 0.9 points", "write the points, such as 90 on a scale of 100"),
        (SHARE, "value < 96% and count(survey) < 20%", "count(survey) counts events, so 20% "
         "here means 0.2 of one event", "write a number of events, such as 20, or divide by "
         "another count for a share"),
    ],
)  # fmt: skip
def test_a_count_or_a_score_compared_with_a_percentage_is_an_error(
    value: str, alert: str, message: str, hint: str
) -> None:
    """The mirror mistake: `value > 5%` on a count of complaints alerts on one complaint."""
    problem = only(FRACTION % (value, alert))
    assert problem.is_error and (problem.message, problem.hint) == (message, hint)
    shown = alert[problem.col - 17 : problem.end_col - 17]  # the alert starts at column 17
    assert problem.line == 5 and shown.endswith("%") and f" {shown} " in message


def test_a_grade_with_two_lower_or_two_upper_bounds_is_an_error() -> None:
    """`"A" >= 60 >= 90` passed: only the first bound counted, the second was ignored."""
    found = [(d.col, d.message) for d in problems(GRADED % '"A" >= 60 >= 90  "B" >= 0 < 60 < 70')]
    assert found == [
        (25, "the grade A has two lower bounds (>= 60 and >= 90)"),
        (45, "the grade B has two upper bounds (< 60 and < 70)"),
    ]


# ------------------------------------- control characters in texts and comments (issue 15)

SCORECARD = (
    "# {comment}\n"
    'rubric r "{rubric}" {{\n  scale 100\n  section s "服务" {{\n'
    '    item a "{item}" deduct 50\n  }}\n  grades {{ "好" >= 60 "差" otherwise }}\n}}\n'
    'test "{test}" {{\n'
    '  evaluation id "e1" agent "{agent}" rubric "r" answers.a "pass" at 2026-11-02 10:00\n'
    '  expect 好 for "e1"\n}}\n'
)
PLACES = {"comment": (2, 4), "rubric": (3, 12), "item": (6, 14), "test": (10, 8),
          "agent": (11, 30)}  # fmt: skip


def _with(place: str, char: str) -> str:
    texts = dict.fromkeys(PLACES, "好") | {place: "好" + char + "好"}
    return SCORECARD.format(**texts)


def test_the_scorecard_without_control_characters_is_clean() -> None:
    assert [d.message for d in problems(_with("item", "\t"))] == []  # a tab is allowed


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(
    "char",
    [
        "\x1b",
        "\x00",
        "\x07",
        "\r",
        "\x7f",
        "\x85",
        "\u202a",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u200b",
        "\ufeff",
    ],  # a zero-width space made two labels look alike
)
def test_a_control_character_in_a_text_or_comment_is_an_error_at_it(place: str, char: str) -> None:
    """An ESC in a label (pasted from a terminal) passed the check and reached every
    terminal and report; a NUL passed `check` and was refused by `policy add`."""
    found = only(_with(place, char))
    kind = "comment" if place == "comment" else "text"
    assert found.message == f"an invisible character (U+{ord(char):04X}) is in this {kind}"
    assert found.hint is not None and found.hint.startswith("remove the invisible character")
    assert (found.line, found.col, found.end_col) == (*PLACES[place], PLACES[place][1] + 1)
    assert found.is_error and found.code == "invisible-character"
    text = HEAD + _with(place, char)
    source, caret = found.render(text).splitlines()[1:3]
    assert caret.rstrip().endswith(" ^")  # one caret, under the character: after a 好 of
    assert caret.index("^") == source.index("好") + 2  # two cells (the line's first 好)


@given(
    before=st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                                 blacklist_characters='"\\' + "".join(
                                     chr(code) for code in CONTROL_CHARACTERS)),
                   max_size=8),
    char=st.sampled_from([chr(code) for code in CONTROL_CHARACTERS]),
)  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_any_control_character_in_a_label_is_reported_where_it_is(before: str, char: str) -> None:
    body = SCORECARD.format(**dict.fromkeys(PLACES, "好") | {"item": before + char})
    found = [d for d in problems(body) if d.code == "invisible-character"]
    assert [(d.line, d.col) for d in found] == [(6, 13 + len(before))]


def test_check_and_policy_add_agree_on_a_nul_or_an_escape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`policy add` refused a NUL in a label that `check` passed; an ESC passed both."""
    from callqa.tui.cli import main

    for char, code in (("\x00", "0000"), ("\x1b", "001B")):
        policy = tmp_path / "p.policy"
        policy.write_text(HEAD + _with("item", char), encoding="utf-8")
        where = f"{policy}:6:14: error: an invisible character (U+{code}) is in this text"
        assert main(["check", str(policy)]) == 1
        assert where in capsys.readouterr().out
        assert main(["policy", "add", "--db", str(tmp_path / "h.db"), str(policy)]) == 1
        assert where in capsys.readouterr().err
    assert main(["policy", "history", "--db", str(tmp_path / "h.db")]) == 0
    assert "no policy has been activated yet" in capsys.readouterr().out


def test_a_control_character_in_an_included_file_is_reported_in_that_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "card.policy").write_text(_with("rubric", "\x1b").split("test ")[0],
                                          encoding="utf-8")  # fmt: skip
    main = tmp_path / "main.policy"
    main.write_text(HEAD + 'include "card.policy"\n', encoding="utf-8")
    _, diagnostics = check_text(main.read_text(encoding="utf-8"), str(main))
    [found] = [d for d in diagnostics if d.code == "invisible-character"]
    assert (found.file, found.line, found.col) == (str(tmp_path / "card.policy"), 2, 12)
