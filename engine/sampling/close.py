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

from callqa.engine.decisions import Decision
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


def compile_close(picks: Sequence[PickSpec], block: str, location: str) -> Close:
    """The function closing one period of the sampling rule `block` with these picks."""
    wants = wanted(picks)
    constants: dict[str, Any] = {
        "NEW": tuple.__new__, "DECISION": Decision, "BLOCK": block, "LOCATION": location,
        "RANKED": ranked, "QUOTA": quota_picks, "PICKS": tuple(picks), "CALL_ID": itemgetter(1),
        "WANTED": wants,
        # the start of a shortfall's reason, by the number of calls taken
        "TAKEN_OF": tuple(f"{n} of {wants} calls sampled for " for n in range(wants + 1)),
    }  # fmt: skip

    def sample(why: str, indent: str) -> list[str]:
        return [
            f"{indent}taken.append(call)",
            f"{indent}append(NEW(DECISION, (ident + call, 'sample', agent, call, {why}, BLOCK,"
            " LOCATION, end, facts, (call,), (), 'final')))",
        ]

    lines = [
        "def close(agents, ident, end, facts, seed, period, extra_of, out):",
        "    append = out.append",
        "    on_period = f' on {period}: '",
        "    for agent, calls in agents.items():",
        "        taken = []",
        "        short = []",
    ]
    for index, spec in enumerate(picks):
        constants[f"CHOSEN{index}"] = spec.chosen
        constants[f"SHORT{index}"] = spec.short
        if spec.ordinal is not None:
            lines += [
                "        seen = 0",
                "        for candidate in calls:",
                f"            if candidate[2][{index}]:",
                "                seen += 1",
                f"                if seen == {spec.ordinal}:",
                "                    call = candidate[1]",
                "                    if call not in taken:",
                *sample(f"CHOSEN{index}", "                        "),
                "                    break",
                "        else:",
                f"            short.append(SHORT{index}[seen])",
            ]
            continue
        constants[f"ALL_TAKEN{index}"] = spec.all_taken
        lines += [
            "        pool = []",  # a loop: an agent's day has few calls, and a list
            "        for c in calls:",  # comprehension costs a function call in 3.11
            f"            if c[2][{index}] and c[1] not in taken:",
            "                pool.append(c[1])",
            "        found = len(pool)",
            f"        if found > {spec.count}:",
            f"            for call, why in RANKED(pool, {spec.count}, seed, CHOSEN{index}):",
            *sample("why", "                "),
            "        else:",
            f"            why = ALL_TAKEN{index}[found]",
            "            for call in pool:",
            *sample("why", "                "),
            f"            if found < {spec.count}:",
            f"                short.append(SHORT{index}[found])",
        ]
    lines += ["        extra = 0"]
    if picks:  # a larger quota for some agents: more random picks
        lines += [
            "        if extra_of is not None:",
            "            extra = extra_of(agent)",
            "            if extra:",
            "                more, whys, more_short = QUOTA(calls, PICKS, taken, extra, seed)",
            "                for call, why in zip(more, whys):",
            *sample("why", "                    "),
            "                if more_short:",
            "                    short.append(more_short)",
        ]
    lines += [
        "        if short:",
        "            count = len(taken)",
        "            wants = WANTED + extra",
        "            taken_of = TAKEN_OF[count] if not extra else"
        " f'{count} of {wants} calls sampled for '",
        "            append(NEW(DECISION, (",
        "                f'{ident}{agent}/shortfall', 'shortfall', agent, None,",
        "                taken_of + agent + on_period + '; '.join(short), BLOCK, LOCATION, end,",
        "                {'wanted': wants, 'picked': count},",
        "                (calls[0][1],) if len(calls) == 1 else tuple(map(CALL_ID, calls)), (),",
        "                'final',",
        "            )))",
    ]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<callqa sampling {block}>", "exec"), constants)
    close: Close = constants["close"]
    return close
