"""A year of a 500-agent center, the manager's whole path timed: the seconds a manager waits.

Writes a deterministic event log (JSON Lines, the file a center exports) for `--agents`
agents over `--days` days (~70 calls per agent and working day, QA evaluations of two
calls per agent and day, complaints and their resolutions, surveys, violations,
commendations), then runs the commands a manager types, each in its own process, and
prints the seconds and peak memory of each:

    callqa import --db year.db events.jsonl
    callqa policy add / activate center.policy        (the rulebook in force)
    callqa simulate --policy proposed.policy --against active --format json (twice: the
    first keeps the active version's replay, the second replays only the change)
    callqa tui: center.policy opened, the change typed into it, F6 (headless, through
    Textual's pilot, in its own process: the seconds from F6 to the results shown)

The proposed change is the demo's ("3 complaints a month" becomes 2). The defaults are a
full year of a 500-agent center, ~11 million events; `--agents 50 --days 60` is a quick
run. Everything is written into a temporary folder (or `--folder`), never elsewhere.

    python bench/center_year.py --agents 500 --days 365
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: the repository root holds bench/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callqa.engine import load_policy
from callqa.engine.scoring.demo_data import CALL_TYPES, demo_answers
from callqa.engine.scoring.rubric import RubricTable
from callqa.policies import shipped_policies
from callqa.tui.demo import PROPOSED_CHANGE

ZONE = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 1, 1, tzinfo=ZONE)
HOURS = [9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 17]  # the demo's arrival curve


def center_year(agents: int, days: int, calls: int, rubric: RubricTable,
                seed: int = 2026) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The center's events in time order (then id), streamed a day at a time: what is
    generated for later days (evaluations the next day, resolutions hours later) waits in
    a heap, so memory holds about two days, however long the history."""
    rng = random.Random(f"{seed}:center-year")
    names = [f"A{n:04d}" for n in range(1, agents + 1)]
    teams = {agent: f"T{1 + index // 15:02d}" for index, agent in enumerate(names)}  # 15 a team
    skill = {agent: rng.uniform(0.55, 0.7) if rng.random() < 0.1 else rng.uniform(0.85, 0.98)
             for agent in names}  # fmt: skip
    pending: list[tuple[dt.datetime, str, dict[str, Any]]] = []
    serial = 0

    def add(kind: str, at: dt.datetime, **fields: Any) -> str:
        nonlocal serial
        serial += 1
        event_id = f"{kind[:2].upper()}{serial:09d}"
        heapq.heappush(pending, (at, event_id, {"kind": kind, "id": event_id, "at": at, **fields}))
        return event_id

    for day in range(days):
        date = START + dt.timedelta(days=day)
        if date.weekday() == 6:  # Sundays closed
            continue
        for agent in names:
            team = teams[agent]
            answered: list[tuple[str, dt.datetime, str, int]] = []
            for _ in range(rng.randint(calls - calls // 5, calls + calls // 5)):
                at = date + dt.timedelta(hours=rng.choice(HOURS), seconds=rng.randrange(3600))
                kind = rng.choice(CALL_TYPES)
                if rng.random() < 0.03:
                    add("call", at, agent=agent, team=team, type=kind, duration=0, answered=False)
                    continue
                duration = int(rng.lognormvariate(5.0, 0.7))
                call = add("call", at, agent=agent, team=team, type=kind, duration=duration,
                           resolved=rng.random() < 0.85,
                           answer_delay=int(rng.lognormvariate(1.6, 0.6)))  # fmt: skip
                answered.append((call, at, kind, duration))
            for call, at, kind, duration in rng.sample(answered, min(2, len(answered))):
                facts = {"call": {"type": kind, "duration": duration,
                                  "hold_time": rng.choice([0, 0, 0, 30, 90]),
                                  "escalated": rng.random() < 0.2}}  # fmt: skip
                add("evaluation", at + dt.timedelta(days=1, hours=rng.randint(1, 3)),
                    agent=agent, team=team, rubric=rubric.id, call=call,
                    evaluator=f"QA{rng.randint(1, max(3, agents // 50))}",
                    answers=demo_answers(rubric, rng, skill[agent]), facts=facts)  # fmt: skip
            if rng.random() < (0.1 if skill[agent] < 0.8 else 0.01):
                at = date + dt.timedelta(hours=rng.randint(9, 17))
                complaint = add("complaint", at, agent=agent, team=team,
                                severity="major" if rng.random() < 0.2 else "normal")  # fmt: skip
                if rng.random() < 0.7:
                    later = dt.timedelta(hours=rng.choice([2, 4, 6, 12, 30]))
                    add("complaint_resolved", at + later, complaint=complaint)
            if rng.random() < 0.02:
                add("violation", date + dt.timedelta(hours=8, minutes=rng.randint(31, 59)),
                    agent=agent, type=rng.choice(["late", "left_desk", "eating"]))  # fmt: skip
            if rng.random() < 0.03:
                add("commendation", date + dt.timedelta(hours=rng.randint(9, 17)), agent=agent,
                    channel=rng.choice(["口头", "短信"]), text="感谢耐心解答")  # fmt: skip
            if rng.random() < 0.5:
                add("survey", date + dt.timedelta(hours=18), agent=agent, team=team,
                    satisfied=rng.random() < 0.95)  # fmt: skip
        tomorrow = date + dt.timedelta(days=1)  # later days add nothing before tomorrow
        while pending and pending[0][0] < tomorrow:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def write_log(path: Path, events: Iterator[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            event["at"] = event["at"].isoformat()
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            count += 1
    return count


def timed(label: str, *command: str, cwd: Path) -> tuple[float, float, str]:
    """Run one callqa command as a manager would; its seconds, peak MiB and output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def f6_seconds(folder: Path, db: str) -> float:
    """The TUI on `db` with center.policy open, the proposed change typed into the editor:
    seconds from F6 until the results say what was replayed."""
    import asyncio

    from textual.widgets import Static

    from callqa.tui.app import CallqaApp
    from callqa.tui.editor import PolicyEditor

    async def scenario() -> float:
        app = CallqaApp(folder, db, folder / "center.policy")
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause(1.0)
            await app.workers.wait_for_complete()
            editor = app.query_one(PolicyEditor)
            editor.text = (folder / "proposed.policy").read_text(encoding="utf-8")
            await pilot.pause(1.0)
            await app.workers.wait_for_complete()
            started = time.perf_counter()
            await pilot.press("f6")
            while "Replayed" not in str(app.query_one("#sim-detail", Static).render()):
                await pilot.pause(0.05)
            return time.perf_counter() - started

    return asyncio.run(scenario())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--calls", type=int, default=70, help="calls per agent and working day")
    parser.add_argument("--folder", help="where the log and database go (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the folder afterwards")
    parser.add_argument("--f6", nargs=2, metavar=("FOLDER", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.f6:  # run by main in a process of its own
        print(f"{f6_seconds(Path(args.f6[0]), args.f6[1]):.2f}")
        return 0
    folder = Path(args.folder or tempfile.mkdtemp(prefix="callqa-year-"))
    folder.mkdir(parents=True, exist_ok=True)
    callqa = shutil.which("callqa") or "callqa"
    center = next(p for p in shipped_policies() if p.name == "center.policy")
    policy = load_policy(center, file=center.name)
    rubric = next(iter(policy.rubrics.values())).table
    for path in center.parent.glob("*.policy"):  # the rulebook and the files it includes
        shutil.copy(path, folder / path.name)
    old, new = PROPOSED_CHANGE
    text = center.read_text(encoding="utf-8")
    (folder / "proposed.policy").write_text(text.replace(old, new, 1), encoding="utf-8")

    log = folder / "events.jsonl"
    started = time.perf_counter()
    count = write_log(log, center_year(args.agents, args.days, args.calls, rubric))
    size = log.stat().st_size / 2**20
    print(f"{args.agents} agents, {args.days} days: {count:,} events, {size:,.0f} MiB of "
          f"JSON Lines, generated in {time.perf_counter() - started:.0f} s ({folder})")  # fmt: skip
    db = str(folder / "year.db")
    rows = [("import", (callqa, "import", "--db", db, str(log)))]
    rows.append(("policy add", (callqa, "policy", "add", "--db", db, "center.policy")))
    for label, command in rows:
        seconds, peak, output = timed(label, *command, cwd=folder)
        print(f"{label:<10} {seconds:8.1f} s  peak {peak:7,.0f} MiB  "
              f"{count / seconds:10,.0f} events/s" if label == "import" else
              f"{label:<10} {seconds:8.1f} s  peak {peak:7,.0f} MiB")  # fmt: skip
        print(f"           {output.strip().splitlines()[-1]}")
    digest = output.split()[-1]  # "stored NAME VERSION as DIGEST"
    timed("activate", callqa, "policy", "activate", "--db", db, digest, cwd=folder)
    simulate = (callqa, "simulate", "--db", db, "--policy", "proposed.policy", "--against",
                "active", "--format", "json")  # fmt: skip
    # the first keeps the active version's replay; the second replays only the change
    full = 0.0
    for label in ("simulate", "again"):
        seconds, peak, output = timed(label, *simulate, cwd=folder)
        report = json.loads(output[output.index("{") :])
        full = full or seconds
        print(f"{label:<10} {seconds:8.1f} s  peak {peak:7,.0f} MiB  "
              f"{report['events'] / seconds:10,.0f} events/s; {len(report['changed'])} "
              f"outcomes changed" + (f"; {full / seconds:.1f}x faster" if label == "again"
                                     else ""))  # fmt: skip
    seconds, peak, output = timed("F6", sys.executable, __file__, "--f6", str(folder), db,
                                  cwd=folder)  # fmt: skip
    print(f"{'TUI F6':<10} {float(output.split()[-1]):8.1f} s  peak {peak:7,.0f} MiB  (the "
          f"app's process, {seconds:.1f} s with starting it)")  # fmt: skip
    if not args.keep and not args.folder:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
