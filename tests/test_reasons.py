"""Reasons that do not mislead (issue 15, item 7): a filtered count is shown with its
filter, and a late reply is dated when it became late. (A late appeal's exact delay is in
test_appeals.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callqa.engine import load_policy
from callqa.engine.decisions import Decision
from callqa.engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
CENTER = load_policy(ROOT / "policies" / "center.policy")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_a_filtered_count_is_shown_with_its_filter() -> None:
    """`count(complaint)` read as if every complaint counted, substantiated or not."""
    engine = Engine(CENTER)
    out: list[Decision] = []
    for day in (2, 3, 4):
        out += engine.feed({"kind": "complaint", "id": f"k{day}", "agent": "A1", "team": "T1",
                            "resolved": True, "at": at(day, 9)})  # fmt: skip
    [action] = [d for d in out if d.rule == "bottom_removal.complaints_month"]
    assert action.reason.endswith(
        ": count(complaint where complaint.substantiated) in calendar month 2026-11 is 3, "
        "which is >= 3"
    )


def test_a_thresholds_counts_are_shown_with_their_filters() -> None:
    """Two counts of surveys read 'count(survey where …)' and 'count(survey)'."""
    engine = Engine(CENTER)
    for hour, satisfied in ((9, True), (10, False)):
        engine.feed({"kind": "survey", "id": f"s{hour}", "agent": "A1", "team": "T1",
                     "satisfied": satisfied, "at": at(2, hour)})  # fmt: skip
    alerts = [d for d in engine.advance(at(10, 0)) if d.rule == "csat"]
    assert alerts[0].reason.startswith(
        "客户满意度 for 2026-W45 is 0.5 (count(survey where survey.satisfied) = 1, "
        "count(survey) = 2)"
    )


@pytest.mark.parametrize("written_path", [True, False])
def test_a_late_reply_is_dated_when_it_became_late(written_path: bool) -> None:
    """An online message that came in at 10:00 and was answered at 19:00 became late at
    18:00 (8 hours): the decision said 10:00, when nothing was late yet."""
    engine = Engine(CENTER, fast_paths=written_path)
    out = engine.feed({"kind": "call", "id": "m2", "agent": "A13", "channel": "online",
                       "answer_delay": 9 * 3600 + 60, "duration": 120, "at": at(2, 10)})  # fmt: skip
    [late] = [d for d in out if d.action == "late_reply"]
    assert late.at == at(2, 18)
    assert late.reason == (
        "在线留言超过 8 小时未回复: call m2 via online came in 2026-11-02 10:00 and was "
        "answered 2026-11-02 19:01, 9 hours 1 minute later: late from 2026-11-02 18:00 "
        "(limit 8h)"
    )


def test_a_rule_on_an_answer_delay_written_the_other_way_round_is_dated_alike() -> None:
    policy = load_policy(
        text='policy "p" version "1" timezone "Asia/Shanghai"\n'
        'action slow "接听慢" notify 班长\n'
        "discipline d {\n"
        "  rule slow_pickup on call where 30s <= call.answer_delay and call.answered "
        "then slow\n"
        '  rule online on call where call.channel == "online" then slow\n'
        "}\n",
        file="p.policy",
    )
    engine = Engine(policy)
    out = engine.feed({"kind": "call", "id": "c1", "agent": "A1", "answer_delay": 45,
                       "duration": 60, "channel": "online", "at": at(2, 9)})  # fmt: skip
    dates = {d.rule: d.at for d in out}
    assert dates == {"d.slow_pickup": at(2, 9, 0) + dt.timedelta(seconds=30),
                     "d.online": at(2, 9)}  # fmt: skip
