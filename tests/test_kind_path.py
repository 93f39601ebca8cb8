"""A kind's written-out path (engine.runtime.kind_path) decides and refuses exactly as the
general `Engine.feed` does (an engine with `fast_paths=False`), on arbitrary streams of
mostly well-typed events."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_plain_events import raw_events

import callqa.engine.runtime.engine
from callqa.engine import load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import EventError, parse_event
from callqa.engine.runtime.kind_path import kind_path

CENTER = load_policy("policies/center.policy")  # sampling, thresholds, discipline
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 27, 9, tzinfo=SHANGHAI)
KINDS = ["call", "call", "call", "violation", "commendation", "exam", "survey", "complaint"]


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events in time order (now and then one out of order, or an id used again), with
    their fields mostly well typed and sometimes odd, missing or extra."""
    events: list[dict[str, Any]] = []
    minutes = 0
    for n in range(draw(st.integers(1, 40))):
        event = draw(raw_events(draw(st.sampled_from(KINDS))))
        minutes += draw(st.sampled_from([0, 1, 30, 200, 1500]))
        # mostly a usable time and a fresh id. An odd time stays odd, but not a drawn date
        # or number, which pydantic may read as a time in the year 9000: the engine would
        # then publish a sample plan a day for seven thousand years
        odd = event.get("at")
        if draw(st.integers(0, 9)) or isinstance(odd, dt.date | int | float):
            late = draw(st.integers(0, 19)) == 0
            moment = START + dt.timedelta(minutes=minutes - (600 if late else 0))
            # in the policy's timezone, in UTC, or naive (read in the policy's timezone)
            event["at"] = draw(st.sampled_from([
                moment, moment.astimezone(dt.UTC), moment.replace(tzinfo=None)
            ]))  # fmt: skip
            event["id"] = f"e{n}" if n == 0 or draw(st.integers(0, 9)) else f"e{n - 1}"
        events.append(event)
    return events


def outcomes(engine: Engine, events: list[dict[str, Any]]) -> list[object]:
    out: list[object] = []
    for event in events:
        try:
            out.append(engine.feed(dict(event)))
        except EventError as error:
            out.append(str(error))
    out.append(engine.advance(START + dt.timedelta(days=60)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_the_written_out_path_decides_as_the_general_one(events: list[dict[str, Any]]) -> None:
    written, general = Engine(CENTER), Engine(CENTER, fast_paths=False)
    assert outcomes(written, events) == outcomes(general, events)


def test_the_kinds_without_checks_or_handlers_have_a_path() -> None:
    """A complaint (escalation) goes the general way; a path is written on first use."""
    engine = Engine(CENTER)
    for kind in ("call", "violation", "commendation", "exam", "survey"):
        assert kind_path(engine, kind) is not None, kind
    for kind in ("complaint", "evaluation", "appeal", "approval", "agent_status"):
        assert kind_path(engine, kind) is None, kind


@pytest.mark.parametrize("fast_paths", [True, False])
def test_without_fast_paths_every_event_is_validated_by_its_model(
    fast_paths: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fast_paths=False` is the general way for well-typed events too (what the property
    above compares against); by default a well-typed call skips pydantic."""
    parsed: list[str] = []

    def counting(raw: Any) -> Any:
        parsed.append(raw["kind"])
        return parse_event(raw)

    monkeypatch.setattr(callqa.engine.runtime.engine, "parse_event", counting)
    engine = Engine(CENTER, fast_paths=fast_paths)
    call = {"kind": "call", "id": "c1", "at": START, "agent": "A1", "duration": 120.0}
    decided = engine.feed(call)
    assert parsed == ([] if fast_paths else ["call"])
    assert decided == Engine(CENTER, fast_paths=not fast_paths).feed(dict(call))
