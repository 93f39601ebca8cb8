"""Published sampling plans: which calls each agent has sampled in a period, re-derivable.

A plan lists, for each sampling rule's period that overlaps the period asked for (the
days of a week; the week around a day, for a weekly rule), the seed and the picks;
`verify_plan` re-derives it from the call log and reports every difference, so a team
lead can check that nobody chose the calls.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel

from callqa.dsl.i18n import _
from callqa.engine.decisions import Decision
from callqa.engine.errors import ClockGapError
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import REPLAY_MAX_GAP, Engine
from callqa.engine.runtime.events import EventError, parse_event, unreal_year
from callqa.engine.runtime.windows import calendar_bounds, calendar_key
from callqa.engine.sampling.rule import SamplingRule


def period_days(period: str) -> tuple[dt.date, dt.date]:
    """[first, last] day of `2026-11-02`, `2026-W48` or `2026-11`; a ValueError in plain
    words for anything else (`2026-W00`, `2026-13`, the year 9999)."""
    try:
        first, last = _period_days(period)
    except ValueError:
        raise ValueError(
            _("{period!r} is not a period: write a day (2026-11-02), a week (2026-W48) or a "
              "month (2026-11)").format(period=period)
        ) from None  # fmt: skip
    problem = unreal_year(first.year)
    if problem is not None:
        raise ValueError(_("{period!r}: {problem}").format(period=period, problem=problem))
    return first, last


def _period_days(period: str) -> tuple[dt.date, dt.date]:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        day = dt.date.fromisoformat(period)
        return day, day
    if re.fullmatch(r"\d{4}-W\d{2}", period):
        year, week = period.split("-W")
        first = dt.date.fromisocalendar(int(year), int(week), 1)
        return first, first + dt.timedelta(days=6)
    if re.fullmatch(r"\d{4}-\d{2}", period):
        year_text, month_text = period.split("-")
        year_number, month = int(year_text), int(month_text)
        first = dt.date(year_number, month, 1)
        following = dt.date(year_number + (month == 12), month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    raise ValueError(period)


SEED_METHOD = "sha256(seed + ':' + call id), lowest first; seed = policy|version|sampling id|period"


def plan_span(policy: Policy, period: str) -> tuple[dt.datetime | None, dt.datetime]:
    """The calls that can be in `period`'s samples: from the start of the first sampling
    period overlapping it to the end of the last (a weekly rule's week reaches past a
    day). The start is None when every call counts, because a discipline rule counts
    calls and its actions may set the statuses that quotas depend on."""
    span = _span(Engine(policy), period)
    return span.opens, span.closes


class _Span(NamedTuple):
    start: dt.datetime  # the period asked for: [start, end)
    end: dt.datetime
    opens: dt.datetime | None  # the calls that can change its plan: [opens, closes)
    closes: dt.datetime


def _span(engine: Engine, period: str) -> _Span:
    first, last = period_days(period)
    zone = engine.zone
    start = calendar_bounds(first.isoformat(), "day", zone)[0]
    end = calendar_bounds(last.isoformat(), "day", zone)[1]
    opens, closes = start, end
    for sampling in engine.samplings:
        opens = min(opens, _bounds(sampling, start)[0])
        closes = max(closes, _bounds(sampling, end - _INSTANT)[1])
    return _Span(start, end, None if "call" in engine.rule_kinds else opens, closes)


_INSTANT = dt.timedelta(microseconds=1)


def _bounds(sampling: SamplingRule, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the sampling rule's period containing `moment`."""
    return calendar_bounds(
        calendar_key(moment, sampling.period, sampling.zone), sampling.period, sampling.zone
    )


def build_plan(
    policy: Policy,
    events: Iterable[Mapping[str, Any] | BaseModel],
    period: str,
    rejected: list[str],
) -> dict[str, Any]:
    """Feed the call log (and agent status changes) and collect the samples of every
    sampling period that overlaps `period`. A bad event is skipped and its reason
    appended to `rejected`. Calls outside `plan_span` cannot change the samples: they are
    left out unread, so a plan of one day from years of calls takes a second or so."""
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    start, end, opens, closes = _span(engine, period)
    rules = {sampling.block.id: sampling for sampling in engine.samplings}
    entries: dict[tuple[str, str], dict[str, Any]] = {}  # (sampling id, its period) ->
    ends: dict[tuple[str, str], dt.datetime] = {}

    def collect(decisions: Iterable[Decision]) -> None:
        for decision in decisions:
            sampling = rules.get(decision.rule)
            if decision.kind not in ("sample", "shortfall") or sampling is None:
                continue
            # a sampling period's decisions come at its end: it overlaps the period asked
            # for when it ends after the period starts and starts before the period ends
            if decision.at <= start or _bounds(sampling, decision.at - _INSTANT)[0] >= end:
                continue
            key = calendar_key(decision.at - _INSTANT, sampling.period, sampling.zone)
            entry = entries.get((sampling.block.id, key))
            if entry is None:
                entry = entries[sampling.block.id, key] = {
                    "sampling": sampling.block.id, "period": key, "seed": sampling.seed(key),
                    "picks": [], "shortfalls": [],
                }  # fmt: skip
                ends[sampling.block.id, key] = decision.at
            if decision.kind == "sample":
                entry["picks"].append(
                    {"agent": decision.subject, "call": decision.action, "why": decision.reason}
                )
            else:
                entry["shortfalls"].append({"agent": decision.subject, "why": decision.reason})

    timed = []
    latest: dt.datetime | None = None  # the last event read
    reached = False  # whether the log goes on past the last sampling period's end
    for raw in events:
        side = call_side(raw, opens, closes, engine.zone)
        if side:
            reached = reached or side > 0
            continue
        try:
            event = parse_event(raw)
        except EventError as error:
            rejected.append(str(error))
            continue
        at = _aware(event.at, policy)
        latest = at if latest is None or at > latest else latest
        reached = reached or at >= closes
        if at < closes and (event.kind != "call" or opens is None or opens <= at):
            timed.append((at, event.id, event))
    timed.sort(key=lambda timed: timed[:2])
    for at, _id, event in timed:
        # a status change years before the calls is stepped towards, as the calls left
        # out would have stepped the clock
        collect(_catch_up(engine, at if opens is None else min(at, opens)))
        try:
            collect(engine.feed(event))
        except EventError as error:
            rejected.append(str(error))
    collect(_catch_up(engine, closes))
    # refused when the log ends over REPLAY_MAX_GAP (10 years) before the period ends: then
    # every sampling period (a month at most) holding one of its calls ended before it began
    with contextlib.suppress(ClockGapError):
        collect(engine.advance(closes))
    for key, entry in entries.items():
        # a period the log stops in: calls still to come can change its sample
        entry["final"] = reached or (latest is not None and latest >= ends[key])
        entry["picks"].sort(key=lambda p: (p["agent"], p["call"]))
        entry["shortfalls"].sort(key=lambda s: s["agent"])
    ordered = [entries[key] for key in sorted(entries, key=lambda key: (ends[key], key))]
    return {
        "policy": policy.name,
        "version": policy.version,
        "period": period,
        "rules": [
            {"sampling": s.block.id, "rule": [p.text for p in s.picks], "location": s.location}
            for s in engine.samplings
        ],
        "seed_method": SEED_METHOD,
        "log_ends": None
        if reached or latest is None
        else latest.astimezone(engine.zone).isoformat(),
        "periods": ordered,
    }


def call_side(
    raw: Mapping[str, Any] | BaseModel,
    opens: dt.datetime | None,
    closes: dt.datetime,
    zone: dt.tzinfo,
) -> int:
    """-1 when `raw` is surely a call before `opens`, 1 a call from `closes` on, told
    without validating it (a year of calls takes seconds to validate); 0 when it is
    inside, not a call, or in doubt."""
    if isinstance(raw, BaseModel):
        kind, moment = getattr(raw, "kind", None), getattr(raw, "at", None)
    else:
        kind, moment = raw.get("kind"), raw.get("at")
    if kind != "call":
        return 0
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return 0
    if not isinstance(moment, dt.datetime):
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return 1 if moment >= closes else -1 if opens is not None and moment < opens else 0
    except OverflowError:
        return 0


def _catch_up(engine: Engine, target: dt.datetime) -> list[Decision]:
    """Advance the engine towards `target` in steps the engine takes (REPLAY_MAX_GAP, less
    a day for a daylight saving hour); stops at a step refused (a year past 2999)."""
    out: list[Decision] = []
    step = REPLAY_MAX_GAP - dt.timedelta(days=1)
    while engine.clock is not None and target - engine.clock > step:
        try:
            out += engine.advance(engine.clock + step)
        except ClockGapError:
            break
    return out


def _aware(moment: dt.datetime, policy: Policy) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=policy.timezone)


def plan_problems(plan: object) -> list[str]:
    """What keeps `plan` (read from a published plan.json) from being a sampling plan, in
    plain words; empty when `verify_plan` can compare it."""
    if not isinstance(plan, dict):
        return [_("it is not a JSON object {{...}} as callqa sample --out writes").format()]
    problems = [_("{key}: missing or not text").format(key=key) for key in ("policy", "period")
                if not isinstance(plan.get(key), str)]  # fmt: skip
    if "periods" not in plan and "days" in plan:
        return [
            *problems,
            _(
                "it lists days, as callqa wrote plans before it planned weekly "
                "and monthly rules: publish it again with callqa sample --out"
            ),
        ]
    periods = plan.get("periods", [])
    if not isinstance(periods, list):
        return [*problems, _("periods: not a list")]
    for index, entry in enumerate(periods):
        where = f"periods[{index}]"
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(key), str) for key in ("sampling", "period")
        ):
            problems.append(_('{where}: not a sampling period with its rule and label '
                              '("sampling": "daily_check", "period": "2026-11-02")').format(
                where=where
            ))  # fmt: skip
            continue
        picks = entry.get("picks", [])
        if not isinstance(picks, list) or not all(_is_pick(pick) for pick in picks):
            problems.append(_("{where} ({period}): picks must each have an agent and a call")
                            .format(where=where, period=entry["period"]))  # fmt: skip
    return problems


def _is_pick(pick: object) -> bool:
    return (
        isinstance(pick, dict)
        and isinstance(pick.get("agent"), str)
        and isinstance(pick.get("call"), str)
    )


def verify_plan(published: Mapping[str, Any], derived: Mapping[str, Any]) -> list[str]:
    """Every difference between a published plan (checked by `plan_problems`) and one
    re-derived from the call log: the policy, the rules, each period's seed and picks."""
    problems = []
    for key in ("policy", "version", "period", "rules", "seed_method"):
        if published.get(key) != derived.get(key):
            problems.append(
                _("{key}: published {published!r}, derived {derived!r}").format(
                    key=key, published=published.get(key), derived=derived.get(key)
                )
            )
    mine = {(e["sampling"], e["period"]): e for e in derived.get("periods", [])}
    theirs = {(e["sampling"], e["period"]): e for e in published.get("periods", [])}
    one_rule = len({sampling for sampling, _ in mine.keys() | theirs.keys()}) <= 1
    for sampled in sorted(mine.keys() | theirs.keys(), key=lambda pair: (pair[1], pair[0])):
        label = sampled[1] if one_rule else f"{sampled[1]} ({sampled[0]})"
        seeds = theirs.get(sampled, {}).get("seed"), mine.get(sampled, {}).get("seed")
        if sampled in mine and sampled in theirs and seeds[0] != seeds[1]:
            problems.append(
                _("{period}: the plan's seed is {published!r}, the rule's {derived!r}").format(
                    period=label, published=seeds[0], derived=seeds[1]
                )
            )
        a = _picks(theirs.get(sampled, {}))
        b = _picks(mine.get(sampled, {}))
        for agent, call in sorted(a - b):
            problems.append(
                _("{period}: {agent}'s call {call} is in the plan but the rule does not pick it")
                .format(period=label, agent=agent, call=call)
            )  # fmt: skip
        for agent, call in sorted(b - a):
            problems.append(
                _("{period}: the rule picks {agent}'s call {call}, missing from the plan").format(
                    period=label, agent=agent, call=call
                )
            )
    return problems


def _picks(entry: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(str(p["agent"]), str(p["call"])) for p in entry.get("picks", [])}
