"""One kind of event's whole way through the engine, written out as Python for one policy.

`Engine.feed` takes any event through the same steps: validate it, bring its time to the
policy's timezone, skip a duplicate, move the clock, read its facts, hand it to the
rules. For the common event, a well-typed dict of a kind that has no checks or handlers
(a call, a violation...), `kind_path` writes those steps out for this policy: the fields
checked into local variables, the facts the policy reads taken from them (no dict of
values in between), the clock moved in place unless something falls due, the rules
that read the kind called directly, and the sampling rules' noting of a call (with
their picks' conditions) written in. A replay's calls went through ~5,500 fewer CPU
instructions each. Any other event gets None back, before anything changed, and `feed`
takes it the general way; `tests/test_kind_path.py` checks that both ways decide and
refuse alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from callqa.engine.codegen.conditions import FactCode
from callqa.engine.codegen.emit import Source, compile_function
from callqa.engine.decisions import Decision
from callqa.engine.runtime.events import event_model
from callqa.engine.runtime.facts import FactSource
from callqa.engine.runtime.plain_events import plain_shape

if TYPE_CHECKING:
    from callqa.engine.runtime.engine import Engine

KindPath = Callable[[dict[str, Any]], list[Decision] | None]


def kind_path(engine: Engine, kind: str) -> KindPath | None:
    """The path of well-typed `kind` dicts, or None when the kind cannot take one (it has
    checks or handlers, or a field the plain check does not handle)."""
    route = engine._routes[kind]
    if route.check is not None or route.handler is not None:
        return None
    model = event_model(kind)
    s = Source()
    shape = plain_shape(model, s.constants)
    if shape is None:
        return None
    engine_names = {
        "ENGINE": engine, "ZONE": engine.zone, "MOVE_CLOCK": engine._move_clock,
        "DISCIPLINE": engine._discipline, "COMBINE": dt.datetime.combine,
    }  # fmt: skip
    for name, value in engine_names.items():
        s.constants.define(name, value)
    # field -> (the local holding it, whether it is surely not None)
    fields: dict[str, tuple[str, bool]] = {
        name: (code, True) for name, code in shape.values.items()
    }
    # an optional field left out holds its default, or None
    absent = {
        f.local: f.default or "None"
        for f in shape.optional
        if f.test is not None and not f.own_facts
    }
    with s.block("def path(d)"):
        s(*shape.fetch, *shape.checks)
        with s.block(f"if len(d) != {shape.count}"):
            s(f"n = {shape.count}")
            for field in shape.optional:  # as plain_reader checks them
                local = field.local
                if field.test is None:
                    with s.block(f"if {field.name!r} in d"):
                        s("return None")
                    continue
                s(f"{local} = d.get({field.name!r}, MISSING)")
                with s.block(f"if {local} is MISSING"):
                    if local in absent:
                        s(f"{local} = {absent[local]}")
                with s.block("else"):
                    s("n += 1", *field.test)
                if not field.own_facts:
                    fields[field.name] = (local, False)
            with s.block("if n != len(d)"):  # a key the model lacks
                s("return None")
        if absent:
            with s.block("else"):
                s(*(f"{local} = {code}" for local, code in absent.items()))
        _arrive(s, shape.values["id"], shape.values["at"])
        _rules(s, engine, kind, fields, shape.literal)
        s("return decisions")
    path: KindPath = compile_function(s, "path", f"path of {kind} events")
    return path


def _arrive(s: Source, event_id: str, moment: str) -> None:
    """The event's time in the policy's timezone (`at`), a duplicate skipped, the clock
    moved (`decisions`: what fell due before the event)."""
    s(
        f"moment = {moment}",
        "at = moment.astimezone(ZONE) if moment.tzinfo is not None"
        " else COMBINE(moment.date(), moment.time(), ZONE)",  # runtime.in_zone
    )
    with s.block(f"if {event_id} in ENGINE.seen or {event_id} in ENGINE._seen_before"):
        s("return []")
    # Engine._move_clock, unless the clock only moves: nothing falls due before the
    # event, and no time is in an hour repeated as daylight saving ends
    s("clock = ENGINE.clock", "due = ENGINE._due_at")
    with s.block(
        "if (clock is None or due is None or at.fold or ENGINE._clock_fold"
        " or ENGINE._due_fold or at < clock or at >= due)"
    ):
        s(f"decisions = MOVE_CLOCK(at, KIND, {event_id})")
    with s.block("else"):
        s("ENGINE.clock = at", "decisions = []")
    s(f"ENGINE.seen[{event_id}] = None")


def _rules(
    s: Source, engine: Engine, kind: str, fields: dict[str, tuple[str, bool]], literal: str
) -> None:
    """The event's facts handed to the rules that read its kind (`literal`: the values
    of an event with only the required fields)."""
    route = engine._routes[kind]
    model = event_model(kind)
    event_id = fields["id"][0]
    agent, agent_sure = fields.get("agent", ("None", True))
    body = Source(s.constants, s.depth)
    if engine.thresholds or route.disciplined:  # they take the facts as a dict
        body("facts = {}")
        engine.facts.write(body, model, fields.get)

        def read(fact: str) -> FactCode:
            return f"facts.get({s.constant(fact)})", False

    else:  # only sampling rules read them: each is code for the rules to use in place
        sources = engine.facts.sources(model, fields.get, s.constant)
        given = {f.fact: f.expression() for f in sources if isinstance(f, FactSource)}
        assert len(given) == len(sources), "a plain event has no facts of its own to merge"

        def read(fact: str) -> FactCode:
            code = given.get(fact, "None")
            return code, code == "at"  # the event's time, in the policy's timezone

    for rule in route.samplings:
        body.extend(rule.observe_code(s.constants, read, agent, event_id))
    if any("statuses" in line for line in body.lines):
        s("statuses = ENGINE.status")
    s.extend(body.lines)
    if engine.thresholds:
        subjects = ", ".join(
            f"{name!r}: {fields.get(name, ('None', True))[0]}"
            for name in ("agent", "team", "evaluator")
        )
        if kind == "feedback":  # who gave it: `per giver`
            subjects += f", 'giver': {fields['by'][0]}"
        s(f"subjects = {{{subjects}}}")
        with s.block(f"for threshold in {s.constant(tuple(engine.thresholds))}"):
            s(f"threshold.observe(KIND, {event_id}, subjects, at, facts)")
    if route.disciplined and "agent" in fields:
        # the values `_discipline` reads, as plain_reader gives them: none that is None
        with nullcontext() if agent_sure else s.block(f"if {agent} is not None"):
            s(f"values = {literal}")
            for name, (local, sure) in fields.items():
                if not sure:
                    with s.block(f"if {local} is not None"):
                        s(f"values[{name!r}] = {local}")
            s(f"decisions += DISCIPLINE(values, {agent}, at, facts)")
