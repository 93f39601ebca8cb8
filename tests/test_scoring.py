"""Scoring semantics, example by example, as README's "How a score is computed" states them."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from callqa.engine import EvaluationError, PolicyError, UnknownRubric, load_policy

BASE = """
policy "t" version "1" timezone "Asia/Shanghai"
rubric r "测试" {{
  scale 100
  {settings}
  section a "A" {weight_a}{{
    item greeting "开场白" deduct 5
    item jargon "术语" deduct 2 per occurrence max 6
    item forbidden "服务忌语" critical
  }}
  section b "B" {weight_b}{{
    item identity "身份核实" deduct 10 when call.type == "account"
    item recap "复述" deduct 9 when call.duration > 5m
    item care "关怀" bonus 3
  }}
  grades {{ "优秀" >= 95  "良好" >= 85  "合格" >= 70  "不合格" otherwise }}
}}
"""


def policy(settings: str = "", weights: tuple[str, str] = ("", "")):
    text = BASE.format(
        settings=settings,
        weight_a=f"weight {weights[0]} " if weights[0] else "",
        weight_b=f"weight {weights[1]} " if weights[1] else "",
    )
    return load_policy(text=text, file="t.policy")


def evaluation(call_type="account", duration=400, **answers):
    base = {
        "greeting": "pass", "jargon": 0, "forbidden": "pass",
        "identity": "pass", "recap": "pass", "care": "fail",
    }  # fmt: skip
    base.update(answers)
    return {"id": "E1", "call": {"type": call_type, "duration": duration}, "answers": base}


def test_all_pass_scores_the_full_scale_and_best_grade():
    result = policy().score("r", evaluation())
    assert (result.score, result.grade, result.passed) == (100.0, "优秀", True)
    assert result.deductions == [] and result.critical == [] and result.not_applicable == []


def test_fixed_deduction_is_scaled_by_the_applicable_points():
    # possible = 5 + 6 + 10 + 9 = 30; greeting fails: 100 * 25/30 = 83.33 -> 83.3
    result = policy().score("r", evaluation(greeting="fail"))
    assert result.score == 83.3
    assert result.grade == "合格"
    [deduction] = result.deductions
    assert (deduction.item, deduction.label, deduction.points) == ("greeting", "开场白", 5.0)
    assert deduction.location == "t.policy:7"


def test_per_occurrence_deduction_is_capped():
    two = policy().score("r", evaluation(jargon=2))
    five = policy().score("r", evaluation(jargon=5))
    assert two.deductions[0].points == 4.0 and two.deductions[0].count == 2
    assert five.deductions[0].points == 6.0  # min(5 x 2, 6)
    assert five.score == pytest.approx(80.0)


def test_condition_false_and_na_answer_leave_earned_and_possible_points():
    # identity does not apply (billing call), recap answered na: possible = 5 + 6 = 11
    result = policy().score("r", evaluation(call_type="billing", recap="na", greeting="fail"))
    assert result.score == pytest.approx(round(100 * 6 / 11, 1))
    reasons = {n.item: n.reason for n in result.not_applicable}
    assert reasons["identity"] == 'does not apply: call.type == "account" is false'
    assert reasons["recap"] == "answered na"


def test_na_means_pass_keeps_the_points_in_the_denominator():
    result = policy("na means pass").score("r", evaluation(recap="na", greeting="fail"))
    assert result.score == pytest.approx(round(100 * 25 / 30, 1))
    assert result.na_mode == "pass"


def test_critical_zero_score_is_the_default():
    result = policy().score("r", evaluation(forbidden="fail", care="pass"))
    assert result.score == 0.0 and result.grade == "不合格" and not result.passed
    assert result.critical_mode == "zero_score"
    [failure] = result.critical
    assert failure.item == "forbidden" and failure.effect == "the total score is 0"


def test_critical_fail_keep_score_keeps_the_score_and_fails():
    result = policy("critical means fail_keep_score").score("r", evaluation(forbidden="fail"))
    assert result.score == 100.0
    assert result.grade == "不合格" and result.passed is False


def test_critical_zero_section_zeroes_only_its_section():
    result = policy("critical means zero_section").score("r", evaluation(forbidden="fail"))
    # section a (11 points) earns 0, section b earns its 19: 100 * 19 / 30
    assert result.score == pytest.approx(63.3)
    assert [s.zeroed for s in result.sections] == [True, False]


def test_bonus_is_capped_at_the_scale_unless_uncapped():
    assert policy().score("r", evaluation(care="pass")).score == 100.0
    assert policy("bonus uncapped").score("r", evaluation(care="pass")).score == 103.0
    result = policy().score("r", evaluation(care="pass", greeting="fail"))
    assert result.score == pytest.approx(86.3)  # 83.33 + 3
    assert [b.item for b in result.bonuses] == ["care"]


def test_weighted_sections():
    weighted = policy(weights=("40%", "60%"))
    # section a fails greeting: ratio 6/11; section b all pass: 1.0
    result = weighted.score("r", evaluation(greeting="fail"))
    assert result.score == pytest.approx(round(100 * (0.4 * 6 / 11 + 0.6), 1))


def test_weighted_sections_share_out_the_weight_of_a_section_with_nothing_applicable():
    weighted = policy(weights=("40%", "60%"))
    result = weighted.score(
        "r", evaluation(call_type="billing", duration=10, greeting="fail")
    )  # section b has no applicable points
    assert result.score == pytest.approx(round(100 * 6 / 11, 1))


@pytest.mark.parametrize(
    ("rounding", "failed", "expected"),
    [
        ("", ["a"], 87.5),  # 100 * 7/8, one decimal by default
        ("rounding 0", ["a"], 88.0),  # half up
        ("rounding 0 half_even", ["c"], 62.0),  # 62.5 -> 62
        ("rounding 0 half_up", ["c"], 63.0),  # 62.5 -> 63
        ("rounding 0 down", ["a"], 87.0),
        ("", ["b"], 75.0),
        ("rounding 2", ["a", "b"], 62.5),
    ],
)
def test_rounding(rounding, failed, expected):
    text = (
        'policy "t" version "1" timezone "UTC"\n'
        f"rubric r {{ scale 100 {rounding} "
        "section s { item a deduct 1 item b deduct 2 item c deduct 3 item d deduct 2 } }"
    )
    answers = {item: ("fail" if item in failed else "pass") for item in "abcd"}
    assert load_policy(text=text).score("r", {"answers": answers}).score == expected


def test_rounding_of_a_repeating_fraction_is_half_up_to_one_decimal():
    thirds = load_policy(
        text='policy "t" version "1" timezone "UTC"\n'
        "rubric r { scale 100 section s { item a deduct 1 item b deduct 2 } }"
    )
    assert thirds.score("r", {"answers": {"a": "fail", "b": "pass"}}).score == 66.7


def test_answers_accept_counts_words_and_flat_facts():
    p = policy()
    flat = {"call.type": "account", "call.duration": "6m", **evaluation()["answers"]}
    flat["greeting"] = 1
    assert p.score("r", flat).score == 83.3
    words = evaluation(greeting="不通过", recap="不适用")
    assert p.score("r", words).deductions[0].item == "greeting"


def test_pydantic_models_are_accepted():
    class Call(BaseModel):
        type: str
        duration: int

    class Evaluation(BaseModel):
        id: str
        call: Call
        answers: dict[str, str | int]

    model = Evaluation(**evaluation(greeting="fail"))
    assert policy().score("r", model).score == 83.3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"greeting": "maybe"}, "item greeting (开场白) has the answer 'maybe'"),
        ({"jargon": -1}, "item jargon (术语) has the answer -1"),
        ({"greeting": True}, "item greeting (开场白) has the answer True"),
    ],
)
def test_bad_answers_name_the_item_and_what_to_write(change, message):
    with pytest.raises(EvaluationError) as error:
        policy().score("r", evaluation(**change))
    assert message in str(error.value)
    assert 'write "pass", "fail" or "na"' in str(error.value)


@pytest.mark.parametrize(
    "count",
    [10**400, "9" * 4400],
    ids=["an int too large for a float", "4,400 digits of text"],
)
def test_a_count_no_call_can_have_is_named_not_a_traceback(count):
    with pytest.raises(EvaluationError) as error:
        policy().score("r", evaluation(jargon=count))
    assert "item jargon (术语) has the count " in str(error.value)
    assert "too large to be a number of occurrences in one call" in str(error.value)


def test_a_condition_that_runs_off_the_calendar_is_named_not_a_traceback():
    far = load_policy(
        text=(
            'policy "p" version "1" timezone "Asia/Shanghai"\n'
            'rubric r "R" {\n  scale 100\n  section s "S" {\n    item a "A" deduct 5\n'
            '    item b "B" deduct 1 when call.start.date + 3650d > 2026-11-02\n  }\n}\n'
        )
    )
    with pytest.raises(EvaluationError, match="a condition went out of range"):
        far.score(
            "r", {"answers": {"a": "pass", "b": "fail"}, "call": {"start": "9995-11-02 10:00"}}
        )


def test_missing_answer_suggests_the_misspelt_key():
    data = evaluation()
    data["answers"]["greting"] = data["answers"].pop("greeting")
    with pytest.raises(EvaluationError, match="greting' — a misspelling"):
        policy().score("r", data)


def test_missing_fact_is_named():
    with pytest.raises(EvaluationError, match=r"has no call\.type"):
        policy().score("r", {"answers": evaluation()["answers"], "call": {"duration": 3}})


def test_unknown_rubric_suggests_the_closest():
    with pytest.raises(UnknownRubric, match="did you mean r"):
        policy().score("rr", evaluation())


def test_policy_with_errors_raises_policy_error_with_all_diagnostics():
    with pytest.raises(PolicyError) as error:
        load_policy(
            text='policy "t"\nrubric r { section s { item a deduct 5 when call.duration > 60 '
            "item b deduct 2 per occurrence } }"
        )
    messages = [d.message for d in error.value.diagnostics if d.is_error]
    assert any("cannot compare duration with number" in m for m in messages)
    assert any("needs a cap" in m for m in messages)


def test_score_many_agrees_with_score_and_reports_bad_rows():
    p = policy()
    evaluations = [
        evaluation(greeting="fail"),
        evaluation(jargon=7, call_type="billing"),
        evaluation(forbidden="fail"),
        evaluation(recap="maybe"),
    ]
    columns: dict[str, list[object]] = {"call.type": [], "call.duration": []}
    for e in evaluations:
        columns["call.type"].append(e["call"]["type"])
        columns["call.duration"].append(e["call"]["duration"])
        for key, value in e["answers"].items():
            columns.setdefault(key, []).append(value)
    batch = p.score_many("r", columns)
    for i, e in enumerate(evaluations[:3]):
        single = p.score("r", e)
        assert (batch.scores[i], batch.grades[i]) == (single.score, single.grade)
    assert batch.scores[3] is None
    assert "item recap" in str(batch.errors[3])


def test_generated_source_never_contains_policy_text():
    p = load_policy(
        text='policy "t" version "1"\nrubric r { section s { item a "x\\") + __import__(1)" '
        'deduct 5 when call.type == "\\"; import os" } '
        'grades { "__import__(\'os\')" >= 50 "b" otherwise } }'
    )
    source = p.rubrics["r"].source
    assert "import" not in source and "os" not in source.replace("cols", "")
    result = p.score("r", {"call": {"type": '"; import os'}, "answers": {"a": "pass"}})
    assert result.grade == "__import__('os')"


def test_a_loaded_policy_is_immutable_and_shared_safely_between_threads():
    from concurrent.futures import ThreadPoolExecutor

    p = policy()
    with pytest.raises(AttributeError, match="immutable"):
        p.name = "changed"
    with pytest.raises(AttributeError, match="immutable"):
        p.rubrics["r"].table = None
    inputs = [evaluation(greeting="fail" if i % 2 else "pass", jargon=i % 5) for i in range(400)]
    expected = [p.score("r", e).score for e in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda e: p.score("r", e).score, inputs)) == expected
