"""Where the replay's time goes, in CPU instructions per event: a stable measure on a
shared machine, where wall-clock timings of the same run vary by a third.

    python bench/events_stages.py              # every stage under valgrind's callgrind
    python bench/events_stages.py --n 20000    # the default; 2 minutes or so
    python bench/events_stages.py --seconds --n 200000  # wall clock, fastest of 3 rounds
    python bench/events_stages.py --stage full # one stage, no valgrind (for a profiler)

Stages, each over the same generated events (one agent per 500 events, so an agent has as
many calls a day as in the 1,000,000-event replay):

- `hand` — the hand-written streaming rules (bench/events_hand.py);
- `validate` — only the engine's check of each event (engine.runtime.plain_events for well-typed
  dicts of kinds without handlers, pydantic for the rest);
- `no-sampling` — the engine with its sampling rule removed (validation, clock, facts,
  discipline);
- `no-samples` — the engine, with each sampling period dropped when it ends instead of
  sampled (what observing the calls costs);
- `full` — the engine.

Each stage's count is the run's total minus a run that only generates the events. With
`--seconds`, each stage's replay alone is timed (the fastest of three rounds, each stage
in its own process): `full` minus `no-samples` is what sampling each period and building
its decisions costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import re
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events

STAGES = ("hand", "validate", "no-sampling", "no-samples", "full")


def run_stage(stage: str, n: int) -> float:
    """Replay the events through `stage`; the seconds the replay alone took."""
    from callqa.engine import Engine, load_policy
    from callqa.engine.runtime.events import parse_event
    from callqa.engine.sampling.rule import SamplingRule

    data = events(n, agents=max(1, n // 500))
    end = data[-1]["at"] + dt.timedelta(days=2)
    policy = load_policy(text=POLICY_TEXT, file="bench.policy")
    gc.collect()
    gc.freeze()
    if stage == "none":
        return 0.0
    started = time.perf_counter()
    if stage == "hand":
        from bench.events_hand import HandWritten

        hand = HandWritten()
        for event in data:
            hand.feed(event)
        hand.finish(end)
        return time.perf_counter() - started
    if stage == "validate":  # as the engine does: plain dicts checked, the rest by pydantic
        plain = Engine(policy)._plain
        started = time.perf_counter()
        for event in data:
            reader = plain.get(event["kind"])
            if reader is None or reader(event) is None:
                parse_event(event)
        return time.perf_counter() - started
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
    started = time.perf_counter()
    for event in data:
        engine.feed(event)
    engine.advance(end)
    return time.perf_counter() - started


def instructions(stage: str, n: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--stage", stage, "--n", str(n)]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", output)
    if match is None:
        raise SystemExit(f"no instruction count from callgrind:\n{output[-2000:]}")
    return int(match[1])


def print_seconds(n: int, rounds: int = 3) -> int:
    best: dict[str, float] = {}
    for _ in range(rounds):  # rounds alternate the stages: noise only ever slows a run
        for stage in STAGES:
            command = [sys.executable, __file__, "--stage", stage, "--n", str(n)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            best[stage] = min(best.get(stage, math.inf), float(output))
    print(f"Microseconds per event, {n:,} events, the fastest of {rounds} rounds:\n")
    for stage, seconds in best.items():
        ratio = best["hand"] / seconds
        print(f"{stage:<14}{seconds / n * 1e6:>10.2f}   hand-written ÷ this = {ratio:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--stage", choices=("none", *STAGES))
    parser.add_argument("--seconds", action="store_true", help="time, not count")
    args = parser.parse_args()
    if args.stage:
        print(run_stage(args.stage, args.n))
        return 0
    if args.seconds:
        return print_seconds(args.n)
    base = instructions("none", args.n)
    counts = {stage: (instructions(stage, args.n) - base) / args.n for stage in STAGES}
    print(f"CPU instructions per event, {args.n:,} events (callgrind):\n")
    for stage, count in counts.items():
        ratio = counts["hand"] / count
        print(f"{stage:<14}{count:>10,.0f}   hand-written ÷ this = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
