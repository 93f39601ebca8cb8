"""The shipped center policy and the demo's proposed change to it ("3 complaints a month"
becomes 2), loaded once for the simulation tests."""

from __future__ import annotations

from pathlib import Path

from callqa.engine import load_policy

CENTER = Path(__file__).resolve().parent.parent / "policies" / "center.policy"
TEXT = CENTER.read_text(encoding="utf-8")
POLICY = load_policy(CENTER)
STRICTER_TEXT = TEXT.replace(
    "in calendar month >= 3 then off_floor_retraining\n",
    "in calendar month >= 2 then off_floor_retraining\n",
    1,
)
STRICTER = load_policy(text=STRICTER_TEXT, file=str(CENTER.with_name("stricter.policy")))
