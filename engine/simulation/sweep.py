"""Sensitivity sweep: replay the same history once per value of one rule's limit and show
how the outcome counts move (`--sweep bottom_removal.complaints_month=2..5`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from callqa.dsl.i18n import _
from callqa.engine.errors import SweepError as SweepError  # its old home
from callqa.engine.policy import Policy, load_policy
from callqa.engine.simulation.incremental import replay_baseline, simulate_change

MAX_LIMIT = 1_000_000_000  # a count or a target no center has: a typing mistake


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """`block.rule=2..5` or `rule=2,3,5` -> ("block.rule", [2, 3, 4, 5])."""
    match = re.fullmatch(r"\s*([\w.]+)\s*=\s*(.+)", text)
    if not match:
        raise SweepError(
            _("{text!r}: write RULE=FROM..TO, e.g. bottom_removal.complaints_month=2..5").format(
                text=text
            )
        )
    target, values = match.groups()
    if ".." in values:
        low, high = (_limit(v, text) for v in values.split("..", 1))
        if high < low or high - low > 100:
            raise SweepError(
                _("{values!r}: the range must go up, and by at most 100 steps").format(
                    values=values
                )
            )
        return target, [low + step for step in range(int(high - low) + 1)]
    return target, [_limit(v, text) for v in values.split(",")]


def _limit(text: str, whole: str) -> float:
    """One limit to try: a number a rule can hold (no sign, no exponent, not NaN)."""
    try:
        value = float(text)
    except ValueError:
        raise SweepError(
            _("{sweep!r}: {value!r} is not a number; write RULE=FROM..TO, e.g. "
              "bottom_removal.complaints_month=2..5").format(sweep=whole, value=text.strip())
        ) from None  # fmt: skip
    if not 0 <= value <= MAX_LIMIT:  # NaN fails every comparison
        raise SweepError(
            _("{sweep!r}: {value!r} is not a limit a rule can have (0 to {most:,})").format(
                sweep=whole, value=text.strip(), most=MAX_LIMIT
            )
        )
    return value


def limit_text(value: float) -> str:
    """`value` as the policy writes it: 3, 2.5 (never 1e+06)."""
    return str(int(value)) if value == int(value) else f"{value:.6f}".rstrip("0")


def sweep(
    policy: Policy, target: str, values: Sequence[float], events: Sequence[Mapping[str, Any]],
    until: dt.datetime | None = None, progress: Callable[[int], None] | None = None,
) -> dict[float, Counter[str]]:  # fmt: skip
    """The outcome counts under each value of one rule's limit (`target`, as parse_sweep
    reads it). The history is replayed once under `policy` (`progress` is told the events
    done); each value then replays only the units its change touches, from the events of
    the kinds they read (engine.simulation.incremental)."""
    rule = _find_rule(policy, target)
    variants = {value: _variant(policy, rule, value) for value in values}
    baseline = replay_baseline(policy, events, until, variants.values(), progress)
    if baseline.stopped is not None:
        raise SweepError(baseline.stopped)

    def events_of(kinds: frozenset[str] | None) -> Iterable[Mapping[str, Any]]:
        return events if kinds is None else [e for e in events if e.get("kind") in kinds]

    out: dict[float, Counter[str]] = {}
    for value, variant in variants.items():
        side = simulate_change(variant, policy, events_of, baseline, until).after
        if side.stopped is not None:
            raise SweepError(side.stopped)
        out[value] = Counter({label: n for label, n in side.counts().items() if n})
        if side.rejected:
            out[value]["rejected events"] = len(side.rejected)
    return out


def _variant(policy: Policy, rule: Any, value: float) -> Policy:
    """`policy` with `rule`'s limit written as `value`, in whichever file the rule is."""
    assert rule.limit is not None
    checked = policy.checked
    span = rule.limit.span
    lines = (checked.text_of(span.file or checked.file) or "").split("\n")
    line = lines[span.line - 1]
    lines[span.line - 1] = line[: span.col - 1] + limit_text(value) + line[span.end_col - 1 :]
    if span.file:  # the rule is in an included file: change that file
        files = {**checked.sources, span.file: "\n".join(lines)}
        main = checked.source
    else:
        files, main = checked.sources, "\n".join(lines)
    stored = dataclasses.replace(checked, source=main, sources=files).stored_text
    return load_policy(text=stored, file=policy.file, stored=True)


def _find_rule(policy: Policy, target: str) -> Any:
    block_name, _dot, rule_name = target.rpartition(".")
    found = []
    for block in policy.checked.tree.disciplines:
        for rule in block.rules:
            if rule.id == rule_name and block_name in ("", block.id) and rule.limit is not None:
                found.append(rule)
    if len(found) != 1:
        names = [f"{b.id}.{r.id}" for b in policy.checked.tree.disciplines for r in b.rules
                 if r.limit is not None]  # fmt: skip
        raise SweepError(
            _("no single window rule {target!r}; rules: {rules}").format(
                target=target, rules=", ".join(names)
            )
        )
    return found[0]
