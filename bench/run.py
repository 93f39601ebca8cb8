"""Scoring benchmark: callqa against a hand-written loop, a hand-unrolled scorer and
zen-engine, on the same rubric and the same evaluations, in one run.

    python bench/run.py            # 200,000 evaluations
    python bench/run.py --quick    # 20,000, for a smoke test
    python bench/run.py --json     # machine-readable results as well

Every contender must agree on every score and grade, or the run fails. Reported as
evaluations per second and as ratios to the hand-written loop.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contenders import hand_loop, hand_unrolled, zen_batch_scorer, zen_scorer
from bench.data import columns, evaluations, large_policy
from bench.rubric import POLICY_TEXT, RUBRIC_ID
from callqa.dsl.check import check_text
from callqa.engine import load_policy

Scores = list[tuple[float | None, str | None]]


def best_of(repeats: int, run: Callable[[], Scores]) -> tuple[float, Scores]:
    best = float("inf")
    result: Scores = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="20,000 evaluations")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--zen-n", type=int, default=20_000, help="evaluations for zen-engine")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.n
    rows = evaluations(n)
    cols = columns(rows)  # built outside the timed region
    policy = load_policy(text=POLICY_TEXT, file="bench.policy")

    def run_score() -> Scores:
        score = policy.score
        out: Scores = []
        for row in rows:
            result = score(RUBRIC_ID, row)
            out.append((result.score, result.grade))
        return out

    def run_many() -> Scores:
        batch = policy.score_many(RUBRIC_ID, cols)
        return list(zip(batch.scores, batch.grades, strict=True))

    contenders: dict[str, tuple[Callable[[], Scores], int]] = {
        "hand_loop": (lambda: [hand_loop(r) for r in rows], n),
        "hand_unrolled": (lambda: [hand_unrolled(r) for r in rows], n),
        "callqa score": (run_score, n),
        "callqa score_many": (run_many, n),
    }
    zen_rows = rows[: min(args.zen_n, n)]
    try:
        zen_one = zen_scorer()
        zen_many = zen_batch_scorer()
        contenders["zen-engine"] = (lambda: [zen_one(r) for r in zen_rows], len(zen_rows))
        contenders["zen-engine batch"] = (lambda: list(zen_many(zen_rows)), len(zen_rows))
    except ImportError:
        print("zen-engine is not installed (pip install -e '.[bench]'); skipping it")

    timings: dict[str, dict[str, float]] = {}
    reference: Scores = []
    failed = False
    for name, (run, count) in contenders.items():
        repeats = 1 if name.startswith("zen") else args.repeats
        seconds, scores = best_of(repeats, run)
        timings[name] = {
            "evaluations": count, "repeats": repeats, "seconds": seconds,
            "per_second": count / seconds,
        }  # fmt: skip
        if name == "hand_loop":
            reference = scores
            continue
        mismatches = [i for i in range(count) if scores[i] != reference[i]]
        if len(scores) != count:
            mismatches.append(min(len(scores), count))
        if mismatches:
            failed = True
            print(f"{name} disagrees with hand_loop on {len(mismatches)} evaluations:")
            for index in mismatches[:5]:
                got = scores[index] if index < len(scores) else "missing"
                print(f"  #{index}: {name} {got} != hand_loop {reference[index]}  {rows[index]}")

    base = timings["hand_loop"]["per_second"]
    zen_rate = timings["zen-engine"]["per_second"] if "zen-engine" in timings else None
    for row in timings.values():
        row["vs_hand_loop"] = row["per_second"] / base
        if zen_rate:
            row["vs_zen"] = row["per_second"] / zen_rate
    print(
        f"\nScoring {n:,} evaluations of a 20-item rubric "
        f"(best of {args.repeats}; zen-engine once on the first {len(zen_rows):,}):\n"
    )
    print(f"{'contender':<20}{'evals/s':>12}{'× hand_loop':>14}{'× zen':>10}")
    for name, row in timings.items():
        vs_zen = f"{row['vs_zen']:>9.1f}×" if "vs_zen" in row else f"{'-':>10}"
        print(f"{name:<20}{row['per_second']:>12,.0f}{row['vs_hand_loop']:>13.2f}×{vs_zen}")
    print(f"\nheadline: callqa score is {timings['callqa score']['vs_hand_loop']:.2f}× the "
          "hand-written loop" + (f", {timings['callqa score']['vs_zen']:.0f}× zen-engine per call"
                                 if zen_rate else ""))  # fmt: skip

    text = large_policy(500)
    lines = text.count("\n")
    check_text(text, "large.policy")  # warm the parser
    parse_best = min(_time(lambda: check_text(text, "large.policy")) for _ in range(5))
    print(f"\nparse + check of a {lines}-line policy: {parse_best * 1000:.1f} ms (warm, best of 5)")
    print("all contenders agree on every score and grade" if not failed else "DISAGREEMENT")
    if args.json:
        report = {
            "n": n, "repeats": args.repeats, "zen_n": len(zen_rows), "timings": timings,
            "parse_check_ms": parse_best * 1000, "policy_lines": lines, "agree": not failed,
        }  # fmt: skip
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if failed else 0


def _time(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
