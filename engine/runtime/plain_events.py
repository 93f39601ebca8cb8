"""Accepting the common event without building a pydantic model.

A replay spends as much on validating each event as a hand-written rule set spends on all
of its rules. Most events arrive already well typed (a plain dict of strings, numbers and
datetimes), and for those pydantic would return the values unchanged. `plain_reader(Call)`
writes a checker for such dicts: it returns the values pydantic's model would hold (the
model's `__dict__` without what is None or empty, see `sparse`), or None as soon as
anything is unusual (a string with blanks around it, a number written as text, a key it
does not know, a center's own `fields`), and the caller then validates the event with
pydantic as before, for the same result or the same error. So the checker only ever
accepts what pydantic accepts unchanged (in its default, lax mode);
`tests/test_plain_events.py` checks that against pydantic for arbitrary dicts.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import types
import typing
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from annotated_types import Ge, MinLen

from callqa.engine.codegen.emit import Constants, Source, compile_function
from callqa.engine.runtime.events import FIRST_YEAR, LAST_YEAR

# validators the plain checks agree with (events.py): `_durations` returns every value
# that is not text unchanged; `_real_year` refuses the years the datetime check refuses;
# `_not_a_number` refuses numbers, which the datetime check refuses too
PASS_THROUGH_VALIDATORS = frozenset({"_durations", "_real_year", "_not_a_number"})

PlainReader = Callable[[dict[str, Any]], dict[str, Any] | None]

_MISSING = object()
_EXACT_FLOAT = 2**53  # an int up to this converts to float exactly, as pydantic does


@dataclass
class OptionalField:
    """An optional field: `test` checks its local when given (None: never plain)."""

    name: str
    local: str
    test: list[str] | None
    default: str | None  # the constant holding its default, when that is not None
    own_facts: bool  # `fields`: accepted only empty, and then left out


@dataclass
class PlainShape:
    """The code that fetches and checks a well-typed event of one kind, as lines for a
    function whose argument is `d`, the event (relative to the function body's
    indentation, as are the optional fields' tests). Shared by `plain_reader` and
    `engine.runtime.kind_path`."""

    kind: str
    count: int  # keys of an event with only the required fields, kind included
    fetch: list[str]  # binds each required field to its local; a missing one: return None
    checks: list[str]  # return None unless each required field is well typed
    values: dict[str, str]  # field -> the local or constant holding it, never None
    optional: list[OptionalField]

    @property
    def literal(self) -> str:
        """The values of an event with only the required fields, as a dict display."""
        return "{" + ", ".join(f"{name!r}: {code}" for name, code in self.values.items()) + "}"


def plain_shape(model: Any, constants: Constants) -> PlainShape | None:
    """The checks of plain `model` events, their names defined among `constants`; None
    when some required field has a type the plain check does not handle (then every
    event of the kind goes through pydantic)."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or model.model_config.get("strict"):
        return None
    validated: set[str] = set()  # fields whose validators may change non-text values
    for decorator in decorators.field_validators.values():
        if decorator.cls_var_name not in PASS_THROUGH_VALIDATORS:
            validated.update(decorator.info.fields)
    kind: str = model.model_fields["kind"].default
    for name, value in {"MISSING": _MISSING, "DATETIME": dt.datetime, "INF": math.inf}.items():
        constants.define(name, value)
    values: dict[str, str] = {"kind": constants.define("KIND", kind)}  # every event has them
    fetch: list[str] = []
    required: list[str] = []
    count = 1  # keys of the required fields, kind included
    optional: list[OptionalField] = []
    for index, (name, info) in enumerate(model.model_fields.items()):
        local = f"v{index}"
        if name == "kind":
            continue
        test = None if name in validated else _test(local, info.annotation, info.metadata)
        own_facts = typing.get_origin(info.annotation) is dict
        if info.is_required():
            if test is None or own_facts or type(None) in typing.get_args(info.annotation):
                return None
            fetch.append(f"{local} = d[{name!r}]")
            required += test
            values[name] = local
            count += 1
            continue
        default = None
        if info.default_factory is None and info.default is not None:
            default = values[name] = constants.add(info.default, "D")
        optional.append(OptionalField(name, local, test, default, own_facts))
    # required fields by subscript (cheaper than get); one missing ends in KeyError
    s = Source(constants)
    with s.block("try"):
        with s.block("if d['kind'] != KIND"):
            s("return None")
        s(*fetch)
    with s.block("except KeyError"):
        s("return None")
    return PlainShape(kind, count, s.lines, required, values, optional)


@functools.cache  # per model, whatever the policy: engines share them
def plain_reader(model: Any) -> PlainReader | None:
    """The checker for plain dicts of `model`'s kind, or None when some required field has
    a type it does not handle (then every event of the kind goes through pydantic).

    The values it returns leave out what is None and an empty `fields` (`sparse`): a
    call's 14 fields are mostly empty, and readers use `values.get(name)`."""
    s = Source()
    shape = plain_shape(model, s.constants)
    if shape is None:
        return None
    with s.block("def plain(d)"):
        s(*shape.fetch, *shape.checks)
        # only the required fields given (the common case): no lookups for the others
        with s.block(f"if len(d) == {shape.count}"):
            s(f"return {shape.literal}")
        s(f"n = {shape.count}", f"out = {shape.literal}")
        for field in shape.optional:
            local = field.local
            s(f"{local} = d.get({field.name!r}, MISSING)")
            with s.block(f"if {local} is not MISSING"):
                if field.test is None:
                    s("return None")
                    continue
                s("n += 1", *field.test)
                if not field.own_facts:  # an empty dict is left out
                    with s.block(f"if {local} is not None"):
                        s(f"out[{field.name!r}] = {local}")
        with s.block("if n != len(d)"):  # a key the model does not have
            s("return None")
        s("return out")
    reader: PlainReader = compile_function(s, "plain", f"plain {shape.kind} events")
    return reader


def sparse(values: dict[str, Any]) -> dict[str, Any]:
    """A model's values as `plain_reader`'s checkers give them: without None or an empty
    dict (`fields`)."""
    return {
        name: value
        for name, value in values.items()
        if value is not None and not (value.__class__ is dict and not value)
    }


def _test(local: str, annotation: Any, metadata: list[Any]) -> list[str] | None:
    """Lines that return None unless `local` holds a value pydantic keeps as it is (or, for
    an int where a float is wanted, converts exactly); None when the type is not handled."""
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(annotation)) != 2:
            return None
        annotation, nullable = members[0], True
    minimum: float | None = None
    min_length = 0
    for constraint in metadata:
        if isinstance(constraint, Ge):
            minimum = float(constraint.ge)  # type: ignore[arg-type]
        elif isinstance(constraint, MinLen):
            min_length = constraint.min_length
        else:
            return None
    s = Source()
    with s.block(f"if {local} is not None") if nullable else nullcontext():
        if annotation is str and min_length <= 1 and minimum is None:
            # str_strip_whitespace: text with blanks around it would be changed
            bad = f"{local}.__class__ is not str or {local}.strip() is not {local}"
            if min_length:
                bad += f" or not {local}"
            with s.block(f"if {bad}"):
                s("return None")
        elif annotation is float and min_length == 0:
            # finite only (allow_inf_nan=False): NaN fails both comparisons
            low = "-INF <" if minimum is None else f"{minimum!r} <="
            lowest = -_EXACT_FLOAT if minimum is None else minimum
            with s.block(f"if {local}.__class__ is float and {low} {local} < INF"):
                pass
            exact = f"{local}.__class__ is int and {lowest!r} <= {local} <= {_EXACT_FLOAT}"
            with s.block(f"elif {exact}"):
                s(f"{local} = float({local})")
            with s.block("else"):
                s("return None")
        elif annotation is bool and not metadata:
            with s.block(f"if {local}.__class__ is not bool"):
                s("return None")
        elif annotation is dt.datetime and not metadata:
            year = f"{FIRST_YEAR} <= {local}.year <= {LAST_YEAR}"
            with s.block(f"if {local}.__class__ is not DATETIME or not {year}"):
                s("return None")
        elif typing.get_origin(annotation) is dict and not metadata:
            # only an empty one (a center's own facts, as `model_dump()` writes them)
            with s.block(f"if {local}.__class__ is not dict or {local}"):
                s("return None")
        else:
            return None
    return s.lines
