"""Partitioned replay: a simulation split by agent into parts replayed apart, then merged
into the report one replay of everything gives.

Most of a policy decides per agent: a discipline rule counts an agent's events, a sampling
rule picks from each agent's calls, a rubric scores an agent's evaluations, an escalation
chain follows one complaint of one agent. Those units (engine.simulation.units) are
replayed in `partitions` parts, each holding some agents' events (`Router`: an event of an
agent goes where its agent goes; a complaint's resolution or escalation where the
complaint went, an appeal where its evaluation went, an approval where the agent of the
decision it names went). What crosses agents travels as partial results: a KPI
threshold per team or per evaluator leaves each period's tallies (count, exact sum,
least, greatest: engine.rules.thresholds.PeriodTally) when it ends, and `merge` adds the
parts' tallies of a period and judges its alerts, as one replay would have. A sampling
rule's published periods come from the part whose replay started first, as one replay's
would.

Every other decision's subject is one agent's, or one complaint, call or evaluation of
that agent, so it has no twin in another part: each part pairs its own two sides and the
parts' tallies add up. An engine's forgetting (old evaluations, complaints open over a year) is
judged by each event's own time, so a part judges as the whole does. The report is the
one `simulate` gives (tests/test_partition.py holds that over generated policies and
histories, with random numbers of parts).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from callqa.engine.decisions import Decision
from callqa.engine.policy import Policy
from callqa.engine.rules.rota import RotaShare, merged_rota
from callqa.engine.rules.thresholds import Earlier, PeriodTally, Tally
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.events import EventError
from callqa.engine.simulation.collector import replay_collector
from callqa.engine.simulation.incremental import Rejection, rejection
from callqa.engine.simulation.simulate import (
    OpenPeriod,
    Report,
    Roster,
    Side,
    Twins,
    advance_to_end,
    band_order,
    event_time,
    format_open_periods,
    note_agent,
    open_period_ends,
    replay_end,
)


def merged_thresholds(policy: Policy) -> frozenset[str]:
    """The thresholds whose subject is not an agent (a team, an evaluator): their periods
    gather events of agents in many parts, so `merge` judges them."""
    return frozenset(t.id for t in policy.time_blocks.thresholds if t.subject != "agent")


def part_of(key: str | None, partitions: int) -> int:
    """The part an agent's events go to: the same on every machine and every run."""
    if key is None or partitions == 1:
        return 0
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % partitions


# the events routed by what they name, not by an agent of their own
ROUTED_BY_REFERENT = frozenset(
    {
        "complaint_resolved",
        "complaint_escalated",
        "appeal",
        "appeal_accepted",
        "appeal_decision",
        "approval",
        "reply",
    }
)
NAMED_KINDS = frozenset({"complaint", "evaluation", "message"})  # what those events name


class Router:
    """Says which part each event of a history goes to, reading the history in order:
    an event that names no agent goes where what it names went. `agents`: every agent of
    the history, when known beforehand (an approval names its decision's agent)."""

    def __init__(self, partitions: int, agents: Iterable[str] = ()) -> None:
        self.partitions = partitions
        self.owner: dict[tuple[str, str], str | None] = {}  # (kind, id) -> its agent
        self.agents: set[str] = set(agents)

    def agent_of(self, raw: Mapping[str, Any]) -> str | None:
        kind, agent = raw.get("kind"), raw.get("agent")
        if kind in ("complaint_resolved", "complaint_escalated"):
            return self._owner("complaint", raw.get("complaint"))
        if kind == "appeal":
            agent = self._owner("evaluation", raw.get("evaluation"))
        elif kind in ("appeal_accepted", "appeal_decision"):
            return self._owner("appeal", raw.get("appeal"))
        elif kind == "approval":
            return self._decision_agent(raw.get("decision"))
        elif kind == "reply":
            return self._owner("message", raw.get("message"))
        if not isinstance(agent, str):
            agent = None
        if kind in ("complaint", "evaluation", "appeal", "message") and isinstance(
            raw.get("id"), str
        ):
            self.owner[(kind, raw["id"])] = agent
        if agent is not None:
            self.agents.add(agent)
        return agent

    def row_part(self, event_id: str, kind: str, agent: str | None) -> int | None:
        """The part of a stored row, by its id, kind and agent columns (noting what it
        owns); None when only its payload can say (`route`)."""
        if agent is None or kind in ROUTED_BY_REFERENT:
            return None
        if kind in NAMED_KINDS:
            self.owner[(kind, event_id)] = agent
        return part_of(agent, self.partitions)

    def route(self, raw: Mapping[str, Any]) -> int:
        return part_of(self.agent_of(raw), self.partitions)

    def _owner(self, kind: str, ident: object) -> str | None:
        return self.owner.get((kind, ident)) if isinstance(ident, str) else None

    def _decision_agent(self, decision: object) -> str | None:
        """The agent in a pending decision's id (`rule/agent/window`): the longest agent
        seen that the id names between its rule and the rest."""
        if not isinstance(decision, str):
            return None
        rest = decision.partition("/")[2]
        found = None
        for index, char in enumerate(rest):
            if char == "/" and rest[:index] in self.agents:
                found = rest[:index]
        return found


@dataclass
class PartResult:
    """What a part's replay gives to `merge`: small, and sent between processes."""

    sides: tuple[Side, Side]  # its decisions without a twin, and its tallies
    refused: tuple[list[Rejection], list[Rejection]]
    published: tuple[list[Decision], list[Decision]]
    ended: tuple[list[PeriodTally], list[PeriodTally]]  # of the thresholds `merge` judges
    started: list[float | None]  # when each side's engine took its first event
    events: int
    first: dt.datetime | None
    clock: dt.datetime | None  # its engines' clock after its last event
    stopped: list[str | None]
    open_ends: tuple[list[OpenPeriod], list[OpenPeriod]]
    # each side's agents on the roster per rota, team and period: `merge` picks
    rota_shares: tuple[list[RotaShare], list[RotaShare]] = field(default_factory=lambda: ([], []))
    agents: Roster = field(default_factory=dict)  # its agents and their teams


@dataclass
class PartReplay:
    """One part's replay under both versions: its own pairs of twins, its refused events,
    the ended periods of thresholds across agents, and a sampling rule's published
    periods kept apart (see `merge`)."""

    engines: tuple[Engine, Engine]
    twins: Twins = field(default_factory=Twins)
    refused: tuple[list[Rejection], list[Rejection]] = field(default_factory=lambda: ([], []))
    published: tuple[list[Decision], list[Decision]] = field(default_factory=lambda: ([], []))
    ended: tuple[list[PeriodTally], list[PeriodTally]] = field(default_factory=lambda: ([], []))
    started: list[float | None] = field(default_factory=lambda: [None, None])
    events: int = 0
    first: dt.datetime | None = None
    stopped: list[str | None] = field(default_factory=lambda: [None, None])
    open_ends: tuple[list[OpenPeriod], list[OpenPeriod]] = field(default_factory=lambda: ([], []))
    rota_shares: tuple[list[RotaShare], list[RotaShare]] = field(default_factory=lambda: ([], []))
    agents: Roster = field(default_factory=dict)

    @classmethod
    def of(cls, old: Policy, new: Policy) -> PartReplay:
        engines = (Engine(old, max_gap=REPLAY_MAX_GAP), Engine(new, max_gap=REPLAY_MAX_GAP))
        part = cls(engines)
        for index, (policy, engine) in enumerate(zip((old, new), engines, strict=True)):
            merged = merged_thresholds(policy)
            for threshold in engine.thresholds:
                if threshold.block.id in merged:
                    threshold.ended = part.ended[index]
            for rota in engine.rotas:  # a team's agents are in many parts
                rota.shares = part.rota_shares[index]
        return part

    def feed(self, raw: Mapping[str, Any]) -> None:
        self.events += 1
        note_agent(self.agents, raw)
        for index, engine in enumerate(self.engines):
            try:
                decisions = engine.feed(raw)
            except EventError as error:
                self.refused[index].append(rejection(raw, error))
                continue
            if self.started[index] is None and engine.clock is not None:
                self.started[index] = engine.clock.timestamp()
            if decisions:
                self._add(index, decisions)
        if self.first is None:
            self.first = event_time(raw)

    def _add(self, index: int, decisions: list[Decision]) -> None:
        self.published[index].extend(d for d in decisions if d.kind == "publish")
        self.twins.add(index, [d for d in decisions if d.kind != "publish"])

    def clock(self) -> dt.datetime | None:
        clocks = [engine.clock for engine in self.engines if engine.clock is not None]
        return max(clocks, key=dt.datetime.timestamp) if clocks else None

    def finish(self, last: dt.datetime | None, end: dt.datetime | None) -> PartResult:
        """Run both engines to `end`, through `last` (the whole history's last event):
        there, every part's clock stands where one replay's would."""
        clock = self.clock()
        for index, engine in enumerate(self.engines):
            problems: list[str] = []
            if engine.clock is not None and last is not None:
                self._add(index, advance_to_end(engine, last, problems))
                self._add(index, advance_to_end(engine, end, problems))
            self.stopped[index] = problems[0] if problems else None
            self.open_ends[index].extend(open_period_ends(engine))
        return PartResult(self.twins.finish(), self.refused, self.published, self.ended,
                          self.started, self.events, self.first, clock, self.stopped,
                          self.open_ends, self.rota_shares, self.agents)  # fmt: skip


def merge(
    policies: tuple[Policy, Policy],
    parts: list[PartResult],
    last: dt.datetime | None,
    end: dt.datetime | None,
) -> Report:
    """The parts' replays as one report: tallies added, the decisions left without a
    twin gathered, refused events in the history's order, the periods of thresholds
    across agents added up and judged, the published periods of the part that started
    first on each side. `last`: the whole history's last event, where every engine stood
    before it ran to `end`."""
    sides = (Side(), Side())
    across = Twins()  # the decisions made here: published periods, thresholds' alerts
    for index in (0, 1):
        starts = [
            (p.started[index], n) for n, p in enumerate(parts) if p.started[index] is not None
        ]
        if starts:
            across.add(index, parts[min(starts)[1]].published[index])
        across.add(index, _judged(policies[index], [p.ended[index] for p in parts]))
        rotas = {rota.id: rota for rota in policies[index].rules.rotas}
        shares = [p.rota_shares[index] for p in parts]
        across.add(index, merged_rota(rotas, shares, policies[index].timezone))
    finished = [part.sides for part in parts] + [across.finish()]
    firsts = [part.first for part in parts if part.first is not None]
    for index, side in enumerate(sides):
        for pair in finished:
            side.tally.update(pair[index].tally)
            side.grade_tally.update(pair[index].grade_tally)
            side.decisions.extend(pair[index].decisions)
        side.decisions.sort(key=lambda d: (d.at, d.id))
        refused = sorted((r for p in parts for r in p.refused[index]),
                         key=lambda r: (r.instant, r.event_id))  # fmt: skip
        side.rejected = [r.message for r in refused]
        side.first_event = min(firsts, key=dt.datetime.timestamp) if firsts else None
        side.last_event = last
        stops = [part.stopped[index] for part in parts if part.stopped[index]]
        side.stopped = stops[0] if stops else None
        side.replayed_to = side.last_event if stops else end
        side.open_periods = format_open_periods(e for p in parts for e in p.open_ends[index])
    roster: Roster = {}
    for part in parts:  # an agent's events are all in its part
        for agent, team in part.agents.items():
            if team is not None or agent not in roster:
                roster[agent] = team
    return Report(sides[0], sides[1], sum(part.events for part in parts), agents=roster,
                  grade_order=band_order(policies[::-1]))  # fmt: skip


def _judged(policy: Policy, parts: list[list[PeriodTally]]) -> list[Decision]:
    """The decisions of thresholds across agents: each period's tallies from every part
    added up, then judged by the threshold (`ThresholdSpec.judge`, as one engine does)."""
    whole: dict[tuple[str, str, str], PeriodTally] = {}
    for ended in parts:
        for period in ended:
            key = (period.rule, period.subject, period.period)
            if key not in whole:
                whole[key] = replace(period, tallies=[Tally() for _ in period.tallies],
                                     evidence=[])  # fmt: skip
            whole[key].add(period)
    specs = {spec.block.id: spec for spec in policy.rules.thresholds}
    earlier = {
        spec.block.id: Earlier(spec.block.period, spec.zone)
        for spec in policy.rules.thresholds
        if spec.reads_previous
    }
    return [
        decision
        for key, period in sorted(whole.items(), key=lambda item: (item[1].end, item[0]))
        for decision in specs[period.rule].judge(
            specs[period.rule].closed(period, earlier.get(period.rule))
        )
    ]


@replay_collector()
def simulate_partitioned(
    new: Policy,
    old: Policy,
    events: Iterable[Mapping[str, Any]],
    partitions: int,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """`simulate(new, old, events, until, now=now)`'s report, replayed in `partitions`
    parts in this process (the parts a cluster's workers run apart)."""
    router = Router(partitions)
    parts = [PartReplay.of(old, new) for _ in range(partitions)]
    for raw in events:
        parts[router.route(raw)].feed(raw)
    clocks = [clock for part in parts if (clock := part.clock()) is not None]
    last = max(clocks, key=dt.datetime.timestamp) if clocks else None
    end = until or (replay_end((old, new), last, now) if last else None)
    return merge((old, new), [part.finish(last, end) for part in parts], last, end)
