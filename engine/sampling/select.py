"""Mechanical, published, reproducible call sampling.

Which calls an evaluator scores is decided by the policy, not by the evaluator:

* an ordinal pick takes the Nth eligible call of the agent in the period, by start time
  (ties broken by call id);
* a random pick ranks the remaining eligible calls by SHA-256 of `seed + ":" + call id`
  (hex digest, lowest first) and takes the first K (when there are K or fewer, it takes
  them all, and says so instead of giving ranks). The seed is
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
from functools import cached_property

from callqa.dsl.i18n import _, ngettext
from callqa.engine.decisions import Later


def sampling_seed(policy: str, version: str | None, rule: str, period: str) -> str:
    return f"{policy}|{version or ''}|{rule}|{period}"


def rank_key(seed: str, call_id: str) -> str:
    return hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest()


# An agent's call in the period: (start, call id, one eligibility flag per pick). A plain
# tuple, because the engine makes one per call.
Candidate = tuple[dt.datetime, str, tuple[bool, ...]]


@dataclass(frozen=True)
class PickSpec:
    """A pick's reasons are made when a decision's reason is read (`Later`), in the
    language spoken then: one of each per pick, shared by every decision giving it."""

    ordinal: int | None  # the Nth eligible call
    count: int  # random picks (or 1 for an ordinal pick)
    text: str  # the pick as written in the policy, for the published plan

    @cached_property
    def chosen(self) -> Later:
        """Why an ordinal pick took its call, or the start of why a random pick did."""
        return Later((_chosen, self.text, self.ordinal))

    @cached_property
    def short(self) -> tuple[Later, ...]:
        """What the pick found when it fell short, by the number of calls it found."""
        if self.ordinal is None:
            return tuple(Later((_short_random, self.text, n)) for n in range(self.count))
        return tuple(Later((_short, self.text, n)) for n in range(self.ordinal))

    @cached_property
    def all_taken(self) -> tuple[Later, ...]:
        """Why a random pick took a call when it found no more calls than it wanted, by
        the number found."""
        return tuple(Later((_all_taken, self.chosen, n)) for n in range(self.count + 1))


# What `select` returns: the picked call ids, why each was picked (same order, a text or a
# `Later` making it), and for each pick that fell short, what it found.
Sample = tuple[list[str], list[str | Later], list[str]]


def wanted(picks: Sequence[PickSpec]) -> int:
    """How many calls the picks want of each agent (before any larger quota)."""
    return sum(pick.count for pick in picks)


def select(
    calls: Sequence[Candidate],
    picks: Sequence[PickSpec],
    seed: str,
    extra_random: int = 0,
) -> Sample:
    """Apply the picks in order; `extra_random` adds random picks to reach a larger quota.
    `calls` are in order of start time, ties by call id (see `add_candidate`). An agent
    has a handful of calls a period: plain loops and lists beat comprehensions and sets."""
    taken: list[str] = []
    whys: list[str | Later] = []
    short: list[str] = []
    for index, spec in enumerate(picks):
        ordinal = spec.ordinal
        if ordinal is not None:
            seen = 0
            for candidate in calls:
                if candidate[2][index]:
                    seen += 1
                    if seen == ordinal:
                        call = candidate[1]
                        if call not in taken:
                            taken.append(call)
                            whys.append(spec.chosen)
                        break
            else:
                short.append(str(spec.short[seen]))
        else:
            pool = []
            for candidate in calls:
                if candidate[2][index] and candidate[1] not in taken:
                    pool.append(candidate[1])
            found = len(pool)
            if found > spec.count:
                for call, why in ranked(pool, spec.count, seed, spec.chosen):
                    taken.append(call)
                    whys.append(why)
            else:  # every eligible call is taken: no ranking needed
                why = spec.all_taken[found]
                for call in pool:
                    taken.append(call)
                    whys.append(why)
                if found < spec.count:
                    short.append(str(spec.short[found]))
    if extra_random and picks:
        more, more_whys, more_short = quota_picks(calls, picks, taken, extra_random, seed)
        taken += more
        whys += more_whys
        if more_short:
            short.append(str(more_short))
    return taken, whys, short


def quota_picks(
    calls: Sequence[Candidate], picks: Sequence[PickSpec], taken: list[str], extra: int, seed: str
) -> tuple[list[str], list[str | Later], Later | None]:
    """Random picks beyond the rule's own, among calls eligible for any pick and not taken:
    the calls, why each, and what the quota found if it fell short."""
    pool = [call for _, call, eligible in calls if True in eligible and call not in taken]
    why = Later((_quota, picks[-1].text))
    if len(pool) > extra:
        picked = ranked(pool, extra, seed, why)
        return [call for call, _ in picked], [reason for _, reason in picked], None
    found = len(pool)
    short = Later((_short_quota, found)) if found < extra else None
    return pool, [Later((_all_taken, why, found))] * found, short


def add_candidate(calls: list[Candidate], candidate: Candidate) -> None:
    """Append a call fed in time order, keeping calls that start at the same instant in
    call-id order. (Datetimes in one timezone compare by wall clock; `fold` tells the two
    01:30s of an autumn DST change apart.)"""
    start, call, _flags = candidate
    index = len(calls)
    while index:
        before = calls[index - 1]
        if before[0] != start or before[0].fold != start.fold or before[1] < call:
            break
        index -= 1
    calls.insert(index, candidate)


def ranked(pool: list[str], count: int, seed: str, why: str | Later) -> list[tuple[str, Later]]:
    """The `count` calls of `pool` with the lowest sha256(seed + ":" + call id), each with
    why it was picked (`why`, its rank and the start of its hash)."""
    prefix = f"{seed}:".encode()
    sha256 = hashlib.sha256
    # raw digests sort as their hex spellings do; only picked ones are spelled out
    order = sorted([(sha256(prefix + call.encode()).digest(), call) for call in pool])
    return [
        (call, Later((_ranked, why, rank, digest[:6].hex())))
        for rank, (digest, call) in enumerate(order[:count], 1)
    ]


# The reasons of picks and shortfalls, made when a decision's reason is read (`Later`).


def _chosen(pick: str, ordinal: int | None) -> str:
    """Why an ordinal pick took its call (`pick 2nd call → 2nd eligible call`), or the
    start of why a random pick did."""
    if ordinal is None:
        return _("{pick} → random").format(pick=pick)
    if 10 <= ordinal % 100 <= 20:
        message = _("{pick} → {n}th eligible call")
    elif ordinal % 10 == 1:
        message = _("{pick} → {n}st eligible call")
    elif ordinal % 10 == 2:
        message = _("{pick} → {n}nd eligible call")
    elif ordinal % 10 == 3:
        message = _("{pick} → {n}rd eligible call")
    else:
        message = _("{pick} → {n}th eligible call")
    return message.format(pick=pick, n=ordinal)


def _quota(pick: str) -> str:
    """The start of why a quota's random pick took a call (after the rule's last pick)."""
    return _("{pick} → quota").format(pick=pick)


def _ranked(why: str | Later, rank: int, digest: str) -> str:
    return _("{why}, rank {rank} (sha256 {digest}…)").format(why=why, rank=rank, digest=digest)


def _all_taken(why: str | Later, n: int) -> str:
    """Why a random pick took a call when it found `n`, no more than it wanted."""
    return ngettext(
        "{why}: {n} eligible call not already picked, all taken",
        "{why}: {n} eligible calls not already picked, all taken",
        n,
    ).format(why=why, n=n)


def _short(pick: str, n: int) -> str:
    """What an ordinal pick found when it fell short."""
    return ngettext(
        "“{pick}” found {n} eligible call", "“{pick}” found {n} eligible calls", n
    ).format(pick=pick, n=n)


def _short_random(pick: str, n: int) -> str:
    """What a random pick found when it fell short."""
    return ngettext(
        "“{pick}” found {n} eligible call not already picked",
        "“{pick}” found {n} eligible calls not already picked",
        n,
    ).format(pick=pick, n=n)


def _short_quota(n: int) -> str:
    """What a quota's picks found when they fell short."""
    return ngettext(
        "the quota found {n} eligible call more", "the quota found {n} eligible calls more", n
    ).format(n=n)
