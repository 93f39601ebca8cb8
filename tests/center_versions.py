"""The shipped center policy and the demo's proposed change to it ("3 complaints a month"
becomes 2), loaded once for the simulation tests."""

from __future__ import annotations

from pathlib import Path

from callqa.engine import load_policy

CENTER = Path(__file__).resolve().parent.parent / "policies" / "center.policy"
TEXT = CENTER.read_text(encoding="utf-8")
POLICY = load_policy(CENTER)
STRICTER_TEXT = TEXT.replace(
    "in calendar month since back_on_floor >= 3 then off_floor_retraining\n",
    "in calendar month since back_on_floor >= 2 then off_floor_retraining\n",
    1,
)
STRICTER = load_policy(text=STRICTER_TEXT, file=str(CENTER.with_name("stricter.policy")))
# What "3 complaints a month -> 2" replays: the month rule, the rules taking the same
# action (what brought it is spent for them), the rule taking back_on_floor (the month
# rule counts since it), and the rules reading the statuses those set; on their events.
STRICTER_UNITS = tuple(f"bottom_removal.{rule}" for rule in (
    "complaints_month", "complaints_year", "exam_failed", "exam_passed", "retake_failed",
    "retake_failed_on_floor", "violations_month",
))  # fmt: skip
STRICTER_KINDS = ["agent_status", "approval", "complaint", "exam", "violation"]
