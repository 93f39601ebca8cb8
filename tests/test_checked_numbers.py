"""A literal's number, typed (issue 16 item 3): `Literal.number` reads what the grammar
wrote as a number, a percentage or a duration as a float, so the checker and the engine
no longer convert the literal's union value themselves (`float(x.value)` with a
`type: ignore`); anything else is an internal error, not a silent wrong value."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callqa.dsl import ast
from callqa.dsl.check import check_text
from callqa.dsl.types import Type


@given(st.integers(0, 10**6) | st.floats(0, 10**6))
def test_a_number_literal_reads_as_the_float_of_its_value(value: float) -> None:
    literal = ast.Literal(Type.NUMBER, value, str(value))
    assert literal.number == float(value)
    assert type(literal.number) is float


def test_percentages_and_durations_read_as_fraction_and_seconds() -> None:
    checked, diagnostics = check_text(
        'policy "p"\n'
        "rubric r {\n  appeals within 3 days\n"
        "  section a weight 40% { item x deduct 2 }\n"
        "  section b weight 60% { item y deduct 3 }\n}\n"
    )
    assert not [d for d in diagnostics if d.is_error]
    rubric = checked.tree.rubrics[0]
    assert [s.weight.number for s in rubric.sections if s.weight] == [0.4, 0.6]
    (appeals,) = rubric.settings("appeals")
    assert appeals.value is not None and appeals.value.number == 3 * 86400.0


@pytest.mark.parametrize(
    "literal",
    [
        ast.Literal(Type.TEXT, "5", '"5"'),
        ast.Literal(Type.BOOL, True, "true"),
        ast.Literal(Type.TIME, dt.time(9), "09:00"),
    ],
)
def test_a_literal_that_is_not_a_number_is_an_internal_error(literal: ast.Literal) -> None:
    with pytest.raises(TypeError, match=r"internal error: .* is not a number"):
        _ = literal.number
