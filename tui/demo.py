"""`callqa demo`: what callqa does, on the shipped policies and generated evaluations."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from shlex import quote

from rich.console import Console
from rich.table import Table
from rich.text import Text

from callqa.dsl.check import check_text
from callqa.dsl.i18n import _
from callqa.engine import EvaluationError, Policy, load_policy
from callqa.engine.scoring.calibration import calibrate
from callqa.engine.scoring.demo_data import demo_calibration, demo_evaluations
from callqa.engine.store.defaults import DEFAULT_DB, DEMO_DB
from callqa.policies import shipped_policies
from callqa.tui.errors import first_line
from callqa.tui.literal import rich_text


def run(count: int = 2000, db: str = DEMO_DB, data: str | None = None) -> int:
    # colour on a terminal only (Rich's own choice), never with NO_COLOR set to any value
    console = Console(soft_wrap=False, no_color=True if "NO_COLOR" in os.environ else None)
    if data and not Path(data).is_dir():
        console.print(rich_text(_("--data {data}: no such folder (it should hold the public "
                                  "data sets, see ../shared/data/README.md)").format(data=data),
                                "red"))  # fmt: skip
        return 1
    refusal = real_history_name(db)
    if refusal is not None:
        console.print(rich_text(refusal, "red"), soft_wrap=True)
        return 1
    console.rule("[bold]callqa demo")
    paths = shipped_policies()
    policies: list[Policy] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        started = time.perf_counter()
        checked, diagnostics = check_text(text, path.name, path.parent)
        elapsed = (time.perf_counter() - started) * 1000
        errors = [d for d in diagnostics if d.is_error]
        checked_line = (
            _("check {name}: [red]{errors} error(s)[/] ({lines} lines, {elapsed:.1f} ms)")
            if errors
            else _("check {name}: [green]clean[/] ({lines} lines, {elapsed:.1f} ms)")
        )
        console.print(
            checked_line.format(
                name=path.name, errors=len(errors), lines=len(text.splitlines()), elapsed=elapsed
            )
        )
        for diagnostic in diagnostics:  # its first line red (an error) or yellow (a warning)
            head, newline, rest = diagnostic.render(checked.text_of(diagnostic.file)).partition(
                "\n"
            )
            console.print(rich_text(head, "red" if diagnostic.is_error else "yellow")
                          + rich_text(newline + rest))  # fmt: skip
        if errors:
            return 1
        policies.append(load_policy(path, file=path.name))

    for policy in policies:
        for rubric_id, rubric in policy.rubrics.items():
            if _included(policy, rubric_id):
                continue  # shown with the scorecard's own file
            evaluations = demo_evaluations(rubric.table, count)
            started = time.perf_counter()
            results = [policy.score(rubric_id, e) for e in evaluations]
            elapsed = time.perf_counter() - started
            console.rule(rich_text(_("{rubric} ({id}) — {count} demo evaluations").format(
                rubric=rubric.table.label, id=rubric_id, count=count)))  # fmt: skip
            grades = Counter(r.grade for r in results)
            table = Table(title=_("grade distribution"), show_edge=False)
            table.add_column(_("grade"))
            table.add_column(_("evaluations"), justify="right")
            table.add_column(_("share"), justify="right")
            for band in rubric.table.grades:
                n = grades.get(band.label, 0)
                table.add_row(rich_text(band.label), str(n),
                              f"{100 * n / max(1, len(results)):.1f}%")  # fmt: skip
            console.print(table)
            scores = [r.score for r in results]
            red = sum(1 for r in results if not r.passed)
            console.print(
                _("mean score {mean:.1f}; red-line failures {red}; scored at {rate:,.0f} "
                  "evaluations/s").format(mean=sum(scores) / len(scores), red=red,
                                          rate=len(results) / max(elapsed, 1e-9))
            )  # fmt: skip
            worst = min(results, key=lambda r: (r.score, str(r.evaluation_id)))
            _explain(console, worst)
            _show_bad_input(console, policy, rubric_id, evaluations[0])
            _calibration(console, policy, rubric_id)
    if _rulebook(console, db, data):
        return 1
    console.rule(_("done"))
    _next_steps(console, paths, db)
    return 0


def _next_steps(console: Console, paths: list[Path], db: str) -> None:
    """What to type next: the demo's own database named (every other command reads
    callqa.db by default), and a copy of the shipped policies to edit, not the installed
    ones (an upgrade of callqa replaces them)."""
    from callqa.engine.store.database import shown_target

    folder = paths[0].parent if paths else Path("policies")
    named = shown_target(db)  # never with its password
    demo_db = quote(named)
    console.print(rich_text(_(
        "To edit the rulebook, copy the shipped policies into a folder of your own (those "
        "in {folder} belong to the installed callqa and an upgrade replaces them); "
        "center.policy includes the others, so copy them together:\n"
        "  mkdir my-policies && cp {quoted}/*.policy my-policies/\n"
        "Then simulate a change on the demo's history, or open it in the editor (the demo's "
        "history is in {db}; other commands read callqa.db unless given --db):\n"
        "  callqa simulate --db {demo_db} --policy my-policies/center.policy --against active\n"
        "  callqa tui --db {demo_db} my-policies/center.policy\n"
        "For your own center: callqa import --db callqa.db calls.csv, then the same "
        "commands without --db.").format(folder=folder, quoted=quote(str(folder)), db=named,
                                         demo_db=demo_db)),
        highlight=False, soft_wrap=True,  # commands whole, to copy
    )  # fmt: skip


def _included(policy: Policy, rubric_id: str) -> bool:
    """Whether the rubric is in a file the policy includes, not in its own."""
    return any(r.id == rubric_id and r.span.file for r in policy.checked.tree.rubrics)


PROPOSED_CHANGE = (
    "in calendar month since back_on_floor >= 3 then off_floor_retraining",
    "in calendar month since back_on_floor >= 2 then off_floor_retraining",
)


def _rulebook(console: Console, db: str, data: str | None) -> int:
    """The rulebook on a stored history: import, activate, then simulate a proposed change."""
    from zoneinfo import ZoneInfo

    from callqa.engine.runtime.events import parse_event
    from callqa.engine.runtime.policy_tests import run_policy_tests
    from callqa.engine.scoring.demo_data import demo_history
    from callqa.engine.simulation.simulate import simulate
    from callqa.engine.store.database import Store, shown_target
    from callqa.engine.store.importer import import_file
    from callqa.tui.simulation_view import print_simulation

    path = next((p for p in shipped_policies() if p.name == "center.policy"), None)
    if path is None:
        return 0
    text = path.read_text(encoding="utf-8")
    policy = load_policy(path, file=path.name)
    console.rule(rich_text(_("{name} — the rulebook ({file})").format(name=policy.name,
                                                                      file=path.name)))  # fmt: skip
    results = run_policy_tests(policy)
    passed = sum(r.passed for r in results)
    console.print(rich_text(
        _("policy tests: {passed} of {total} pass").format(passed=passed, total=len(results)),
        "green" if passed == len(results) else "red",
    ))  # fmt: skip
    for result in results:  # the failing ones named where they are counted, with why
        if result.passed:
            continue
        console.print(rich_text("  " + _("FAIL  {name}  ({location})").format(
            name=result.name, location=result.location), "red"))  # fmt: skip
        for failure in result.failures:
            console.print(rich_text("        " + failure.replace("\n", "\n        ")))
    if passed != len(results):
        return 1
    history = [parse_event(e) for e in demo_history(policy)]
    named = shown_target(db)  # never with its password
    try:
        store = Store(db, create=True)
        if _holds_other_history(store):
            store.close()
            console.print(rich_text(_(
                "{db} holds history the demo did not make (events or policy versions of a "
                "center): the demo's generated events would stay in it for good, so it is "
                "left as it is; give the demo a database of its own, a new file: --db "
                "callqa-demo.db").format(db=named), "red"))  # fmt: skip
            return 1
        added = store.add_events(history, source="demo")
    except Exception as error:  # a folder, a file that is not a database, a server down
        console.print(rich_text(_("{db}: cannot use it as the demo database: {error}").format(
            db=named, error=first_line(error)), "red"))  # fmt: skip
        return 1
    console.print(rich_text(_(
        "demo database {db}: {kept:,} events added, {duplicates:,} already there "
        "(two months of a generated center: 24 agents in 3 teams)"
    ).format(db=named, kept=added.kept, duplicates=added.duplicates)))  # fmt: skip
    if data:
        mappings = Path(str(path.parent)) / "mappings"
        found = 0
        for name, mapping in (
            ("pwc_call_center.csv", "pwc_call_center.toml"),
            ("technion_anonymous_bank_1999_08.csv", "technion_bank.toml"),
            ("comcast_telecom_complaints_2015.csv", "comcast_complaints.toml"),
        ):
            source = Path(data) / name
            if source.exists():
                found += 1
                imported = import_file(store, source, mappings / mapping, ZoneInfo("Asia/Shanghai"))
                console.print(rich_text(f"{name}: {imported.summary()}"))
        if not found:
            console.print(rich_text(_("--data {data}: none of the public data sets is in it; "
                                      "going on with the demo data only").format(data=data),
                                    "yellow"))  # fmt: skip
    digest = store.add_policy(
        policy.checked.stored_text,
        name=policy.name,
        version=policy.version,
        file=path.name,
        author="demo",
    )
    active = store.active_policy()
    if active is None or active.hash != digest:
        store.activate(digest, by="demo")
    console.print(rich_text(_("active policy: {name} {version} ({digest})").format(
        name=policy.name, version=policy.version, digest=digest)))  # fmt: skip
    old_rule, new_rule = PROPOSED_CHANGE
    proposed = load_policy(text=text.replace(old_rule, new_rule, 1), file="proposed.policy",
                           folder=path.parent)  # fmt: skip
    console.print("\n" + _("proposed change: “{old}” → “{new}”").format(old=old_rule,
                                                                      new=new_rule))  # fmt: skip
    started = time.perf_counter()
    report = simulate(proposed, policy, store.events())
    elapsed = time.perf_counter() - started
    console.print(_("(replayed under both versions in {elapsed:.1f} s)").format(elapsed=elapsed))
    print_simulation(report.to_dict(), _("proposed"), _("active"))
    store.close()
    return 0


def real_history_name(db: str) -> str | None:
    """Why the demo refuses `db`, if it is named as the center's own database (callqa.db,
    which every other command reads by default): its generated events would stay there
    for good and be counted with the center's real ones."""
    name = db.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if name != DEFAULT_DB:
        return None
    return _(
        "--db {db}: the demo does not write there: {default} is where callqa import, "
        "simulate and policy keep a center's own history, and the demo's generated events "
        "would stay in it for good, counted with the real ones; give the demo a new file "
        "of its own: --db callqa-demo.db (the default) or another new name"
    ).format(db=db, default=DEFAULT_DB)


def holds_demo_events(store: object) -> bool:
    """Whether the database holds events `callqa demo` generated (stored with source
    'demo'): a center's real history imported there would be mixed with them for good."""
    from sqlalchemy import select

    from callqa.engine.store.database import Store

    assert isinstance(store, Store)
    stored = store.tables.events
    with store.engine.connect() as connection:
        demo = select(stored.c.id).where(stored.c.source == "demo").limit(1)
        return connection.execute(demo).first() is not None


def _holds_other_history(store: object) -> bool:
    """Whether the database holds a center's own history: events, none of them the demo's,
    or policy versions without any demo event (a rulebook stored, nothing imported yet)."""
    from sqlalchemy import select

    from callqa.engine.store.database import Store

    assert isinstance(store, Store)
    if holds_demo_events(store):
        return False
    stored, policies = store.tables.events, store.tables.policy_versions
    with store.engine.connect() as connection:
        events = connection.execute(select(stored.c.id).limit(1)).first()
        versions = connection.execute(select(policies.c.hash).limit(1)).first()
    return events is not None or versions is not None


def _calibration(console: Console, policy: Policy, rubric_id: str) -> None:
    """校准: the same 40 calls scored by an expert and three evaluators, compared."""
    evaluations = demo_calibration(policy.rubric(rubric_id).table)
    report = calibrate(policy, rubric_id, evaluations, "EXPERT")
    console.print("\n" + _("Calibration (校准) of QA1-QA3 against EXPERT on {calls} calls, "
                           "±{tolerance:g} points").format(calls=report.calls,
                                                          tolerance=report.tolerance))  # fmt: skip
    for row in report.evaluators:
        line = rich_text("  " + _("{evaluator:<8} mean difference {mean:+5.1f}, mean absolute "
                                  "{absolute:4.1f}").format(
            evaluator=row.evaluator, mean=row.mean_difference,
            absolute=row.mean_absolute_difference))  # fmt: skip
        flag = rich_text("  " + _("OUTSIDE TOLERANCE"), "red")
        console.print(line + flag if row.flagged else line)
    worst = report.items[0] if report.items else None
    if worst is not None:
        console.print(rich_text("  " + _("most disputed item: {label} ({item}), on {share:.0%} "
                                         "of the calls").format(
            label=worst.label, item=worst.item, share=worst.disagreement)))  # fmt: skip


def _explain(console: Console, result: object) -> None:
    from callqa.engine import ScoreResult

    assert isinstance(result, ScoreResult)
    console.print(
        rich_text(
            "\n"
            + _("Why {evaluation} scored {score:g} ({grade}):").format(
                evaluation=result.evaluation_id, score=result.score, grade=result.grade
            ),
            "bold",
        )
    )
    for deduction in result.deductions:
        console.print(rich_text(f"  {deduction}"))
    for failure in result.critical:
        console.print(rich_text("  " + _("red line: {label} ({location}) — {effect}").format(
            label=failure.label, location=failure.location, effect=failure.effect)))  # fmt: skip
    for item in result.not_applicable:
        console.print(
            rich_text(
                "  " + _("N/A {label}: {reason}").format(label=item.label, reason=item.reason)
            )
        )


def _show_bad_input(
    console: Console, policy: Policy, rubric_id: str, good: dict[str, object]
) -> None:
    answers = dict(good["answers"])  # type: ignore[call-overload]
    first = next(iter(answers))
    answers[first] = "maybe"
    try:
        policy.score(rubric_id, {**good, "answers": answers})
    except EvaluationError as error:  # the reason in italics, where the sentence puts it
        before, _error, after = _("A bad answer is refused with a reason: {error}").partition(
            "{error}"
        )
        console.print(Text.assemble("\n", rich_text(before), rich_text(error, "italic"),
                                    rich_text(after)))  # fmt: skip


__all__ = ["run"]
