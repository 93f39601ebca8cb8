"""Simulation: replay history under two policy versions through the one engine, and say
what would have been different — decision counts, the outcomes that change (with the
reason on each side), grade distributions, and the evaluators' sampling workload.

Both engines see the same events in the same order, in one pass over the history. Each
side tallies every decision as it comes and keeps only the decisions with no identical
twin (same kind, subject, action and time) on the other side: a year of a large center
then fits in memory, and the diff shows exactly what differs. The comparison against the
versions that were in force (`simulate_against_history`) does the same, reading the events
once as a stream: every version's engine is fed each event as it comes.

Without an end time a replay runs to the end of the last period its events touch (the
last week or month of a KPI or a sampling rule), so that period's KPIs and samples close;
the report says when it stopped short of a period's end (a `--to`, or a period not over
yet) and which periods it left open.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from callqa.dsl.i18n import _
from callqa.engine.decisions import Decision
from callqa.engine.errors import ClockGapError
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.events import EventError, parse_event
from callqa.engine.runtime.windows import calendar_bounds, calendar_key
from callqa.engine.simulation.collector import replay_collector

Outcome = tuple[str, str, str]  # (kind, subject, action)


Twin = tuple[str, str, str, str | None, dt.datetime]  # (id, kind, subject, action, time)


@dataclass
class Side:
    """One version's decisions: a tally of all of them, and the decisions themselves (in a
    two-sided simulation, only those without a twin on the other side); and what it
    replayed: the first and last event's times, the time it ran to, the periods left open."""

    decisions: list[Decision] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    tally: Counter[str] = field(default_factory=Counter)
    grade_tally: Counter[str] = field(default_factory=Counter)
    first_event: dt.datetime | None = None
    last_event: dt.datetime | None = None
    replayed_to: dt.datetime | None = None
    open_periods: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the replay could not run to `replayed_to`

    def add(self, decisions: Iterable[Decision]) -> None:
        for d in decisions:
            self.count(d)
            self.decisions.append(d)

    def count(self, decision: Decision) -> None:
        """Tally a decision; grades are the final ones: an upheld appeal's re-score moves
        its evaluation from the grade it had to the new one."""
        self.tally[_label(decision)] += 1
        if decision.kind == "score":
            self.grade_tally[decision.action or ""] += 1
        elif decision.kind == "rescore" and "grade_before" in decision.facts:
            self.grade_tally[decision.facts["grade_before"] or ""] -= 1
            self.grade_tally[decision.action or ""] += 1

    def counts(self) -> Counter[str]:
        return self.tally

    def grades(self) -> Counter[str]:
        """Evaluations by final grade (after the upheld appeals), grades held by none left out."""
        return Counter({grade: n for grade, n in self.grade_tally.items() if n})

    def outcomes(self) -> dict[Outcome, list[Decision]]:
        out: dict[Outcome, list[Decision]] = {}
        for d in self.decisions:
            if d.kind in ("score",):
                continue
            out.setdefault((d.kind, d.subject, d.action or ""), []).append(d)
        return out


def _label(decision: Decision) -> str:
    if decision.kind in ("action", "approved", "insufficient_evidence"):
        return f"{decision.kind}: {decision.action}"
    if decision.kind == "escalation":
        return f"escalation to {decision.action}"
    return decision.kind


Roster = dict[str, str | None]
"""Every agent the replayed events name, with the team its latest event gave (None: no
event gave one): what the report's summaries per agent and per team read."""


def note_agent(roster: Roster, raw: Mapping[str, Any]) -> None:
    """Note the agent an event names and its team (an `agent_joined`, a call, a complaint
    ... that says one): the latest team given wins, as the engine's roster moves."""
    agent = raw.get("agent")
    if isinstance(agent, str) and agent:
        team = raw.get("team")
        if isinstance(team, str) and team:
            roster[agent] = team
        elif agent not in roster:
            roster[agent] = None


def band_order(policies: Iterable[Policy]) -> list[str]:
    """The grades of the policies' rubrics in band order, best first (the highest band
    first, `otherwise` last), each once: the order reports show grades in."""
    order: dict[str, None] = {}
    for policy in policies:
        for rubric in policy.rubrics.values():
            bands = sorted(rubric.table.grades, key=lambda b: (b.fallback, -b.low))
            order.update(dict.fromkeys(band.label for band in bands))
    return list(order)


Change = tuple[Outcome, list[Decision], list[Decision]]  # an outcome, before and after


def _movers(key: str, groups: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Changed outcomes per group, the biggest movers first: how many outcomes changed and
    how many times they were decided before and after."""
    ranked = sorted(groups.items(), key=lambda g: (-abs(g[1][2] - g[1][1]), -g[1][0], g[0]))
    rows = [{key: name, "changed": n, "before": before, "after": after}
            for name, (n, before, after) in ranked]  # fmt: skip
    return rows


@dataclass
class Report:
    before: Side
    after: Side
    events: int
    asked_from: dt.datetime | None = None  # `--from` as given
    replayed_from: dt.datetime | None = None  # the start of the period it falls in
    # an incremental simulation's units replayed under both versions (the others' counts
    # came from the baseline's replay: engine.simulation.incremental); None: everything
    replayed_units: tuple[str, ...] | None = None
    agents: Roster = field(default_factory=dict)  # the history's agents and their teams
    grade_order: list[str] = field(default_factory=list)  # `band_order` of both versions

    def _changes(self) -> tuple[list[Change], list[Change]]:
        """The outcomes decided a different number of times, and those decided as often at
        other times, each with its decisions before and after, in outcome order."""
        old, new = self.before.outcomes(), self.after.outcomes()
        changed: list[Change] = []
        retimed: list[Change] = []
        for key in sorted(set(old) | set(new)):
            a, b = old.get(key, []), new.get(key, [])
            if len(a) != len(b):
                changed.append((key, a, b))
            elif [d.at for d in a] != [d.at for d in b]:
                retimed.append((key, a, b))
        return changed, retimed

    def changed(self) -> list[dict[str, Any]]:
        """Outcomes decided under one version and not the other (or a different number of
        times), with both sides' reasons. The same outcome at another time is not a
        change of outcome; `retimed` counts those."""
        return [_changed_row(change) for change in self._changes()[0]]

    def retimed(self) -> int:
        return len(self._changes()[1])

    def summaries(self, changes: list[Change]) -> dict[str, list[dict[str, Any]]]:
        """The changed outcomes per decision (as `counts` labels them), per team and per
        agent, the biggest movers first. An outcome counts for the agent its decision is
        about (the subject, or a complaint's agent) and that agent's team, or for the team
        it names (a KPI per team); a team view needs events that give agents' teams."""
        teams = {team for team in self.agents.values() if team is not None}
        groups: tuple[dict[str, list[int]], ...] = ({}, {}, {})
        for _key, a, b in changes:
            decision = (a or b)[0]
            agent = decision.facts.get("agent")
            if not isinstance(agent, str) or agent not in self.agents:
                agent = decision.subject if decision.subject in self.agents else None
            team = self.agents.get(agent) if agent is not None else None
            if team is None and agent is None and decision.subject in teams:
                team = decision.subject
            for names, name in zip(groups, (_label(decision), team, agent), strict=True):
                if name is not None:
                    tally = names.setdefault(name, [0, 0, 0])
                    tally[0] += 1
                    tally[1] += len(a)
                    tally[2] += len(b)
        return {
            "changed_by_decision": _movers("decision", groups[0]),
            "changed_by_team": _movers("team", groups[1]),
            "changed_by_agent": _movers("agent", groups[2]),
        }

    def to_dict(self) -> dict[str, Any]:
        before, after = self.before.counts(), self.after.counts()
        samples_before, samples_after = before.get("sample", 0), after.get("sample", 0)
        changes, retimed = self._changes()
        grades = set(self.before.grades()) | set(self.after.grades())
        ranked = [grade for grade in self.grade_order if grade in grades]
        return {
            "events": self.events,
            "replay": {
                "asked_from": _iso(self.asked_from),
                "replayed_from": _iso(self.replayed_from),
                "first_event": _iso(self.before.first_event or self.after.first_event),
                "last_event": _iso(self.before.last_event or self.after.last_event),
                "replayed_to": _iso(self.before.replayed_to or self.after.replayed_to),
                "open_periods": sorted({*self.before.open_periods, *self.after.open_periods}),
                "stopped": self.before.stopped or self.after.stopped,
            },
            "counts": {
                label: {"before": before.get(label, 0), "after": after.get(label, 0)}
                for label in sorted(set(before) | set(after))
            },
            # sorted: the same bytes however the replay was split (engine.simulation.partition)
            "grades": {
                "before": dict(sorted(self.before.grades().items())),
                "after": dict(sorted(self.after.grades().items())),
            },
            # the grades in the rubrics' band order, best first; others after, by name
            "grade_order": ranked + sorted(grades - set(ranked)),
            "sampling_workload": {"before": samples_before, "after": samples_after},
            "changed": [_changed_row(change) for change in changes],
            "retimed": len(retimed),
            "retimed_outcomes": [_retimed_row(change) for change in retimed],
            **self.summaries(changes),
            "rejected_events": {"before": self.before.rejected, "after": self.after.rejected},
        }


def _changed_row(change: Change, reasons: bool = True) -> dict[str, Any]:
    """One outcome's decisions before and after: when, and (`reasons`) why."""
    (kind, subject, action), a, b = change

    def said(d: Decision) -> str:
        return f"{d.at:%Y-%m-%d %H:%M} {d.reason}" if reasons else f"{d.at:%Y-%m-%d %H:%M}"

    return {"kind": kind, "subject": subject, "action": action or None,
            "before": [said(d) for d in a], "after": [said(d) for d in b]}  # fmt: skip


def _retimed_row(change: Change) -> dict[str, Any]:
    """An outcome only moved in time: when before, when after."""
    return _changed_row(change, reasons=False)


@replay_collector()
def simulate(
    new: Policy,
    old: Policy,
    events: Iterable[Mapping[str, Any]],
    until: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """`until`: where the replay stops (by default `replay_end`); `now`: the present, for
    tests (a period not over by now is not closed)."""
    engines = (Engine(old, max_gap=REPLAY_MAX_GAP), Engine(new, max_gap=REPLAY_MAX_GAP))
    twins = Twins()
    roster: Roster = {}
    count = 0
    first: dt.datetime | None = None
    for raw in events:
        count += 1
        note_agent(roster, raw)
        # each engine reads the event itself: a well-typed dict (a stored one, too) takes
        # its plain path, cheaper than one pydantic model shared by both
        for index, engine in enumerate(engines):
            try:
                decisions = engine.feed(raw)
            except EventError as error:
                twins.sides[index].rejected.append(str(error))
                continue
            if decisions:
                twins.add(index, decisions)
        if first is None:
            first = event_time(raw)
        if progress is not None and count % 1000 == 0:
            progress(count)
    # one end for both sides, even if one refused the last event
    clocks = [engine.clock for engine in engines if engine.clock is not None]
    last = max(clocks, key=dt.datetime.timestamp) if clocks else None
    end = until or (replay_end((old, new), last, now) if last else None)
    for index, engine in enumerate(engines):
        side = twins.sides[index]
        problems: list[str] = []
        twins.add(index, advance_to_end(engine, end, problems))
        side.stopped = problems[0] if problems else None
        side.first_event, side.last_event = first, last
        side.replayed_to = engine.clock if problems else end  # where it really stopped
        side.open_periods = open_periods(engine)
    return Report(*twins.finish(), count, agents=roster, grade_order=band_order((new, old)))


def event_time(raw: Mapping[str, Any]) -> dt.datetime | None:
    """An event's time as given, None when it is not an event (it was rejected)."""
    try:
        moment: dt.datetime = parse_event(raw).at
    except EventError:
        return None
    return moment


def replay_start(policies: Iterable[Policy], start: dt.datetime) -> dt.datetime:
    """Where a replay asked to start at `start` begins: at the start of the first period
    `start` falls in (the week, month... of every KPI threshold, sampling rule and calendar
    window), so that period is judged on all its events, not on the part after `start`."""
    begin = start
    for policy in policies:
        zone = policy.timezone
        rules = policy.time_blocks.window_rules
        calendars = {rule.calendar for rule in rules if rule.calendar is not None}
        for unit in period_units(policy) | calendars:
            opens = calendar_bounds(calendar_key(start, unit, zone), unit, zone)[0]
            begin = min(begin, opens, key=dt.datetime.timestamp)
    return begin


def period_units(policy: Policy) -> set[str]:
    """The calendar units (day, week, month) whose periods close with decisions: the KPI
    thresholds' and the sampling rules'. A discipline rule decides as its events come, so
    the end of its window decides nothing."""
    blocks = policy.time_blocks
    return {t.period for t in blocks.thresholds} | {s.period for s in blocks.samplings}


def replay_end(
    policies: Iterable[Policy], last: dt.datetime, now: dt.datetime | None = None
) -> dt.datetime:
    """Where a replay without an end time stops: `period_end`, so that the last period
    closes; but not after `now` (by default the present) when that period is not over
    yet: it is left open, not closed on part of its events."""
    end = period_end(policies, last)
    present = now or dt.datetime.now(dt.UTC)
    if last.timestamp() < present.timestamp() < end.timestamp():
        return present.astimezone(last.tzinfo)
    return end


def period_end(policies: Iterable[Policy], last: dt.datetime) -> dt.datetime:
    """The end of the last period the history touches: of the week, month... holding its
    last event (`last`), of every KPI threshold and sampling rule."""
    end = last
    for policy in policies:
        zone = policy.timezone
        for unit in period_units(policy):
            closes = calendar_bounds(calendar_key(last, unit, zone), unit, zone)[1]
            end = max(end, closes, key=dt.datetime.timestamp)
    return end


OpenPeriod = tuple[float, str, str, str]  # (instant it ends, period, its end, the rule's id)


def open_periods(engine: Engine) -> list[str]:
    """The periods holding events that the replay did not close (it stopped before they
    end), each with its end and the rules waiting on it: `2026-12 (model_agent), ends
    2027-01-01 00:00`."""
    return format_open_periods(open_period_ends(engine))


def open_period_ends(engine: Engine) -> list[OpenPeriod]:
    """The periods the replay left open, one for each rule waiting on it."""
    found: list[OpenPeriod] = []
    for threshold in engine.thresholds:
        for instant, end, _subject, period in threshold.ends:
            found.append((instant, period, f"{end:%Y-%m-%d %H:%M}", threshold.block.id))
    for sampling in engine.samplings:
        for instant, end, period in sampling.ends:
            found.append((instant, period, f"{end:%Y-%m-%d %H:%M}", sampling.block.id))
    return found


def format_open_periods(ends: Iterable[OpenPeriod]) -> list[str]:
    """`open_period_ends` as the report says them: a line per period and end."""
    waiting: dict[tuple[float, str, str], set[str]] = {}
    for instant, period, end, rule in ends:
        waiting.setdefault((instant, period, end), set()).add(rule)
    said = _("{period} ({rules}), ends {end}")
    return [said.format(period=period, rules=", ".join(sorted(ids)), end=end)
            for (_instant, period, end), ids in sorted(waiting.items())]  # fmt: skip


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(" ", "minutes")


def advance_to_end(
    engine: Engine, until: dt.datetime | None, problems: list[str]
) -> list[Decision]:
    """Fire what falls due by `until` (by default `replay_end`), so that the replay's last
    periods close. A time too far ahead is noted in `problems`."""
    horizon = until or (replay_end([engine.policy], engine.clock) if engine.clock else None)
    if horizon is None:
        return []
    try:
        return engine.advance(horizon)
    except ClockGapError as error:
        problems.append(replay_gap_reason(engine, horizon, error))
        return []


def replay_gap_reason(
    engine: Engine, horizon: dt.datetime, error: ClockGapError, option: str = "--to"
) -> str:
    """Why a replay stopped at its last event, with what to type instead (`option`: the
    command's end, `--to` or `--until`): the engine's own message names
    `Engine(max_gap=...)`, which is Python, not an option a manager can give."""
    clock = engine.clock
    seconds = horizon.timestamp() - clock.timestamp() if clock is not None else 0.0
    if clock is None or seconds <= REPLAY_MAX_GAP.total_seconds():
        return str(error)
    days, years = int(seconds // 86400), REPLAY_MAX_GAP.days // 365
    latest = clock + REPLAY_MAX_GAP
    return _(
        "it cannot run to {end}, {days:,} days after the history's last event ({last}), more "
        "than the {years} years a replay runs past it (it would close every period in "
        "between): if the date is a typing mistake, correct it, else give an end ({option}) "
        "on or before {latest}"
    ).format(
        end=f"{horizon:%Y-%m-%d %H:%M}", days=days, last=f"{clock:%Y-%m-%d %H:%M}",
        years=years, option=option, latest=f"{latest:%Y-%m-%d}",
    )  # fmt: skip


class Twins:
    """Pairs each decision with an identical one from the other side and forgets both,
    keeping the tallies: what remains is what differs.

    A twin is the same outcome (kind, subject, action, time) by the same rule and window
    (its id). What stays unpaired is then paired by outcome alone, in id order, when the
    replay finishes: two rules that decide the same outcome at once (a month's count and
    a 365-day one) leave the same decision unpaired whatever order they came in, and
    whichever units an incremental simulation replays.

    Nearly every batch one side gives (an event's decisions, a day's samples) has its twin
    batch next from the other side. A side-0 batch is held until the next call: when that
    is side 1's with the same keys in the same order and none of them waits on side 1,
    pairing one by one would add the batch and take it back, so only the tallies change
    (counted by kind for the kinds that are their own label). Else both go one by one."""

    _KEY = itemgetter(0, 1, 2, 3, 7)  # (id, kind, subject, action, at): its twin's too
    _OUTCOME = itemgetter(1, 2, 3, 7)
    _KIND = itemgetter(1)
    _BY_KIND = frozenset({"sample", "shortfall"})  # labelled by kind alone, no grade

    def __init__(self) -> None:
        self.sides = (Side(), Side())
        self.waiting: tuple[dict[Twin, list[Decision]], dict[Twin, list[Decision]]] = ({}, {})
        self.held: list[Decision] | None = None  # side 0's last batch, not paired yet

    def add(self, index: int, decisions: list[Decision]) -> None:
        held, self.held = self.held, None
        if index == 0:
            if held:
                self._pair(0, held)
            self.held = decisions
            return
        if held and not self._same(held, decisions):
            self._pair(0, held)
            held = None
        if held:
            self._count(self.sides[0], held)
            self._count(self.sides[1], decisions)
        else:
            self._pair(1, decisions)

    def _same(self, mine: list[Decision], theirs: list[Decision]) -> bool:
        keys = list(map(self._KEY, mine))
        waiting = self.waiting[1]
        return keys == list(map(self._KEY, theirs)) and not (
            waiting and any(map(waiting.__contains__, keys))
        )

    def _count(self, side: Side, decisions: list[Decision]) -> None:
        for kind, n in Counter(map(self._KIND, decisions)).items():
            if kind in self._BY_KIND:
                side.tally[kind] += n
            else:
                for d in decisions:
                    if d.kind == kind:
                        side.count(d)

    def _pair(self, index: int, decisions: list[Decision]) -> None:
        side, mine, theirs = self.sides[index], self.waiting[index], self.waiting[1 - index]
        key = self._KEY
        for d in decisions:
            side.count(d)
            twin = key(d)
            waiting = theirs.get(twin)
            if waiting:
                waiting.pop()
                if not waiting:
                    del theirs[twin]
            else:
                mine.setdefault(twin, []).append(d)

    def finish(self) -> tuple[Side, Side]:
        self.add(0, [])  # pair the batch held
        left: tuple[dict[Any, list[Decision]], dict[Any, list[Decision]]] = ({}, {})
        for index, waiting in enumerate(self.waiting):
            for d in sorted((d for ds in waiting.values() for d in ds), key=lambda d: d.id):
                left[index].setdefault(self._OUTCOME(d), []).append(d)
        for outcome in left[0].keys() & left[1].keys():  # same outcome, another rule
            paired = min(len(left[0][outcome]), len(left[1][outcome]))
            for index in (0, 1):
                del left[index][outcome][:paired]
        for side, unpaired in zip(self.sides, left, strict=True):
            side.decisions = sorted(
                (d for ds in unpaired.values() for d in ds), key=lambda d: (d.at, d.id)
            )
        return self.sides


class _Versions:
    """One side's replay under the versions in force, each at its time: every version's
    engine sees every event (so its windows and timers are warm when it takes effect), and
    only its decisions from its effective time until the next version's count."""

    def __init__(self, versions: list[tuple[dt.datetime | None, Policy]]) -> None:
        starts = [start for start, _ in versions]
        self.policies = [policy for _, policy in versions]
        self.windows = list(zip(starts, [*starts[1:], None], strict=True))
        self.engines = [Engine(policy, max_gap=REPLAY_MAX_GAP) for policy in self.policies]
        self.first: dt.datetime | None = None

    def feed(self, raw: Mapping[str, Any], side: Side) -> Iterator[Decision]:
        for (start, stop), engine in zip(self.windows, self.engines, strict=True):
            try:
                decisions = engine.feed(raw)
            except EventError as error:
                if start is None:
                    side.rejected.append(str(error))
                continue
            yield from _within(decisions, start, stop)
        if self.first is None:
            self.first = self.engines[0].clock

    def finish(
        self, side: Side, until: dt.datetime | None, policies: list[Policy], now: dt.datetime | None
    ) -> Iterator[Decision]:
        """Run every version to the same end; note where the side stopped and what it left open."""
        side.first_event = self.first
        for (start, stop), engine in zip(self.windows, self.engines, strict=True):
            last = engine.clock
            end = until or (replay_end(policies, last, now) if last else None)
            problems: list[str] = []
            yield from _within(advance_to_end(engine, end, problems), start, stop)
            if problems:  # the same end for every version
                side.stopped = problems[0]
                end = engine.clock  # where it really stopped
            side.last_event, side.replayed_to = last, end
            if stop is None:  # the version in force at the end: what it left open
                side.open_periods = open_periods(engine)


def _within(
    decisions: Iterable[Decision], start: dt.datetime | None, stop: dt.datetime | None
) -> Iterator[Decision]:
    return (
        d for d in decisions
        if (start is None or d.at >= start) and (stop is None or d.at < stop)
    )  # fmt: skip


def replay_versions(
    versions: list[tuple[dt.datetime | None, Policy]],
    events: Iterable[Mapping[str, Any]],
    until: dt.datetime | None = None,
    ends_with: Iterable[Policy] = (),
    now: dt.datetime | None = None,
) -> Side:
    """Judge each event under the version in force at its time, in one pass, keeping every
    decision (`simulate_against_history` keeps only those that differ). Without `until`,
    every version stops at the `replay_end` of all of them and of `ends_with`."""
    side, replay = Side(), _Versions(versions)
    for event in events:
        side.add(replay.feed(event, side))
    side.add(replay.finish(side, until, [*replay.policies, *ends_with], now))
    return side


@replay_collector()
def simulate_against_history(
    new: Policy,
    versions: list[tuple[dt.datetime | None, Policy]],
    events: Iterable[Mapping[str, Any]],
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The proposed policy against the versions that were really in force, in one pass over
    the events (a stream is read once, never held): like `simulate`, each side tallies every
    decision and keeps only those without a twin on the other side."""
    twins = Twins()
    replays = (_Versions(versions), _Versions([(None, new)]))
    roster: Roster = {}
    count = 0
    for event in events:
        count += 1
        note_agent(roster, event)
        for index, replay in enumerate(replays):
            twins.add(index, list(replay.feed(event, twins.sides[index])))
    policies = [*replays[0].policies, new]
    for index, replay in enumerate(replays):
        twins.add(index, list(replay.finish(twins.sides[index], until, policies, now)))
    order = band_order((new, *replays[0].policies))
    return Report(*twins.finish(), count, agents=roster, grade_order=order)
