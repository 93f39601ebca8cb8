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
import types
import typing
from collections.abc import Callable
from typing import Any

from annotated_types import Ge, MinLen

# before-validators that return every value that is not text unchanged (events.py)
PASS_THROUGH_VALIDATORS = frozenset({"_durations"})

PlainReader = Callable[[dict[str, Any]], dict[str, Any] | None]

_MISSING = object()
_EXACT_FLOAT = 2**53  # an int up to this converts to float exactly, as pydantic does


def plain_reader(model: Any) -> PlainReader | None:
    """The checker for plain dicts of `model`'s kind, or None when some required field has
    a type it does not handle (then every event of the kind goes through pydantic).

    The values it returns leave out what is None and an empty `fields` (`sparse`): a
    call's 14 fields are mostly empty, and readers use `values.get(name)`."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or model.model_config.get("strict"):
        return None
    validated: set[str] = set()  # fields whose validators may change non-text values
    for decorator in decorators.field_validators.values():
        if decorator.cls_var_name not in PASS_THROUGH_VALIDATORS:
            validated.update(decorator.info.fields)
    kind: str = model.model_fields["kind"].default
    constants: dict[str, Any] = {"MISSING": _MISSING, "DATETIME": dt.datetime, "KIND": kind}
    fetch = ["    try:", "        if d['kind'] != KIND:", "            return None"]
    required: list[str] = []
    count = 1  # keys of the required fields, kind included
    optional: list[str] = []
    entries: list[str] = ["'kind': KIND"]  # the values every event of the kind has
    for index, (name, info) in enumerate(model.model_fields.items()):
        local = f"v{index}"
        if name == "kind":
            continue
        test = None if name in validated else _test(local, info.annotation, info.metadata)
        if info.is_required():
            if test is None or typing.get_origin(info.annotation) is dict:
                return None
            fetch.append(f"        {local} = d[{name!r}]")
            required += test
            entries.append(f"{name!r}: {local}")
            count += 1
            continue
        if info.default_factory is None and info.default is not None:
            constants[f"D{index}"] = info.default
            entries.append(f"{name!r}: D{index}")
        optional += [f"    {local} = d.get({name!r}, MISSING)", f"    if {local} is not MISSING:"]
        if test is None:
            optional.append("        return None")
            continue
        optional += ["        n += 1", *("    " + line for line in test)]
        if typing.get_origin(info.annotation) is not dict:  # an empty dict is left out
            optional += [f"        if {local} is not None:", f"            out[{name!r}] = {local}"]
    values = "{" + ", ".join(entries) + "}"
    # required fields by subscript (cheaper than get); one missing ends in KeyError
    fetch += ["    except KeyError:", "        return None"]
    lines = ["def plain(d):", *fetch, *required]
    # only the required fields given (the common case): no lookups for the others
    lines += [f"    if len(d) == {count}:", f"        return {values}"]
    lines += [f"    n = {count}", f"    out = {values}", *optional]
    lines += ["    if n != len(d):", "        return None"]  # a key the model does not have
    lines += ["    return out"]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<callqa plain {kind} events>", "exec"), constants)
    reader: PlainReader = constants["plain"]
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
    checks: list[str]
    if annotation is str and min_length <= 1 and minimum is None:
        # str_strip_whitespace: text with blanks around it would be changed
        bad = f"{local}.__class__ is not str or {local}.strip() is not {local}"
        if min_length:
            bad += f" or not {local}"
        checks = [f"    if {bad}:", "        return None"]
    elif annotation is float and min_length == 0:
        low = "" if minimum is None else f" and {local} >= {minimum!r}"
        lowest = -_EXACT_FLOAT if minimum is None else minimum
        checks = [
            f"    if {local}.__class__ is float{low}:",
            "        pass",
            f"    elif {local}.__class__ is int and {lowest!r} <= {local} <= {_EXACT_FLOAT}:",
            f"        {local} = float({local})",
            "    else:",
            "        return None",
        ]
    elif annotation is bool and not metadata:
        checks = [f"    if {local}.__class__ is not bool:", "        return None"]
    elif annotation is dt.datetime and not metadata:
        checks = [f"    if {local}.__class__ is not DATETIME:", "        return None"]
    elif typing.get_origin(annotation) is dict and not metadata:
        # only an empty one (a center's own facts, as `model_dump()` writes them)
        checks = [f"    if {local}.__class__ is not dict or {local}:", "        return None"]
    else:
        return None
    if nullable:
        checks = [f"    if {local} is not None:", *["    " + line for line in checks]]
    return checks
