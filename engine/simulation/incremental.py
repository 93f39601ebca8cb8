"""Incremental simulation: replay only what a change touches.

A proposed version usually differs from the one in force in a rule or two. Every other
decision unit (engine.simulation.units) means the same on both sides and reads the same
events, so it decides the same: its decisions are counted once, from a replay of the
baseline alone (`Baseline`, kept per unit), and cannot be a changed outcome. Only the
changed units, and the units whose reading of agent.status they may change, are replayed
under both versions (`Policy.only`), through the one engine, from the events of the kinds
they read: for "3 complaints a month" → 2, the complaints and approvals, not the calls.

The report is the one a full replay gives (tests/test_incremental_simulation.py holds
that over generated histories and policy changes). Where the slice cannot promise it —
the versions differ in their fields, rubrics or timezone; a replayed unit reads appeals,
which an engine judges against evaluations it forgets as its clock moves; the change
moves the statuses that a unit outside the slice reads — the whole history is replayed
instead, as `simulate` does.

The end of a replay moves with the present while the history's last period is not over
(`replay_end`): a kept baseline serves every end up to that period's, since it keeps what
fell due after the last event apart, each with its time (`Baseline.due`), and takes what
falls due by the end asked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from callqa.engine.decisions import Decision
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.events import EventError
from callqa.engine.simulation.collector import replay_collector
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
    period_end,
    replay_end,
    simulate,
)
from callqa.engine.simulation.units import NEEDS_EVERY_EVENT, common_ground, units

# the events of some kinds (None: every kind), in the store's order: by instant, then id
EventsOf = Callable[[frozenset[str] | None], Iterable[Mapping[str, Any]]]


class Rejection(NamedTuple):
    """An event a replay refused, with what places it among the others and its unit."""

    instant: float
    event_id: str
    kind: str
    target: str | None  # an approval's rule (`block.rule`): whose pending decision it names
    message: str


def rejection(raw: Mapping[str, Any], error: EventError) -> Rejection:
    """An event refused, placed for merging with refusals from other replays (of the
    baseline, of a slice, of other parts: engine.simulation.partition)."""
    at, event_id, kind = raw.get("at"), raw.get("id"), raw.get("kind")
    instant = at.timestamp() if isinstance(at, dt.datetime) else float("inf")
    decision = raw.get("decision") if kind == "approval" else None
    target = decision.split("/", 1)[0] if isinstance(decision, str) else None
    return Rejection(instant, str(event_id), str(kind), target, str(error))


class Due(NamedTuple):
    """A unit's decisions that fell due at one time after the last event (timers, periods
    that ended): a replay ending at or after it has them, one ending before has not."""

    unit: str
    instant: float  # their time, as a POSIX instant
    wall: dt.datetime  # and on the policy's clock (naive: as the engine read it)
    side: Side  # their tallies


@dataclass
class Baseline:
    """One version's replay of a history, counted unit by unit: what a simulation of a
    change takes from it for the units the change leaves alone. What fell due after the
    last event is kept apart with its time, so that the baseline serves a replay ending
    anywhere up to `reach` (the present moves the end while the last period is open)."""

    events: int
    first_event: dt.datetime | None
    last_event: dt.datetime | None  # the engine's clock after the last event it took
    reach: dt.datetime | None  # the latest end it serves: it ran to there
    stopped: str | None = None  # why it could not run to `reach` (see `simulate`)
    units: dict[str, Side] = field(default_factory=dict)  # unit -> its tallies to `last_event`
    due: list[Due] = field(default_factory=list)  # what fell due after, by `reach`
    rejected: list[Rejection] = field(default_factory=list)
    open_ends: list[OpenPeriod] = field(default_factory=list)  # open after the last event
    agents: Roster = field(default_factory=dict)  # the history's agents and their teams

    def to_json(self) -> str:
        """The baseline as a store keeps it (`from_json` reads it back)."""
        return json.dumps({
            "format": BASELINE_FORMAT, "events": self.events,
            "first_event": _when(self.first_event), "last_event": _when(self.last_event),
            "reach": _when(self.reach), "stopped": self.stopped,
            "units": {name: [dict(side.tally), dict(side.grade_tally)]
                      for name, side in self.units.items()},
            "due": [[d.unit, d.instant, d.wall.isoformat(), dict(d.side.tally),
                     dict(d.side.grade_tally)] for d in self.due],
            "rejected": [list(r) for r in self.rejected],
            "open_ends": [list(e) for e in self.open_ends],
            "agents": self.agents,
        }, ensure_ascii=False)  # fmt: skip

    @classmethod
    def from_json(cls, text: str, zone: dt.tzinfo) -> Baseline | None:
        """A kept baseline, its times in `zone` (the policy's); None when it was kept in
        another form (by another callqa): it is then replayed again."""
        try:
            data = json.loads(text)
            if data.get("format") != BASELINE_FORMAT:
                return None
            units = {name: _side(*tallies) for name, tallies in data["units"].items()}
            due = [Due(unit, float(instant), dt.datetime.fromisoformat(wall), _side(*tallies))
                   for unit, instant, wall, *tallies in data["due"]]  # fmt: skip
            return cls(
                data["events"], _moment(data["first_event"], zone),
                _moment(data["last_event"], zone), _moment(data["reach"], zone),
                data["stopped"], units, due, [Rejection(*r) for r in data["rejected"]],
                [(e[0], e[1], e[2], e[3]) for e in data["open_ends"]],
                {str(agent): team for agent, team in data["agents"].items()},
            )  # fmt: skip
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def _side(tally: dict[str, int], grades: dict[str, int]) -> Side:
    return Side(tally=Counter(tally), grade_tally=Counter(grades))


# 2: what fell due after the last event kept apart (`Baseline.due`); 3: the agents and
# their teams (`Baseline.agents`, for the report's summaries per agent and team)
BASELINE_FORMAT = 3


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None, zone: dt.tzinfo) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text).astimezone(zone)


@replay_collector()
def replay_baseline(
    policy: Policy,
    events: Iterable[Mapping[str, Any]],
    until: dt.datetime | None = None,
    ends_with: Iterable[Policy] = (),
    progress: Callable[[int], None] | None = None,
) -> Baseline:
    """Replay `events` under `policy` alone, tallying its decisions by unit. Without
    `until` it runs to the `period_end` of `policy` and `ends_with` (the versions it will
    be compared with), whatever the present: a comparison ending sooner (its last period
    not over yet) takes what fell due by its end from `Baseline.due`."""
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    sides: dict[str, Side] = {}
    rejected: list[Rejection] = []
    roster: Roster = {}
    count = 0
    first: dt.datetime | None = None
    for raw in events:
        count += 1
        note_agent(roster, raw)
        try:
            decisions = engine.feed(raw)
        except EventError as error:
            rejected.append(rejection(raw, error))
        else:
            _tally(sides, decisions)
        if first is None:
            first = event_time(raw)
        if progress is not None and count % 1000 == 0:
            progress(count)
    last = engine.clock
    opened = open_period_ends(engine)  # a comparison leaves out those closed by its end
    reach = until or (period_end([policy, *ends_with], last) if last else None)
    problems: list[str] = []
    due: dict[tuple[str, float, dt.datetime], Due] = {}
    for decision in advance_to_end(engine, reach, problems):
        at = decision.at
        key = (decision.rule, at.timestamp(), at.astimezone(policy.timezone).replace(tzinfo=None))
        entry = due.get(key)
        if entry is None:
            entry = due[key] = Due(*key, Side())
        entry.side.count(decision)
    stopped = problems[0] if problems else None
    kept = list(due.values())
    return Baseline(count, first, last, reach, stopped, sides, kept, rejected, opened, roster)


def _tally(sides: dict[str, Side], decisions: list[Decision]) -> None:
    for decision in decisions:
        side = sides.get(decision.rule)
        if side is None:
            side = sides[decision.rule] = Side()
        side.count(decision)


@dataclass(frozen=True)
class Slice:
    """The part of two versions a change touches: the units replayed under both, the
    kinds of event they read, and whether a unit left out reads agent.status."""

    units: frozenset[str]
    kinds: frozenset[str]
    status_read_outside: bool


def plan_slice(old: Policy, new: Policy) -> Slice | None:
    """The units of `old` and `new` that may decide differently, or None when only a
    replay of everything can tell (their common ground differs, or the slice reads appeals)."""
    if common_ground(old) != common_ground(new):
        return None
    try:
        before, after = units(old), units(new)
    except ValueError:  # two units of one name: their decisions cannot be told apart
        return None
    both = [*before.values(), *after.values()]
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    readers = {unit.id for unit in both if unit.reads_status}
    setters = {unit.id for unit in both if unit.sets_status}
    while True:
        grown = set(changed)
        if grown & readers:  # they read statuses that any action may set: replay the setters
            grown |= setters
        # rules that take one action, or count since it, decide together
        acting = {unit.acts for unit in both if unit.id in grown and unit.acts}
        hearing = {heard for unit in both if unit.id in grown for heard in unit.hears}
        grown |= {unit.id for unit in both if unit.hears & acting or unit.acts in hearing}
        if grown == changed:
            break
        changed = grown
    kinds = frozenset(kind for unit in both if unit.id in changed for kind in unit.kinds)
    if changed & readers:
        kinds |= {"agent_status"}
    if kinds & NEEDS_EVERY_EVENT:
        return None
    return Slice(frozenset(changed), kinds, bool(readers - changed))


@replay_collector()
def simulate_change(
    new: Policy,
    old: Policy,
    events_of: EventsOf,
    baseline: Baseline | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    made: Callable[[Baseline], None] | None = None,
) -> Report:
    """The report of `simulate(new, old, events_of(None), until, now=now)`, replaying only
    what the change touches when it can (`Report.replayed_units` says which). `baseline`:
    `old`'s `replay_baseline` over the same events, when one is kept; without it (or when
    it did not run as far as this comparison's end), one is made here and given to
    `made` (to keep): one engine over the history, then the slice, about half the work of
    two engines. A baseline serves every end up to its `reach`: one kept while the last
    period was open serves a later present too."""
    plan = plan_slice(old, new)
    if plan is None:
        return simulate(new, old, events_of(None), until, progress, now)
    if baseline is not None and baseline.stopped is None:
        report, stale = replay_slice(plan, new, old, baseline, events_of, until, now)
        if report is not None and progress is not None:
            progress(baseline.events)  # all judged: the rest counted from the baseline
        if report is not None or not stale:
            return report or simulate(new, old, events_of(None), until, progress, now)
    baseline = replay_baseline(old, events_of(None), until, (new,), progress)
    if made is not None:
        made(baseline)
    if baseline.stopped is None:
        report, _ = replay_slice(plan, new, old, baseline, events_of, until, now)
        if report is not None:
            return report
    return simulate(new, old, events_of(None), until, progress, now)


@replay_collector()
def replay_slice(
    plan: Slice,
    new: Policy,
    old: Policy,
    baseline: Baseline,
    events_of: EventsOf,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[Report | None, bool]:
    """`plan`'s units replayed under both versions, every other unit's tallies taken from
    `baseline`; no report when the slice cannot give the full replay's, and whether that
    is because `baseline` did not run as far as this end (one made for it would do)."""
    kept = plan.units
    policies = (old, new)
    engines = tuple(Engine(policy.only(kept), max_gap=REPLAY_MAX_GAP) for policy in policies)
    twins = Twins()
    refused: tuple[list[Rejection], list[Rejection]] = ([], [])
    statuses: tuple[Counter[tuple[str, str, dt.datetime]], ...] = (Counter(), Counter())
    events = events_of(plan.kinds) if plan.kinds else ()
    for raw in events:
        for index, engine in enumerate(engines):
            try:
                decisions = engine.feed(raw)
            except EventError as error:
                refused[index].append(rejection(raw, error))
                continue
            if decisions:
                mine = [d for d in decisions if d.rule in kept]
                twins.add(index, mine)
                _note_statuses(statuses[index], mine, policies[index])
    clocks = [clock for clock in (baseline.last_event, *(e.clock for e in engines)) if clock]
    last = max(clocks, key=dt.datetime.timestamp) if clocks else None
    end = until or (replay_end(policies, last, now) if last else None)
    if not _serves(baseline, end):  # made for an earlier end, or the change moves it
        return None, True
    fell_due = _due_by(baseline, kept, end, old.timezone)
    if fell_due is None:
        return None, False
    for index, engine in enumerate(engines):
        problems: list[str] = []
        ended = [d for d in advance_to_end(engine, end, problems) if d.rule in kept]
        if problems:
            return None, False
        twins.add(index, ended)
        _note_statuses(statuses[index], ended, policies[index])
    if plan.status_read_outside and statuses[0] != statuses[1]:
        return None, False  # the statuses differ where a unit left out reads them
    before, after = twins.finish()
    untouched = [side for name, side in baseline.units.items() if name not in kept]
    untouched += fell_due
    # a period open after the last event is still open at the end if it ends after it
    still_open = end.timestamp() if end is not None else -math.inf
    for index, side in enumerate((before, after)):
        for unit in untouched:
            side.tally.update(unit.tally)
            side.grade_tally.update(unit.grade_tally)
        side.rejected = _merged(baseline.rejected, refused[index], plan)
        side.first_event, side.last_event, side.replayed_to = baseline.first_event, last, end
        ends = [e for e in baseline.open_ends if e[3] not in kept and e[0] > still_open]
        side.open_periods = format_open_periods([*ends, *open_period_ends(engines[index])])
    report = Report(before, after, baseline.events, replayed_units=tuple(sorted(kept)),
                    agents=baseline.agents, grade_order=band_order((new, old)))  # fmt: skip
    return report, False


def _serves(baseline: Baseline, end: dt.datetime | None) -> bool:
    """Whether `baseline` ran at least to `end`: what falls due by `end` is in it."""
    if end is None or baseline.reach is None:
        return end is None and baseline.reach is None
    return end.timestamp() <= baseline.reach.timestamp()


def _due_by(
    baseline: Baseline, kept: frozenset[str], end: dt.datetime | None, zone: dt.tzinfo
) -> list[Side] | None:
    """The tallies of what fell due after the last event by `end`, of the units not
    replayed. A period's end or a timer falls due by its instant; a sampling rule's
    publication by the wall clock (`publish 1 day ahead`): when the two disagree (a time
    in an hour that a clock change repeats or skips), None, and everything is replayed."""
    if end is None:
        return []
    instant, wall = end.timestamp(), end.astimezone(zone).replace(tzinfo=None)
    out = []
    for due in baseline.due:
        if due.unit in kept:
            continue
        fell = due.instant <= instant
        if fell != (due.wall <= wall):
            return None
        if fell:
            out.append(due.side)
    return out


def _note_statuses(
    noted: Counter[tuple[str, str, dt.datetime]], decisions: list[Decision], policy: Policy
) -> None:
    """Count the statuses `decisions` set (an action's, when final; an approved one's)."""
    for d in decisions:
        if (d.kind == "action" and d.status == "final") or d.kind == "approved":
            status = policy.actions[d.action or ""].sets_status
            if status is not None:
                noted[(d.subject, status, d.at)] += 1


def _merged(baseline: list[Rejection], replayed: list[Rejection], plan: Slice) -> list[str]:
    """One side's refused events in the store's order: those the slice read from its
    replay (an approval only when it names a replayed rule), the others from the baseline."""

    def replays(rejection: Rejection) -> bool:
        if rejection.kind not in plan.kinds:
            return False
        return rejection.kind != "approval" or rejection.target in plan.units

    kept = [r for r in baseline if not replays(r)] + [r for r in replayed if replays(r)]
    kept.sort(key=lambda r: (r.instant, r.event_id))
    return [r.message for r in kept]
