"""Working time (issue 19, point 4): `within 8 working hours` counts only the hours the
center's calendar says are worked, skipping nights, weekends and public holidays, and
counting the make-up working days China's holiday schedule moves onto weekends."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl import resolved
from callqa.dsl.check import check_text
from callqa.dsl.format import format_text
from callqa.engine import load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.runtime.working_time import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = """calendar office "在线客服工作时间" {
  hours mon-fri 09:00-12:00, 13:30-18:00
  hours sat 09:00-12:00
  holiday 2026-10-01 to 2026-10-07 "国庆节"
  workday 2026-09-20 "国庆调休"
  workday 2026-10-10 like mon "国庆调休"
}
"""
RULES = f"""policy "t" version "1" timezone "Asia/Shanghai"
action late_reply "留言超过 8 个工作小时未回复" notify 班长
{CALENDAR}
escalation complaints {{
  chain 班长 -> 主管
  escalate after 8 working hours at 班长 while unresolved
}}
discipline timers {{
  rule unanswered on message without reply within 8 working hours then late_reply
}}
"""
POLICY = load_policy(text=RULES, file="t.policy")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def working(hours: float) -> resolved.Wait:
    return resolved.Wait(hours * 3600, f"{hours:g} working hours", True)


def test_a_message_left_on_friday_evening_is_due_on_monday() -> None:
    engine = Engine(POLICY)
    engine.feed({"kind": "message", "id": "m1", "agent": "A1", "at": at("2026-11-06 17:00")})
    assert engine.advance(at("2026-11-09 14:29")) == []
    # 17:00-18:00 Friday (1h), Saturday 09:00-12:00 (3h), Monday 09:00-12:00 (3h), 13:30-14:30
    [late] = engine.advance(at("2026-11-09 16:00"))
    assert late.at == at("2026-11-09 14:30")
    assert "no reply within 8 working hours (by 2026-11-09 14:30)" in late.reason
    assert late.facts["waited"] == (late.at - at("2026-11-06 17:00")).total_seconds()


def test_escalation_skips_the_national_holiday_and_counts_the_make_up_saturday() -> None:
    engine = Engine(POLICY)
    [assigned] = engine.feed({"kind": "complaint", "id": "k1", "agent": "A1",
                              "at": at("2026-09-30 17:00")})  # fmt: skip
    # 1h on the 30th; October 1-7 off; the 8th (Thursday) 09:00-12:00, 13:30-17:30
    assert "must be resolved by 2026-10-08 17:30" in assigned.reason
    [up] = engine.advance(at("2026-10-08 17:30"))
    assert (up.action, up.at) == ("主管", at("2026-10-08 17:30"))
    assert "unresolved 8 working hours after reaching 班长: escalated to 主管" in up.reason
    engine = Engine(POLICY)
    engine.feed({"kind": "complaint", "id": "k2", "agent": "A1", "at": at("2026-10-09 17:00")})
    # Friday 1h; Saturday the 10th is a make-up day with Monday's hours: 3h, then 13:30-17:30
    [up] = engine.advance(at("2026-10-11 00:00"))
    assert up.at == at("2026-10-10 17:30")


def test_working_days_keep_the_time_of_day() -> None:
    calendar = WorkingCalendar(POLICY.rules.calendar.calendar, SHANGHAI)  # type: ignore[union-attr]
    days = resolved.Wait(2 * 86400, "2 working days", True, True)
    assert calendar.after(at("2026-11-05 10:15"), days) == at("2026-11-07 10:15")  # Thu -> Sat
    # Saturday closes at 12:00: a 15:00 start lands at Saturday's close
    assert calendar.after(at("2026-11-05 15:00"), days) == at("2026-11-07 12:00")
    # outside hours it counts from when work resumes: Sunday night -> Monday 09:00 + 2 days
    assert calendar.after(at("2026-11-08 22:00"), days) == at("2026-11-11 09:00")
    real = resolved.Wait(8 * 3600, "8h")
    assert calendar.after(at("2026-11-06 17:00"), real) == at("2026-11-07 01:00")


# ------------------------------------------------------------ against an oracle

HOURS = st.lists(
    st.tuples(st.integers(0, 23 * 4), st.integers(1, 8)).map(
        lambda p: (p[0] * 15, min(p[0] * 15 + p[1] * 30, 24 * 60 - 1))
    ),
    max_size=2,
)


def _ranges(spans: list[tuple[int, int]]) -> tuple[tuple[dt.time, dt.time], ...]:
    """Minutes of the day -> sorted, non-overlapping ranges of times."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((dt.time(s // 60, s % 60), dt.time(e // 60, e % 60)) for s, e in merged)


@st.composite
def calendars(draw: st.DrawFn) -> resolved.Calendar:
    week = [_ranges(draw(HOURS)) for _ in range(7)]
    if not any(week):
        week[0] = ((dt.time(9), dt.time(17)),)
    base = dt.date(2026, 9, 28)
    days = st.integers(0, 30).map(lambda n: base + dt.timedelta(days=n))
    holidays = draw(st.sets(days, max_size=8))
    workdays = draw(st.sets(days, max_size=3)) - holidays
    worked = [i for i, h in enumerate(week) if h]
    like = draw(st.sampled_from(worked))
    return resolved.Calendar("c", "c:1", tuple(week), dict.fromkeys(holidays, ""),
                             {d: (like, "") for d in workdays})  # fmt: skip


def _oracle_hours(calendar: WorkingCalendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """Minute by minute: the end of the `minutes`th worked minute after `start`."""
    now, left = start, minutes
    while True:
        ranges = calendar.hours(now.date())
        clock = now.time()
        if any(opens <= clock < closes for opens, closes in ranges):
            left -= 1
            if left == 0:
                return now + dt.timedelta(minutes=1)
        now += dt.timedelta(minutes=1)


@settings(max_examples=150, deadline=None)
@given(calendars(), st.integers(0, 20 * 24 * 60), st.integers(1, 3 * 24 * 60))
def test_working_hours_match_counting_minute_by_minute(
    calendar: resolved.Calendar, start_minute: int, wait: int
) -> None:
    working_calendar = WorkingCalendar(calendar, SHANGHAI)
    start = dt.datetime(2026, 9, 28) + dt.timedelta(minutes=start_minute)
    mark = working_calendar.after(start.replace(tzinfo=SHANGHAI),
                                  resolved.Wait(wait * 60, "", True))  # fmt: skip
    assert mark == _oracle_hours(working_calendar, start, wait).replace(tzinfo=SHANGHAI)


# ------------------------------------------------------------------ the language


def test_the_calendar_formats_back_to_itself() -> None:
    assert format_text(RULES) == format_text(format_text(RULES))
    assert CALENDAR.strip() in format_text(RULES)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "discipline d { rule r on message without reply within 8 working hours then x }",
            "8 working hours counts the center's working hours, and this policy has no calendar",
            "add one: calendar center { hours mon-fri 09:00-18:00 }",
        ),
        ("calendar c { hours mon-fry 09:00-18:00 }", "fry is not a weekday", "fri"),
        (
            "calendar c { hours mon 18:00-09:00 }",
            "18:00-09:00 ends before it starts",
            "09:00-18:00",
        ),
        ("calendar c { hours mon 09:00-12:00, 11:00-18:00 }", "two ranges of hours", "apart"),
        (
            "calendar c { hours mon 09:00-12:00\n hours mon-fri 13:00-18:00 }",
            "the hours of mon are already given on line 3",
            "one line",
        ),
        ("calendar c { holiday 2026-10-01 }", "calendar c has no working hours", "hours mon-fri"),
        (
            "calendar c { hours mon 09:00-12:00\n holiday 2026-10-07 to 2026-10-01 }",
            "the holiday ends (2026-10-01) before it starts (2026-10-07)",
            "write: holiday",
        ),
        (
            "calendar c { hours mon 09:00-12:00\n holiday 2026-10-01\n workday 2026-10-01 }",
            "2026-10-01 is a holiday (line 4) and a workday",
            "delete one",
        ),
        (
            "calendar c { hours sat 09:00-12:00\n workday 2026-10-11 }",
            "a workday is worked with the hours of mon, and mon has none",
            "like sat",
        ),
        (
            "calendar c { hours mon 09:00-12:00 }\ncalendar d { hours tue 09:00-12:00 }",
            "this policy already has a calendar",
            "put these lines in that calendar",
        ),
        (
            "discipline d { rule r on message without reply within 2 working weeks then x }",
            "working time is counted in minutes, hours or days, not weeks",
            "working days",
        ),
    ],
)
def test_a_wrong_calendar_or_working_wait_is_explained(text: str, message: str, hint: str) -> None:
    source = f'policy "t" timezone "Asia/Shanghai"\naction x "x"\n{text}\n'
    _, diagnostics = check_text(source, "t.policy")
    errors = [d for d in diagnostics if d.is_error]
    assert errors, diagnostics
    found = [d for d in errors if message in d.message]
    assert found, [d.message for d in errors]
    assert hint in (found[0].hint or "")
    assert found[0].line > 0 and found[0].col > 0
