"""The plain-dict checker (engine.runtime.plain_events) accepts only what pydantic accepts, and
then gives exactly the values pydantic's model holds."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from callqa.engine.runtime.events import EVENT_KINDS, event_model
from callqa.engine.runtime.plain_events import plain_reader, sparse

READERS = {kind: plain_reader(event_model(kind)) for kind in EVENT_KINDS}

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["", " ", "A1", " A1", "A1 ", "late", "5m", "00:03:45", "12", "true", "\u3000x"]
    ),
    st.text(max_size=4),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, ZoneInfo("America/New_York")])),
    st.dates(),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=2),
)


# values of the field's own type, so that many drawn events are valid
WELL_TYPED = {
    str: st.sampled_from(["A1", "x", "班长"]),
    float: st.one_of(st.integers(0, 10**6), st.floats(0, 1e6)),
    bool: st.booleans(),
    dt.datetime: st.datetimes(timezones=st.sampled_from([None, ZoneInfo("Asia/Shanghai")])),
}


@st.composite
def raw_events(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """An event of `kind`: its fields mostly well typed, some odd, some left out, maybe a
    key the model does not have."""
    fields = event_model(kind).model_fields
    event: dict[str, Any] = {"kind": kind}
    for name, info in fields.items():
        if name == "kind" or (not info.is_required() and draw(st.booleans())):
            continue
        annotation = info.annotation
        args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
        own = WELL_TYPED.get(args[0] if len(args) == 1 else annotation)
        event[name] = draw(own if own is not None and draw(st.integers(0, 4)) else VALUES)
    if draw(st.integers(0, 9)) == 0:
        event["extra"] = draw(VALUES)
    if draw(st.integers(0, 9)) == 0:
        event.pop(draw(st.sampled_from(sorted(event))))
    return event


def _same(left: object, right: object) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return left == right


@pytest.mark.parametrize("kind", [kind for kind, reader in READERS.items() if reader])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_plain_reader_agrees_with_pydantic(kind: str, data: st.DataObject) -> None:
    event = data.draw(raw_events(kind))
    reader = READERS[kind]
    assert reader is not None
    plain = reader(event)
    try:
        model = event_model(kind).__pydantic_validator__.validate_python(event)
    except ValidationError:
        assert plain is None, f"accepted what pydantic rejects: {event}"
        return
    if plain is not None:
        expected = sparse(model.__dict__)
        assert plain.keys() == expected.keys()
        for name, value in expected.items():
            assert _same(plain[name], value), (name, plain[name], value)


def test_a_well_typed_call_is_accepted_with_defaults_filled() -> None:
    at = dt.datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    reader = READERS["call"]
    assert reader is not None
    values = reader({"kind": "call", "id": "c1", "at": at, "agent": "A1", "duration": 90})
    assert values is not None
    assert values["duration"] == 90.0 and type(values["duration"]) is float
    assert values == {
        "kind": "call", "id": "c1", "at": at, "agent": "A1", "duration": 90.0, "answered": True
    }  # fmt: skip


def test_unusual_values_are_left_to_pydantic() -> None:
    at = dt.datetime(2026, 11, 2, 9)
    reader = READERS["call"]
    assert reader is not None
    base = {"kind": "call", "id": "c1", "at": at, "agent": "A1", "duration": 90}
    assert reader(base) is not None
    for change in ({"duration": "1m"}, {"agent": " A1"}, {"queue": "vip"},
                   {"fields": {"queue": "vip"}}, {"fields": []}, {"at": "2026-11-02 09:00"},
                   {"duration": True}, {"resolved": 1}):  # fmt: skip
        assert reader({**base, **change}) is None, change
    assert READERS["evaluation"] is None  # answers are a dict: always pydantic's


def test_dicts_and_models_make_the_same_decisions() -> None:
    """Well-typed dicts take the plain path, models do not: same decisions."""
    from pathlib import Path

    from callqa.engine import Engine, load_policy
    from callqa.engine.runtime.events import parse_event
    from callqa.engine.scoring.demo_data import demo_events

    policy = load_policy(Path(__file__).resolve().parent.parent / "policies" / "center.policy")
    models = [parse_event(event) for event in demo_events(days=14)]
    as_dicts = [model.model_dump() for model in models]
    first_call = next(event for event in as_dicts if event["kind"] == "call")
    assert READERS["call"] is not None and READERS["call"](first_call) is not None
    from_dicts = [d.to_dict() for d in Engine(policy).feed_all(as_dicts)]
    from_models = [d.to_dict() for d in Engine(policy).feed_all(models)]
    assert from_dicts == from_models and len(from_dicts) > 100
