"""Decisions built cheaply: a simulation pairs twin batches without a dict per decision
(`_Twins`), and a decision's text is made when it is read (`Decision`). Both must give what
the plain way gives."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine.decisions import Decision
from callqa.engine.simulation.simulate import Side, _Twins

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[int, list[Decision]]]:
    """Batches from either side, often a side-1 twin of the side-0 batch before it, from few
    kinds, subjects, actions and times so that keys collide."""
    made = 0
    out: list[tuple[int, list[Decision]]] = []

    def decision(kind: str, subject: str, action: str | None, minute: int, why: str) -> Decision:
        nonlocal made
        made += 1
        facts = {"grade_before": "B"} if kind == "rescore" else {}
        return Decision(f"d{made}", kind, subject, action, why, "r", "p:1",
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
            twin = [decision(d.kind, d.subject, d.action, d.at.minute, "two") for d in batch]
            if twin and draw(st.booleans()):
                twin.pop(draw(st.integers(0, len(twin) - 1)))
            out.append((1, twin))
    return out


def one_by_one(given: list[tuple[int, list[Decision]]]) -> tuple[Side, Side]:
    """The reference: every decision paired against the other side's waiting ones."""
    sides = (Side(), Side())
    waiting: tuple[dict[tuple[object, ...], list[Decision]], ...] = ({}, {})
    for index, batch in given:
        for d in batch:
            sides[index].count(d)
            key = (d.kind, d.subject, d.action, d.at)
            theirs = waiting[1 - index].get(key)
            if theirs:
                theirs.pop()
                if not theirs:
                    del waiting[1 - index][key]
            else:
                waiting[index].setdefault(key, []).append(d)
    for side, left in zip(sides, waiting, strict=True):
        side.decisions = sorted((d for ds in left.values() for d in ds), key=lambda d: (d.at, d.id))
    return sides


@settings(max_examples=300, deadline=None)
@given(given_batches=batches())
def test_twins_pair_as_one_by_one(given_batches: list[tuple[int, list[Decision]]]) -> None:
    twins = _Twins()
    for index, batch in given_batches:
        twins.add(index, list(batch))
    got, expected = twins.finish(), one_by_one(given_batches)
    for side, reference in zip(got, expected, strict=True):
        assert side.decisions == reference.decisions
        assert +side.tally == +reference.tally
        assert Counter(side.grades()) == reference.grades()
