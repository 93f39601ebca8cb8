"""One `sampling` block at run time: it collects each agent's calls per period and, when
the period ends, picks the sample (engine.sampling.select.select) and says why for every pick.

A period's calls are grouped by agent as they come (each agent's in start order), so
closing a period walks each agent's calls once. Every agent's sample of a period shares
one seed and one facts mapping.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import Condition, FactCode, flags_code
from callqa.engine.codegen.expressions import Constants
from callqa.engine.decisions import Decision
from callqa.engine.runtime.windows import calendar_bounds, calendar_key
from callqa.engine.sampling.close import compile_close
from callqa.engine.sampling.select import Candidate, PickSpec, add_candidate, sampling_seed, wanted

_DECISION_ID = attrgetter("id")


@dataclass
class SamplingRule:
    block: ast.Sampling
    location: str  # file:line of the block
    period: str  # day, week or month
    picks: list[PickSpec]
    wheres: list[ast.Expr | None]  # per pick: which calls it may take (None: any)
    fields: Mapping[str, Type]  # the policy's facts and their types
    quotas: list[tuple[int, Condition | None]]  # (calls per agent, for which agents)
    publish: ast.Publish | None
    policy: tuple[str, str | None]  # name and version: part of every seed
    zone: ZoneInfo
    default_status: str
    calls: dict[str, dict[str, list[Candidate]]] = field(default_factory=dict)  # period -> agent
    # a heap of (instant, end, period): instants, because datetimes in one timezone compare
    # by wall clock
    ends: list[tuple[float, dt.datetime, str]] = field(default_factory=list)
    open_days: dict[dt.date, dict[str, list[Candidate]]] = field(default_factory=dict)
    next_published: str | None = None  # the latest period whose rule has been published
    wake: Callable[[float], None] | None = None  # told when a new period will end

    def __post_init__(self) -> None:
        # the picks, written out as Python for this rule (engine.sampling.close)
        self._close = compile_close(self.picks, self.block.id, self.location)
        constants = Constants()
        lines = self.observe_code(
            constants, lambda fact: (f"facts.get({constants.add(fact)})", False), "agent", "call"
        )
        source = "\n".join(["def observe(agent, call, at, facts):", *lines]) + "\n"
        exec(compile(source, f"<callqa sampling {self.block.id}>", "exec"), constants.values)
        self.observe: Callable[[str, str, dt.datetime, Mapping[str, Any]], None]
        self.observe = constants.values["observe"]  # type: ignore[assignment]

    def seed(self, period: str) -> str:
        return sampling_seed(self.policy[0], self.policy[1], self.block.id, period)

    def observe_code(
        self, constants: Constants, read: Callable[[str], FactCode], agent: str, call: str
    ) -> list[str]:
        """Lines that remember a call `at` (in the policy's timezone), with the picks it is
        eligible for, given code for its agent, its id, and each fact (`read(fact)`, as
        for conditions.flags_code). They make `observe(agent, call, at, facts)`, and go
        into the path of calls (engine.runtime.kind_path)."""
        lines, flags = flags_code(self.wheres, self.fields, self.zone, constants, read)
        rule = constants.add(self, "RULE")
        add = constants.add(add_candidate)
        noting = [
            *lines,
            f"    candidate = (at, {call}, {flags})",
            f"    agents = {rule}.open_days.get(at.date())",
            "    if agents is None:",
            f"        agents = {rule}._open(at)",
            f"    calls = agents.get({agent})",
            "    if calls is None:",
            f"        agents[{agent}] = [candidate]",
            "    elif calls[-1][0] < at:  # later on the wall clock is later: calls come in order",
            "        calls.append(candidate)",
            "    else:  # the same instant (ordered by id), or the hour repeated when DST ends",
            f"        {add}(calls, candidate)",
        ]
        # a call nobody answered has no recording to evaluate: it is not noted at all
        answered, _ = read("call.answered")
        return [f"    if {answered} is not False:", *("    " + line for line in noting)]

    def _open(self, at: dt.datetime) -> dict[str, list[Candidate]]:
        """The calls of the period containing `at` by agent, opened on its first call."""
        period = calendar_key(at, self.period, self.zone)
        agents = self.calls.get(period)
        if agents is None:
            agents = self.calls[period] = {}
            end = calendar_bounds(period, self.period, self.zone)[1]
            heapq.heappush(self.ends, (end.timestamp(), end, period))
            if self.wake is not None:
                self.wake(end.timestamp())
        self.open_days[at.date()] = agents
        return agents

    def next_due(self, now: dt.datetime) -> float | None:
        """The earliest time something is due, as a POSIX instant: an open period's end
        (its sample) or the next rule to publish."""
        due = self.ends[0][0] if self.ends else None
        if self.publish is not None:
            if self.next_published is None:
                return now.timestamp()
            ahead = dt.timedelta(seconds=float(self.publish.ahead.value))  # type: ignore[arg-type]
            end = calendar_bounds(self.next_published, self.period, self.zone)[1]
            publish = (end - ahead).timestamp()
            if due is None or publish < due:
                due = publish
        return due

    def due(self, now: dt.datetime, status: Mapping[str, str]) -> list[Decision]:
        """The samples (and shortfalls) of every period that ended by `now`, by time (the
        period's end), then id: the order `Engine.advance` gives decisions in."""
        out: list[Decision] = []
        limit = now.timestamp()
        while self.ends and self.ends[0][0] <= limit:
            _, end, period = heapq.heappop(self.ends)
            agents = self.calls.pop(period)
            self.open_days = {d: a for d, a in self.open_days.items() if a is not agents}
            seed = self.seed(period)
            facts = MappingProxyType({"period": period, "seed": seed})
            ident = f"{self.block.id}/{period}/"
            extra_of = partial(self._extra, status=status) if self.quotas else None
            closed: list[Decision] = []
            self._close(agents, ident, end, facts, seed, period, extra_of, closed)
            closed.sort(key=_DECISION_ID)
            out += closed
        return out

    def _extra(self, agent: str, status: Mapping[str, str]) -> int:
        """Random picks beyond the rule's own, for agents whose quota is larger."""
        facts = {"agent.status": status.get(agent, self.default_status), "agent.id": agent}
        base = wanted(self.picks)
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
