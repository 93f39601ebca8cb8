"""Numbers that are not numbers (issue 15, item 11): NaN, infinities and negative
durations are refused with the field and the reason, wherever a number enters — scoring
one evaluation or a batch, `callqa score`, and events on the engine's general and
written-out paths. Before, NaN made every comparison false: a failed item read as not
applicable (100 instead of 89.7), and an average below target raised no alert."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callqa.engine import EvaluationError, load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import Call, EventError, Survey
from callqa.tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
STANDARD = load_policy(ROOT / "policies" / "standard.policy")
AT = dt.datetime(2026, 11, 2, 9, 0)
PASS = {
    "greeting": "pass", "closing": "pass", "wait_ack": "pass", "tone": "pass",
    "interrupting": 0, "forbidden": "pass", "identity_check": "pass", "data_leak": "pass",
    "recording_note": "pass", "accuracy": "pass", "recap": "fail", "ownership": "pass",
    "jargon": 0, "courtesy": 0, "empathy": "pass",
}  # fmt: skip
NOT_NUMBERS = [float("nan"), float("inf"), float("-inf"), "nan", "1e999", "-inf"]


def evaluation(duration: object, **answers: object) -> dict[str, Any]:
    """An evaluation whose only fault, the recap, counts on calls over 5 minutes."""
    call = {"type": "billing", "duration": duration, "hold_time": 0}
    return {"id": "E1", "call": call, "answers": {**PASS, **answers}}


def test_a_real_duration_decides_whether_the_recap_counts() -> None:
    assert STANDARD.score("standard_call", evaluation(400)).score == 89.7
    assert STANDARD.score("standard_call", evaluation(120)).score == 100.0


@pytest.mark.parametrize("duration", NOT_NUMBERS)
def test_a_duration_that_is_not_a_number_is_refused(duration: object) -> None:
    with pytest.raises(
        EvaluationError, match=r"call\.duration is .*which is not a (number|duration)"
    ) as e:
        STANDARD.score("standard_call", evaluation(duration))
    assert e.value.fact == "call.duration"


@pytest.mark.parametrize("duration", [-5, -0.5, "-5"])
def test_a_negative_duration_is_refused(duration: object) -> None:
    with pytest.raises(EvaluationError, match=r"call\.duration") as e:
        STANDARD.score("standard_call", evaluation(duration))
    assert e.value.fact == "call.duration"


@pytest.mark.parametrize("count", [-1, -2.0, "-1", float("nan")])
def test_a_negative_count_of_occurrences_is_refused(count: object) -> None:
    with pytest.raises(EvaluationError, match="item jargon"):
        STANDARD.score("standard_call", evaluation(60, jargon=count))


def test_a_batch_refuses_only_the_rows_that_are_not_numbers() -> None:
    rows = [evaluation(d) for d in (400, float("nan"), 120, float("inf"), -3)]
    columns: dict[str, list[Any]] = {name: [row["answers"][name] for row in rows] for name in PASS}
    for fact in ("type", "duration", "hold_time"):
        columns[f"call.{fact}"] = [row["call"][fact] for row in rows]
    batch = STANDARD.score_many("standard_call", columns)
    assert batch.scores == [89.7, None, 100.0, None, None]
    assert sorted(batch.errors) == [1, 3, 4]
    assert "call.duration is nan, which is not a number" in str(batch.errors[1])
    assert "negative duration" in str(batch.errors[4])


def test_callqa_score_reports_the_row_with_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evals.jsonl"
    good, bad = evaluation(400), evaluation(float("nan"))
    bad["id"] = "E2"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    code = main(["score", "--policy", str(ROOT / "policies" / "standard.policy"),
                 "--rubric", "standard_call", "--input", str(path), "--format", "jsonl"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert [json.loads(line)["score"] for line in captured.out.splitlines()] == [89.7]
    assert "row 2: call.duration is nan, which is not a number" in captured.err


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6))
def test_any_duration_is_scored_as_a_real_length_or_refused(duration: float) -> None:
    """Never silently not applicable: a real length of 0 or more scores (the recap counts
    beyond 5 minutes); anything else is refused naming the fact."""
    real = math.isfinite(duration) and duration >= 0
    try:
        score = STANDARD.score("standard_call", evaluation(duration)).score
    except EvaluationError as error:
        assert not real and error.fact == "call.duration"
    else:
        assert real and score == (89.7 if duration > 300 else 100.0)


def feed_evaluation(engine: Engine, duration: object, event_id: str = "E1") -> list[Any]:
    event = evaluation(duration)
    return engine.feed({"kind": "evaluation", "id": event_id, "at": AT, "agent": "A1",
                        "rubric": "standard_call", "answers": event["answers"],
                        "facts": {"call": event["call"]}})  # fmt: skip


@pytest.mark.parametrize("duration", [*NOT_NUMBERS, -5])
def test_an_evaluation_event_with_nan_is_refused_and_changes_nothing(duration: object) -> None:
    engine = Engine(STANDARD)
    with pytest.raises(EventError, match=r"evaluation event 'E1' rejected: call\.duration is"):
        feed_evaluation(engine, duration)
    assert engine.clock is None and engine.evaluations == {}
    [score, *_] = feed_evaluation(engine, 400, "E2")
    assert score.facts["score"] == 89.7


KPI = """policy "kpi" version "1" timezone "Asia/Shanghai"
field call.csat number
field survey.wait duration
threshold csat "满意度" {
  per team per week
  value avg(call.csat)
  alert 主管 when value < 3
}
threshold wait "等待" {
  per team per week
  value avg(survey.wait)
  alert 主管 when value > 60
}
"""


def alerts(engine: Engine) -> list[str]:
    return [d.rule for d in engine.advance(dt.datetime(2026, 11, 10)) if d.kind == "alert"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("as_model", [False, True])
def test_a_center_field_that_is_not_a_number_is_refused_not_averaged(
    value: object, as_model: bool
) -> None:
    """NaN in one call's own field made the team's average NaN: no alert, no word."""
    engine = Engine(load_policy(text=KPI, file="kpi.policy"))
    good = {"kind": "call", "id": "c1", "at": AT, "agent": "A1", "team": "T1",
            "duration": 60, "fields": {"csat": 1}}  # fmt: skip
    bad = {**good, "id": "c2", "at": AT + dt.timedelta(hours=1), "fields": {"csat": value}}
    engine.feed(Call(**good) if as_model else good)
    with pytest.raises(EventError, match=r"call event 'c2' rejected: call\.csat is"):
        engine.feed(Call(**bad) if as_model else bad)
    assert alerts(engine) == ["csat"]


def test_a_duration_field_given_as_text_is_averaged_and_a_negative_one_refused() -> None:
    """'5m' in a duration field is 300 seconds (it used to stop the replay with Python's
    'could not convert string to float'); -5 is no length of time."""
    engine = Engine(load_policy(text=KPI, file="kpi.policy"))
    engine.feed({"kind": "survey", "id": "s1", "at": AT, "team": "T1", "fields": {"wait": "5m"}})
    with pytest.raises(EventError, match=r"survey\.wait is -5, a negative duration"):
        engine.feed(Survey(id="s2", at=AT, team="T1", fields={"wait": -5}))
    assert alerts(engine) == ["wait"]


@pytest.mark.parametrize(("event", "reason"), [
    ({"kind": "call", "agent": "A1", "duration": float("nan")},
     "duration is nan, which is not a number (NaN or infinite)"),
    ({"kind": "call", "agent": "A1", "duration": -1},
     "duration is -1, a negative duration: a duration is 0 seconds or more"),
    ({"kind": "call", "agent": "A1", "duration": 60, "answer_delay": float("inf")},
     "answer_delay is inf, which is not a number (NaN or infinite)"),
    ({"kind": "survey", "agent": "A1", "rating": "nan"},
     "rating is 'nan', which is not a number (NaN or infinite)"),
])  # fmt: skip
def test_events_own_numbers_are_refused_on_every_path(event: dict[str, Any], reason: str) -> None:
    """The written-out path of calls and surveys, and the general one, refuse alike, in
    the words of the one check of numbers (pydantic's were 'input should be a finite
    number')."""
    policy = load_policy(ROOT / "policies" / "center.policy")
    written, general = Engine(policy), Engine(policy, fast_paths=False)
    data = {**event, "id": "x1", "at": AT}
    messages = []
    for engine in (written, general):
        with pytest.raises(EventError) as error:
            engine.feed(dict(data))
        messages.append(str(error.value))
        assert engine.clock is None
    assert messages[0] == messages[1] and reason in messages[0]
