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

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


def sampling_seed(policy: str, version: str | None, rule: str, period: str) -> str:
    return f"{policy}|{version or ''}|{rule}|{period}"


def rank_key(seed: str, call_id: str) -> str:
    return hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest()


# An agent's call in the period: (start, call id, one eligibility flag per pick). A plain
# tuple, because the engine makes one per call.
Candidate = tuple[dt.datetime, str, tuple[bool, ...]]


@dataclass(frozen=True, slots=True)
class PickSpec:
    ordinal: int | None  # the Nth eligible call
    count: int  # random picks (or 1 for an ordinal pick)
    text: str  # the pick as written in the policy, for the published plan

    def ordinal_reason(self) -> str:
        assert self.ordinal is not None
        return f"{self.text} → {_ordinal(self.ordinal)} eligible call"


# What `select` returns: the picked calls as (call id, why), how many calls the rule
# wanted, and for each pick that fell short, what it found.
Sample = tuple[list[tuple[str, str]], int, list[str]]


def select(
    calls: Sequence[Candidate],
    picks: Sequence[PickSpec],
    seed: str,
    extra_random: int = 0,
) -> Sample:
    """Apply the picks in order; `extra_random` adds random picks to reach a larger quota.
    `calls` are in order of start time, ties by call id (see `add_candidate`)."""
    prefix = f"{seed}:".encode()
    taken: list[str] = []  # a handful of calls: a list is cheaper than a set
    chosen: list[tuple[str, str]] = []
    short: list[str] = []
    wanted = 0
    for index, spec in enumerate(picks):
        if spec.ordinal is not None:
            wanted += 1
            seen = 0
            for _, call, eligible in calls:
                if eligible[index]:
                    seen += 1
                    if seen == spec.ordinal:
                        if call not in taken:
                            taken.append(call)
                            chosen.append((call, spec.ordinal_reason()))
                        break
            else:
                short.append(f"“{spec.text}” found {_calls(seen)}")
            continue
        wanted += spec.count
        pool = [call for _, call, eligible in calls if eligible[index] and call not in taken]
        found = _random(pool, spec.count, prefix, taken, chosen, f"{spec.text} → random")
        if found < spec.count:
            short.append(f"“{spec.text}” found {_calls(found)} not already picked")
    if extra_random and picks:
        wanted += extra_random
        pool = [call for _, call, eligible in calls if True in eligible and call not in taken]
        found = _random(pool, extra_random, prefix, taken, chosen, f"{picks[-1].text} → quota")
        if found < extra_random:
            short.append(f"the quota found {_calls(found)} more")
    return chosen, wanted, short


def add_candidate(calls: list[Candidate], candidate: Candidate) -> None:
    """Append a call fed in time order, keeping calls that start at the same instant in
    call-id order. (Datetimes in one timezone compare by wall clock; `fold` tells the two
    01:30s of an autumn DST change apart.)"""
    start, call, _ = candidate
    index = len(calls)
    while index:
        before = calls[index - 1]
        if before[0] != start or before[0].fold != start.fold or before[1] < call:
            break
        index -= 1
    calls.insert(index, candidate)


def _calls(n: int) -> str:
    return f"{n} eligible call" + ("" if n == 1 else "s")


def _random(
    pool: list[str],
    count: int,
    prefix: bytes,
    taken: list[str],
    chosen: list[tuple[str, str]],
    why: str,
) -> int:
    """Pick the `count` calls of `pool` with the lowest sha256(seed + ":" + call id)."""
    if not pool:
        return 0
    sha256 = hashlib.sha256
    ranked = sorted([(sha256(prefix + call.encode()).hexdigest(), call) for call in pool])
    for rank, (digest, call) in enumerate(ranked[:count], start=1):
        taken.append(call)
        chosen.append((call, f"{why}, rank {rank} (sha256 {digest[:12]}…)"))
    return min(count, len(ranked))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
