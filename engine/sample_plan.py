"""Published sampling plans: which calls each agent has sampled in a period, re-derivable.

A plan lists, per day, the seed and the picks; `verify_plan` re-derives it from the call
log and reports every difference, so a team lead can check that nobody chose the calls.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from engine.decisions import Decision
from engine.errors import ClockGapError
from engine.events import EventError, parse_event, unreal_year
from engine.policy import Policy
from engine.runtime import REPLAY_MAX_GAP, Engine
from engine.windows import calendar_bounds


def period_days(period: str) -> tuple[dt.date, dt.date]:
    """[first, last] day of `2026-11-02`, `2026-W48` or `2026-11`; a ValueError in plain
    words for anything else (`2026-W00`, `2026-13`, the year 9999)."""
    try:
        first, last = _period_days(period)
    except ValueError:
        raise ValueError(f"{period!r} is not a period: write a day (2026-11-02), a week "
                         "(2026-W48) or a month (2026-11)") from None  # fmt: skip
    problem = unreal_year(first.year)
    if problem is not None:
        raise ValueError(f"{period!r}: {problem}")
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


def build_plan(
    policy: Policy,
    events: Iterable[Mapping[str, Any] | BaseModel],
    period: str,
    rejected: list[str],
) -> dict[str, Any]:
    """Feed the call log (and agent status changes) and collect the period's samples.
    A bad event is skipped and its reason appended to `rejected`. Events from the end of
    the period on cannot change its samples, and are left out."""
    first, last = period_days(period)
    end = calendar_bounds(last.isoformat(), "day", policy.timezone)[1]
    engine = Engine(policy, max_gap=REPLAY_MAX_GAP)
    decisions: list[Decision] = []
    parsed = []
    for raw in events:
        try:
            event = parse_event(raw)
        except EventError as error:
            rejected.append(str(error))
            continue
        at = _aware(event.at, policy)
        if at < end:
            parsed.append((at, event.id, event))
    parsed.sort(key=lambda timed: timed[:2])
    for _, _, event in parsed:
        try:
            decisions += engine.feed(event)
        except EventError as error:
            rejected.append(str(error))
    # refused when the log ends over REPLAY_MAX_GAP (10 years) before the period ends: then
    # every sampling period (a month at most) holding one of its calls ended before it began
    with contextlib.suppress(ClockGapError):
        decisions += engine.advance(end)
    days: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        if decision.kind not in ("sample", "shortfall"):
            continue
        day = str(decision.facts.get("period", "")) or _day_of(decision)
        if not first.isoformat() <= day <= last.isoformat():
            continue
        entry = days.setdefault(day, {"day": day, "picks": [], "shortfalls": []})
        if decision.kind == "sample":
            entry["seed"] = decision.facts["seed"]
            entry["picks"].append(
                {"agent": decision.subject, "call": decision.action, "why": decision.reason}
            )
        else:
            entry["shortfalls"].append({"agent": decision.subject, "why": decision.reason})
    for entry in days.values():
        entry["picks"].sort(key=lambda p: (p["agent"], p["call"]))
        entry["shortfalls"].sort(key=lambda s: s["agent"])
    rules = [
        {"sampling": s.block.id, "rule": [p.text for p in s.picks], "location": s.location}
        for s in engine.samplings
    ]
    return {
        "policy": policy.name,
        "version": policy.version,
        "period": period,
        "rules": rules,
        "seed_method": "sha256(seed + ':' + call id), lowest first; "
        "seed = policy|version|sampling id|day",
        "days": [days[d] for d in sorted(days)],
    }


def _aware(moment: dt.datetime, policy: Policy) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=policy.timezone)


def _day_of(decision: Decision) -> str:
    return (decision.at - dt.timedelta(seconds=1)).date().isoformat()


def plan_problems(plan: object) -> list[str]:
    """What keeps `plan` (read from a published plan.json) from being a sampling plan, in
    plain words; empty when `verify_plan` can compare it."""
    if not isinstance(plan, dict):
        return ["it is not a JSON object {...} as callqa sample --out writes"]
    problems = [f"{key}: missing or not text" for key in ("policy", "period")
                if not isinstance(plan.get(key), str)]  # fmt: skip
    days = plan.get("days", [])
    if not isinstance(days, list):
        return [*problems, "days: not a list"]
    for index, day in enumerate(days):
        where = f"days[{index}]"
        if not isinstance(day, dict) or not isinstance(day.get("day"), str):
            problems.append(f'{where}: not a day with its date ("day": "2026-11-02")')
            continue
        picks = day.get("picks", [])
        if not isinstance(picks, list) or not all(
            isinstance(p, dict)
            and isinstance(p.get("agent"), str)
            and isinstance(p.get("call"), str)
            for p in picks
        ):
            problems.append(f"{where} ({day['day']}): picks must each have an agent and a call")
    return problems


def _is_pick(pick: object) -> bool:
    return (
        isinstance(pick, dict)
        and isinstance(pick.get("agent"), str)
        and isinstance(pick.get("call"), str)
    )


def verify_plan(published: Mapping[str, Any], derived: Mapping[str, Any]) -> list[str]:
    """Every difference between a published plan (checked by `plan_problems`) and one
    re-derived from the call log: the policy, the rules, each day's seed and picks."""
    problems = []
    for key in ("policy", "version", "period", "rules", "seed_method"):
        if published.get(key) != derived.get(key):
            problems.append(
                f"{key}: published {published.get(key)!r}, derived {derived.get(key)!r}"
            )
    mine = {d["day"]: d for d in derived.get("days", [])}
    theirs = {d["day"]: d for d in published.get("days", [])}
    for day in sorted(set(mine) | set(theirs)):
        seeds = theirs.get(day, {}).get("seed"), mine.get(day, {}).get("seed")
        if day in mine and day in theirs and seeds[0] != seeds[1]:
            problems.append(f"{day}: the plan's seed is {seeds[0]!r}, the rule's {seeds[1]!r}")
        a = _picks(theirs.get(day, {}))
        b = _picks(mine.get(day, {}))
        for agent, call in sorted(a - b):
            problems.append(
                f"{day}: {agent}'s call {call} is in the plan but the rule does not pick it"
            )
        for agent, call in sorted(b - a):
            problems.append(f"{day}: the rule picks {agent}'s call {call}, missing from the plan")
    return problems


def _picks(day: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(str(p["agent"]), str(p["call"])) for p in day.get("picks", [])}
