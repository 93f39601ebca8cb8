"""Printing a simulation report for people (the JSON form is for tools)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from callqa.dsl.i18n import N_, _, named
from callqa.tui.literal import rich_text

# a simulation's count labels (engine.simulation: `action: retrain`, `escalation to gm`,
# `sample`) as people read them: the decision kind named in their language
_LABELS = {
    "action": N_("action: {action}"),
    "approved": N_("approved: {action}"),
    "insufficient_evidence": N_("insufficient_evidence: {action}"),
}
_ESCALATION = "escalation to "


def decision_label(label: str) -> str:
    """A count's label as people read it (the JSON report keeps the engine's)."""
    kind, colon, action = label.partition(": ")
    if colon and kind in _LABELS:
        return _(_LABELS[kind]).format(action=action)
    if label.startswith(_ESCALATION):
        return _("escalation to {level}").format(level=label.removeprefix(_ESCALATION))
    return named(label, "decision")


SHORT = 10  # lines of each list a report shows before "and N more" (--all: every one)

# the changed outcomes per group, the biggest movers first (engine.simulation: Report)
_GROUPS = (
    ("changed_by_decision", "decision", N_("changed outcomes by decision")),
    ("changed_by_team", "team", N_("changed outcomes by team, the biggest movers first")),
    ("changed_by_agent", "agent", N_("changed outcomes by agent, the biggest movers first")),
)
_GROUP_COLUMNS = {"decision": N_("decision"), "team": N_("team"), "agent": N_("agent")}


def print_simulation(data: dict[str, object], new: str, old: str, everything: bool = False) -> None:
    """The report for people, summaries first: the count of each decision, the changed
    outcomes per decision, team and agent, the sampling workload, the outcomes that only
    moved in time, then the first changed outcomes one by one (`everything`: every list
    whole, each changed outcome with its reasons). Every text from the policies and the
    history is printed literally (tui.literal)."""
    console = Console(soft_wrap=False)
    console.print(rich_text(_("Replayed {events:,} events: {old} (before) vs {new} (after)").format(
        events=data["events"], old=old, new=new)))  # fmt: skip
    for sentence, style in replay_sentences(data):
        console.print(rich_text(sentence, style))
    table = Table(show_edge=False, header_style="bold")
    table.add_column(_("decision"))
    table.add_column(_("before"), justify="right")
    table.add_column(_("after"), justify="right")
    table.add_column(_("change"), justify="right")
    counts: dict[str, dict[str, int]] = data["counts"]  # type: ignore[assignment]
    for label, row in counts.items():
        delta = row["after"] - row["before"]
        table.add_row(rich_text(decision_label(label)), str(row["before"]), str(row["after"]),
                      f"{delta:+d}" if delta else "")  # fmt: skip
    console.print(table)
    grades: dict[str, dict[str, int]] = data["grades"]  # type: ignore[assignment]
    if grades["before"] or grades["after"]:
        moves = [f"{g} {grades['before'].get(g, 0)}→{grades['after'].get(g, 0)}"
                 for g in grade_order(data)]  # fmt: skip
        console.print(rich_text(_("grades after appeals: {moves}").format(moves=", ".join(moves))))
    changed: list[dict[str, object]] = data["changed"]  # type: ignore[assignment]
    outcomes = _("{changed} outcome(s) changed; {retimed} the same but at another time")
    console.print("\n" + outcomes.format(changed=len(changed), retimed=data["retimed"]))
    for key, column, heading in _GROUPS:
        rows: list[dict[str, object]] = data.get(key) or []  # type: ignore[assignment]
        if rows:
            console.print("\n" + _(heading))
            console.print(_movers_table(rows, column, everything))
            if len(rows) > SHORT and not everything:
                console.print(_more(len(rows) - SHORT))
    workload = workload_sentence(data)
    if workload:
        console.print("\n" + workload)
    _print_retimed(console, data, everything)
    _print_changed(console, changed, everything)
    _print_refused(console, data)


def grade_order(data: dict[str, object]) -> list[str]:
    """The grades of a report in the rubrics' band order, best first, then any other
    grade by name (a report made before `grade_order`: by name)."""
    grades: dict[str, dict[str, int]] = data["grades"]  # type: ignore[assignment]
    held = set(grades["before"]) | set(grades["after"])
    order: list[str] = data.get("grade_order") or []  # type: ignore[assignment]
    ranked = [grade for grade in order if grade in held]
    return ranked + sorted(held - set(ranked))


def grade_chart(data: dict[str, object]) -> str:
    """A small bar chart of the grade distribution before and after, in band order; the
    names padded by display width (a Chinese character takes two cells), so bars align."""
    grades: dict[str, dict[str, int]] = data["grades"]  # type: ignore[assignment]
    before, after = grades["before"], grades["after"]
    names = grade_order(data)
    if not names:
        return ""
    peak = max([*before.values(), *after.values(), 1])
    width = max(cell_len(name) for name in names)
    rows = [_("grades (before ▓ / after █):")]
    for name in names:
        b, a = before.get(name, 0), after.get(name, 0)
        pad = " " * (width - cell_len(name))
        rows.append(f"{name}{pad} {'▓' * round(20 * b / peak):<20} {b:>5}")
        rows.append(f"{'':<{width}} {'█' * round(20 * a / peak):<20} {a:>5}")
    return "\n".join(rows)


def workload_sentence(data: dict[str, object]) -> str:
    """The calls sampled for review before and after ("" when neither side samples)."""
    workload: dict[str, int] = data.get("sampling_workload") or {}  # type: ignore[assignment]
    before, after = workload.get("before", 0), workload.get("after", 0)
    if not before and not after:
        return ""
    return _("calls to review: {before:,} → {after:,} ({change:+,})").format(
        before=before, after=after, change=after - before
    )


def summary_sentences(data: dict[str, object], top: int = 5) -> list[str]:
    """The report's summaries as lines of text (the TUI's F6 results): per decision, team
    and agent the `top` biggest movers, the sampling workload and the outcomes that only
    moved in time."""
    said: list[str] = []
    for key, column, heading in _GROUPS:
        rows: list[dict[str, object]] = data.get(key) or []  # type: ignore[assignment]
        if not rows:
            continue
        said.append(_(heading))
        for row in rows[:top]:
            name = str(row[column])
            before, after = int(row["before"]), int(row["after"])  # type: ignore[call-overload]
            line = _("{name}: {changed:,} outcome(s), {before:,} → {after:,} ({change:+,})")
            shown = decision_label(name) if column == "decision" else name
            said.append("  " + line.format(name=shown, changed=row["changed"], before=before,
                                           after=after, change=after - before))  # fmt: skip
        if len(rows) > top:
            said.append("  " + _("... and {more} more").format(more=len(rows) - top))
    workload = workload_sentence(data)
    if workload:
        said.append(workload)
    retimed: list[dict[str, object]] = data.get("retimed_outcomes") or []  # type: ignore[assignment]
    if retimed:
        said.append(_("the same decision at another time:"))
        said += ["  " + retimed_line(row) for row in retimed[:top]]
        if len(retimed) > top:
            said.append("  " + _("... and {more} more").format(more=len(retimed) - top))
    return said


def outcome_phrase(row: dict[str, object]) -> str:
    """A changed or re-timed outcome: its decision, action and subject."""
    kind = named(str(row["kind"]), "decision")
    if row["action"]:
        return _("{kind} {action} for {subject}").format(
            kind=kind, action=row["action"], subject=row["subject"]
        )
    return _("{kind} for {subject}").format(kind=kind, subject=row["subject"])


def retimed_line(row: dict[str, object]) -> str:
    """An outcome decided as often at other times: when before → when after."""
    before: list[str] = row["before"]  # type: ignore[assignment]
    after: list[str] = row["after"]  # type: ignore[assignment]
    return _("{outcome}: {before} → {after}").format(
        outcome=outcome_phrase(row), before=", ".join(before), after=", ".join(after)
    )


def _movers_table(rows: list[dict[str, object]], column: str, everything: bool) -> Table:
    table = Table(show_edge=False, header_style="bold")
    table.add_column(_(_GROUP_COLUMNS[column]))
    table.add_column(_("outcomes changed"), justify="right")
    table.add_column(_("before"), justify="right")
    table.add_column(_("after"), justify="right")
    table.add_column(_("change"), justify="right")
    for row in rows if everything else rows[:SHORT]:
        name = str(row[column])
        before, after = int(row["before"]), int(row["after"])  # type: ignore[call-overload]
        table.add_row(rich_text(decision_label(name) if column == "decision" else name),
                      f"{row['changed']:,}", f"{before:,}", f"{after:,}",
                      f"{after - before:+,}" if after != before else "")  # fmt: skip
    return table


def _more(more: int) -> str:
    return _("... and {more} more (--all lists them all)").format(more=more)


def _print_retimed(console: Console, data: dict[str, object], everything: bool) -> None:
    retimed: list[dict[str, object]] = data.get("retimed_outcomes") or []  # type: ignore[assignment]
    if not retimed:
        return
    console.print("\n" + _("the same decision at another time:"))
    for row in retimed if everything else retimed[:SHORT]:
        console.print(rich_text("- " + retimed_line(row)))
    if len(retimed) > SHORT and not everything:
        console.print(_more(len(retimed) - SHORT))


def _print_changed(console: Console, changed: list[dict[str, object]], everything: bool) -> None:
    """The changed outcomes one by one: the first `SHORT` in a line each, or (`everything`)
    every one with its reasons on both sides."""
    if not changed:
        return
    if not everything:
        console.print("\n" + _("changed outcomes, one by one:"))
        for row in changed[:SHORT]:
            before: list[str] = row["before"]  # type: ignore[assignment]
            after: list[str] = row["after"]  # type: ignore[assignment]
            line = _("- {outcome}: decided {before} time(s) before, {after} after")
            console.print(rich_text(line.format(outcome=outcome_phrase(row), before=len(before),
                                                after=len(after))))  # fmt: skip
        if len(changed) > SHORT:
            console.print(_("... and {more} more: --all lists every one with its reasons, "
                            "--format json too").format(more=len(changed) - SHORT))  # fmt: skip
        return
    console.print("\n" + _("changed outcomes, one by one, with their reasons:"))
    sides = (("before", N_("before: {reason}")), ("after", N_("after: {reason}")))
    for row in changed:
        console.print(rich_text("- " + outcome_phrase(row)))
        for side, said in sides:
            reasons: list[str] = row[side] or [_("(not decided)")]  # type: ignore[assignment]
            for reason in reasons:
                console.print(rich_text("    " + _(said).format(reason=reason)))


def replay_sentences(data: dict[str, object]) -> list[tuple[str, str]]:
    """The span of history replayed, where the replay stopped, and the periods it left
    open (they end after it stopped: their KPIs and samples are not in the counts), each
    with its style: said alike by `callqa simulate` and the TUI's F6 results."""
    replay: dict[str, object] = data.get("replay") or {}  # type: ignore[assignment]
    if not replay.get("first_event"):
        return []
    said = [(_("events from {first} to {last}; replayed to {to}").format(
        first=replay["first_event"], last=replay["last_event"], to=replay["replayed_to"]),
        "")]  # fmt: skip
    if replay.get("replayed_from") and replay["replayed_from"] != replay.get("asked_from"):
        said.append((_("--from {asked} falls inside a week or month the policies judge whole, "
                       "so the replay started at {start}, the start of that period: its KPIs "
                       "and samples are judged on all its events").format(
            asked=replay["asked_from"], start=replay["replayed_from"]), ""))  # fmt: skip
    if replay.get("stopped"):
        said.append((_("the replay stopped at its last event, so no period after it was "
                       "closed: {stopped}").format(stopped=replay["stopped"]), "red"))  # fmt: skip
    left: list[str] = replay.get("open_periods") or []  # type: ignore[assignment]
    if left:
        periods = "; ".join(left[:10])
        open_periods = (
            _("not closed, so not in these counts (they end after {to}, where the replay "
              "stopped): {periods}; ... and {more} more")
            if len(left) > 10
            else _("not closed, so not in these counts (they end after {to}, where the replay "
                   "stopped): {periods}")
        )  # fmt: skip
        said.append((open_periods.format(to=replay["replayed_to"], periods=periods,
                                         more=len(left) - 10), "yellow"))  # fmt: skip
    return said


def refused_sentences(data: dict[str, object]) -> list[tuple[str, str]]:
    """Events a version refused (they are not in its counts), with the first reasons, each
    with its style: said alike by `callqa simulate` and the TUI's F6 results."""
    refused: dict[str, list[str]] = data.get("rejected_events") or {}  # type: ignore[assignment]
    sides = [(N_("{count:,} event(s) refused by both versions, not in the counts:"),
              refused.get("before") or [])] if refused.get("before") == refused.get("after") \
        else [(N_("{count:,} event(s) refused by the before version, not in the counts:"),
               refused.get("before") or []),
              (N_("{count:,} event(s) refused by the after version, not in the counts:"),
               refused.get("after") or [])]  # fmt: skip
    said = []
    for heading, problems in sides:
        if problems:
            said.append((_(heading).format(count=len(problems)), "yellow"))
            said += [(f"    {problem}", "") for problem in problems[:5]]
    return said


def _print_refused(console: Console, data: dict[str, object]) -> None:
    """The refused events at the end of the report, each heading after a blank line."""
    for sentence, style in refused_sentences(data):
        if style:  # a heading: a blank line before it
            console.print()
        console.print(rich_text(sentence), style=style or None)
