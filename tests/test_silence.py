"""Timers on silence (issue 19, point 3): a rule waits for something that does not happen.
A message with no reply within 8 hours acts at the 8-hour mark, whether a reply comes
later or never; an agent away from the desk over 5 minutes (离席不超过5分钟) acts at
minute 5; a complaint not resolved within 48 hours, at hour 48."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.check import check_text
from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine
from callqa.engine.simulation.partition import simulate_partitioned
from callqa.engine.simulation.simulate import simulate

ZONE = dt.timezone(dt.timedelta(hours=8))
RULES = """policy "t" version "1" timezone "Asia/Shanghai"
action late_reply "留言超过 8 小时未回复" notify 班长
action away_too_long "离席超过 5 分钟" notify 班长
action unresolved "投诉 48 小时未解决" notify 主管
discipline timers {
  rule unanswered on message where message.channel == "online" without reply within 8h then late_reply
  rule away on desk_away without desk_back within 5m then away_too_long
  rule open_complaint on complaint without complaint_resolved within 48h then unresolved
}
"""
POLICY = load_policy(text=RULES, file="t.policy")
START = dt.datetime(2026, 11, 2, 9, tzinfo=ZONE)


def minutes(n: float) -> dt.datetime:
    return START + dt.timedelta(minutes=n)


def message(
    ident: str, at: dt.datetime, agent: str = "A1", channel: str = "online"
) -> dict[str, Any]:
    return {"kind": "message", "id": ident, "agent": agent, "channel": channel, "at": at}


def reply(ident: str, to: str, at: dt.datetime) -> dict[str, Any]:
    return {"kind": "reply", "id": ident, "message": to, "at": at}


def acted(decisions: list[Decision], action: str) -> list[Decision]:
    return [d for d in decisions if d.kind == "action" and d.action == action]


def test_a_message_never_answered_acts_at_the_8_hour_mark() -> None:
    engine = Engine(POLICY)
    out = engine.feed(message("m1", minutes(0)))
    assert out == []
    assert engine.advance(minutes(8 * 60 - 1)) == []
    [late] = engine.advance(minutes(9 * 60))  # no event came: the clock tells
    assert (late.subject, late.action, late.at, late.evidence) == ("A1", "late_reply",
                                                                   minutes(8 * 60), ("m1",))  # fmt: skip
    assert "message m1 (" not in late.reason  # no text: nothing in brackets
    assert "message m1 at 2026-11-02 09:00: no reply within 8h (by 2026-11-02 17:00)" in late.reason
    assert late.rule == "timers.unanswered" and late.facts == {"waited": 8 * 3600.0}


def test_a_reply_in_time_ends_the_wait_and_one_too_late_changes_nothing() -> None:
    engine = Engine(POLICY)
    out = engine.feed(message("m1", minutes(0)))
    out += engine.feed(message("m2", minutes(10)))
    out += engine.feed(message("m3", minutes(20), channel="phone"))  # not waited on
    out += engine.feed(reply("r1", "m1", minutes(7 * 60)))
    out += engine.feed(reply("r2", "m2", minutes(9 * 60)))  # after its mark
    out += engine.advance(minutes(24 * 60))
    [late] = acted(out, "late_reply")
    assert late.evidence == ("m2",) and late.at == minutes(8 * 60 + 10)


def test_time_away_from_the_desk_acts_at_minute_5_and_back_ends_it() -> None:
    engine = Engine(POLICY)
    out = engine.feed({"kind": "desk_away", "id": "a1", "agent": "A1", "approved": True,
                       "at": minutes(0)})  # fmt: skip
    out += engine.feed({"kind": "desk_back", "id": "b1", "agent": "A1", "at": minutes(4)})
    out += engine.feed({"kind": "desk_away", "id": "a2", "agent": "A1", "at": minutes(30)})
    out += engine.feed({"kind": "desk_back", "id": "b2", "agent": "A2", "at": minutes(31)})
    out += engine.feed({"kind": "desk_back", "id": "b3", "agent": "A1", "at": minutes(40)})
    [away] = acted(out, "away_too_long")
    assert (away.evidence, away.at) == (("a2",), minutes(35))


def test_a_complaint_unresolved_for_48_hours_acts_then() -> None:
    engine = Engine(POLICY)
    out = engine.feed({"kind": "complaint", "id": "k1", "agent": "A1", "at": minutes(0)})
    out += engine.feed({"kind": "complaint", "id": "k2", "agent": "A1", "at": minutes(1)})
    out += engine.feed({"kind": "complaint_resolved", "id": "r1", "complaint": "k1",
                        "at": minutes(60)})  # fmt: skip
    out += engine.advance(minutes(3 * 24 * 60))
    [open_one] = acted(out, "unresolved")
    assert open_one.evidence == ("k2",) and open_one.at == minutes(48 * 60 + 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]), st.integers(0, 3000),
                          st.none() | st.integers(0, 900)), max_size=15),
       st.integers(1, 4))  # fmt: skip
def test_each_message_acts_once_at_its_mark_exactly_when_no_reply_came_before(
    messages: list[tuple[str, int, int | None]], partitions: int
) -> None:
    """Against counting by hand, and split in parts as a cluster replays it."""
    events: list[dict[str, Any]] = []
    expected = set()
    for n, (agent, start, delay) in enumerate(messages):
        events.append(message(f"m{n}", minutes(start), agent))
        if delay is not None:
            events.append(reply(f"r{n}", f"m{n}", minutes(start + delay)))
        if delay is None or delay >= 8 * 60:  # a reply at the mark itself comes too late
            expected.add((f"m{n}", agent, minutes(start + 8 * 60)))
    events.sort(key=lambda e: (e["at"], e["id"]))
    engine = Engine(POLICY)
    out = engine.feed_all(events) + engine.advance(minutes(4000))
    assert {(d.evidence[0], d.subject, d.at) for d in acted(out, "late_reply")} == expected
    assert len(acted(out, "late_reply")) == len(expected)
    stricter = load_policy(text=RULES.replace("within 8h", "within 4h"), file="t.policy")
    whole = simulate(stricter, POLICY, events, until=minutes(4000))
    parts = simulate_partitioned(stricter, POLICY, events, partitions, until=minutes(4000))
    assert parts.to_dict() == whole.to_dict()


def test_a_wait_names_what_answers_its_event() -> None:
    base = 'policy "t" timezone "UTC"\naction a "x" notify 班长\ndiscipline d {\n  rule r on '
    cases = {
        "message without desk_back within 8h then a":
            ("a message is answered by reply, not desk_back", "write: without reply within 8h"),
        "call without reply within 8h then a":
            ("nothing answers a call: a rule cannot wait on it", "on message without reply"),
        "message without reply within 0h then a": ("a wait must be longer than 0", "within 8h"),
    }  # fmt: skip
    for rule, (message_text, hint) in cases.items():
        _, found = check_text(base + rule + "\n}\n", "t.policy")
        [problem] = [d for d in found if d.is_error]
        assert message_text in problem.message and hint in (problem.hint or ""), problem
        assert problem.line == 4
