"""Printing a simulation report for people (the JSON form is for tools)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from callqa.tui.literal import rich_text


def print_simulation(data: dict[str, object], new: str, old: str) -> None:
    """Every text from the policies and the history is printed literally (tui.literal)."""
    console = Console(soft_wrap=False)
    console.print(rich_text(f"Replayed {data['events']:,} events: {old} (before) vs {new} (after)"))
    for sentence, style in replay_sentences(data):
        console.print(rich_text(sentence, style))
    table = Table(show_edge=False, header_style="bold")
    table.add_column("decision")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("change", justify="right")
    counts: dict[str, dict[str, int]] = data["counts"]  # type: ignore[assignment]
    for label, row in counts.items():
        delta = row["after"] - row["before"]
        table.add_row(rich_text(label), str(row["before"]), str(row["after"]),
                      f"{delta:+d}" if delta else "")  # fmt: skip
    console.print(table)
    grades: dict[str, dict[str, int]] = data["grades"]  # type: ignore[assignment]
    if grades["before"] or grades["after"]:
        names = sorted(set(grades["before"]) | set(grades["after"]))
        moves = [f"{g} {grades['before'].get(g, 0)}→{grades['after'].get(g, 0)}" for g in names]
        console.print(rich_text("grades after appeals: " + ", ".join(moves)))
    changed: list[dict[str, object]] = data["changed"]  # type: ignore[assignment]
    console.print(f"\n{len(changed)} outcome(s) changed; {data['retimed']} the same but at "
                  "another time")  # fmt: skip
    for change in changed[:30]:
        console.print(rich_text(
            f"- {change['kind']} {change['action'] or ''} for {change['subject']}"
        ))  # fmt: skip
        for side in ("before", "after"):
            reasons: list[str] = change[side] or ["(not decided)"]  # type: ignore[assignment]
            for reason in reasons[:2]:
                console.print(rich_text(f"    {side}: {reason}"))
    if len(changed) > 30:
        console.print(f"... and {len(changed) - 30} more (use --format json for all)")
    _print_refused(console, data)


def replay_sentences(data: dict[str, object]) -> list[tuple[str, str]]:
    """The span of history replayed, where the replay stopped, and the periods it left
    open (they end after it stopped: their KPIs and samples are not in the counts), each
    with its style: said alike by `callqa simulate` and the TUI's F6 results."""
    replay: dict[str, object] = data.get("replay") or {}  # type: ignore[assignment]
    if not replay.get("first_event"):
        return []
    said = [(f"events from {replay['first_event']} to {replay['last_event']}; replayed to "
             f"{replay['replayed_to']}", "")]  # fmt: skip
    if replay.get("replayed_from") and replay["replayed_from"] != replay.get("asked_from"):
        said.append((f"--from {replay['asked_from']} falls inside a week or month the policies "
                     f"judge whole, so the replay started at {replay['replayed_from']}, the "
                     "start of that period: its KPIs and samples are judged on all its events",
                     ""))  # fmt: skip
    if replay.get("stopped"):
        said.append((f"the replay stopped at its last event, so no period after it was "
                     f"closed: {replay['stopped']}", "red"))  # fmt: skip
    left: list[str] = replay.get("open_periods") or []  # type: ignore[assignment]
    if left:
        more = f"; ... and {len(left) - 10} more" if len(left) > 10 else ""
        said.append((f"not closed, so not in these counts (they end after "
                     f"{replay['replayed_to']}, where the replay stopped): "
                     f"{'; '.join(left[:10])}{more}", "yellow"))  # fmt: skip
    return said


def refused_sentences(data: dict[str, object]) -> list[tuple[str, str]]:
    """Events a version refused (they are not in its counts), with the first reasons, each
    with its style: said alike by `callqa simulate` and the TUI's F6 results."""
    refused: dict[str, list[str]] = data.get("rejected_events") or {}  # type: ignore[assignment]
    sides = [("both versions", refused.get("before") or [])] if refused.get("before") == \
        refused.get("after") else [(f"the {side} version", refused.get(side) or [])
                                   for side in ("before", "after")]  # fmt: skip
    said = []
    for who, problems in sides:
        if problems:
            said.append((f"{len(problems):,} event(s) refused by {who}, not in the counts:",
                         "yellow"))  # fmt: skip
            said += [(f"    {problem}", "") for problem in problems[:5]]
    return said


def _print_refused(console: Console, data: dict[str, object]) -> None:
    """The refused events at the end of the report, each heading after a blank line."""
    for sentence, style in refused_sentences(data):
        if style:  # a heading: a blank line before it
            console.print()
        console.print(rich_text(sentence), style=style or None)
