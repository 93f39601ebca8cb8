"""Decisions built cheaply: a simulation pairs twin batches without a dict per decision
(`Twins`), and a decision's text is made when it is read (`Decision`). Both must give what
the plain way gives."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import random
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callqa.engine import Engine, load_policy
from callqa.engine.decisions import Decision, Later
from callqa.engine.runtime.engine import REPLAY_MAX_GAP
from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.simulate import Side, Twins

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CENTER = load_policy(Path(__file__).resolve().parent.parent / "policies" / "center.policy")
ZONE = dt.timezone(dt.timedelta(hours=8))


def joined(*parts: object) -> str:
    return "|".join(map(str, parts))


texts = st.text(max_size=8)
fields = st.tuples(texts, st.sampled_from(["sample", "action", "alert"]), texts,
                   st.none() | texts, texts, texts)  # fmt: skip


@given(fields, st.lists(texts | st.integers() | st.floats(allow_nan=False), max_size=4),
       st.lists(texts, max_size=4))  # fmt: skip
def test_a_decision_given_later_is_the_decision_given_its_values(
    given_fields: tuple[Any, ...], parts: list[object], ids: list[str]
) -> None:
    id_, kind, subject, action, rule, location = given_fields
    eager = Decision(id_, kind, subject, action, joined(*parts), rule, location, START,
                     {"n": 1}, tuple(ids))  # fmt: skip
    lazy = Decision(id_, kind, subject, action, Later((joined, *parts)), rule, location,
                    START, {"n": 1}, Later((tuple, ids)))  # fmt: skip
    assert lazy == eager and eager == lazy and (lazy != eager) is False
    assert [lazy] == [eager] and lazy.reason == eager.reason and type(lazy.reason) is str
    assert lazy.evidence == eager.evidence and type(lazy.evidence) is tuple
    assert repr(lazy) == repr(eager) and lazy.explain() == eager.explain()
    assert lazy.to_dict() == eager.to_dict() and lazy._asdict() == eager._asdict()
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert hash(lazy[4]) == hash(eager.reason)
    nested = Later((joined, "x", Later((joined, *parts))))  # a Later inside another's text
    assert nested == joined("x", joined(*parts))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(3, 30), st.integers(2, 5), st.booleans())
def test_a_reason_read_late_is_the_reason_read_at_once(
    seed: int, days: int, agents: int, evaluated: bool
) -> None:
    """The engine's reasons are made when read, from values it must not change afterwards:
    read when each decision is made and again after the whole replay, they are the same,
    and the general path gives the same decisions."""
    rubric = CENTER.rubric("standard_call").table if evaluated else None
    events = demo_events(days=days, agents=agents, seed=seed, rubric=rubric)
    rng = random.Random(seed)
    agents_seen = sorted({e["agent"] for e in events if e.get("agent")})
    for n in range(20):  # complaints and violations enough to cross the rules' limits
        kind = rng.choice(["complaint", "violation"])
        event: dict[str, Any] = {"kind": kind, "id": f"z{n}", "agent": rng.choice(agents_seen),
                                 "at": events[rng.randrange(len(events))]["at"]}  # fmt: skip
        event.update(substantiated=True) if kind == "complaint" else event.update(type="late")
        events.append(event)
    events.sort(key=lambda e: (e["at"].timestamp(), e["id"]))
    engine = Engine(CENTER, max_gap=REPLAY_MAX_GAP)
    decisions: list[Decision] = []
    read_at_once: list[tuple[str, tuple[str, ...], str]] = []
    for raw in [*events, None]:
        made = engine.feed(raw) if raw is not None else engine.advance(
            events[-1]["at"] + dt.timedelta(days=40))  # fmt: skip
        decisions += made
        read_at_once += [(d.reason, d.evidence, d.explain()) for d in made]
    assert [(d.reason, d.evidence, d.explain()) for d in decisions] == read_at_once
    assert all(type(d.reason) is str for d in decisions)
    json.dumps([d.to_dict() for d in decisions], ensure_ascii=False)
    general = Engine(CENTER, max_gap=REPLAY_MAX_GAP, fast_paths=False)
    again = [*general.run(events)]
    again += general.advance(events[-1]["at"] + dt.timedelta(days=40))
    assert again == decisions


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[int, list[Decision]]]:
    """Batches from either side, often a side-1 twin of the side-0 batch before it, from few
    kinds, subjects, actions and times so that keys collide."""
    made = 0
    out: list[tuple[int, list[Decision]]] = []

    def decision(kind: str, subject: str, action: str | None, minute: int, why: str,
                 ident: str | None = None) -> Decision:  # fmt: skip
        nonlocal made
        made += 1
        facts = {"grade_before": "B"} if kind == "rescore" else {}
        return Decision(ident or f"d{made}", kind, subject, action, why, "r", "p:1",
                        START + dt.timedelta(minutes=minute), facts)  # fmt: skip

    keys = st.tuples(
        st.sampled_from(["sample", "shortfall", "action", "score", "rescore", "alert"]),
        st.sampled_from(["A1", "A2"]),
        st.sampled_from([None, "x", "y"]),
        st.integers(0, 2),
    )
    for _ in range(draw(st.integers(0, 12))):
        side = draw(st.integers(0, 1))
        batch = [decision(*key, "one") for key in draw(st.lists(keys, max_size=5))]
        out.append((side, batch))
        if side == 0 and draw(st.booleans()):  # the other side's twin batch, maybe edited
            same_rule = draw(st.booleans())  # else the same outcomes by a renamed rule
            twin = [decision(d.kind, d.subject, d.action, d.at.minute, "two",
                             d.id if same_rule else None) for d in batch]  # fmt: skip
            if twin and draw(st.booleans()):
                twin.pop(draw(st.integers(0, len(twin) - 1)))
            out.append((1, twin))
    return out


def one_by_one(given: list[tuple[int, list[Decision]]]) -> tuple[Side, Side]:
    """The reference: every decision paired with a waiting one of the other side by the
    same rule (id) and outcome; then what is left by outcome alone, in id order."""
    sides = (Side(), Side())
    waiting: tuple[list[Decision], list[Decision]] = ([], [])
    for index, batch in given:
        for d in batch:
            sides[index].count(d)
            theirs = waiting[1 - index]
            same = [n for n, t in enumerate(theirs) if (t.id, *_outcome(t)) == (d.id, *_outcome(d))]
            if same:
                theirs.pop(same[-1])
            else:
                waiting[index].append(d)
    left = [sorted(w, key=lambda d: d.id) for w in waiting]
    for d in list(left[0]):
        match = next((t for t in left[1] if _outcome(t) == _outcome(d)), None)
        if match is not None:
            left[0].remove(d)
            left[1].remove(match)
    for side, rest in zip(sides, left, strict=True):
        side.decisions = sorted(rest, key=lambda d: (d.at, d.id))
    return sides


def _outcome(d: Decision) -> tuple[object, ...]:
    return (d.kind, d.subject, d.action, d.at)


@settings(max_examples=300, deadline=None)
@given(given_batches=batches())
def test_twins_pair_as_one_by_one(given_batches: list[tuple[int, list[Decision]]]) -> None:
    twins = Twins()
    for index, batch in given_batches:
        twins.add(index, list(batch))
    got, expected = twins.finish(), one_by_one(given_batches)
    for side, reference in zip(got, expected, strict=True):
        assert side.decisions == reference.decisions
        assert +side.tally == +reference.tally
        assert Counter(side.grades()) == reference.grades()
