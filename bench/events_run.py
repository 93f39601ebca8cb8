"""Replay benchmark: 1,000,000 mixed events (2,000 agents, a year) through the callqa
engine and through a hand-written streaming implementation of the same discipline and
sampling rules, in one run; both must make the same decisions.

    python bench/events_run.py            # 1,000,000 events
    python bench/events_run.py --n 100000 # smaller
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_data import POLICY_TEXT, events
from bench.events_hand import HandWritten
from bench.outcomes import Outcomes
from engine import load_policy
from engine.runtime import Engine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=2000)
    args = parser.parse_args()
    data = events(args.n, args.agents)
    end = data[-1]["at"] + dt.timedelta(days=2)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The generated events belong to the harness, not to either contender: freeze them so
    # Python's cyclic garbage collector does not re-scan them during both timed runs.
    gc.collect()
    gc.freeze()

    started = time.perf_counter()
    hand = HandWritten()
    for event in data:
        hand.feed(event)
    hand.finish(end)
    hand_seconds = time.perf_counter() - started

    policy = load_policy(text=POLICY_TEXT, file="bench.policy")
    # A service consumes decisions as they come (stores them, notifies people); so do
    # these loops: they keep what the comparison needs, where the hand-written version does.
    by_feed = Outcomes()
    engine = Engine(policy)
    started = time.perf_counter()
    keep, feed = by_feed.append, engine.feed
    for event in data:
        for d in feed(event):
            keep((d.kind, d.action or "", d.subject, d.at))
    for d in engine.advance(end):
        keep((d.kind, d.action or "", d.subject, d.at))
    feed_seconds = time.perf_counter() - started

    by_run = Outcomes()
    engine = Engine(policy)
    started = time.perf_counter()
    keep = by_run.append
    for d in engine.run(data):
        keep((d.kind, d.action or "", d.subject, d.at))
    for d in engine.advance(end):
        keep((d.kind, d.action or "", d.subject, d.at))
    run_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    theirs = sorted(hand.out)
    ours = sorted(by_feed)
    agree = ours == theirs and sorted(by_run) == theirs
    print(f"Replaying {args.n:,} events ({args.agents:,} agents, one year):\n")
    print(f"{'contender':<34}{'events/s':>12}{'× hand-written':>16}")
    hand_rate = args.n / hand_seconds
    print(f"{'hand-written streaming':<34}{hand_rate:>12,.0f}{1.0:>15.2f}×")
    for name, seconds in (("callqa Engine.feed, one by one", feed_seconds),
                          ("callqa Engine.run, a stream", run_seconds)):  # fmt: skip
        rate = args.n / seconds
        print(f"{name:<34}{rate:>12,.0f}{rate / hand_rate:>15.2f}×")
    kinds = Counter(kind for kind, *_ in ours)
    by_kind = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
    print(f"\ndecisions: {len(ours):,} ({by_kind}), "
          f"{'identical' if agree else 'DIFFERENT'} in all three")  # fmt: skip
    print(f"peak memory of the process: {peak / 1024:,.0f} MiB "
          f"(after loading the events: {base_rss / 1024:,.0f} MiB)")  # fmt: skip
    if not agree:
        missing = sorted(set(theirs) - set(ours))[:5]
        extra = sorted(set(ours) - set(theirs))[:5]
        print("only hand-written:", missing)
        print("only callqa:", extra)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
