"""The engine's exceptions live in callqa.engine.errors, whose docstring draws their tree:
the drawing is checked against the classes, so it cannot drift from them."""

from __future__ import annotations

import builtins
import importlib
import pkgutil
import re

import pytest

import callqa.engine
from callqa.dsl.diagnostics import PolicyError
from callqa.engine import errors

INTERNAL = {"BadAnswer"}  # drawn, never raised to a caller, so not exported


def _drawing() -> dict[str, tuple[str, str | None]]:
    """Each class the docstring draws -> (its parent in the drawing, the built-in base it
    names in parentheses)."""
    assert errors.__doc__ is not None
    drawn: dict[str, tuple[str, str | None]] = {}
    ancestors: list[tuple[int, str]] = []  # (column, name) of the open branches
    for line in errors.__doc__.splitlines():
        match = re.fullmatch(r"\s*(Exception)", line) or re.search(r"[├└]── (\w+)", line)
        if match is None:
            continue  # a line of text, or one that goes on describing a class
        name, column = match.group(1), match.start(1)
        while ancestors and ancestors[-1][0] >= column:
            ancestors.pop()
        builtin = re.match(r" \((\w+)\)", line[match.end() :])
        if ancestors:
            drawn[name] = (ancestors[-1][1], builtin.group(1) if builtin else None)
        ancestors.append((column, name))
    return drawn


def _engine_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of callqa.engine."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(callqa.engine.__path__, "callqa.engine."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__.startswith("callqa.engine")
            ):
                found[value.__name__] = value
    return found


def _class(name: str) -> type[BaseException]:
    if name == "Exception":
        return Exception
    if name == "PolicyError":
        return PolicyError
    return _engine_exceptions()[name]


def test_the_drawing_has_the_documented_bases() -> None:
    drawn = _drawing()
    assert drawn["EngineError"] == ("Exception", None)
    assert drawn["EventError"] == ("EngineError", "ValueError")
    assert drawn["MappingError"] == ("EventError", None)
    assert drawn["NoHistory"] == ("StoreError", None)
    assert drawn["PolicyError"] == ("Exception", None)


def test_every_engine_exception_is_drawn_under_its_bases() -> None:
    drawn = _drawing()
    for name, cls in _engine_exceptions().items():
        assert name in drawn, f"{name} is not drawn in callqa.engine.errors' docstring"
        parent, builtin = drawn[name]
        assert issubclass(cls, _class(parent)), f"{name} is drawn under {parent}"
        if builtin is not None:
            assert issubclass(cls, getattr(builtins, builtin)), f"{name} is no {builtin}"


def test_every_drawn_exception_is_one_callers_can_import() -> None:
    found = _engine_exceptions()
    for name in _drawing():
        assert name in found or name == "PolicyError", f"{name} is drawn but does not exist"
        if name not in INTERNAL:
            assert name in callqa.engine.__all__, f"callqa.engine does not export {name}"
            assert getattr(callqa.engine, name) is _class(name)


def test_the_engines_public_exceptions_are_engine_errors() -> None:
    for name, cls in _engine_exceptions().items():
        if name not in INTERNAL:
            assert issubclass(cls, errors.EngineError), name
            assert cls.__module__ == "callqa.engine.errors", f"{name} is defined elsewhere"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("callqa.engine.runtime.events", "EventError"),
        ("callqa.engine.store.database", "StoreError"),
        ("callqa.engine.store.database", "NoHistory"),
        ("callqa.engine.store.importer", "MappingError"),
        ("callqa.engine.simulation.sweep", "SweepError"),
        ("callqa.tui.errors", "first_line"),
    ],
)
def test_the_old_import_paths_still_work(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_first_line_tells_a_foreign_error_in_one_line() -> None:
    driver = Exception("(sqlite3.DatabaseError) file is not a database\n[SQL: PRAGMA x]")
    assert errors.first_line(driver) == "file is not a database"
    assert errors.first_line(ValueError()) == "ValueError"
