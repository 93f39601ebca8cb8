"""A year of mixed call-center events for the replay benchmark, deterministic."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))

POLICY_TEXT = """
policy "bench" version "1" timezone "Asia/Shanghai"
action off_floor "下岗培训" notify 主管
action warning "书面警告" notify 班长
action praise "表扬" notify 班长
sampling daily "每日抽检" {
  per agent per day
  pick 2nd call where call.start.time >= 11:00 and call.duration >= 60s
  pick 2 random calls where call.duration >= 30s
}
discipline d "末位下岗" {
  rule complaints_month when count(complaint) in calendar month >= 3 then off_floor
  rule complaints_year when count(complaint) in 365 days >= 5 then off_floor
  rule violations_month when count(violation) in calendar month >= 3 then warning
  rule praised on commendation then praise
}
"""


def events(n: int, agents: int = 2000, seed: int = 5) -> list[dict[str, Any]]:
    """`n` events over a year, in time order: ~94% calls, complaints, violations, praise."""
    rng = random.Random(seed)
    year = 365 * 86400
    times = sorted(rng.randrange(year) for _ in range(n))
    out: list[dict[str, Any]] = []
    for index, offset in enumerate(times):
        # calls follow the working day: shift the offset into 08:00-20:00 local time
        day, second = divmod(offset, 86400)
        at = START + dt.timedelta(days=day, seconds=8 * 3600 + second % (12 * 3600))
        agent = f"A{rng.randrange(agents):04d}"
        roll = rng.random()
        if roll < 0.94:
            event = {"kind": "call", "duration": int(rng.lognormvariate(5.0, 0.8))}
        elif roll < 0.96:
            event = {"kind": "complaint"}
        elif roll < 0.98:
            event = {"kind": "violation", "type": "late"}
        else:
            event = {"kind": "commendation", "channel": "短信", "text": "耐心"}
        event.update({"id": f"x{index}", "agent": agent, "at": at})
        out.append(event)
    out.sort(key=lambda e: (e["at"], e["id"]))
    return out
