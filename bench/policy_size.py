"""How check, load and fmt grow with the size of a policy.

    python bench/policy_size.py                      # 1k, 10k, 100k of each kind
    python bench/policy_size.py --sizes 1000 10000 --kinds items rules
    python bench/policy_size.py --markdown           # the table for bench/README.md
    python bench/policy_size.py --near-limit         # the largest policies accepted

Generates a policy of N rubric items, grade bands, discipline rules, field
declarations, actions or tests, and measures each stage on it in its own process (so
one stage's memory does not count against another's): `check` (parse and check, as
`callqa check`), `load` (`load_policy`: check and compile, as a service does) and
`fmt` (`format_text`, as `callqa fmt`). Seconds are the CPU time of the stage alone
(the process's, so that other work on a shared machine does not count); memory is the
peak resident size of the process (ru_maxrss) minus what it held before the stage ran.

Each process is limited in memory (`--max-memory`, 3 GB by default: the machine is
shared) and wall-clock time (`--timeout`); a stage that passes a limit is shown as
such, not waited for. A stage that stops on a size limit of the language (a policy
bigger than callqa accepts) shows "refused" and how long that took.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

if not __package__:  # run as a script: bench/ is importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("items", "bands", "rules", "fields", "actions", "tests")
STAGES = ("check", "load", "fmt")
HEADER = 'policy "size" version "1" timezone "Asia/Shanghai"\n\n'


def items_policy(n: int) -> str:
    """One rubric of n items, 50 to a section; every 10th applies only to some calls,
    every 7th deducts per occurrence with a cap, every 50th is a red line."""
    lines = [HEADER, 'rubric big "大表" {', "  scale 100"]
    for start in range(0, n, 50):
        lines.append(f'  section s{start} "部分{start}" {{')
        for i in range(start, min(n, start + 50)):
            if i % 50 == 49:
                clause = "critical"
            elif i % 7 == 3:
                clause = "deduct 1 per occurrence max 3"
            else:
                clause = "deduct 2"
            if i % 10 == 5:
                clause += ' when call.type == "account"'
            lines.append(f'    item i{i} "项目{i}" {clause}')
        lines.append("  }")
    lines += ["  grades {", '    "优秀" >= 90', '    "合格" >= 60', '    "不合格" otherwise', "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def rules_policy(n: int) -> str:
    """One discipline block of n rules, alternating counts over a window and event rules."""
    lines = [HEADER, 'action warn "提醒" notify 班长', "", 'discipline many "纪律" {']
    for i in range(n):
        if i % 2:
            lines.append(f"  rule r{i} on call where call.duration > {i}s then warn")
        else:
            lines.append(
                f"  rule r{i} when count(violation) in calendar month >= {i + 1} then warn"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def fields_policy(n: int) -> str:
    """n field declarations, the first 20 read by a rubric item each."""
    lines = [HEADER]
    lines += [f"field call.f{i} number" for i in range(n)]
    lines += ["", 'rubric r "表" {', '  section s "部分" {']
    lines += [f"    item i{i} deduct 1 when call.f{i} > 3" for i in range(min(n, 20))]
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def actions_policy(n: int) -> str:
    """n actions, each used by one event rule (an unused action is warned about)."""
    lines = [HEADER]
    lines += [f'action a{i} "动作{i}" notify 班长, 主管 sets status "s{i}"' for i in range(n)]
    lines += ["", 'discipline uses "纪律" {']
    lines += [f"  rule r{i} on violation then a{i}" for i in range(n)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def tests_policy(n: int) -> str:
    """n test blocks of two events and two expectations, for one discipline rule."""
    lines = [HEADER, 'action warn "提醒" notify 班长', ""]
    lines += ['discipline d "纪律" {', "  rule v on violation then warn", "}", ""]
    for i in range(n):
        lines += [
            f'test "case {i}" {{',
            f'  violation agent "A{i}" at 2026-11-02 09:00',
            f'  call id "c{i}" agent "A{i}" duration 90 at 2026-11-02 10:00',
            f'  expect warn for "A{i}" at 2026-11-02 09:00',
            f'  expect no warn for "B{i}"',
            "}",
        ]
    return "\n".join(lines) + "\n"


def bands_policy(n: int) -> str:
    """One rubric of 10 items with n grade bands, 100/n points apart, and `otherwise`."""
    lines = [HEADER, 'rubric banded "分档" {', '  section s "部分" {']
    lines += [f"    item i{i} deduct 10" for i in range(10)]
    lines += ["  }", "  grades {"]
    lines += [f'    "档{b}" >= {100 - (b + 1) * 100 / n:.6f}' for b in range(n)]
    lines += ['    "不合格" otherwise', "  }", "}"]
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, Callable[[int], str]] = {
    "items": items_policy,
    "bands": bands_policy,
    "rules": rules_policy,
    "fields": fields_policy,
    "actions": actions_policy,
    "tests": tests_policy,
}


def near_limit(kind: str) -> int:
    """The most items a rubric may hold, or the most of `kind` that fit in a file of at
    most MAX_LINES lines: the largest policy of each kind callqa accepts."""
    from callqa.dsl.build import MAX_RUBRIC_ITEMS
    from callqa.dsl.syntax import MAX_LINES

    if kind == "items":
        return MAX_RUBRIC_ITEMS
    low, high = 1, MAX_LINES
    while low < high:  # the generators' line counts grow with n
        middle = (low + high + 1) // 2
        if GENERATORS[kind](middle).count("\n") <= MAX_LINES:
            low = middle
        else:
            high = middle - 1
    return low


def run_stage(stage: str, kind: str, n: int) -> dict[str, object]:
    """Run one stage in this process; what the child prints as JSON."""
    from callqa.dsl.check import check_text
    from callqa.dsl.diagnostics import PolicyError, has_errors
    from callqa.dsl.format import format_text
    from callqa.engine import load_policy

    text = GENERATORS[kind](n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    outcome = "ok"
    try:
        if stage == "check":
            _, diagnostics = check_text(text, "size.policy")
            if has_errors(diagnostics):
                outcome = "refused: " + str(next(d for d in diagnostics if d.is_error))
        elif stage == "load":
            load_policy(text=text, file="size.policy")
        else:
            format_text(text, "size.policy")
    except PolicyError as error:
        outcome = "refused: " + str(error).splitlines()[0]
    seconds = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "mb": max(0, peak - before) / 1024, "outcome": outcome}


def measure(stage: str, kind: str, n: int, timeout: float, max_memory: int) -> dict[str, object]:
    """One stage in a child process with limits on its memory and time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    command = [sys.executable, __file__, "--child", stage, kind, str(n)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=limit
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "mb": None, "outcome": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        memory = "MemoryError" in done.stderr or done.returncode < 0
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        why = f"over {max_memory / 2**30:.0f} GB" if memory else f"failed: {last}"
        return {"seconds": None, "mb": None, "outcome": why}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cell(result: dict[str, object]) -> str:
    outcome = str(result["outcome"])
    if result["seconds"] is None:
        return outcome
    cell = f"{result['seconds']:.2f} s, {result['mb']:.0f} MB"
    return cell if outcome == "ok" else f"refused in {result['seconds']:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per stage")
    parser.add_argument("--max-memory", type=float, default=3.0, help="GB per stage")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--near-limit", action="store_true", help="the largest policy of each kind accepted"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, kind, n = args.child
        print(json.dumps(run_stage(stage, kind, int(n))))
        return
    max_memory = int(args.max_memory * 2**30)
    if args.markdown:
        print("| policy | " + " | ".join(args.stages) + " |")
        print("|---|" + "---|" * len(args.stages))
    for kind in args.kinds:
        for n in [near_limit(kind)] if args.near_limit else args.sizes:
            cells = [
                _cell(measure(stage, kind, n, args.timeout, max_memory)) for stage in args.stages
            ]
            name = f"{n:,} {kind}"
            if args.markdown:
                print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
            else:
                print(f"{name:>14}  " + "  ".join(f"{s}: {c:<24}" for s, c in zip(
                    args.stages, cells, strict=True)), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
