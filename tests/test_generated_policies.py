"""Properties over whole generated policies (every block kind), from `tests/strategies.py`:
the text a tree renders to checks clean and parses back to that tree, however carelessly it
is laid out, and the formatter's output is stable."""

from __future__ import annotations

from hypothesis import given, settings
from strategies import policies, policy_texts

from callqa.dsl.check import check_text, errors_only
from callqa.dsl.format import format_text, format_tree
from callqa.dsl.parse import parse_policy


@settings(max_examples=40)
@given(policies())
def test_generated_policy_checks_clean(tree: object) -> None:
    text = format_tree(tree)  # type: ignore[arg-type]
    _, diagnostics = check_text(text, "gen.policy")
    assert errors_only(diagnostics) == [], [d.message for d in diagnostics]


@settings(max_examples=40)
@given(policy_texts())
def test_careless_layout_parses_to_the_same_tree(pair: tuple[str, object]) -> None:
    text, tree = pair
    parsed, diagnostics = parse_policy(text, "gen.policy")
    assert errors_only(diagnostics) == []
    assert parsed == tree


@settings(max_examples=40)
@given(policy_texts())
def test_formatting_is_stable_and_keeps_meaning(pair: tuple[str, object]) -> None:
    text, tree = pair
    formatted = format_text(text)
    assert format_text(formatted) == formatted
    assert parse_policy(formatted, "gen.policy")[0] == tree
