"""Talk times and times as call-center exports write them (issue 15, item 4): one reading,
engine.values.parse_duration and parse_datetime, used by import, events and scoring alike."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.dsl.types import Type
from callqa.engine.errors import EvaluationError
from callqa.engine.runtime.events import EventError, parse_event
from callqa.engine.scoring.evaluations import read_records
from callqa.engine.store.importer import (
    EventMapping,
    ImportReport,
    MappingError,
    load_mapping,
    rows_to_events,
)
from callqa.engine.values import converter, parse_datetime, parse_duration, shown

SHANGHAI = ZoneInfo("Asia/Shanghai")


def duration_forms(seconds: int) -> list[str]:
    """Every way an export may write `seconds` of talk time."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    units = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    chinese = "".join(f"{n}{u}" for n, u in ((hours, "小时"), (minutes, "分"), (secs, "秒")) if n)
    return [
        str(seconds),
        f"{seconds}.0",
        f" {seconds} ",
        units or "0s",
        chinese or "0秒",
        f"{seconds // 60}:{secs:02d}",
        f"{hours}:{minutes:02d}:{secs:02d}",
        f"{hours:02d}:{minutes:02d}:{secs:02d}",
        f"{seconds}s",
    ]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=100 * 3600))
def test_a_duration_in_any_accepted_form_reads_as_the_same_seconds(seconds: int) -> None:
    as_fact = converter(Type.DURATION, SHANGHAI)
    for text in duration_forms(seconds):
        assert parse_duration(text) == seconds, text
        assert as_fact(text, "call.duration") == seconds, text  # callqa score's facts
        call = {"kind": "call", "id": "c", "agent": "A", "at": "2026-11-02 09:00"}
        assert parse_event({**call, "duration": text}).duration == seconds, text  # events


def datetime_forms(moment: dt.datetime) -> list[str]:
    y, mo, d, h, mi, s = (moment.year, moment.month, moment.day, moment.hour,
                          moment.minute, moment.second)  # fmt: skip
    forms = [
        moment.isoformat(),
        moment.isoformat(sep=" "),
        f"{y}/{mo}/{d} {h}:{mi:02d}:{s:02d}",
        f"{y}/{mo:02d}/{d:02d} {h:02d}:{mi:02d}:{s:02d}",
        f"{y}-{mo}-{d} {h}:{mi:02d}:{s:02d}",
        f"{y}年{mo}月{d}日 {h}:{mi:02d}:{s:02d}",
        f"{y}年{mo}月{d}日{h}:{mi:02d}:{s:02d}",
        f"  {y}/{mo}/{d}  {h}:{mi:02d}:{s:02d} ",
    ]
    if s == 0:  # without seconds
        forms += [f"{y}/{mo}/{d} {h}:{mi:02d}", f"{y}-{mo}-{d} {h}:{mi:02d}",
                  f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}", f"{y}年{mo}月{d}日 {h}:{mi:02d}"]  # fmt: skip
    return forms


MOMENTS = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0)
)


@settings(max_examples=150, deadline=None)
@given(MOMENTS, st.booleans())
def test_a_time_in_any_accepted_form_reads_as_the_same_moment(
    moment: dt.datetime, whole_minute: bool
) -> None:
    if whole_minute:
        moment = moment.replace(second=0)
    as_fact = converter(Type.DATETIME, SHANGHAI)
    call = {"kind": "call", "id": "c", "agent": "A", "duration": 60}
    for text in datetime_forms(moment):
        assert parse_datetime(text) == moment, text
        assert as_fact(text, "call.at") == moment.replace(tzinfo=SHANGHAI), text
        assert parse_event({**call, "at": text}).at == moment, text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("05:30", 330), ("5:30", 330), ("125:00", 7500), ("0:05:30", 330), ("1:02:03", 3723),
     ("3m45s", 225), ("3m", 180), ("45s", 45), ("1h2m3s", 3723), ("1h 2m 3s", 3723),
     ("3分45秒", 225), ("3分钟", 180), ("1小时2分3秒", 3723), ("1.5h", 5400), ("225.0", 225),
     ("00:03:45.5", 225.5)],
)  # fmt: skip
def test_excel_talk_times_read_as_minutes_and_seconds(text: str, seconds: float) -> None:
    """05:30 was read as h:mm (19,800 s); 3m45s, which the importer documents, was refused."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["5:75", "1:2", "1:02:03:04", "1:02.5:03", "3s45m", "3m3m", "", "m", "五分", "٣", "٣m",
     "３分", "1:٠٥", "İnf", "3ſ"],
)  # fmt: skip
def test_a_duration_that_is_not_one_is_refused_with_the_forms_to_write(text: str) -> None:
    """Digits of other scripts (٣, full-width ３) are not read: \\d took them (٣ was 3 s)."""
    with pytest.raises(ValueError, match=r"is not a duration: write seconds \(225\), 3m45s"):
        parse_duration(text)
    with pytest.raises(
        EvaluationError, match=r"call.duration: '.*' is not a duration: write seconds"
    ):
        converter(Type.DURATION, SHANGHAI)(text, "call.duration")


NEGATIVE = "a negative duration: a duration is 0 seconds or more"
NOT_A_NUMBER = "which is not a number (NaN or infinite): correct it or leave it out"


@pytest.mark.parametrize(
    ("text", "number", "shown_as", "reason"),
    [("-5", -5, "-5", NEGATIVE), ("1e999", 1e400, "inf", NOT_A_NUMBER),
     ("-inf", -1e400, "-inf", NOT_A_NUMBER), ("nan", math.nan, "nan", NOT_A_NUMBER)],
)  # fmt: skip
def test_a_bad_number_of_seconds_gets_one_message_as_text_or_as_a_number(
    text: str, number: float, shown_as: str, reason: str
) -> None:
    """'-5' in a CSV said 'is not a duration: write seconds (225)' (they had), -5 in JSON 'a
    negative duration'; '1e999' and 1e400 were worded apart too. Facts quote what was given."""
    call = {"kind": "call", "id": "c", "agent": "A", "at": "2026-11-02 09:00"}
    messages = set()
    for value in (text, number):
        with pytest.raises(EventError) as error:
            parse_event({**call, "duration": value})
        messages.add(str(error.value))
    assert messages == {f"call event 'c' rejected: duration is {shown_as}, {reason}"}
    as_fact = converter(Type.DURATION, SHANGHAI)
    for value, quoted in ((text, repr(text)), (number, shown_as)):
        with pytest.raises(EvaluationError) as fact_error:
            as_fact(value, "call.duration")
        assert str(fact_error.value) == f"call.duration is {quoted}, {reason}"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20) | st.from_regex(r"[0-9.:eE+\-ſİınfa hmsMSH分秒]{1,12}", fullmatch=True))
def test_any_text_is_a_duration_or_a_value_error_saying_so(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        assert str(error).startswith(shown(text)), error  # says what was given
    else:
        assert isinstance(seconds, int | float)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5:30.5", 330.5), ("05:30.25", 330.25), ("0:05:30.5", 330.5), ("3M45S", 225),
     ("1H2M3S", 3723), ("3Min", 180), ("1e3", 1000), ("+60", 60)],
)  # fmt: skip
def test_fractions_in_mm_ss_and_upper_case_units_are_read(text: str, seconds: float) -> None:
    """'5:30.5' was refused though '0:05:30.5' was read; '3M45S' was refused."""
    assert parse_duration(text) == seconds


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 59), st.integers(0, 999))
def test_minutes_and_seconds_with_a_fraction_read_as_h_mm_ss_does(
    minutes: int, seconds: int, thousandths: int
) -> None:
    hours, rest = divmod(minutes, 60)
    text = f"{minutes}:{seconds:02d}.{thousandths:03d}"
    assert parse_duration(text) == parse_duration(
        f"{hours}:{rest:02d}:{seconds:02d}.{thousandths:03d}"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [("02/11/2026 09:00", "could be day-first or month-first: write the year first"),
     ("11/2/26", "could be day-first or month-first: write the year first"),
     ("2026/13/2 9:00", "is not a real date: a year has no month 13"),
     ("2026/2/30 9:00", "is not a real date: February 2026 has no day 30; correct the date"),
     ("2026-02-29", "is not a real date: February 2026 has no day 29; correct the date"),
     ("2026年11月31日 9:00", "is not a real date: November 2026 has no day 31"),
     ("2026/11/2 25:00", "is not a date and time: write 2026-11-02 09:00"),
     ("yesterday", "is not a date and time: write 2026-11-02 09:00")],
)  # fmt: skip
def test_an_ambiguous_or_wrong_time_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_datetime(text)
    call = {"kind": "call", "id": "c", "agent": "A", "duration": 60, "at": text}
    with pytest.raises(EventError, match=f"at: '{text}' {reason}"):
        parse_event(call)


def test_a_call_log_from_chinese_excel_imports_without_a_mapping_for_its_times(
    tmp_path: Path,
) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "kind,id,agent,at,duration\n"
        "call,k1,张三,2026/11/2 9:00,05:30\n"
        "call,k2,李四,2026年11月2日 9:05,3m45s\n"
        "call,k3,王五,2026-11-2 9:10:30,3分45秒\n"
        "call,k4,赵六,02/11/2026 9:15,60\n"
        "call,k5,钱七,2026-11-02 09:20,5:75\n",
        encoding="utf-8",
    )
    report = ImportReport()
    events = list(rows_to_events(read_records(path), [EventMapping("", {})], SHANGHAI, report))
    assert [(e.id, e.at.replace(tzinfo=None), e.duration) for e in events] == [
        ("k1", dt.datetime(2026, 11, 2, 9, 0), 330),
        ("k2", dt.datetime(2026, 11, 2, 9, 5), 225),
        ("k3", dt.datetime(2026, 11, 2, 9, 10, 30), 225),
    ]
    assert all(e.at.tzinfo == SHANGHAI for e in events)
    assert [problem.split(":")[0] for problem in report.rejected] == ["row 5", "row 6"]
    assert "could be day-first or month-first" in report.rejected[0]
    assert "'5:75' is not a duration" in report.rejected[1]


def test_a_mapped_at_template_reads_the_same_forms(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "call"\n[fields]\nid = "{Id}"\nat = "{Date} {Time}"\nagent = "Agent"\n'
        'duration = "Talk"\n',
        encoding="utf-8",
    )
    path = tmp_path / "calls.csv"
    path.write_text("Id,Date,Time,Agent,Talk\n1,2026/11/2,9:00,张三,05:30\n", encoding="utf-8")
    report = ImportReport()
    (event,) = rows_to_events(read_records(path), load_mapping(mapping), SHANGHAI, report)
    assert (event.at, event.duration) == (dt.datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), 330)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9:00", dt.time(9)), ("09:00", dt.time(9)), ("9:05:30", dt.time(9, 5, 30))],
)
def test_a_time_of_day_fact_reads_as_times_in_date_times_do(text: str, expected: dt.time) -> None:
    """`9:00` was refused as a time of day though `2026/11/2 9:00` is read."""
    assert converter(Type.TIME, SHANGHAI)(text, "call.start") == expected


def test_a_date_fact_reads_the_same_forms() -> None:
    as_date = converter(Type.DATE, SHANGHAI)
    for text in ("2026-11-02", "2026/11/2", "2026年11月2日", "2026.11.02"):
        assert as_date(text, "leave.starts") == dt.date(2026, 11, 2), text
    with pytest.raises(EvaluationError, match="could be day-first or month-first"):
        as_date("02/11/2026", "leave.starts")


def test_a_day_that_does_not_exist_is_named_on_import(tmp_path: Path) -> None:
    """'2026/2/30 9:00' got the generic 'is not a date and time: write 2026-11-02 09:00'."""
    path = tmp_path / "calls.csv"
    path.write_text("kind,id,agent,at,duration\ncall,k1,张三,2026/2/30 9:00,60\n", encoding="utf-8")
    report = ImportReport()
    assert list(rows_to_events(read_records(path), [EventMapping("", {})], SHANGHAI, report)) == []
    assert report.rejected == [
        "row 2: call event 'k1' rejected: at: '2026/2/30 9:00' is not a real date: February "
        "2026 has no day 30; correct the date"
    ]


CALL = {"kind": "call", "id": "c", "agent": "A", "at": "2026-11-02 09:00", "duration": "09:15"}


def test_an_answer_delay_of_a_b_is_refused_as_it_could_be_hours() -> None:
    """09:15 was read as 9 min 15 s; a reply after 9 h 15 min would not count as late."""
    with pytest.raises(EventError) as error:
        parse_event({**CALL, "answer_delay": "09:15"})
    assert str(error.value) == (
        "call event 'c' rejected: answer_delay: '09:15' could be minutes:seconds or "
        "hours:minutes: write 0:09:15 or 9m15s for minutes and seconds, or 9:15:00 or 9h15m "
        'for hours and minutes (or say which in the mapping: duration_form = "mm:ss" or "h:mm")'
    )
    with pytest.raises(EvaluationError, match="could be minutes:seconds or hours:minutes"):
        converter(Type.DURATION, SHANGHAI)("09:15", "call.answer_delay")
    for text, seconds in (("0:09:15", 555), ("9h15m", 33300), ("9m15s", 555), ("555", 555)):
        assert parse_event({**CALL, "answer_delay": text}).answer_delay == seconds
    call = parse_event({**CALL, "hold_time": "09:15"})  # talk and hold: minutes:seconds
    assert (call.duration, call.hold_time) == (555, 555)


@pytest.mark.parametrize(("form", "seconds"), [("h:mm", 33300), ("mm:ss", 555)])
def test_a_mapping_says_how_a_column_writes_a_b(tmp_path: Path, form: str, seconds: int) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "call"\n[fields]\nid = "Id"\nat = "At"\nagent = "Agent"\nduration = "Talk"\n'
        f'answer_delay = {{ column = "Wait", duration_form = "{form}" }}\n',
        encoding="utf-8",
    )
    path = tmp_path / "calls.csv"
    path.write_text(
        "Id,At,Agent,Talk,Wait\n1,2026-11-02 09:00,张三,05:30,09:15\n"
        "2,2026-11-02 09:00,张三,05:30,9:75\n3,2026-11-02 09:00,张三,05:30,1:00:00\n",
        encoding="utf-8",
    )
    report = ImportReport()
    events = list(rows_to_events(read_records(path), load_mapping(mapping), SHANGHAI, report))
    assert [(e.id, e.duration, e.answer_delay) for e in events] == [
        ("1", 330, seconds), ("3", 330, 3600)
    ]  # fmt: skip
    assert report.rejected == [
        "row 3: answer_delay: '9:75' is not a duration: write seconds (225), 3m45s, 3分45秒, "
        "3:45 (minutes:seconds) or 1:03:45 (h:mm:ss)"
    ]


def test_a_mapping_with_an_unknown_duration_form_says_the_two_forms(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "call"\n[fields]\nanswer_delay = { column = "Wait", duration_form = "hh:mm" }\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match=r"fields.answer_delay: duration_form is 'hh:mm'; "
                       r'write "mm:ss" \(9:15 is 9 minutes 15 seconds\) or "h:mm"'):  # fmt: skip
        load_mapping(mapping)


@pytest.mark.parametrize("text", ["٣", "1_000", "１２", "50_%"])
def test_a_number_fact_reads_ascii_digits_only_as_durations_do(text: str) -> None:
    """float() read ٣ as 3 and 1_000 as 1000."""
    with pytest.raises(EvaluationError, match=rf"survey.rating is '{text}', which is not a number"):
        converter(Type.NUMBER, SHANGHAI)(text, "survey.rating")
    assert converter(Type.NUMBER, SHANGHAI)(" 50 % ", "survey.rating") == 0.5
