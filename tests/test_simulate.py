"""Simulation: a policy against itself changes nothing; a stricter rule shows who changes."""

from __future__ import annotations

import datetime as dt

from center_versions import POLICY, STRICTER
from hypothesis import given, settings
from hypothesis import strategies as st

from callqa.engine.scoring.demo_data import demo_events
from callqa.engine.simulation.simulate import replay_start, simulate


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.integers(3, 12), st.integers(2, 8))
def test_a_policy_against_itself_reports_no_differences(seed: int, days: int, agents: int) -> None:
    events = demo_events(days=days, agents=agents, seed=seed)
    report = simulate(POLICY, POLICY, events).to_dict()
    assert report["changed"] == [] and report["retimed"] == 0
    assert all(row["before"] == row["after"] for row in report["counts"].values())


def test_a_stricter_complaint_rule_takes_more_agents_off_the_floor() -> None:
    events = demo_events(days=28, agents=24, seed=2026)
    report = simulate(STRICTER, POLICY, events)
    data = report.to_dict()
    label = "action: off_floor_retraining"
    assert data["counts"][label]["after"] > data["counts"][label]["before"]
    newly = [row for row in data["changed"] if row["action"] == "off_floor_retraining"]
    assert newly and all(row["before"] == [] for row in newly)
    assert (
        "count(complaint where complaint.substantiated) in calendar month 2026-11 is 2, "
        "which is >= 2" in newly[0]["after"][0]
    )
    assert data["sampling_workload"]["before"] == data["sampling_workload"]["after"] > 0


def test_each_event_is_judged_under_the_version_in_force_at_its_time() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from callqa.engine.simulation.simulate import replay_versions, simulate_against_history

    events = demo_events(days=56, agents=24, seed=2026)
    december = dt.datetime(2026, 12, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    mixed = replay_versions([(None, POLICY), (december, STRICTER)], events)
    only_old = replay_versions([(None, POLICY)], events)
    only_new = replay_versions([(None, STRICTER)], events)

    def off_floor(side, when):  # type: ignore[no-untyped-def]
        return sorted((d.subject, d.at) for d in side.decisions
                      if d.action == "off_floor_retraining" and when(d.at))  # fmt: skip

    assert off_floor(mixed, lambda at: at < december) == off_floor(
        only_old, lambda at: at < december
    )
    assert off_floor(mixed, lambda at: at >= december) == off_floor(
        only_new, lambda at: at >= december
    )
    report = simulate_against_history(STRICTER, [(None, POLICY), (december, STRICTER)], events)
    assert all(
        min(r["after"] + r["before"]) < "2026-12" for r in report.changed()
    )  # changes only where the old version was in force


def test_simulation_keeps_only_the_decisions_that_differ() -> None:
    """Each side tallies every decision but keeps only those without a twin (same kind,
    subject, action and time) on the other side: memory follows the change, not the
    history. The tallies still agree with a full replay of each version."""
    from callqa.engine.runtime.engine import Engine

    events = demo_events(days=56, agents=24, seed=7)
    report = simulate(STRICTER, POLICY, events)  # before: POLICY, after: STRICTER
    engine = Engine(POLICY)
    full_before = engine.feed_all(events)
    assert report.before.replayed_to is not None
    full_before += engine.advance(report.before.replayed_to)  # simulate's horizon
    assert 0 < len(report.before.decisions) + len(report.after.decisions) < len(full_before) / 10
    assert sum(report.before.counts().values()) == len(full_before)
    kept = {(d.kind, d.subject, d.action, d.at) for d in report.before.decisions}
    assert not kept & {(d.kind, d.subject, d.action, d.at) for d in report.after.decisions}


def test_an_end_time_years_ahead_is_reported_not_replayed_for_millennia() -> None:
    """`until` in the year 2926 (a typing mistake) would close ~330,000 days."""
    events = demo_events(days=3, agents=2, seed=1)
    report = simulate(POLICY, STRICTER, events, until=dt.datetime(2926, 1, 1)).to_dict()
    assert report["rejected_events"] == {"before": [], "after": []}  # no event was refused
    problem = report["replay"]["stopped"]
    assert problem.startswith("it cannot run to 2926-01-01 00:00, ")
    assert "if the date is a typing mistake, correct it, else give an end (--to) on or " in problem


def test_a_replay_that_stops_says_where_it_stopped_and_what_to_type() -> None:
    """It said 'replayed to 2926-01-01' though it stopped at its last event, and told a
    manager to pass `Engine(policy, max_gap=timedelta(...))`, which is Python."""
    events = demo_events(days=3, agents=2, seed=1)
    last = max(e["at"] for e in events).astimezone(SHANGHAI)
    far = dt.datetime(2926, 1, 1, tzinfo=SHANGHAI)
    report = simulate(POLICY, STRICTER, events, until=far).to_dict()
    replay = report["replay"]
    assert replay["replayed_to"] == replay["last_event"] == last.isoformat(" ", "minutes")
    assert "Engine(" not in replay["stopped"] and "max_gap" not in replay["stopped"]
    latest = last + dt.timedelta(days=3653)
    assert replay["stopped"].endswith(f"else give an end (--to) on or before {latest:%Y-%m-%d}")
    within = simulate(POLICY, STRICTER, events, until=latest).to_dict()["replay"]
    assert within["stopped"] is None and within["replayed_to"].startswith(f"{latest:%Y-%m-%d}")


def test_a_replay_from_inside_a_period_starts_at_that_period_s_start() -> None:
    """`--from 2026-11-07` (a Saturday) judged week W45's KPIs on its last 2 days; the
    replay now starts where the first period it falls in starts: the month's (center.policy
    has monthly KPIs and calendar-month rules); a --from at a period's start stays."""
    saturday = dt.datetime(2026, 11, 7, tzinfo=SHANGHAI)
    assert replay_start([POLICY], saturday) == dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    sunday = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)  # in week W44, from 26 October
    assert replay_start([POLICY], sunday) == dt.datetime(2026, 10, 26, tzinfo=SHANGHAI)
    monday = dt.datetime(2027, 2, 1, tzinfo=SHANGHAI)  # a week's and a month's first day
    assert replay_start([POLICY], monday) == monday


def test_a_quiet_year_in_the_history_is_replayed_not_refused() -> None:
    """A live engine refuses a step over 366 days (a mistyped year, most likely); a
    stored history may really have a quiet year, and its later events still count."""
    first = demo_events(days=3, agents=2, seed=1)
    later = [{**e, "id": f"{e['id']}-later", "at": e["at"] + dt.timedelta(days=400)}
             for e in first]  # fmt: skip
    report = simulate(POLICY, STRICTER, first + later).to_dict()
    alone = simulate(POLICY, STRICTER, first).to_dict()
    assert report["rejected_events"] == {"before": [], "after": []}
    for side in ("before", "after"):
        assert sum(report["counts"][k][side] for k in report["counts"]) > sum(
            alone["counts"][k][side] for k in alone["counts"]
        )


SHANGHAI = POLICY.timezone


def test_a_replay_without_an_end_closes_the_last_period_its_events_touch() -> None:
    """The history ends on Saturday 28 November: the replay used to stop a day later, so
    neither the week nor November's monthly KPI (commended_agent, model_agent, most_improved) closed. It now runs to the
    end of November, 1 December 00:00."""
    events = demo_events(days=28, agents=6, seed=3)
    assert max(e["at"] for e in events).date() == dt.date(2026, 11, 28)
    present = dt.datetime(2027, 3, 1, tzinfo=SHANGHAI)
    report = simulate(POLICY, POLICY, events, now=present)
    data = report.to_dict()
    assert data["replay"]["replayed_to"] == "2026-12-01 00:00+08:00"
    assert data["replay"]["open_periods"] == []
    monthly = sum(n for label, n in report.before.counts().items()
                  if label in ("alert", "no_data"))  # fmt: skip
    weekly_only = simulate(
        POLICY, POLICY, events, until=dt.datetime(2026, 11, 30, tzinfo=SHANGHAI), now=present
    )
    assert monthly > sum(n for label, n in weekly_only.before.counts().items()
                         if label in ("alert", "no_data"))  # fmt: skip
    assert (
        "2026-11 (commended_agent, model_agent, most_improved), ends 2026-12-01 00:00"
        in weekly_only.to_dict()["replay"]["open_periods"]
    )


def test_a_period_not_over_yet_is_left_open_and_said() -> None:
    """A history imported on 20 November: its week and month are not over, so they are
    not closed on part of their events; the report names them."""
    events = demo_events(days=17, agents=4, seed=5)  # 2 to 18 November
    present = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
    data = simulate(POLICY, STRICTER, events, now=present).to_dict()
    assert data["replay"]["replayed_to"] == "2026-11-20 12:00+08:00"
    open_periods = data["replay"]["open_periods"]
    assert (
        "2026-11 (commended_agent, model_agent, most_improved), ends 2026-12-01 00:00"
        in open_periods
    )
    assert any(p.startswith("2026-W47 (") and "csat" in p for p in open_periods)
    assert not any("2026-W46" in p for p in open_periods)  # the week before closed


def test_the_grade_distribution_counts_the_grades_appeals_changed() -> None:
    """An upheld appeal re-scores its evaluation: the distribution counts each evaluation
    once, in its final grade (it counted the first grade, whatever the appeal found)."""
    answers = {item: "pass" for item in ("greeting", "closing", "wait_ack", "tone", "forbidden",
               "identity_check", "data_leak", "recording_note", "accuracy", "recap",
               "ownership", "empathy")} | {"interrupting": 0, "jargon": 0, "courtesy": 0}  # fmt: skip
    call = {"type": "billing", "duration": 120, "hold_time": 0}

    def evaluation(ident: str, day: int, **failed: str) -> dict[str, object]:
        return {"kind": "evaluation", "id": ident, "agent": "A1", "team": "T1",
                "evaluator": "QA1", "rubric": "standard_call", "facts": {"call": call},
                "answers": answers | failed, "at": dt.datetime(2026, 11, day, 10, tzinfo=SHANGHAI)}  # fmt: skip

    events = [
        evaluation("ev1", 2, accuracy="fail"),  # 80.9: 合格, then 100: 优秀 on appeal
        evaluation("ev2", 2, accuracy="fail", tone="fail"),  # 66.8: 不合格
        {"kind": "appeal", "id": "ap1", "evaluation": "ev1", "item": "accuracy",
         "reason": "the figure quoted was right", "at": dt.datetime(2026, 11, 3, 9, tzinfo=SHANGHAI)},
        {"kind": "appeal_accepted", "id": "aa1", "appeal": "ap1", "by": "L01", "role": "班长",
         "at": dt.datetime(2026, 11, 3, 10, tzinfo=SHANGHAI)},
        {"kind": "appeal_decision", "id": "ad1", "appeal": "ap1", "upheld": True,
         "decided_by": "S01", "role": "主管", "at": dt.datetime(2026, 11, 4, 9, tzinfo=SHANGHAI)},
    ]  # fmt: skip
    report = simulate(POLICY, STRICTER, events, now=dt.datetime(2027, 3, 1, tzinfo=SHANGHAI))
    assert report.before.counts()["rescore"] == 1
    assert report.before.grades() == report.after.grades() == {"优秀": 1, "不合格": 1}
    assert report.to_dict()["grades"]["after"] == {"优秀": 1, "不合格": 1}
