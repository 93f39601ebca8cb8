"""A sampling rule's generated period close (engine.sampling.close) decides exactly what the
reference `engine.sampling.select.select` does, for any picks, calls and quotas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine.decisions import Decision
from callqa.engine.sampling.close import compile_close
from callqa.engine.sampling.select import Candidate, PickSpec, select, wanted

END = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
FACTS = {"period": "2026-11-02", "seed": "p|1|daily|2026-11-02"}

picks = st.lists(
    st.one_of(
        st.builds(lambda n: PickSpec(n, 1, f"pick {n}th call"), st.integers(1, 3)),
        st.builds(lambda n: PickSpec(None, n, f"pick {n} random calls"), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def periods(draw: st.DrawFn, count: int) -> dict[str, list[Candidate]]:
    """Agents' calls in start order, each with an eligibility flag per pick."""
    agents: dict[str, list[Candidate]] = {}
    for agent in draw(st.lists(st.sampled_from(["A1", "A2", "A3"]), unique=True)):
        flags = st.tuples(*[st.booleans()] * count)
        calls = draw(st.lists(flags, max_size=6))
        agents[agent] = [
            (END - dt.timedelta(hours=9 - n), f"{agent}-c{n}", eligible)
            for n, eligible in enumerate(calls)
        ]
    return agents


def reference(
    agents: dict[str, list[Candidate]], specs: list[PickSpec], extras: dict[str, int]
) -> list[Decision]:
    """The decisions, built from `select` as the engine did before it compiled closes."""
    out = []
    for agent, calls in agents.items():
        extra = extras.get(agent, 0)
        picked, whys, short = select(calls, specs, FACTS["seed"], extra)
        for call, reason in zip(picked, whys, strict=True):
            out.append(Decision(f"d/2026-11-02/{call}", "sample", agent, call, reason, "d",
                                "p:1", END, FACTS, (call,)))  # fmt: skip
        if short:
            count, wants = len(picked), wanted(specs) + extra
            reason = f"{count} of {wants} calls sampled for {agent} on 2026-11-02: "
            out.append(Decision(f"d/2026-11-02/{agent}/shortfall", "shortfall", agent, None,
                                reason + "; ".join(short), "d", "p:1", END,
                                {"wanted": wants, "picked": count},
                                tuple(call for _, call, _ in calls)))  # fmt: skip
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data(), specs=picks, with_quotas=st.booleans())
def test_compiled_close_equals_select(
    data: st.DataObject, specs: list[PickSpec], with_quotas: bool
) -> None:
    agents = data.draw(periods(len(specs)))
    extras: dict[str, Any] = {}
    if with_quotas:
        extras = data.draw(st.dictionaries(st.sampled_from(["A1", "A2", "A3"]), st.integers(0, 3)))
    close = compile_close(specs, "d", "p:1")
    out: list[Decision] = []
    extra_of = (lambda agent: extras.get(agent, 0)) if with_quotas else None
    close(agents, "d/2026-11-02/", END, FACTS, FACTS["seed"], "2026-11-02", extra_of, out)
    assert out == reference(agents, specs, extras)
