"""Properties of call sampling on generated call logs and event streams.

1. A published plan can be re-derived: `build_plan` (policies/center.policy) on the same
   calls fed in another order gives the same plan (`verify_plan` finds nothing), and a plan with a pick removed or
   added is caught by `verify_plan`.
2. The engine's picks equal an independent oracle written from the documented method
   (engine/sampling.py): the Nth eligible call of the agent's local day by start time
   (ties by call id), then random picks ranked by sha256(f"{seed}:{call id}") hex, lowest
   first, seed `policy|version|rule id|day`; an agent-day that falls short of the quota
   gets exactly one shortfall. Also in America/New_York, on the days around both daylight
   saving changes of 2026, where the local day of a call decides its period.
3. `Engine.feed` skipping `advance` until the next due time changes nothing: an engine
   forced to advance before every event gives exactly the same decisions.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.policy import Policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.sampling.plan import build_plan, verify_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")  # DST starts 2026-03-08 02:00, ends 2026-11-01 02:00
UTC = dt.UTC
AGENTS = ["A1", "A2", "A3", "A4"]
# ISO weeks of 2026, including W53 (28 December 2026 to 3 January 2027)
WEEKS = [2, 10, 27, 45, 53]
# the same instant may be written in any of these zones
WRITTEN_IN = [UTC, SHANGHAI, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]

CENTER = load_policy(Path(__file__).resolve().parent.parent / "policies" / "center.policy")

Event = dict[str, Any]
AgentDay = tuple[str, str]  # (agent, local day)


# ------------------------------------------------------------------ call logs


durations = st.one_of(st.integers(0, 600), st.sampled_from([29, 30, 59, 60, 61]))
minutes_of_day = st.one_of(
    st.integers(0, 24 * 60 - 1), st.sampled_from([0, 1, 659, 660, 661, 810, 1439])
)


@st.composite
def week_days(draw: st.DrawFn) -> tuple[int, list[dt.date]]:
    """An ISO week of 2026 and 1-3 consecutive days in it."""
    week = draw(st.sampled_from(WEEKS))
    monday = dt.date.fromisocalendar(2026, week, 1)
    first = draw(st.integers(0, 4))
    count = draw(st.integers(1, 3))
    return week, [monday + dt.timedelta(days=first + i) for i in range(count)]


@st.composite
def calls_at(draw: st.DrawFn, instants: st.SearchStrategy[dt.datetime]) -> list[Event]:
    """0-25 calls of A1..A4 starting at some of `instants`, several calls often at the same
    instant. Ids are numbered in a random order, so time order and id order differ; each
    time is written in one of several zones."""
    times = draw(st.lists(instants, min_size=1, max_size=20))
    rows = draw(st.lists(
        st.tuples(st.integers(0, len(times) - 1), st.sampled_from(AGENTS), durations,
                  st.sampled_from(WRITTEN_IN)),
        max_size=25,
    ))  # fmt: skip
    numbers = draw(st.permutations(range(1, len(rows) + 1)))
    return [
        {"kind": "call", "id": f"c{number}", "agent": agent,
         "at": times[time].astimezone(zone), "duration": duration}
        for (time, agent, duration, zone), number in zip(rows, numbers, strict=True)
    ]  # fmt: skip


def local_instants(days: Sequence[dt.date], zone: ZoneInfo) -> st.SearchStrategy[dt.datetime]:
    """Local times with minutes on `days` (in a zone without daylight saving)."""
    return st.builds(
        lambda day, minute: dt.datetime.combine(day, dt.time(minute // 60, minute % 60), zone),
        st.sampled_from(list(days)), minutes_of_day,
    )  # fmt: skip


def dst_instants(days: Sequence[dt.date], change: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    """UTC instants on `days` in New York, crowded around local midnights and the two hours
    either side of the daylight saving change `change`."""
    start = dt.datetime.combine(days[0], dt.time(), NEW_YORK).astimezone(UTC)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), NEW_YORK)
    span = int((end - start).total_seconds() // 60)
    midnights = [
        int((dt.datetime.combine(day, dt.time(), NEW_YORK) - start).total_seconds() // 60)
        for day in days
    ] + [span]
    near_change = int((change - start).total_seconds() // 60) - 120
    offsets = st.one_of(
        st.integers(0, span - 1),
        st.tuples(st.sampled_from(midnights), st.integers(-90, 90)).map(
            lambda pair: min(max(pair[0] + pair[1], 0), span - 1)
        ),
        st.integers(near_change, near_change + 240),
        st.integers(near_change + 60, near_change + 179),  # the hour before and after
    )
    return offsets.map(lambda minutes: start + dt.timedelta(minutes=minutes))


def in_time_order(events: Iterable[Event]) -> list[Event]:
    """By instant (aware datetimes in different zones compare as instants), then id."""
    return sorted(events, key=lambda e: (e["at"], e["id"]))


def local_day(event: Event, zone: ZoneInfo) -> str:
    return str(event["at"].astimezone(zone).date().isoformat())


# ------------------------------------------- 1. a re-derived plan equals the published one


def plan_picks(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["period"], p["agent"], p["call"]) for e in plan["periods"] for p in e["picks"]}


def samples_of(plan: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What each period of the plan sampled, with its seed and shortfalls."""
    keys = ("sampling", "period", "seed", "picks", "shortfalls")
    return [tuple(entry[key] for key in keys) for entry in plan["periods"]]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_re_derived_plan_equals_the_published_one(data: st.DataObject) -> None:
    week, days = data.draw(week_days(), label="days")
    calls = data.draw(calls_at(local_instants(days, SHANGHAI)), label="calls")
    monday = dt.date.fromisocalendar(2026, week, 1)
    period = data.draw(
        st.sampled_from([f"2026-W{week:02d}"]
                        + [(monday + dt.timedelta(days=i)).isoformat() for i in range(7)]),
        label="period",
    )  # fmt: skip
    shuffled = data.draw(st.permutations(calls), label="shuffled")

    rejected: list[str] = []
    published = build_plan(CENTER, calls, period, rejected)
    derived = build_plan(CENTER, shuffled, period, rejected)
    assert rejected == []
    assert verify_plan(published, derived) == []
    assert plan_picks(published) == plan_picks(derived)
    assert published == derived  # the same reasons (ranks, digests) and shortfalls too

    # calls after the period cannot change it, even over a year later; a period long
    # after the last call has nothing to sample (and is not refused as a clock jump)
    later = [{**c, "id": f"{c['id']}-later", "at": c["at"] + dt.timedelta(days=400)}
             for c in calls]  # fmt: skip
    extended = build_plan(CENTER, calls + later, period, rejected)
    assert samples_of(extended) == samples_of(published)
    assert extended["log_ends"] is None and all(e["final"] for e in extended["periods"])
    assert build_plan(CENTER, calls, "2028-W10", rejected)["periods"] == []
    assert rejected == []

    # every pick is a call of that agent on that local day, inside the period
    by_id = {c["id"]: c for c in calls}
    days_in_period = {d.isoformat() for d in days} if period.startswith("2026-W") else {period}
    for day, agent, call in plan_picks(published):
        assert by_id[call]["agent"] == agent
        assert local_day(by_id[call], SHANGHAI) == day
        assert day in days_in_period
    # an agent-day of the period with a call of 30 s or more has a pick (the random pick
    # takes every such call when there are 2 or fewer)
    expected_days = {
        (local_day(c, SHANGHAI), c["agent"])
        for c in calls
        if c["duration"] >= 30 and local_day(c, SHANGHAI) in days_in_period
    }
    assert {(day, agent) for day, agent, _ in plan_picks(published)} == expected_days

    # tampering is reported: a pick removed, a pick added
    spots = [(i, j) for i, e in enumerate(published["periods"]) for j in range(len(e["picks"]))]
    if spots:
        i, j = data.draw(st.sampled_from(spots), label="removed pick")
        tampered = copy.deepcopy(published)
        removed = tampered["periods"][i]["picks"].pop(j)
        problems = verify_plan(tampered, derived)
        assert len(problems) == 1, problems
        assert removed["call"] in problems[0] and tampered["periods"][i]["period"] in problems[0]
        assert "missing from the plan" in problems[0]

        forged = copy.deepcopy(published)
        forged["periods"][i]["picks"].append({"agent": "A1", "call": "forged", "why": "chosen"})
        problems = verify_plan(forged, derived)
        assert len(problems) == 1 and "forged" in problems[0], problems
        assert "the rule does not pick it" in problems[0]


# ---------------------------------------------- 2. the picks equal an independent oracle


ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}


@cache
def sampling_policy(zone: str, ordinal: int, after: str, count: int) -> Policy:
    calls = "call" if count == 1 else "calls"
    return load_policy(
        text=f'policy "p" version "1" timezone "{zone}"\n'
        'sampling daily "每日抽检" {\n'
        "  per agent per day\n"
        f"  pick {ORDINALS[ordinal]} call where call.start.time >= {after} and call.duration >= 60s\n"
        f"  pick {count} random {calls} where call.duration >= 30s\n"
        "}\n",
        file="p.policy",
    )


def oracle(
    calls: Sequence[Event], zone: ZoneInfo, ordinal: int, after: dt.time, count: int
) -> tuple[dict[AgentDay, set[str]], dict[AgentDay, tuple[int, int]]]:
    """The documented method, from scratch: picks per (agent, day), and (wanted, picked)
    for each agent-day that falls short."""
    groups: dict[AgentDay, list[Event]] = {}
    for call in in_time_order(calls):
        groups.setdefault((call["agent"], local_day(call, zone)), []).append(call)
    picks: dict[AgentDay, set[str]] = {}
    short: dict[AgentDay, tuple[int, int]] = {}
    for (agent, day), group in groups.items():
        taken: list[str] = []
        eligible = [
            c["id"] for c in group
            if c["at"].astimezone(zone).time() >= after and c["duration"] >= 60
        ]  # fmt: skip
        if len(eligible) >= ordinal:
            taken.append(eligible[ordinal - 1])
        seed = f"p|1|daily|{day}"
        pool = [c["id"] for c in group if c["duration"] >= 30 and c["id"] not in taken]
        pool.sort(key=lambda call_id: hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest())
        taken += pool[:count]
        if taken:
            picks[(agent, day)] = set(taken)
        if len(taken) < 1 + count:
            short[(agent, day)] = (1 + count, len(taken))
    return picks, short


def run_engine(policy: Policy, calls: Sequence[Event], end: dt.datetime) -> list[Decision]:
    engine = Engine(policy)
    decisions: list[Decision] = []
    for call in in_time_order(calls):
        decisions += engine.feed(call)
    return decisions + engine.advance(end)


def check_against_oracle(
    calls: Sequence[Event], zone: ZoneInfo, days: Sequence[dt.date],
    ordinal: int, after: str, count: int,
) -> None:  # fmt: skip
    policy = sampling_policy(str(zone), ordinal, after, count)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), zone)
    decisions = run_engine(policy, calls, end)
    picks, short = oracle(calls, zone, ordinal, dt.time.fromisoformat(after), count)

    samples = [d for d in decisions if d.kind == "sample"]
    got: dict[AgentDay, set[str]] = {}
    for d in samples:
        day = d.facts["period"]
        assert d.facts["seed"] == f"p|1|daily|{day}"
        assert d.at == dt.datetime.combine(dt.date.fromisoformat(day) + dt.timedelta(days=1),
                                           dt.time(), zone)  # fmt: skip
        assert d.action is not None
        got.setdefault((d.subject, day), set()).add(d.action)
    assert len(samples) == sum(len(s) for s in got.values()), "a call sampled twice"
    assert got == picks

    shortfalls = [d for d in decisions if d.kind == "shortfall"]
    counted = Counter((d.subject, (d.at - dt.timedelta(seconds=1)).astimezone(zone).date()
                       .isoformat()) for d in shortfalls)  # fmt: skip
    assert counted == Counter(short.keys())
    for d in shortfalls:
        key = (d.subject, (d.at - dt.timedelta(seconds=1)).astimezone(zone).date().isoformat())
        assert (d.facts["wanted"], d.facts["picked"]) == short[key]
    assert {d.kind for d in decisions} <= {"sample", "shortfall"}


pick_specs = st.tuples(
    st.sampled_from([1, 2, 3]), st.sampled_from(["00:00", "11:00", "13:30"]),
    st.sampled_from([1, 2, 3]),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.data(), pick_specs)
def test_picks_equal_an_oracle_of_the_documented_method(
    data: st.DataObject, spec: tuple[int, str, int]
) -> None:
    _, days = data.draw(week_days(), label="days")
    calls = data.draw(calls_at(local_instants(days, SHANGHAI)), label="calls")
    check_against_oracle(calls, SHANGHAI, days, *spec)


def test_the_oracle_on_the_documented_example() -> None:
    """`pick 2nd call where call.start.time >= 11:00 and call.duration >= 60s` and
    `pick 2 random calls where call.duration >= 30s`, by hand, for one agent-day."""
    day = dt.date(2026, 3, 2)
    calls = [
        {"kind": "call", "id": f"k{hour}", "agent": "A1", "duration": 40 + hour * 5,
         "at": dt.datetime.combine(day, dt.time(hour, 10), SHANGHAI)}
        for hour in range(9, 17)
    ]  # fmt: skip
    picks, short = oracle(calls, SHANGHAI, 2, dt.time(11), 2)
    seed = "p|1|daily|2026-03-02"
    rest = sorted((c["id"] for c in calls if c["id"] != "k12"),
                  key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())  # fmt: skip
    assert picks == {("A1", "2026-03-02"): {"k12", *rest[:2]}} and short == {}
    check_against_oracle(calls, SHANGHAI, [day], 2, "11:00", 2)


SPRING_DAYS = [dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9)]
SPRING_CHANGE = dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 02:00 EST becomes 03:00 EDT
FALL_DAYS = [dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
FALL_CHANGE = dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT becomes 01:00 EST


@settings(max_examples=60, deadline=None)
@given(calls_at(dst_instants(SPRING_DAYS, SPRING_CHANGE)), pick_specs)
def test_picks_equal_the_oracle_when_daylight_saving_starts(
    calls: list[Event], spec: tuple[int, str, int]
) -> None:
    check_against_oracle(calls, NEW_YORK, SPRING_DAYS, *spec)


@settings(max_examples=60, deadline=None)
@given(calls_at(dst_instants(FALL_DAYS, FALL_CHANGE)), pick_specs)
@example(
    [{"kind": "call", "id": "c1", "agent": "A1", "duration": 0,
      "at": dt.datetime(2026, 11, 1, 5, 1, tzinfo=UTC)},  # 01:01 EDT
     {"kind": "call", "id": "c2", "agent": "A1", "duration": 0,
      "at": dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)}],  # 01:00 EST, 59 minutes later
    (1, "00:00", 1),
)  # fmt: skip
def test_picks_equal_the_oracle_when_daylight_saving_ends(
    calls: list[Event], spec: tuple[int, str, int]
) -> None:
    """01:00-02:00 happens twice on 1 November: the calls of both hours are fed in time
    order and belong to that day."""
    check_against_oracle(calls, NEW_YORK, FALL_DAYS, *spec)


# ------------------------------------- 3. skipping `advance` between due times changes nothing


MIXED = load_policy(
    text='policy "混合" version "3" timezone "Asia/Shanghai"\n'
    'action warn "书面警告" notify 班长\n'
    'action off_floor "下岗培训" notify 主管 sets status "retraining"\n'
    'action coach "辅导" notify 班长\n'
    'sampling daily "每日抽检" {\n'
    "  per agent per day\n"
    "  pick 2nd call where call.start.time >= 11:00 and call.duration >= 60s\n"
    "  pick 2 random calls where call.duration >= 30s\n"
    '  quota 4 per day when agent.status == "retraining"\n'
    "  publish 1 day ahead to 班长\n"
    "}\n"
    'sampling weekly "每周抽检" {\n'
    "  per agent per week\n"
    "  pick 1st call where call.duration >= 300s\n"
    "  pick 1 random call\n"
    "}\n"
    'escalation complaints "投诉分级处理" {\n'
    "  chain 班长 -> 主管 -> 总经理 -> 主管领导\n"
    '  start at 总经理 when complaint.severity == "major"\n'
    "  escalate after 2h at 班长, 5h at 主管, 8h at 总经理 while unresolved\n"
    "}\n"
    'threshold csat "满意度" {\n'
    "  per team per day\n"
    "  value count(survey where survey.satisfied) / count(survey)\n"
    "  alert 主管 when value < 80%\n"
    "}\n"
    'threshold long_calls "长通话" {\n'
    "  per agent per day\n"
    "  value count(call where call.duration >= 300s) / count(call)\n"
    "  alert 班长 when value > 50%\n"
    "}\n"
    'discipline d "纪律" {\n'
    "  rule late_day when count(violation) in calendar day >= 2 then warn\n"
    "  rule late_rolling when count(violation) in 12h >= 3 then off_floor\n"
    "  rule complaints_week when count(complaint) in calendar week >= 2 then coach\n"
    "}\n",
    file="mixed.policy",
)

KINDS = ["call", "call", "call", "complaint", "complaint_resolved", "violation", "survey"]


@st.composite
def mixed_streams(draw: st.DrawFn) -> tuple[list[Event], dt.datetime]:
    """Calls, complaints and their resolutions, violations and surveys over 1-4 days
    (Shanghai), in time order; and a time after which everything has fallen due."""
    week = draw(st.sampled_from(WEEKS))
    start = dt.datetime.combine(
        dt.date.fromisocalendar(2026, week, draw(st.integers(1, 7))), dt.time(), SHANGHAI
    ).astimezone(UTC)
    span = draw(st.integers(1, 4)) * 24 * 60
    count = draw(st.integers(0, 40))
    moments: list[int] = []
    for _ in range(count):
        if moments and draw(st.integers(0, 4)) == 0:
            moments.append(draw(st.sampled_from(moments)))  # at the same instant
        else:
            moments.append(draw(st.integers(0, span)))
    moments.sort()
    events: list[Event] = []
    complaints: list[str] = []
    for number, minute in enumerate(moments, 1):
        at = start + dt.timedelta(minutes=minute)
        event: Event = {"kind": draw(st.sampled_from(KINDS)), "id": f"e{number}", "at": at}
        agent = draw(st.sampled_from(AGENTS))
        if event["kind"] == "call":
            event.update(agent=agent, duration=draw(durations))
        elif event["kind"] == "complaint":
            event.update(agent=agent, severity=draw(st.sampled_from(["normal", "major"])))
            complaints.append(event["id"])
        elif event["kind"] == "complaint_resolved":
            event["complaint"] = draw(st.sampled_from(complaints)) if complaints else "e0"
        elif event["kind"] == "violation":
            event.update(agent=agent, type="late")
        else:
            event.update(agent=agent, team=draw(st.sampled_from(["T1", "T2"])),
                         satisfied=draw(st.booleans()))  # fmt: skip
        events.append(event)
    return events, start + dt.timedelta(minutes=span, days=8)


@settings(max_examples=60, deadline=None)
@given(mixed_streams())
def test_skipping_advance_until_the_next_due_time_changes_nothing(
    stream: tuple[list[Event], dt.datetime],
) -> None:
    events, end = stream
    lazy, eager = Engine(MIXED), Engine(MIXED)
    lazy_out: list[Decision] = []
    eager_out: list[Decision] = []
    for event in events:
        lazy_out += lazy.feed(event)
        eager._due_at = None  # forces a full advance before the event
        eager_out += eager.feed(event)
    lazy_out += lazy.advance(end)
    eager._due_at = None
    eager_out += eager.advance(end)
    assert lazy_out == eager_out
