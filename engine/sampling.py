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
from typing import NamedTuple


def sampling_seed(policy: str, version: str | None, rule: str, period: str) -> str:
    return f"{policy}|{version or ''}|{rule}|{period}"


def rank_key(seed: str, call_id: str) -> str:
    return hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest()


# An agent's call in the period: (start as a POSIX timestamp, call id, one eligibility flag
# per pick). A plain tuple: the engine makes one per call, and tuples sort by start, then id.
Candidate = tuple[float, str, tuple[bool, ...]]


@dataclass(frozen=True, slots=True)
class PickSpec:
    ordinal: int | None  # the Nth eligible call
    count: int  # random picks (or 1 for an ordinal pick)
    text: str  # the pick as written in the policy, for the published plan


class Picked(NamedTuple):
    call: str
    pick: int  # index of the PickSpec that chose it
    how: str  # "2nd eligible call" or "random, rank 3 (sha256 9f2c...)"


class AgentSample(NamedTuple):
    picked: list[Picked]
    wanted: int
    short: list[str]  # for each pick that fell short: what it found

    @property
    def shortfall(self) -> int:
        return max(0, self.wanted - len(self.picked))


def select(
    calls: Sequence[Candidate],
    picks: Sequence[PickSpec],
    seed: str,
    extra_random: int = 0,
) -> AgentSample:
    """Apply the picks in order; `extra_random` adds random picks to reach a larger quota."""
    ordered = sorted(calls)  # by start, ties by call id; already in order when fed live
    prefix = f"{seed}:".encode()
    taken: set[str] = set()
    chosen: list[Picked] = []
    short: list[str] = []
    wanted = 0
    for index, spec in enumerate(picks):
        if spec.ordinal is not None:
            wanted += 1
            seen = 0
            for _, call, eligible in ordered:
                if eligible[index]:
                    seen += 1
                    if seen == spec.ordinal:
                        if call not in taken:
                            taken.add(call)
                            how = f"{_ordinal(spec.ordinal)} eligible call"
                            chosen.append(Picked(call, index, how))
                        break
            else:
                short.append(f"“{spec.text}” found {_calls(seen)}")
            continue
        wanted += spec.count
        pool = [call for _, call, eligible in ordered if eligible[index] and call not in taken]
        found = _random(pool, spec.count, prefix, taken, index, "random")
        if len(found) < spec.count:
            short.append(f"“{spec.text}” found {_calls(len(found))} not already picked")
        chosen += found
    if extra_random and picks:
        wanted += extra_random
        pool = [call for _, call, eligible in ordered if True in eligible and call not in taken]
        found = _random(pool, extra_random, prefix, taken, len(picks) - 1, "quota")
        if len(found) < extra_random:
            short.append(f"the quota found {_calls(len(found))} more")
        chosen += found
    return AgentSample(chosen, wanted, short)


def _calls(n: int) -> str:
    return f"{n} eligible call" + ("" if n == 1 else "s")


def _random(
    pool: list[str], count: int, prefix: bytes, taken: set[str], index: int, note: str
) -> list[Picked]:
    """The `count` calls of `pool` with the lowest sha256(seed + ":" + call id)."""
    sha256 = hashlib.sha256
    ranked = sorted([(sha256(prefix + call.encode()).hexdigest(), call) for call in pool])
    out = []
    for rank, (digest, call) in enumerate(ranked[:count], start=1):
        taken.add(call)
        out.append(Picked(call, index, f"{note}, rank {rank} (sha256 {digest[:12]}…)"))
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
