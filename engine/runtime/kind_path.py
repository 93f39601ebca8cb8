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
from typing import TYPE_CHECKING, Any

from callqa.engine.codegen.conditions import FactCode
from callqa.engine.codegen.emit import Constants, Source
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
    constants = Constants()
    shape = plain_shape(model, constants)
    if shape is None:
        return None
    # field -> (the local holding it, whether it is surely not None)
    fields: dict[str, tuple[str, bool]] = {
        name: (code, True) for name, code in shape.values.items()
    }
    lines = ["def path(d):", *("    " + line for line in [*shape.fetch, *shape.checks])]
    # an optional field left out holds its default, or None
    absent = {
        f.local: f.default or "None"
        for f in shape.optional
        if f.test is not None and not f.own_facts
    }
    lines += [f"    if len(d) != {shape.count}:", f"        n = {shape.count}"]
    for field in shape.optional:  # as plain_reader checks them
        local = field.local
        if field.test is None:
            lines += [f"        if {field.name!r} in d:", "            return None"]
            continue
        lines += [
            f"        {local} = d.get({field.name!r}, MISSING)",
            f"        if {local} is MISSING:",
            f"            {local} = {absent[local]}" if local in absent else "            pass",
            "        else:",
            "            n += 1",
            *("            " + line for line in field.test),
        ]
        if not field.own_facts:
            fields[field.name] = (local, False)
    lines += ["        if n != len(d):", "            return None"]  # a key the model lacks
    if absent:
        lines += ["    else:", *(f"        {local} = {code}" for local, code in absent.items())]

    event_id, moment = shape.values["id"], shape.values["at"]
    agent, agent_sure = fields.get("agent", ("None", True))
    lines += [
        f"    moment = {moment}",
        "    at = moment.astimezone(ZONE) if moment.tzinfo is not None"
        " else COMBINE(moment.date(), moment.time(), ZONE)",  # runtime.in_zone
        f"    if {event_id} in ENGINE.seen or {event_id} in ENGINE._seen_before:",
        "        return []",
        # Engine._move_clock, unless the clock only moves: nothing falls due before the
        # event, and no time is in an hour repeated as daylight saving ends
        "    clock = ENGINE.clock",
        "    due = ENGINE._due_at",
        "    if (clock is None or due is None or at.fold or ENGINE._clock_fold",
        "            or ENGINE._due_fold or at < clock or at >= due):",
        f"        decisions = MOVE_CLOCK(at, KIND, {event_id})",
        "    else:",
        "        ENGINE.clock = at",
        "        decisions = []",
        f"    ENGINE.seen[{event_id}] = None",
    ]
    start = len(lines)
    if engine.thresholds or route.disciplined:  # they take the facts as a dict
        facts = Source(constants, depth=1)
        facts("facts = {}")
        engine.facts.write(facts, model, fields.get)
        lines += facts.lines

        def read(fact: str) -> FactCode:
            return f"facts.get({constants.add(fact)})", False

    else:  # only sampling rules read them: each is code for the rules to use in place
        sources = engine.facts.sources(model, fields.get, constants.add)
        given = {s.fact: s.expression() for s in sources if isinstance(s, FactSource)}
        assert len(given) == len(sources), "a plain event has no facts of its own to merge"

        def read(fact: str) -> FactCode:
            code = given.get(fact, "None")
            return code, code == "at"  # the event's time, in the policy's timezone

    for rule in route.samplings:
        lines += rule.observe_code(constants, read, agent, event_id)
    if any("statuses" in line for line in lines[start:]):
        lines.insert(start, "    statuses = ENGINE.status")
    if engine.thresholds:
        subjects = ", ".join(
            f"{name!r}: {fields.get(name, ('None', True))[0]}"
            for name in ("agent", "team", "evaluator")
        )
        lines += [
            f"    subjects = {{{subjects}}}",
            f"    for threshold in {constants.add(tuple(engine.thresholds))}:",
            f"        threshold.observe(KIND, {event_id}, subjects, at, facts)",
        ]
    if route.disciplined and "agent" in fields:
        # the values `_discipline` reads, as plain_reader gives them: none that is None
        indent = "    " if agent_sure else "        "
        if not agent_sure:
            lines.append(f"    if {agent} is not None:")
        lines.append(f"{indent}values = {shape.literal}")
        for name, (local, sure) in fields.items():
            if not sure:
                lines += [
                    f"{indent}if {local} is not None:",
                    f"{indent}    values[{name!r}] = {local}",
                ]
        lines.append(f"{indent}decisions += DISCIPLINE(values, {agent}, at, facts)")
    lines.append("    return decisions")
    namespace: dict[str, Any] = {
        **constants.values, "ENGINE": engine, "ZONE": engine.zone,
        "MOVE_CLOCK": engine._move_clock, "DISCIPLINE": engine._discipline,
        "COMBINE": dt.datetime.combine,
    }  # fmt: skip
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<callqa path of {kind} events>", "exec"), namespace)
    path: KindPath = namespace["path"]
    return path
