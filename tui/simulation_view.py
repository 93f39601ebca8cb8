"""Printing a simulation report for people (the JSON form is for tools)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def print_simulation(data: dict[str, object], new: str, old: str) -> None:
    console = Console(soft_wrap=False)
    console.print(f"Replayed {data['events']:,} events: {old} (before) vs {new} (after)")
    table = Table(show_edge=False, header_style="bold")
    table.add_column("decision")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("change", justify="right")
    counts: dict[str, dict[str, int]] = data["counts"]  # type: ignore[assignment]
    for label, row in counts.items():
        delta = row["after"] - row["before"]
        table.add_row(label, str(row["before"]), str(row["after"]), f"{delta:+d}" if delta else "")
    console.print(table)
    grades: dict[str, dict[str, int]] = data["grades"]  # type: ignore[assignment]
    if grades["before"] or grades["after"]:
        names = sorted(set(grades["before"]) | set(grades["after"]))
        moves = [f"{g} {grades['before'].get(g, 0)}→{grades['after'].get(g, 0)}" for g in names]
        console.print("grades: " + ", ".join(moves))
    changed: list[dict[str, object]] = data["changed"]  # type: ignore[assignment]
    console.print(f"\n{len(changed)} outcome(s) changed; {data['retimed']} the same but at "
                  "another time")  # fmt: skip
    for row in changed[:30]:
        console.print(f"- {row['kind']} {row['action'] or ''} for {row['subject']}", markup=False)
        for side in ("before", "after"):
            reasons = row[side] or ["(not decided)"]  # type: ignore[index]
            for reason in reasons[:2]:  # type: ignore[index]
                console.print(f"    {side}: {reason}", markup=False)
    if len(changed) > 30:
        console.print(f"... and {len(changed) - 30} more (use --format json for all)")
