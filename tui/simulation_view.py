"""Printing a simulation report for people (the JSON form is for tools)."""

from __future__ import annotations

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


def print_simulation(data: dict[str, object], new: str, old: str) -> None:
    """Every text from the policies and the history is printed literally (tui.literal)."""
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
        names = sorted(set(grades["before"]) | set(grades["after"]))
        moves = [f"{g} {grades['before'].get(g, 0)}→{grades['after'].get(g, 0)}" for g in names]
        console.print(rich_text(_("grades after appeals: {moves}").format(moves=", ".join(moves))))
    changed: list[dict[str, object]] = data["changed"]  # type: ignore[assignment]
    outcomes = _("{changed} outcome(s) changed; {retimed} the same but at another time")
    console.print("\n" + outcomes.format(changed=len(changed), retimed=data["retimed"]))
    sides = (("before", N_("before: {reason}")), ("after", N_("after: {reason}")))
    for change in changed[:30]:
        console.print(rich_text(_("- {kind} {action} for {subject}").format(
            kind=named(str(change["kind"]), "decision"), action=change["action"] or "",
            subject=change["subject"])))  # fmt: skip
        for side, said in sides:
            reasons: list[str] = change[side] or [_("(not decided)")]  # type: ignore[assignment]
            for reason in reasons[:2]:
                console.print(rich_text("    " + _(said).format(reason=reason)))
    if len(changed) > 30:
        console.print(_("... and {more} more (use --format json for all)").format(
            more=len(changed) - 30))  # fmt: skip
    _print_refused(console, data)


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
