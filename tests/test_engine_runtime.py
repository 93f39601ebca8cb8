"""The event-driven engine, by example: discipline windows, recognition, escalation,
thresholds, sampling, appeals, approvals, and bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest

from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.events import EventError

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUBRIC = """
rubric qa "质检" {
  scale 100
  section s { item a "开场白" deduct 50  item b "准确" deduct 50 }
  grades { "合格" >= 60  "不合格" otherwise }
  appeals within 3 days
}
"""
POLICY = (
    'policy "中心" version "7" timezone "Asia/Shanghai"\n'
    'action off_floor "下岗培训" notify 主管 sets status "retraining" requires approval by 主管\n'
    'action warn "书面警告" notify 班长\n'
    'action coach "辅导" notify 班长\n'
    'action praise "表扬" notify 班长\n'
    "discipline d {\n"
    "  rule month when count(complaint) in calendar month >= 3 then off_floor\n"
    "  rule rolling when count(violation) in 7 days >= 2 then warn\n"
    "  rule low when avg(evaluation.score) in 30 days < 60 with at least 3 evaluations then coach\n"
    "  rule thanks on commendation then praise\n"
    "}\n"
    "escalation esc {\n"
    "  chain 班长 -> 主管 -> 总经理\n"
    '  start at 主管 when complaint.severity == "major"\n'
    "  escalate after 8h at 班长, 24h at 主管 while unresolved\n"
    "}\n"
    "threshold csat {\n  per team per week\n"
    "  value count(survey where survey.satisfied) / count(survey)\n"
    "  alert 主管 when value < 96%\n}\n"
    "sampling daily {\n  per agent per day\n"
    "  pick 2nd call where call.start.time >= 11:00 and call.duration >= 60s\n"
    "  pick 1 random call where call.duration >= 30s\n"
    '  quota 3 per day when agent.status == "probation"\n}\n' + RUBRIC
)


@pytest.fixture
def engine() -> Engine:
    return Engine(load_policy(text=POLICY, file="center.policy"))


def complaint(n: int, at: str, agent: str = "A1", **extra: object) -> dict[str, object]:
    return {"kind": "complaint", "id": f"c{n}", "at": at, "agent": agent, **extra}


def kinds(decisions, kind):  # type: ignore[no-untyped-def]
    return [d for d in decisions if d.kind == kind]


def test_calendar_month_is_local_and_the_action_fires_once(engine: Engine) -> None:
    out = engine.feed(complaint(1, "2026-11-02 09:00"))
    out += engine.feed(complaint(2, "2026-11-15 14:00"))
    # 23:59 in Shanghai on 30 November is 15:59 UTC: still November locally
    out += engine.feed(complaint(3, "2026-11-30T15:59:00+00:00"))
    out += engine.feed(complaint(4, "2026-11-30 23:59:30"))
    actions = kinds(out, "action")
    assert len(actions) == 1
    action = actions[0]
    assert (action.action, action.subject, action.status) == ("off_floor", "A1", "pending")
    assert action.evidence == ("c1", "c2", "c3")
    assert action.rule == "d.month" and action.rule_location == "center.policy:7"
    assert "count(complaint) in calendar month 2026-11 is 3, which is >= 3" in action.reason
    assert action.notify == ("主管",)
    explained = action.explain().splitlines()
    assert explained[0] == "2026-11-30 23:59 action off_floor for A1 (awaiting approval)"
    assert f'  approve with: approval decision "{action.id}"' in explained


def test_approval_sets_the_status(engine: Engine) -> None:
    for n, day in enumerate(["02", "03", "04"], start=1):
        engine.feed(complaint(n, f"2026-11-{day} 09:00"))
    assert engine.status.get("A1") is None  # pending: nothing changes yet
    pending = next(iter(engine.pending))
    out = engine.feed({"kind": "approval", "id": "ap1", "at": "2026-11-05 10:00",
                       "decision": pending, "by": "王主管"})  # fmt: skip
    assert [d.kind for d in out if d.kind != "escalation"] == ["approved"]
    assert engine.status["A1"] == "retraining"
    with pytest.raises(EventError, match="no pending decision"):
        engine.feed({"kind": "approval", "id": "ap2", "at": "2026-11-05 11:00", "decision": "x"})


def test_every_rule_on_a_kind_counts_the_event_that_made_an_earlier_rule_act() -> None:
    policy = load_policy(
        text='policy "p" timezone "Asia/Shanghai"\naction warn "警告"\naction refer "转人事"\n'
        "discipline d {\n  rule first when count(violation) in calendar month >= 2 then warn\n"
        "  rule second when count(violation) in 30 days >= 3 then refer\n}\n"
    )
    out = Engine(policy).feed_all(
        {"kind": "violation", "id": f"v{n}", "at": f"2026-11-0{n + 1} 09:00", "agent": "A1",
         "type": "late"}
        for n in range(3)
    )  # fmt: skip
    assert [(d.action, d.evidence) for d in out] == [
        ("warn", ("v0", "v1")),
        ("refer", ("v0", "v1", "v2")),
    ]


def test_rolling_window_fires_again_only_after_the_condition_was_false(engine: Engine) -> None:
    def violation(n: int, at: str) -> dict[str, object]:
        return {"kind": "violation", "id": f"v{n}", "at": at, "agent": "A2", "type": "late"}

    out = []
    for n, at in enumerate(["2026-11-01 08:00", "2026-11-03 08:00", "2026-11-05 08:00",
                            "2026-11-20 08:00", "2026-11-21 08:00"]):  # fmt: skip
        out += engine.feed(violation(n, at))
    warnings = [d for d in out if d.action == "warn"]
    assert [d.at.day for d in warnings] == [3, 21]
    assert warnings[0].evidence == ("v0", "v1")


def test_minimum_evidence_before_acting_on_scores(engine: Engine) -> None:
    out = []
    for n in range(4):
        out += engine.feed({"kind": "evaluation", "id": f"E{n}", "at": f"2026-11-0{n + 1} 10:00",
                            "agent": "A3", "rubric": "qa", "evaluator": "Q1",
                            "answers": {"a": "fail", "b": "pass"}})  # fmt: skip
    assert [d.kind for d in kinds(out, "score")] == ["score"] * 4
    insufficient = kinds(out, "insufficient_evidence")
    assert len(insufficient) == 1
    assert "but only 1 of the 3 evaluations needed are in the window" in insufficient[0].reason
    coach = [d for d in kinds(out, "action") if d.action == "coach"]
    assert len(coach) == 1 and coach[0].evidence == ("E0", "E1", "E2")


def test_commendation_names_the_agent_the_event_and_the_reason(engine: Engine) -> None:
    [praise] = engine.feed({"kind": "commendation", "id": "m1", "at": "2026-11-02 10:00",
                            "agent": "A4", "channel": "短信", "text": "耐心解答"})  # fmt: skip
    assert praise.action == "praise" and praise.subject == "A4"
    assert praise.reason == "表扬: commendation m1 via 短信: 耐心解答"


def test_escalation_climbs_one_level_at_a_time_and_stops_when_resolved(engine: Engine) -> None:
    [start] = engine.feed(complaint(1, "2026-11-02 09:00"))
    assert (start.action, start.subject) == ("班长", "c1")
    out = engine.advance(dt.datetime(2026, 11, 10, tzinfo=SHANGHAI))
    assert [(d.action, d.at.hour, d.at.day) for d in out] == [("主管", 17, 2), ("总经理", 17, 3)]
    engine.feed(complaint(2, "2026-11-10 09:00", severity="major"))
    engine.feed({"kind": "complaint_resolved", "id": "r2", "at": "2026-11-10 10:00",
                 "complaint": "c2"})  # fmt: skip
    assert engine.advance(dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)) == []


def test_a_complaint_sent_up_by_hand_climbs_one_level_now(engine: Engine) -> None:
    engine.feed(complaint(1, "2026-11-02 09:00", team="T1"))

    def send_up(n: int, at: str, target: str = "c1") -> list[Decision]:
        return engine.feed({"kind": "complaint_escalated", "id": f"up{n}", "at": at,
                            "complaint": target, "by": "班长", "reason": "超出权限"})  # fmt: skip

    [up] = send_up(1, "2026-11-02 10:00")
    assert (up.kind, up.action, up.subject) == ("escalation", "主管", "c1")
    assert up.reason == (
        "sent up by 班长 from 班长, which could not solve it (超出权限): escalated to 主管; "
        "must be resolved by 2026-11-03 10:00"
    )
    assert up.evidence == ("c1", "up1")
    # 班长's 8 hours no longer count; 主管's 24 start at 10:00
    out = engine.advance(dt.datetime(2026, 11, 3, 12, tzinfo=SHANGHAI))
    assert [(d.action, d.at.day, d.at.hour) for d in out] == [("总经理", 3, 10)]
    with pytest.raises(EventError, match="already at 总经理, the last level"):
        send_up(2, "2026-11-03 13:00")
    with pytest.raises(EventError, match="no open complaint 'c9'"):
        send_up(3, "2026-11-03 13:00", "c9")
    engine.feed({"kind": "complaint_resolved", "id": "r1", "at": "2026-11-03 14:00",
                 "complaint": "c1"})  # fmt: skip
    with pytest.raises(EventError, match="a resolved one cannot be sent up"):
        send_up(4, "2026-11-03 15:00")


def test_sending_up_is_judged_at_the_events_time() -> None:
    """A limit that passed before the event moved the complaint first: then it may be at
    the last level, and sending it up is refused, before anything changes."""
    engine = Engine(load_policy(text=POLICY, file="center.policy"))
    engine.feed(complaint(1, "2026-11-02 09:00", severity="major"))  # starts at 主管
    late = {"kind": "complaint_escalated", "id": "up", "at": "2026-11-03 10:00", "complaint": "c1"}
    with pytest.raises(EventError, match="already at 总经理"):  # 主管's 24h ended at 09:00
        engine.feed(late)
    assert engine.clock is not None and engine.clock.day == 2  # nothing moved


def test_a_complaint_can_be_sent_up_without_an_escalation_chain() -> None:
    counting = (
        'policy "p" version "1" timezone "Asia/Shanghai"\naction review "复盘" notify 主管\n'
        "discipline d {\n  rule r when count(complaint_escalated) in calendar month >= 1"
        " then review\n}\n"
    )
    engine = Engine(load_policy(text=counting, file="p.policy"))
    engine.feed(complaint(1, "2026-11-02 09:00"))
    [review] = engine.feed({"kind": "complaint_escalated", "id": "up", "at": "2026-11-02 10:00",
                            "complaint": "c1"})  # fmt: skip
    assert (review.action, review.subject) == ("review", "A1")  # the complaint's agent


def test_every_escalation_chain_stops_when_the_complaint_is_resolved() -> None:
    two_chains = POLICY + (
        "escalation quality {\n  chain 质检 -> 质检主管\n"
        "  escalate after 4h at 质检 while unresolved\n}\n"
    )
    engine = Engine(load_policy(text=two_chains, file="center.policy"))
    assert [d.action for d in engine.feed(complaint(1, "2026-11-02 09:00"))] == ["班长", "质检"]
    engine.feed({"kind": "complaint_resolved", "id": "r1", "at": "2026-11-02 10:00",
                 "complaint": "c1"})  # fmt: skip
    assert engine.advance(dt.datetime(2026, 11, 5, tzinfo=SHANGHAI)) == []


def test_threshold_alerts_and_reports_no_data(engine: Engine) -> None:
    engine.feed({"kind": "survey", "id": "s1", "at": "2026-11-02 10:00", "team": "T1",
                 "satisfied": True})  # fmt: skip
    engine.feed({"kind": "survey", "id": "s2", "at": "2026-11-03 10:00", "team": "T1",
                 "satisfied": False})  # fmt: skip
    engine.feed({"kind": "call", "id": "k1", "at": "2026-11-03 11:00", "team": "T2",
                 "agent": "A9", "duration": 100})  # fmt: skip
    out = engine.advance(dt.datetime(2026, 11, 9, 0, 0, tzinfo=SHANGHAI))
    [alert] = kinds(out, "alert")
    assert alert.subject == "T1" and alert.facts == {"value": 0.5}
    assert alert.evidence == ("s1", "s2")
    [no_data] = kinds(out, "no_data")
    assert no_data.subject == "T2" and "not reported as 0" in no_data.reason


def test_sampling_is_reproducible_by_anyone_with_sha256(engine: Engine) -> None:
    for hour in range(9, 17):
        engine.feed({"kind": "call", "id": f"k{hour}", "at": f"2026-11-02 {hour:02d}:10",
                     "agent": "A5", "duration": 40 + hour * 5})  # fmt: skip
    out = engine.advance(dt.datetime(2026, 11, 3, tzinfo=SHANGHAI))
    picks = [d.action for d in kinds(out, "sample")]
    assert "k12" in picks  # the 2nd call at or after 11:00 with duration >= 60s
    seed = "中心|7|daily|2026-11-02"
    remaining = [f"k{h}" for h in range(9, 17) if f"k{h}" != "k12"]
    expected = min(remaining, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert sorted(picks) == sorted(["k12", expected])
    assert kinds(out, "shortfall") == []


def test_a_call_nobody_answered_is_never_sampled(engine: Engine) -> None:
    """It has no recording to score: not even the ordinal pick counts it."""
    for hour in range(11, 17):
        engine.feed({"kind": "call", "id": f"k{hour}", "at": f"2026-11-02 {hour:02d}:10",
                     "agent": "A5", "duration": 90, "answered": hour % 2 == 0})  # fmt: skip
    # the same through pydantic: a value it converts ("false") takes the general path
    engine.feed({"kind": "call", "id": "k17", "at": "2026-11-02 17:10", "agent": "A5",
                 "duration": 90, "answered": "false"})  # fmt: skip
    out = engine.advance(dt.datetime(2026, 11, 3, tzinfo=SHANGHAI))
    picks = [d.action for d in kinds(out, "sample")]
    assert len(picks) == 2 and set(picks) <= {"k12", "k14", "k16"}
    assert next(d for d in out if d.action == "k14").reason.startswith("pick 2nd call")
    assert kinds(out, "shortfall") == []


def test_probation_quota_and_shortfall(engine: Engine) -> None:
    engine.feed({"kind": "agent_status", "id": "st", "at": "2026-11-01 08:00", "agent": "A6",
                 "status": "probation"})  # fmt: skip
    engine.feed({"kind": "call", "id": "only", "at": "2026-11-02 09:00", "agent": "A6",
                 "duration": 45})  # fmt: skip
    out = engine.advance(dt.datetime(2026, 11, 3, tzinfo=SHANGHAI))
    [short] = kinds(out, "shortfall")
    assert short.facts == {"wanted": 3, "picked": 1}


def test_appeals_within_the_window_rescore_and_count_for_the_evaluator(engine: Engine) -> None:
    engine.feed({"kind": "evaluation", "id": "E1", "at": "2026-11-02 10:00", "agent": "A7",
                 "rubric": "qa", "evaluator": "Q9", "answers": {"a": "fail", "b": "pass"}})  # fmt: skip
    engine.feed({"kind": "appeal", "id": "P1", "at": "2026-11-03 10:00", "evaluation": "E1",
                 "item": "a", "reason": "录音里有开场白"})  # fmt: skip
    [rescore] = engine.feed({"kind": "appeal_decision", "id": "PD1", "at": "2026-11-04 10:00",
                             "appeal": "P1", "upheld": True})  # fmt: skip
    assert rescore.facts["before"] == 50.0 and rescore.facts["after"] == 100.0
    assert rescore.facts["upheld_appeals_for_evaluator"] == 1
    [late] = engine.feed({"kind": "appeal", "id": "P2", "at": "2026-11-09 10:00",
                          "evaluation": "E1", "item": "b"})  # fmt: skip
    assert late.kind == "appeal_rejected" and "within 3 days" in late.reason


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"kind": "complaint", "id": "x", "at": "yesterday"}, "'yesterday' is not a date and time"),
        ({"kind": "violation", "id": "x", "at": "2026-11-02 09:00"}, "agent: missing"),
        ({"kind": "complain", "id": "x", "at": "2026-11-02 09:00"}, "did you mean complaint?"),
        ({"kind": "evaluation", "id": "x", "at": "2026-11-02 09:00", "agent": "A",
          "rubric": "qq", "answers": {}}, "the policy has no rubric 'qq'"),
        ({"kind": "evaluation", "id": "x", "at": "2026-11-02 09:00", "agent": "A",
          "rubric": "qa", "answers": {"a": "pass"}}, r"item b \(准确\) is not answered"),
        ({"kind": "appeal", "id": "x", "at": "2026-11-02 09:00", "evaluation": "E1",
          "item": "b", "agent": "A"}, "agent: not a field of an appeal event"),
        ({"kind": "violation", "id": "x", "at": "2026-11-02 09:00", "agent": "A",
          "type": "late", "mood": "x"}, "mood: not a field of a violation event"),
        ({"kind": "call", "id": "x", "at": "9999-12-31 23:59", "agent": "A", "duration": 60},
         r"at: the year 9999 is not a real time for an event \(years 1900 to 2999\)"),
        ({"kind": "call", "id": "x", "at": dt.datetime(1, 1, 1), "agent": "A", "duration": 60},
         r"at: the year 1 is not a real time for an event"),
        ({"kind": "call", "id": "x", "at": "2026-11-02 09:00", "agent": "A",
          "duration": float("inf")}, r"duration is inf, which is not a number \(NaN or infinite\)"),
        ({"kind": "complaint", "id": "x", "at": "45962.5", "agent": "A"},
         r"at: '45962.5' is a number, not a date and time: write it as 2026-11-02 09:00"),
        ({"kind": "call", "id": "x", "at": "2026-11-02 09:00", "agent": "A", "duration": 60,
          "answered": "maybe"}, "answered: 'maybe' is not yes or no: write true or false"),
    ],
)  # fmt: skip
def test_bad_events_are_rejected_and_change_nothing(
    engine: Engine, event: dict[str, object], message: str
) -> None:
    engine.feed(complaint(1, "2026-11-01 09:00"))
    with pytest.raises(EventError, match=message):
        engine.feed(event)
    twin = Engine(engine.policy)
    twin.feed(complaint(1, "2026-11-01 09:00"))
    later = [complaint(2, "2026-11-03 09:00"), complaint(3, "2026-11-04 09:00")]
    assert engine.feed_all(later) == twin.feed_all(later)


def test_out_of_order_and_duplicate_events(engine: Engine) -> None:
    engine.feed(complaint(1, "2026-11-05 09:00"))
    with pytest.raises(EventError, match="earlier than the engine's clock"):
        engine.feed(complaint(2, "2026-11-04 09:00"))
    assert engine.feed(complaint(1, "2026-11-06 09:00")) == []  # same id: counted once


def test_the_sampling_rule_is_published_ahead_of_each_day() -> None:
    policy = load_policy(
        text='policy "中心" version "7" timezone "Asia/Shanghai"\n'
        "sampling daily {\n  per agent per day\n  pick 1st call\n"
        "  publish 1 day ahead to 班长, 组长\n}\n"
    )
    engine = Engine(policy)
    engine.feed(
        {"kind": "call", "id": "k1", "at": "2026-11-02 10:00", "agent": "A1", "duration": 60}
    )
    out = engine.advance(dt.datetime(2026, 11, 4, 12, 0, tzinfo=SHANGHAI))
    published = kinds(out, "publish")
    assert [(d.subject, d.at.day, d.at.hour) for d in published] == [
        ("2026-11-04", 3, 0),
        ("2026-11-05", 4, 0),
    ]
    assert published[0].notify == ("班长", "组长")
    assert published[0].facts["seed"] == "中心|7|daily|2026-11-04"


def test_conditions_read_parts_of_times_dates_and_durations() -> None:
    """`call.start.time`, `.hour`, `.weekday`, `.date.day`, `.duration.minutes`...: parts are
    read in the policy's timezone (11:30 in New York is 16:30 UTC in November)."""
    policy = load_policy(
        text='policy "parts" timezone "America/New_York"\n'
        'action praise "表扬" notify 班长\n'
        "discipline d {\n"
        "  rule clock on call where call.start.time >= 11:00 and call.start.hour == 11 "
        "then praise\n"
        "  rule day on call where call.start.weekday == 1 and call.start.date.day == 2 "
        "and call.start.date.month == 11 and call.start.date.weekday == 1 then praise\n"
        "  rule length on call where call.duration.minutes >= 2 and call.duration.hours < 1 "
        "and call.duration.seconds == 150 then praise\n"
        "}\n",
        file="parts.policy",
    )
    assert dt.date(2026, 11, 2).isoweekday() == 1
    engine = Engine(policy)
    out = engine.feed({"kind": "call", "id": "c1", "agent": "A1", "duration": "00:02:30",
                       "at": "2026-11-02T16:30:00+00:00"})  # fmt: skip
    assert sorted(d.rule for d in out) == ["d.clock", "d.day", "d.length"]
    out = engine.feed({"kind": "call", "id": "c2", "agent": "A1", "duration": 149,
                       "at": "2026-11-03T15:30:00+00:00"})  # fmt: skip
    assert out == []


def test_reading_only_the_facts_the_policy_mentions_changes_no_decision() -> None:
    """The engine builds only the facts its policy reads; a month of the demo center's
    events gives the same decisions as with every fact of every event."""
    from callqa.engine.runtime.facts import FactReader
    from callqa.engine.scoring.demo_data import demo_events

    policy = load_policy("policies/center.policy")
    events = demo_events(days=35, agents=12)
    lean, full = Engine(policy), Engine(policy)
    full.facts = FactReader(None)
    assert lean.facts.wanted is not None and full.facts.wanted is None
    decisions = lean.feed_all(events)
    assert decisions == full.feed_all(events)
    assert {d.kind for d in decisions} >= {"action", "sample", "escalation"}


def test_a_date_and_time_without_offset_in_a_policy_is_in_the_policy_timezone() -> None:
    """`call.start >= 2026-11-02 09:00` means 09:00 in Shanghai (found by a property test:
    comparing it with an event's time used to raise TypeError)."""
    policy = load_policy(
        text='policy "t" timezone "Asia/Shanghai"\naction praise "表扬" notify 班长\n'
        "discipline d {\n  rule late on call where call.start >= 2026-11-02 09:00 then praise\n}\n",
        file="t.policy",
    )
    engine = Engine(policy)
    early = {"kind": "call", "id": "c1", "agent": "A1", "duration": 60,
             "at": "2026-11-02T00:59:00+00:00"}  # 08:59 in Shanghai  # fmt: skip
    assert engine.feed(early) == []
    late = {**early, "id": "c2", "at": "2026-11-02T01:00:00+00:00"}
    assert [d.rule for d in engine.feed(late)] == ["d.late"]


def test_upheld_appeal_rate_per_evaluator_is_a_threshold() -> None:
    """Domain §2: upheld appeals count against the evaluator's KPI. An appeal counts when
    decided, upheld or not; an evaluator with evaluations but no decided appeal in the
    month has no data (not 0%)."""
    policy = load_policy(
        text='policy "qa" timezone "Asia/Shanghai"\n' + RUBRIC
        + 'threshold upheld "申诉成立率" {\n  per evaluator per month\n'
        "  value count(appeal where appeal.upheld) / count(appeal)\n"
        "  alert 质检主管 when value > 40%\n}\n",
        file="qa.policy",
    )  # fmt: skip
    engine = Engine(policy)

    def evaluation(ident: str, evaluator: str) -> dict[str, object]:
        return {"kind": "evaluation", "id": ident, "at": "2026-11-02 10:00", "agent": "A1",
                "rubric": "qa", "evaluator": evaluator, "answers": {"a": "fail", "b": "pass"}}  # fmt: skip

    engine.feed_all([evaluation("E1", "Q1"), evaluation("E2", "Q1"), evaluation("E3", "Q2"),
                     evaluation("E4", "Q3")])  # fmt: skip
    decided = [("E1", True), ("E2", False), ("E3", False)]
    for n, (ident, _) in enumerate(decided):
        engine.feed({"kind": "appeal", "id": f"P{n}", "at": "2026-11-03 10:00",
                     "evaluation": ident, "item": "a"})  # fmt: skip
    for n, (_, upheld) in enumerate(decided):
        engine.feed({"kind": "appeal_decision", "id": f"D{n}", "at": "2026-11-04 10:00",
                     "appeal": f"P{n}", "upheld": upheld})  # fmt: skip
    closed = {d.subject: d for d in engine.advance(dt.datetime(2026, 12, 1, tzinfo=SHANGHAI))}
    assert closed["Q1"].kind == "alert" and "0.5" in closed["Q1"].reason  # 1 of 2 upheld
    assert "Q2" not in closed  # 0 of 1 upheld: no alert
    assert closed["Q3"].kind == "no_data"  # scored, but no appeal was decided
    assert closed["Q1"].evidence == ("P0", "P1")


def test_thresholds_per_evaluator_are_accepted_and_others_are_explained() -> None:
    from callqa.dsl.check import check_text, errors_only

    text = 'policy "p"\nthreshold t {\n  per shift per week\n  value count(call)\n}\n'
    [error] = errors_only(check_text(text)[1])
    assert "per team, per agent, per evaluator or per giver (of feedback), not per shift" in (
        error.message
    )


NEW_YORK_POLICY = (
    'policy "ny" version "1" timezone "America/New_York"\n'
    "escalation esc {\n  chain L1 -> L2\n  escalate after 8h at L1 while unresolved\n}\n"
    "sampling daily {\n  per agent per day\n  pick 1 random call where call.duration >= 0s\n}\n"
)


def test_time_limits_are_real_hours_and_the_repeated_hour_runs_forward() -> None:
    """On 1 November 2026 New York's clocks go back from 02:00 EDT to 01:00 EST: 8h after
    00:30 is 07:30 local time, and a call at 01:10 EST comes after one at 01:50 EDT."""
    ny = ZoneInfo("America/New_York")
    engine = Engine(load_policy(text=NEW_YORK_POLICY, file="ny.policy"))
    engine.feed({"kind": "complaint", "id": "c1", "agent": "A1",
                 "at": dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC)})  # 00:30 EDT  # fmt: skip
    engine.feed({"kind": "call", "id": "k1", "agent": "A1", "duration": 60,
                 "at": dt.datetime(2026, 11, 1, 5, 50, tzinfo=dt.UTC)})  # 01:50 EDT  # fmt: skip
    engine.feed({"kind": "call", "id": "k2", "agent": "A1", "duration": 60,
                 "at": dt.datetime(2026, 11, 1, 6, 10, tzinfo=dt.UTC)})  # 01:10 EST  # fmt: skip
    out = engine.advance(dt.datetime(2026, 11, 1, 7, 29, tzinfo=ny))
    assert kinds(out, "escalation") == []
    out = engine.advance(dt.datetime(2026, 11, 1, 7, 30, tzinfo=ny))
    escalated = kinds(out, "escalation")
    assert [(d.action, d.at.astimezone(dt.UTC).hour) for d in escalated] == [("L2", 12)]
    samples = kinds(engine.advance(dt.datetime(2026, 11, 2, 0, 0, tzinfo=ny)), "sample")
    assert len(samples) == 1 and samples[0].action in {"k1", "k2"}


def test_an_appeal_window_counts_real_days_across_a_clock_change() -> None:
    ny = ZoneInfo("America/New_York")
    policy = load_policy(
        text='policy "ny" version "1" timezone "America/New_York"\n' + RUBRIC, file="ny.policy"
    )
    engine = Engine(policy)
    scored_at = dt.datetime(2026, 10, 30, 12, 0, tzinfo=ny)  # EDT
    engine.feed({"kind": "evaluation", "id": "e1", "agent": "A1", "rubric": "qa",
                 "answers": {"a": "fail", "b": "pass"}, "at": scored_at})  # fmt: skip
    # 3 days on the wall clock, but 3 days and 1 hour of real time: too late
    late = {"kind": "appeal", "id": "p1", "evaluation": "e1", "item": "a",
            "at": dt.datetime(2026, 11, 2, 12, 0, tzinfo=ny)}  # fmt: skip
    rejected = kinds(engine.feed(late), "appeal_rejected")
    assert len(rejected) == 1 and "within 3 days" in rejected[0].reason


def test_a_resolution_counts_for_its_complaints_agent_and_team_within_a_year() -> None:
    """`complaint_resolved` carries no agent: it counts for its complaint's agent and team,
    with how long it took (`complaint_resolved.within`); a complaint open over a year is
    forgotten, and its resolution counts for nobody."""
    policy = load_policy(
        text='policy "p" version "1" timezone "Asia/Shanghai"\n'
        'action thanks "表扬" notify 班长\n'
        "discipline d {\n  rule resolved when count(complaint_resolved where "
        "complaint_resolved.within <= 400d) in calendar month >= 1 then thanks\n}\n",
        file="p.policy",
    )
    engine = Engine(policy)
    engine.feed({"kind": "complaint", "id": "k1", "agent": "A1", "team": "T1",
                 "at": "2026-01-05 09:00"})  # fmt: skip
    engine.feed({"kind": "complaint", "id": "k2", "agent": "A2", "at": "2026-01-05 10:00"})
    out = engine.feed({"kind": "complaint_resolved", "id": "r1", "complaint": "k1",
                       "at": "2026-01-05 20:00"})  # fmt: skip
    assert [(d.action, d.subject, d.evidence) for d in out] == [("thanks", "A1", ("r1",))]
    assert list(engine.open_complaints) == ["k2"]
    for month in range(2, 14):  # the clock moves on, a violation a month, past a year
        engine.feed({"kind": "violation", "id": f"v{month}", "agent": "A3", "type": "late",
                     "at": f"{2026 + month // 13}-{month % 13 or 1:02d}-10 09:00"})  # fmt: skip
    assert engine.open_complaints == {}
    out = engine.feed({"kind": "complaint_resolved", "id": "r2", "complaint": "k2",
                       "at": "2027-01-20 09:00"})  # fmt: skip
    assert out == []  # 380 days: within 400d, but k2 was forgotten at a year
