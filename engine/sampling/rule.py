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
from types import MappingProxyType, MethodType
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast, resolved
from callqa.dsl.i18n import _
from callqa.dsl.types import Type
from callqa.engine.codegen.conditions import Condition, FactCode, flags_code
from callqa.engine.codegen.emit import Constants, Source, compile_function
from callqa.engine.decisions import Decision
from callqa.engine.runtime.windows import calendar_bounds, calendar_key
from callqa.engine.sampling.close import Close, compile_close
from callqa.engine.sampling.select import Candidate, PickSpec, add_candidate, sampling_seed, wanted

_DECISION_ID = attrgetter("id")


@dataclass(frozen=True)
class SamplingSpec:
    """A sampling block compiled once per policy: its picks' close and its noting of a
    call are functions, its quotas' conditions too. Shared by every engine of the
    policy; each engine's periods are a SamplingRule."""

    block: resolved.Sampling
    picks: tuple[PickSpec, ...]
    fields: Mapping[str, Type]  # the policy's facts and their types
    quotas: tuple[tuple[int, Condition | None], ...]  # (calls per agent, for which agents)
    policy: tuple[str, str | None]  # name and version: part of every seed
    zone: ZoneInfo
    default_status: str
    # the picks, written out as Python for this rule (engine.sampling.close)
    close: Close
    # observe(rule, agent, call, at, facts): notes a call in `rule`, one engine's state
    observe: Callable[[SamplingRule, str, str, dt.datetime, Mapping[str, Any]], None]

    @classmethod
    def compile(
        cls,
        block: resolved.Sampling,
        fields: Mapping[str, Type],
        compile_condition: Callable[[ast.Expr], Condition],
        policy: tuple[str, str | None],
        zone: ZoneInfo,
        default_status: str,
    ) -> SamplingSpec:
        picks = tuple(PickSpec(p.ordinal, p.count, p.line) for p in block.picks)
        quotas = tuple(
            (q.count, None if q.when is None else compile_condition(q.when)) for q in block.quotas
        )
        close = compile_close(picks, block.id, block.location)
        constants = Constants()
        lines = _observe_code(
            block, fields, zone, constants,
            lambda fact: (f"facts.get({constants.add(fact)})", False), "agent", "call", "rule",
        )  # fmt: skip
        source = Source(constants)
        source("def observe(rule, agent, call, at, facts):")
        source.extend(lines)
        observe: Callable[[SamplingRule, str, str, dt.datetime, Mapping[str, Any]], None]
        observe = compile_function(source, "observe", f"sampling {block.id}")
        return cls(block, picks, fields, quotas, policy, zone, default_status, close, observe)

    def observe_code(
        self,
        constants: Constants,
        read: Callable[[str], FactCode],
        agent: str,
        call: str,
        rule: str,
    ) -> list[str]:
        """Lines that remember a call `at` (in the policy's timezone) in the SamplingRule
        `rule` names, with the picks it is eligible for, given code for its agent, its id,
        and each fact (`read(fact)`, as for conditions.flags_code)."""
        return _observe_code(self.block, self.fields, self.zone, constants, read, agent, call,
                             rule)  # fmt: skip


def _observe_code(
    block: resolved.Sampling,
    fields: Mapping[str, Type],
    zone: ZoneInfo,
    constants: Constants,
    read: Callable[[str], FactCode],
    agent: str,
    call: str,
    rule: str,
) -> list[str]:
    wheres = [pick.where for pick in block.picks]
    lines, flags = flags_code(wheres, fields, zone, constants, read)
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
    answered, _sure = read("call.answered")
    return [f"    if {answered} is not False:", *("    " + line for line in noting)]


@dataclass
class SamplingRule:
    """One engine's periods of a sampling block (its `spec`): the calls noted so far,
    by period and agent."""

    spec: SamplingSpec
    calls: dict[str, dict[str, list[Candidate]]] = field(default_factory=dict)  # period -> agent
    # a heap of (instant, end, period): instants, because datetimes in one timezone compare
    # by wall clock
    ends: list[tuple[float, dt.datetime, str]] = field(default_factory=list)
    open_days: dict[dt.date, dict[str, list[Candidate]]] = field(default_factory=dict)
    next_published: str | None = None  # the latest period whose rule has been published
    wake: Callable[[float], None] | None = None  # told when a new period will end
    # agents on the roster, with the weekdays they work: a period of theirs without a call
    # is sampled short, and their periods go on opening without calls
    rostered: dict[str, frozenset[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.spec
        self.block = spec.block
        self.location = spec.block.location
        self.period = spec.block.period
        self.publish = spec.block.publish
        self.picks = spec.picks
        self.quotas = spec.quotas
        self.zone = spec.zone
        self.default_status = spec.default_status
        self._close = spec.close
        self.observe: Callable[[str, str, dt.datetime, Mapping[str, Any]], None]
        self.observe = MethodType(spec.observe, self)

    def seed(self, period: str) -> str:
        return sampling_seed(self.spec.policy[0], self.spec.policy[1], self.block.id, period)

    def observe_code(
        self, constants: Constants, read: Callable[[str], FactCode], agent: str, call: str
    ) -> list[str]:
        """`SamplingSpec.observe_code` noting calls in this rule: the lines go into the
        path of calls (engine.runtime.kind_path) of this rule's engine."""
        return self.spec.observe_code(constants, read, agent, call, constants.add(self, "RULE"))

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

    def enrol(self, agent: str, days: frozenset[int], at: dt.datetime) -> None:
        """The agent is on the roster from `at`, working these weekdays."""
        self.rostered[agent] = days
        if calendar_key(at, self.period, self.zone) not in self.calls:
            self._open(at)

    def unenrol(self, agent: str) -> None:
        self.rostered.pop(agent, None)

    def next_due(self, now: dt.datetime) -> float | None:
        """The earliest time something is due, as a POSIX instant: an open period's end
        (its sample) or the next rule to publish."""
        due = self.ends[0][0] if self.ends else None
        if self.publish is not None:
            if self.next_published is None:
                return now.timestamp()
            ahead = dt.timedelta(seconds=self.publish.ahead)
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
            _instant, end, period = heapq.heappop(self.ends)
            agents = self.calls.pop(period)
            self.open_days = {d: a for d, a in self.open_days.items() if a is not agents}
            if self.rostered:  # who was due to work and took no call is sampled short
                start = calendar_bounds(period, self.period, self.zone)[0]
                for agent, days in self.rostered.items():
                    if self.period != "day" or start.weekday() in days:
                        agents.setdefault(agent, [])
                if calendar_key(end, self.period, self.zone) not in self.calls:
                    self._open(end)  # and the next period opens, calls or not
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
        ahead = dt.timedelta(seconds=self.publish.ahead)
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
                _("the sampling rule for {period}: {rules}; seed {seed}").format(
                    period=period, rules=rules, seed=seed
                ),
                self.block.id, self.location, end - ahead,
                {"period": period, "seed": seed}, (), self.publish.roles,
            ))  # fmt: skip
        return out
