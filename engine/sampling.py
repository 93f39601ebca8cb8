"""Mechanical, published, reproducible call sampling.

Which calls an evaluator scores is decided by the policy, not by the evaluator:

* an ordinal pick takes the Nth eligible call of the agent in the period, by start time
  (ties broken by call id);
* a random pick ranks the remaining eligible calls by SHA-256 of `seed + ":" + call id`
  (hex digest, lowest first) and takes the first K. The seed is
  `policy name | policy version | rule id | period`, e.g.
  `华南客服中心质检与考核|2026.11|daily_check|2026-11-02`, so anyone holding the rule and the
  call log can re-derive the sample with any tool (`sha256sum` will do);
* when an agent has fewer eligible calls than the quota, the plan says so (a shortfall);
  it never silently samples fewer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


def sampling_seed(policy: str, version: str | None, rule: str, period: str) -> str:
    return f"{policy}|{version or ''}|{rule}|{period}"


def rank_key(seed: str, call_id: str) -> str:
    return hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    start: float  # POSIX timestamp, for ordering
    eligible: tuple[bool, ...]  # one flag per pick of the rule


@dataclass(frozen=True, slots=True)
class PickSpec:
    ordinal: int | None  # the Nth eligible call
    count: int  # random picks (or 1 for an ordinal pick)
    text: str  # the pick as written in the policy, for the published plan


@dataclass(frozen=True, slots=True)
class Picked:
    call: str
    pick: int  # index of the PickSpec that chose it
    how: str  # "2nd eligible call" or "random, rank 3 (sha256 9f2c...)"


@dataclass(frozen=True, slots=True)
class AgentSample:
    agent: str
    picked: tuple[Picked, ...]
    wanted: int
    eligible: int  # calls eligible for at least one pick
    short: tuple[str, ...] = ()  # for each pick that fell short: what it found

    @property
    def shortfall(self) -> int:
        return max(0, self.wanted - len(self.picked))


def select(
    agent: str,
    calls: Sequence[Candidate],
    picks: Sequence[PickSpec],
    seed: str,
    extra_random: int = 0,
) -> AgentSample:
    """Apply the picks in order; `extra_random` adds random picks to reach a larger quota."""
    ordered = sorted(calls, key=lambda c: (c.start, c.id))
    taken: set[str] = set()
    chosen: list[Picked] = []
    short: list[str] = []
    wanted = 0
    for index, spec in enumerate(picks):
        eligible = [c for c in ordered if c.eligible[index]]
        if spec.ordinal is not None:
            wanted += 1
            if len(eligible) >= spec.ordinal:
                call = eligible[spec.ordinal - 1]
                if call.id not in taken:
                    taken.add(call.id)
                    chosen.append(Picked(call.id, index, f"{_ordinal(spec.ordinal)} eligible call"))
            else:
                short.append(f"“{spec.text}” found {_calls(len(eligible))}")
            continue
        wanted += spec.count
        found = _random(eligible, spec.count, seed, taken, index)
        if len(found) < spec.count:
            short.append(f"“{spec.text}” found {_calls(len(found))} not already picked")
        chosen.extend(found)
    if extra_random and picks:
        wanted += extra_random
        last = len(picks) - 1
        pool = [c for c in ordered if any(c.eligible)]
        found = _random(pool, extra_random, seed, taken, last, note="quota")
        if len(found) < extra_random:
            short.append(f"the quota found {_calls(len(found))} more")
        chosen.extend(found)
    eligible_any = sum(1 for c in ordered if any(c.eligible))
    return AgentSample(agent, tuple(chosen), wanted, eligible_any, tuple(short))


def _calls(n: int) -> str:
    return f"{n} eligible call" + ("" if n == 1 else "s")


def _random(
    eligible: Sequence[Candidate],
    count: int,
    seed: str,
    taken: set[str],
    index: int,
    note: str = "random",
) -> list[Picked]:
    ranked = sorted((rank_key(seed, c.id), c.id) for c in eligible if c.id not in taken)
    out = []
    for rank, (digest, call_id) in enumerate(ranked[:count], start=1):
        taken.add(call_id)
        out.append(Picked(call_id, index, f"{note}, rank {rank} (sha256 {digest[:12]}…)"))
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
