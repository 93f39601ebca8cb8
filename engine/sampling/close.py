"""Closing a sampling period, written out as Python for one sampling rule.

When a period ends, every agent's calls go through the rule's picks, and each pick and
shortfall becomes a decision with its reason. A replay closes a period for every agent
every day, and the generic loop (`engine.sampling.select.select`, which stays the reference:
a call per agent, lists of picks and reasons zipped into decisions afterwards) was a
sixth of the work. So each rule gets its own function, with its picks unrolled and the
decisions built where the calls are picked; `tests/test_sample_close.py` checks it
against `select`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from callqa.dsl.i18n import _
from callqa.engine.codegen.emit import Source, compile_function
from callqa.engine.decisions import Decision, Later
from callqa.engine.sampling.select import Candidate, PickSpec, quota_picks, ranked, wanted

# (calls by agent, decision id prefix, period end, facts, seed, period, extra picks of an
# agent or None, the list to append decisions to)
Close = Callable[
    [
        Mapping[str, Sequence[Candidate]],
        str,
        dt.datetime,
        Mapping[str, Any],
        str,
        str,
        Callable[[str], int] | None,
        list[Decision],
    ],
    None,
]


def shortfall_reason(
    count: int, wants: int, agent: str, period: str, short: list[str | Later]
) -> str:
    """A shortfall's reason, made when read (`Later`: most are never read, and a kept one
    holds the period's parts, not a text of its own): `count` of the `wants` calls taken,
    and what each pick that fell `short` found."""
    return _("{count} of {wanted} calls sampled for {agent} on {period}: {problems}").format(
        count=count, wanted=wants, agent=agent, period=period,
        problems=_("; ").join(map(str, short)),
    )  # fmt: skip


def compile_close(picks: Sequence[PickSpec], block: str, location: str) -> Close:
    """The function closing one period of the sampling rule `block` with these picks."""
    wants = wanted(picks)
    s = Source()
    constants = {
        "NEW": tuple.__new__, "DECISION": Decision, "BLOCK": block, "LOCATION": location,
        "RANKED": ranked, "QUOTA": quota_picks, "PICKS": tuple(picks), "WANTED": wants,
        "CALL_ID": itemgetter(1), "LATER": Later, "REASON": shortfall_reason,
    }  # fmt: skip
    for name, value in constants.items():
        s.constants.define(name, value)

    def sample(why: str) -> None:
        s(
            "taken.append(call)",
            f"append(NEW(DECISION, (ident + call, 'sample', agent, call, {why}, BLOCK,"
            " LOCATION, end, facts, (call,), (), 'final')))",
        )

    with s.block("def close(agents, ident, end, facts, seed, period, extra_of, out)"):
        s("append = out.append")
        with s.block("for agent, calls in agents.items()"):
            s("taken = []", "short = []")
            for index, spec in enumerate(picks):
                chosen = s.constants.define(f"CHOSEN{index}", spec.chosen)
                short = s.constants.define(f"SHORT{index}", spec.short)
                if spec.ordinal is not None:
                    s("seen = 0")
                    with s.block("for candidate in calls"), s.block(f"if candidate[2][{index}]"):
                        s("seen += 1")
                        with s.block(f"if seen == {spec.ordinal}"):
                            s("call = candidate[1]")
                            with s.block("if call not in taken"):
                                sample(chosen)
                            s("break")
                    with s.block("else"):
                        s(f"short.append({short}[seen])")
                    continue
                all_taken = s.constants.define(f"ALL_TAKEN{index}", spec.all_taken)
                # a loop: an agent's day has few calls, and a list comprehension costs a
                # function call in 3.11
                s("pool = []")
                with s.block("for c in calls"), s.block(f"if c[2][{index}] and c[1] not in taken"):
                    s("pool.append(c[1])")
                s("found = len(pool)")
                ranked_picks = f"for call, why in RANKED(pool, {spec.count}, seed, {chosen})"
                with s.block(f"if found > {spec.count}"), s.block(ranked_picks):
                    sample("why")
                with s.block("else"):
                    s(f"why = {all_taken}[found]")
                    with s.block("for call in pool"):
                        sample("why")
                    with s.block(f"if found < {spec.count}"):
                        s(f"short.append({short}[found])")
            s("extra = 0")
            if picks:  # a larger quota for some agents: more random picks
                with s.block("if extra_of is not None"):
                    s("extra = extra_of(agent)")
                    with s.block("if extra"):
                        s("more, whys, more_short = QUOTA(calls, PICKS, taken, extra, seed)")
                        with s.block("for call, why in zip(more, whys)"):
                            sample("why")
                        with s.block("if more_short"):
                            s("short.append(more_short)")
            with s.block("if short"):
                s(
                    "count = len(taken)",
                    "wants = WANTED + extra",
                    "append(NEW(DECISION, (",
                    "    f'{ident}{agent}/shortfall', 'shortfall', agent, None,",
                    "    NEW(LATER, (REASON, count, wants, agent, period, short)),",
                    "    BLOCK, LOCATION,",
                    "    end, {'wanted': wants, 'picked': count},",
                    "    (calls[0][1],) if len(calls) == 1 else tuple(map(CALL_ID, calls)), (),",
                    "    'final',",
                    ")))",
                )
    close: Close = compile_function(s, "close", f"sampling {block}")
    return close
