"""The one way the engine writes and compiles generated Python (engine.codegen.emit)."""

from __future__ import annotations

import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callqa.engine.codegen.emit import Constants, Source, compile_function


def test_blocks_indent_what_is_written_inside_and_an_empty_block_passes() -> None:
    s = Source()
    with s.block("def f(x)"):
        with s.block("if x"):
            s("y = 1", "return y")
        with s.block("else"):
            pass
        s("return 0")
    assert s.text == (
        "def f(x):\n    if x:\n        y = 1\n        return y\n    else:\n        pass\n"
        "    return 0\n"
    )
    f = compile_function(s, "f", "test f")
    assert (f(True), f(False)) == (1, 0)


def test_a_fragment_keeps_its_own_indentation_at_the_depth_it_is_written() -> None:
    fragment = ["if v is None:", "    return None"]
    s = Source()
    with s.block("def f(v)"):
        s(*fragment)
        s("return v + 1")
    f = compile_function(s, "f", "fragment")
    assert (f(None), f(1)) == (None, 2)


def test_a_function_is_compiled_alone_at_its_own_lines() -> None:
    """Only the named function's lines reach the compiler (the other one here would not
    compile), and a traceback points at the line of `source.text` that raised."""
    s = Source()
    with s.block("def broken()"):
        s("return (")
    s("")
    with s.block("def g(x)"):
        s("y = 1")
        s("return y // x")
    g = compile_function(s, "g", "two functions")
    assert g(1) == 1
    with pytest.raises(ZeroDivisionError) as raised:
        g(0)
    frame = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert frame.filename == "<callqa two functions>"
    assert s.lines[frame.lineno - 1] == "    return y // x"


def test_the_function_runs_among_the_sources_constants_and_the_namespace() -> None:
    s = Source()
    text = s.constant('"; import os')  # policy text arrives as a value, never as code
    with s.block("def f()"):
        s(f"return {text}, ENGINE")
    f = compile_function(s, "f", "namespace", {"ENGINE": 7})
    assert f() == ('"; import os', 7)
    assert "import" not in s.text


@given(st.lists(st.one_of(st.integers(), st.text(), st.lists(st.integers())), max_size=20))
def test_a_value_gets_one_name_and_names_hold_their_values(values: list[object]) -> None:
    constants = Constants()
    constants.define("K1", "fixed")  # a fixed name a generated one could have taken
    names = [constants.add(value) for value in values]
    for value, name in zip(values, names, strict=True):
        assert constants.values[name] == value
        assert type(constants.values[name]) is type(value)
    assert constants.values["K1"] == "fixed"
    for a, name_a in zip(values, names, strict=True):
        for b, name_b in zip(values, names, strict=True):
            alike = a is b or (not isinstance(a, list) and type(a) is type(b) and a == b)
            assert (name_a == name_b) == alike


def test_a_fixed_name_holds_one_value() -> None:
    constants = Constants()
    zone = object()
    assert constants.define("ZONE", zone) == "ZONE"
    assert constants.define("ZONE", zone) == "ZONE"
    with pytest.raises(ValueError, match="ZONE"):
        constants.define("ZONE", object())
