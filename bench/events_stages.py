"""Where the replay's time goes, in CPU instructions per event: a stable measure on a
shared machine, where wall-clock timings of the same run vary by a third.

    python bench/events_stages.py              # every stage under valgrind's callgrind
    python bench/events_stages.py --n 20000    # the default; 2 minutes or so
    python bench/events_stages.py --stage full # one stage, no valgrind (for a profiler)

Stages, each over the same generated events (one agent per 500 events, so an agent has as
many calls a day as in the 1,000,000-event replay):

- `hand` — the hand-written streaming rules (bench/events_hand.py);
- `validate` — only the engine's check of each event (engine.plain_events for well-typed
  dicts of kinds without handlers, pydantic for the rest);
- `no-sampling` — the engine with its sampling rule removed (validation, clock, facts,
  discipline);
- `no-samples` — the engine, with each sampling period dropped when it ends instead of
  sampled (what observing the calls costs);
- `full` — the engine.

Each stage's count is the run's total minus a run that only generates the events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events

STAGES = ("hand", "validate", "no-sampling", "no-samples", "full")


def run_stage(stage: str, n: int) -> None:
    from engine import Engine, load_policy
    from engine.events import parse_event
    from engine.sampling_rule import SamplingRule

    data = events(n, agents=max(1, n // 500))
    end = data[-1]["at"] + dt.timedelta(days=2)
    policy = load_policy(text=POLICY_TEXT, file="bench.policy")
    gc.collect()
    gc.freeze()
    if stage == "none":
        return
    if stage == "hand":
        from bench.events_hand import HandWritten

        hand = HandWritten()
        for event in data:
            hand.feed(event)
        hand.finish(end)
        return
    if stage == "validate":  # as the engine does: plain dicts checked, the rest by pydantic
        plain = Engine(policy)._plain
        for event in data:
            reader = plain.get(event["kind"])
            if reader is None or reader(event) is None:
                parse_event(event)
        return
    if stage == "no-samples":

        def drop(rule: SamplingRule, now: dt.datetime, status: object) -> list[object]:
            while rule.ends and rule.ends[0][0] <= now.timestamp():
                _, _, period = rule.ends.pop(0)
                agents = rule.calls.pop(period)
                rule.open_days = {d: a for d, a in rule.open_days.items() if a is not agents}
            return []

        SamplingRule.due = drop  # type: ignore[assignment, method-assign]
    if stage == "no-sampling":  # the policy without its sampling rule
        text = re.sub(r"\nsampling .*?\n}\n", "\n", POLICY_TEXT, flags=re.S)
        assert "sampling" not in text
        policy = load_policy(text=text, file="bench.policy")
    engine = Engine(policy)
    for event in data:
        engine.feed(event)
    engine.advance(end)


def instructions(stage: str, n: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--stage", stage, "--n", str(n)]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", output)
    if match is None:
        raise SystemExit(f"no instruction count from callgrind:\n{output[-2000:]}")
    return int(match[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--stage", choices=("none", *STAGES))
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage, args.n)
        return 0
    base = instructions("none", args.n)
    counts = {stage: (instructions(stage, args.n) - base) / args.n for stage in STAGES}
    print(f"CPU instructions per event, {args.n:,} events (callgrind):\n")
    for stage, count in counts.items():
        ratio = counts["hand"] / count
        print(f"{stage:<14}{count:>10,.0f}   hand-written ÷ this = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
