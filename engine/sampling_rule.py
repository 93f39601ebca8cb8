"""One `sampling` block at run time: it collects each agent's calls per period and, when
the period ends, picks the sample (engine.sampling.select) and says why for every pick.

A period's calls are kept in one list, in the order they came, and grouped by agent only
when the period closes: one container per period instead of one per agent and day keeps
Python's cyclic garbage collector from re-scanning the engine's whole state every few
thousand calls. Every agent's sample of a period shares one seed and one facts mapping.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from dsl import ast
from engine.conditions import Condition
from engine.decisions import Decision
from engine.sampling import Candidate, PickSpec, add_candidate, sampling_seed, select
from engine.windows import calendar_bounds, calendar_key


@dataclass
class SamplingRule:
    block: ast.Sampling
    location: str  # file:line of the block
    period: str  # day, week or month
    picks: list[PickSpec]
    eligibility: Callable[[Mapping[str, Any]], tuple[bool, ...]]  # per pick: may it take the call
    quotas: list[tuple[int, Condition | None]]  # (calls per agent, for which agents)
    publish: ast.Publish | None
    policy: tuple[str, str | None]  # name and version: part of every seed
    zone: ZoneInfo
    default_status: str
    calls: dict[str, list[tuple[str, Candidate]]] = field(default_factory=dict)  # (agent, call)
    ends: list[tuple[dt.datetime, str]] = field(default_factory=list)  # heap of (end, period)
    period_of_day: dict[dt.date, str] = field(default_factory=dict)
    next_published: str | None = None  # the latest period whose rule has been published

    def seed(self, period: str) -> str:
        return sampling_seed(self.policy[0], self.policy[1], self.block.id, period)

    def observe(self, agent: str, call: str, at: dt.datetime, facts: Mapping[str, Any]) -> None:
        """Remember a call (`at` in the policy's timezone) with the picks it is eligible for."""
        eligible = self.eligibility(facts)
        day = at.date()
        period = self.period_of_day.get(day)
        calls = self.calls.get(period) if period is not None else None
        if calls is None:
            calls = self._open(at, day)
        calls.append((agent, (at, call, eligible)))

    def _open(self, at: dt.datetime, day: dt.date) -> list[tuple[str, Candidate]]:
        """The calls of the period containing `at`, opened on its first call."""
        period = calendar_key(at, self.period, self.zone)
        self.period_of_day[day] = period
        calls = self.calls.get(period)
        if calls is None:
            calls = self.calls[period] = []
            heapq.heappush(self.ends, (calendar_bounds(period, self.period, self.zone)[1], period))
        return calls

    def _by_agent(self, period: str) -> dict[str, list[Candidate]]:
        """A closing period's calls per agent, each agent's in start order (ties by id)."""
        agents: dict[str, list[Candidate]] = {}
        for agent, candidate in self.calls.pop(period):
            calls = agents.get(agent)
            if calls is None:
                agents[agent] = [candidate]
            else:
                add_candidate(calls, candidate)
        return agents

    def due(self, now: dt.datetime, status: Mapping[str, str]) -> list[Decision]:
        """The samples (and shortfalls) of every period that ended by `now`."""
        out: list[Decision] = []
        block, location = self.block.id, self.location
        while self.ends and self.ends[0][0] <= now:
            end, period = heapq.heappop(self.ends)
            self.period_of_day = {d: p for d, p in self.period_of_day.items() if p != period}
            seed = self.seed(period)
            facts = MappingProxyType({"period": period, "seed": seed})
            ident = f"{block}/{period}/"
            for agent, calls in self._by_agent(period).items():
                extra = self._extra(agent, status) if self.quotas else 0
                picked, wanted, short = select(calls, self.picks, seed, extra)
                for call, reason in picked:
                    out.append(Decision(
                        ident + call, "sample", agent, call, reason, block, location, end,
                        facts, (call,),
                    ))  # fmt: skip
                if len(picked) < wanted:
                    out.append(Decision(
                        f"{ident}{agent}/shortfall", "shortfall", agent, None,
                        f"{len(picked)} of {wanted} calls sampled for {agent} on {period}: "
                        + "; ".join(short),
                        block, location, end, {"wanted": wanted, "picked": len(picked)},
                        tuple([call for _, call, _ in calls]),
                    ))  # fmt: skip
        return out

    def _extra(self, agent: str, status: Mapping[str, str]) -> int:
        """Random picks beyond the rule's own, for agents whose quota is larger."""
        facts = {"agent.status": status.get(agent, self.default_status), "agent.id": agent}
        base = sum(pick.count for pick in self.picks)
        extra = 0
        for count, when in self.quotas:
            if when is None or when(facts):
                extra = max(extra, count - base)
        return extra

    def published(self, now: dt.datetime) -> list[Decision]:
        """`publish 1 day ahead to 班长`: each coming period's rule and seed, sent `ahead`
        of its start, so team leads can check the sample against it afterwards."""
        if self.publish is None:
            return []
        ahead = dt.timedelta(seconds=float(self.publish.ahead.value))  # type: ignore[arg-type]
        due = calendar_key(now + ahead, self.period, self.zone)  # the last period due by now
        if self.next_published is None:  # the engine starts mid-period: publish from the next
            self.next_published = calendar_key(now, self.period, self.zone)
        out: list[Decision] = []
        rules = "; ".join(pick.text for pick in self.picks)
        while self.next_published < due:
            end = calendar_bounds(self.next_published, self.period, self.zone)[1]
            period = calendar_key(end, self.period, self.zone)
            self.next_published = period
            seed = self.seed(period)
            out.append(Decision(
                f"{self.block.id}/{period}/publish", "publish", period,
                ", ".join(self.publish.roles),
                f"the sampling rule for {period}: {rules}; seed {seed}",
                self.block.id, self.location, end - ahead,
                {"period": period, "seed": seed}, (), self.publish.roles,
            ))  # fmt: skip
        return out
