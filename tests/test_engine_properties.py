"""Properties of the event-driven engine on generated event streams: windowed counts
equal a brute-force recount (calendar windows in a timezone with daylight saving, exact
rolling windows), decisions are deterministic, duplicates change nothing, escalation
levels never go down or skip."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callqa.engine import load_policy
from callqa.engine.errors import ClockGapError
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import EventError

NEW_YORK = ZoneInfo("America/New_York")  # DST changes on 2026-03-08 and 2026-11-01
START = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)

POLICY = load_policy(
    text='policy "p" version "1" timezone "America/New_York"\n'
    'action act "处理" notify 班长\n'
    "discipline d {\n"
    "  rule month when count(violation) in calendar month >= 1000 then act\n"
    "  rule week when count(violation) in calendar week >= 1000 then act\n"
    "  rule day when count(violation) in calendar day >= 1000 then act\n"
    "  rule rolling when count(violation) in 36h >= 1000 then act\n"
    "}\n"
    "escalation e {\n  chain L1 -> L2 -> L3 -> L4\n"
    '  start at L2 when complaint.severity == "major"\n'
    "  escalate after 1h at L1, 3h at L2, 5h at L3 while unresolved\n}\n",
    file="p.policy",
)

offsets = st.lists(st.integers(0, 60 * 24 * 60), min_size=1, max_size=60).map(sorted)
agents = st.sampled_from(["A1", "A2", "A3"])


def violations(minutes: list[int], who: list[str]) -> list[dict[str, object]]:
    return [
        {"kind": "violation", "id": f"v{i}", "agent": who[i % len(who)], "type": "late",
         "at": START + dt.timedelta(minutes=m)}
        for i, m in enumerate(minutes)
    ]  # fmt: skip


def calendar_label(moment: dt.datetime, unit: str) -> str:
    local = moment.astimezone(NEW_YORK)
    if unit == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime({"month": "%Y-%m", "day": "%Y-%m-%d"}[unit])


@given(offsets, st.lists(agents, min_size=1, max_size=5))
def test_calendar_counts_equal_a_brute_force_recount(minutes: list[int], who: list[str]) -> None:
    """After each event, its agent's count in the event's local day, ISO week and month
    equals a recount of the events so far; and only periods not yet ended are kept."""
    engine = Engine(POLICY)
    events = violations(minutes, who)
    rules = {r.rule.id: r for r in engine.window_rules}
    for index, event in enumerate(events):
        engine.feed(event)
        now, agent = at(event), str(event["agent"])
        for unit in ("month", "week", "day"):
            label = calendar_label(now, unit)
            brute = [
                e for e in events[: index + 1]
                if e["agent"] == agent and calendar_label(at(e), unit) == label
            ]  # fmt: skip
            tallies = rules[unit].calendar[agent]
            assert tallies[label].ids == [str(e["id"]) for e in brute]
            assert all(tally.end > now.timestamp() for tally in tallies.values())


@given(offsets, st.lists(agents, min_size=1, max_size=5))
def test_rolling_counts_equal_a_brute_force_recount(minutes: list[int], who: list[str]) -> None:
    engine = Engine(POLICY)
    rule = next(r for r in engine.window_rules if r.rule.id == "rolling")
    events = violations(minutes, who)
    for index, event in enumerate(events):
        engine.feed(event)
        now = at(event)
        agent = event["agent"]
        brute = [
            e for e in events[: index + 1]
            if e["agent"] == agent and now - dt.timedelta(hours=36) < at(e) <= now
        ]  # fmt: skip
        assert rule.rolling[str(agent)].evidence() == [str(e["id"]) for e in brute]


complaint_streams = st.lists(
    st.tuples(st.integers(0, 600), st.sampled_from(["normal", "major"]),
              st.none() | st.integers(1, 900)),
    min_size=1, max_size=12,
)  # fmt: skip


def complaint_events(stream: list[tuple[int, str, int | None]]) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for n, (minute, severity, resolve_after) in enumerate(stream):
        moment = START + dt.timedelta(minutes=minute)
        events.append({"kind": "complaint", "id": f"c{n}", "agent": "A1", "severity": severity,
                       "at": moment})  # fmt: skip
        if resolve_after is not None:
            events.append({"kind": "complaint_resolved", "id": f"r{n}", "complaint": f"c{n}",
                           "at": moment + dt.timedelta(minutes=resolve_after)})  # fmt: skip
    events.sort(key=lambda e: (at(e), str(e["id"])))
    return events


def at(event: dict[str, object]) -> dt.datetime:
    moment = event["at"]
    assert isinstance(moment, dt.datetime)
    return moment


def run(events: list[dict[str, object]]) -> list[object]:
    engine = Engine(POLICY)
    decisions = engine.feed_all(events)
    decisions += engine.advance(START + dt.timedelta(days=30))
    return decisions


@given(complaint_streams)
def test_escalation_levels_never_go_down_or_skip(stream: list[tuple[int, str, int | None]]) -> None:
    chain = ["L1", "L2", "L3", "L4"]
    levels: dict[str, list[int]] = {}
    last_time: dict[str, dt.datetime] = {}
    for decision in run(complaint_events(stream)):
        assert decision.kind == "escalation"  # type: ignore[attr-defined]
        subject = decision.subject  # type: ignore[attr-defined]
        levels.setdefault(subject, []).append(chain.index(decision.action))  # type: ignore[attr-defined]
        assert last_time.get(subject, decision.at) <= decision.at  # type: ignore[attr-defined]
        last_time[subject] = decision.at  # type: ignore[attr-defined]
    for seen in levels.values():
        assert all(b == a + 1 for a, b in itertools.pairwise(seen))


@given(complaint_streams, offsets)
def test_same_events_same_decisions_and_duplicates_change_nothing(
    stream: list[tuple[int, str, int | None]], minutes: list[int]
) -> None:
    events = complaint_events(stream) + violations(minutes, ["A1", "A2"])
    events.sort(key=lambda e: (at(e), str(e["id"])))
    once = run(events)
    assert run(events) == once
    doubled = [e for event in events for e in (event, dict(event))]
    assert run(doubled) == once


@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from("abcdef")), max_size=30, unique=True))
def test_calls_fed_in_time_order_are_kept_in_start_then_id_order(
    fed: list[tuple[int, str]],
) -> None:
    """Sampling's ordinal picks count calls by start, ties by call id: including the two
    01:30s of New York's autumn DST change (same wall clock, an hour apart)."""
    from callqa.engine.sampling.select import Candidate, add_candidate

    first = dt.datetime(2026, 11, 1, 5, 15, tzinfo=dt.UTC)  # 01:15 EDT; 06:15 UTC is 01:15 EST
    fed = sorted(fed, key=lambda pair: pair[0])  # time order, ties in any id order
    calls: list[Candidate] = []
    for quarter, call in fed:
        start = (first + dt.timedelta(minutes=15 * quarter)).astimezone(NEW_YORK)
        add_candidate(calls, (start, call, ()))
    expected = sorted(fed)
    assert [(c[0], c[1]) for c in calls] == [
        ((first + dt.timedelta(minutes=15 * q)).astimezone(NEW_YORK), call) for q, call in expected
    ]


def _fact_values(kind: object) -> st.SearchStrategy[object]:
    from callqa.dsl.types import Type

    return {
        Type.NUMBER: st.integers(-5, 200) | st.floats(-5, 200, allow_nan=False),
        Type.DURATION: st.integers(0, 4000),
        Type.TEXT: st.sampled_from(["account", "billing", "卡", ""]),
        Type.BOOL: st.booleans(),
        Type.DATETIME: st.datetimes(
            min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)
        ).map(lambda moment: moment.replace(tzinfo=NEW_YORK)),
        Type.DATE: st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
        Type.TIME: st.times(),
    }.get(kind, st.none())  # type: ignore[call-overload]


@given(st.data())
def test_sampling_eligibility_flags_equal_each_condition_alone(data: st.DataObject) -> None:
    """`compile_flags` (one function for all of a rule's picks; their combinations shared
    up to 8 picks, built per call beyond) says what each condition compiled on its own
    says, facts missing included."""
    from strategies import BUILTIN_SCOPE, conditions

    from callqa.dsl.types import BUILTIN_FIELDS
    from callqa.engine.codegen.conditions import compile_expression, compile_flags

    exprs = data.draw(st.lists(st.none() | conditions(BUILTIN_SCOPE, 2), max_size=10))
    facts = {
        name: data.draw(_fact_values(kind), label=name)
        for name, kind in sorted(BUILTIN_FIELDS.items())
        if data.draw(st.booleans(), label=f"has {name}")
    }
    flags = compile_flags(exprs, BUILTIN_FIELDS, NEW_YORK)
    alone = tuple(
        True if e is None else bool(compile_expression(e, BUILTIN_FIELDS, NEW_YORK)(facts))
        for e in exprs
    )
    assert flags(facts) == alone


def window_state(engine: Engine) -> dict[str, object]:
    """What the discipline rules have counted: the ids in every window."""
    state: dict[str, object] = {}
    for rule in engine.window_rules:
        state[f"{rule.rule.id} calendar"] = {
            (agent, period): tally.ids
            for agent, periods in rule.calendar.items()
            for period, tally in periods.items()
        }
        state[f"{rule.rule.id} rolling"] = {a: w.evidence() for a, w in rule.rolling.items()}
    return state


@given(offsets, st.integers(1, 5 * 24 * 60), st.data())
def test_an_event_fed_again_within_remember_ids_changes_nothing(
    minutes: list[int], remember: int, data: st.DataObject
) -> None:
    """Re-sent within `remember_ids` of the first time (as it was, or stamped with the
    current time), an event is ignored; the ids kept stay within two such spans."""
    span = dt.timedelta(minutes=remember)
    events = violations(minutes, ["A1", "A2"])
    plain, resent = Engine(POLICY, remember_ids=span), Engine(POLICY, remember_ids=span)
    for index, event in enumerate(events):
        plain.feed(event)
        resent.feed(event)
        recent = [e for e in events[: index + 1] if at(event) - at(e) < span]
        again = data.draw(st.lists(st.sampled_from(recent), max_size=2), label="again")
        for copy in again:
            stamped = data.draw(st.booleans(), label="stamped now")
            assert resent.feed({**copy, "at": at(event)} if stamped else copy) == []
        kept = len(resent.seen) + len(resent._seen_before)
        assert kept <= sum(1 for e in events[: index + 1] if at(event) - at(e) < 2 * span)
    assert window_state(resent) == window_state(plain)


FIRING = load_policy(
    text='policy "p" version "1" timezone "America/New_York"\n'
    'action act "处理" notify 班长\n'
    "discipline d {\n"
    "  rule week when count(violation) in calendar week >= 3 then act\n"
    "  rule day when count(violation) in calendar day >= 2 then act\n"
    "  rule rolling when count(violation) in 36h >= 3 then act\n"
    "  rule lone when count(violation) in 20h <= 1 with at least 1 violation then act\n"
    "}\n",
    file="p.policy",
)


@given(offsets, st.lists(agents, min_size=1, max_size=5))
def test_forgetting_what_no_event_can_count_changes_no_decision(
    minutes: list[int], who: list[str]
) -> None:
    """Every `remember_ids` the engine drops ended calendar periods and emptied rolling
    windows (agents who left take no memory): an engine doing so every 30 minutes decides
    exactly as one that never does, and keeps nothing ended or empty."""
    events = violations(minutes, who)
    often = Engine(FIRING, remember_ids=dt.timedelta(minutes=30))
    never = Engine(FIRING, remember_ids=dt.timedelta(days=1000))
    assert [often.feed(e) for e in events] == [never.feed(e) for e in events]
    rotated = at(events[-1]).timestamp() - 30 * 60  # the last drop was after this
    for rule in often.window_rules:
        assert all(window.times for window in rule.rolling.values())
        for periods in rule.calendar.values():
            assert periods and all(tally.end > rotated for tally in periods.values())


def test_an_event_fed_again_after_remember_ids_is_refused_not_counted() -> None:
    engine = Engine(POLICY, remember_ids=dt.timedelta(days=1))
    first, later = violations([0, 3 * 24 * 60], ["A1"])
    engine.feed_all([first, later])
    before = window_state(engine)
    with pytest.raises(EventError, match="counted the first time"):
        engine.feed(first)
    assert window_state(engine) == before


SAMPLED = load_policy(
    text='policy "s" version "1" timezone "America/New_York"\n'
    "sampling daily {\n  per agent per day\n  pick 1st call\n  pick 1 random call\n}\n"
    "escalation e {\n  chain L1 -> L2\n  escalate after 20h at L1 while unresolved\n}\n",
    file="s.policy",
)


@given(st.lists(st.integers(0, 5 * 24 * 60), min_size=1, max_size=30), st.booleans())
def test_a_step_longer_than_max_gap_is_refused_and_nothing_else_is_lost(
    gaps: list[int], sampled: bool
) -> None:
    """An event further past the clock than `max_gap` (a mistyped year) is refused and
    changes nothing: the engine then decides for the others exactly as if it had never
    seen it. Under SAMPLED something falls due each day; under POLICY, with ids kept a
    month, nothing may fall due for longer than the gap."""
    limit = dt.timedelta(days=2)
    minutes = list(itertools.accumulate(gaps))
    if sampled:
        policy, events = SAMPLED, [
            {"kind": "call", "id": f"k{n}", "agent": "A1", "duration": 60,
             "at": START + dt.timedelta(minutes=m)}
            for n, m in enumerate(minutes)
        ]  # fmt: skip
    else:
        policy, events = POLICY, violations(minutes, ["A1", "A2"])
    month = dt.timedelta(days=30)
    guarded = Engine(policy, remember_ids=month, max_gap=limit)
    reference = Engine(policy, remember_ids=month)
    clock: dt.datetime | None = None
    guarded_out, reference_out = [], []
    for event in events:
        moment = at(event)
        if clock is not None and moment - clock > limit:
            with pytest.raises(EventError, match="more than the 2 days it steps at once"):
                guarded.feed(event)
            continue
        clock = moment
        guarded_out += guarded.feed(event)
        reference_out += reference.feed(event)
    assert guarded_out == reference_out
    assert guarded.clock == reference.clock


def test_advance_further_than_max_gap_is_refused_and_changes_nothing() -> None:
    engine = Engine(SAMPLED)
    engine.feed({"kind": "call", "id": "k1", "agent": "A1", "duration": 60, "at": START})
    with pytest.raises(ClockGapError, match=r"2926-02-19 19:00: it is 328,[\d]{3} days after"):
        engine.advance(START.replace(year=2926))
    for year in (9999, 1):  # off the calendar a day or a month later: refused before that
        with pytest.raises(ClockGapError, match=f"the year {year} is not a real time"):
            engine.advance(dt.datetime(year, 12 if year == 9999 else 1, 31))
    assert engine.clock == START.astimezone(NEW_YORK)
    day = engine.advance(START + dt.timedelta(days=1))  # the 1st call, and too few at random
    assert sorted(d.kind for d in day) == ["sample", "shortfall"]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4 * 24 * 60),
            st.sampled_from(["call", "complaint"]),
            st.sampled_from(["A1", "A2", "A3"]),
        ),
        max_size=40,
    ),
    st.integers(0, 3 * 24 * 60),
)
@example([(1395, "complaint", "A1"), (195, "complaint", "A1")], 0)  # co1's L2 due as co0 comes
def test_decisions_come_in_time_then_id_order(
    stream: list[tuple[int, str, str]], step: int
) -> None:
    """Whatever falls due together (days sampled, escalations), `feed` and `advance` give
    it by time, then decision id; `feed` gives it before the event's own decisions, even
    when it falls due at the event's very time (the clock reaches it first)."""
    events = [
        {"kind": kind, "id": f"{kind[:2]}{n}", "agent": agent,
         "at": START + dt.timedelta(minutes=minute), **({"duration": 60} if kind == "call" else {})}
        for n, (minute, kind, agent) in enumerate(stream)
    ]  # fmt: skip
    events.sort(key=lambda e: (at(e), str(e["id"])))
    engine = Engine(SAMPLED)
    batches = []
    for event in events:
        batch = engine.feed(event)
        own = [d for d in batch if event["id"] in d.evidence]
        due = batch[: len(batch) - len(own)]
        assert batch[len(due) :] == own  # the event's own decisions come last
        assert all(d.at <= event["at"] for d in due)
        batches.append(due)
    moment = START + dt.timedelta(minutes=step)
    while moment < START + dt.timedelta(days=8):
        batches.append(engine.advance(moment))
        moment += dt.timedelta(days=1, minutes=step)
    for batch in batches:
        assert batch == sorted(batch, key=lambda d: (d.at.timestamp(), d.id))


APPEALED = load_policy(
    text='policy "p" version "1" timezone "Asia/Shanghai"\n'
    'rubric qa "质检" {\n  scale 100\n'
    '  section s { item a "开场白" deduct 50  item b "准确" deduct 50 }\n'
    '  grades { "合格" >= 60  "不合格" otherwise }\n  appeals within 3 days\n}\n',
    file="a.policy",
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 30, 12 * 60, 26 * 60, 3 * 24 * 60 + 30]),  # minutes later
            st.sampled_from(["evaluation", "evaluation", "appeal", "decision"]),
            st.integers(0, 50),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_forgetting_evaluations_changes_no_decision_within_the_kept_span(
    steps: list[tuple[int, str, int, bool]],
) -> None:
    """An evaluation is forgotten `keep_evaluations` after its appeal window closes (unless
    an appeal of it is open): until then the engine decides as one that keeps them all;
    after, an appeal of it is refused rather than rejected as late. A quiet month later
    only evaluations with an open appeal are left."""
    keep = dt.timedelta(days=1)
    forgetful = Engine(APPEALED, keep_evaluations=keep)
    keeping = Engine(APPEALED, keep_evaluations=dt.timedelta(days=3650))
    moment = START
    scored: list[tuple[str, dt.datetime]] = []
    appeals: list[str] = []
    for n, (minutes, kind, pick, upheld) in enumerate(steps):
        moment += dt.timedelta(minutes=minutes)
        event: dict[str, object] = {"kind": kind, "id": f"x{n}", "at": moment}
        if kind == "evaluation":
            event.update(agent="A1", rubric="qa", evaluator="Q1",
                         answers={"a": "fail", "b": "pass"})  # fmt: skip
            scored.append((f"x{n}", moment))
        elif kind == "appeal" and scored:
            evaluation, scored_at = scored[pick % len(scored)]
            event.update(evaluation=evaluation, item="a")
            appeals.append(f"x{n}")
        elif kind == "decision" and appeals:
            event.update(kind="appeal_decision", appeal=appeals.pop(pick % len(appeals)),
                         upheld=upheld)  # fmt: skip
        else:
            continue
        try:
            expected = keeping.feed(event)
        except EventError:  # a decision on an appeal rejected as late
            assert kind == "decision"
            with pytest.raises(EventError):
                forgetful.feed(event)
            continue
        try:
            got = forgetful.feed(event)
        except EventError as error:  # only an appeal of an evaluation kept long enough
            assert "kept 1 day past its appeal window, then forgotten" in str(error)
            assert moment - scored_at > dt.timedelta(days=3) + keep
            assert [d.kind for d in expected] == ["appeal_rejected"]
            continue
        assert got == expected
    later = moment + dt.timedelta(days=30)
    forgetful.feed({"kind": "evaluation", "id": "last", "at": later, "agent": "A1",
                    "rubric": "qa", "answers": {"a": "pass", "b": "pass"}})  # fmt: skip
    open_appeals = {evaluation for _, evaluation in forgetful.appeals.values()}
    assert set(forgetful.evaluations) == open_appeals | {"last"}
