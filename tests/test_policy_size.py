"""Policies far larger than any rulebook: refused at once, where the limit is passed, with
the fix; below the limits, check, load and fmt do work in proportion to the policy's size
(bench/policy_size.py measures the times; nothing here is timed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import gc
import weakref
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import callqa.dsl.build
import callqa.dsl.suggest
import callqa.dsl.syntax
import callqa.engine.policy
from bench.policy_size import GENERATORS, near_limit
from callqa.dsl.build import MAX_PICKS, MAX_RUBRIC_ITEMS
from callqa.dsl.check import check_text
from callqa.dsl.diagnostics import PolicyError
from callqa.dsl.format import format_text
from callqa.dsl.grammar import parser
from callqa.dsl.parse import parse_policy
from callqa.dsl.syntax import MAX_CHARACTERS, MAX_LINES
from callqa.engine import load_policy
from callqa.engine.runtime.engine import Engine
from callqa.engine.scoring.fast_path import generate
from callqa.engine.scoring.results import ScoreResult

HEAD = 'policy "p" version "1" timezone "Asia/Shanghai"\n'


def rubric(items: int, bands: int = 3, sections: int = 1) -> str:
    """A rubric of `items` items spread over `sections` sections, with `bands` grades."""
    lines = [HEAD, 'rubric big "大表" {']
    per = -(-items // sections) if items else 0
    for s in range(sections):
        lines.append(f"  section s{s} {{")
        for i in range(s * per, min(items, (s + 1) * per)):
            lines.append(f"    item i{i} deduct 1{' when call.duration > 60s' if i % 3 else ''}")
        lines.append("  }")
    lines.append("  grades {")
    lines += [f'    "g{b}" >= {100 - b / bands * 50:.4f}' for b in range(bands)]
    lines += ['    "不合格" otherwise', "  }", "}"]
    return "\n".join(lines) + "\n"


def errors(text: str) -> list[Any]:
    _, diagnostics = check_text(text, "big.policy")
    return [d for d in diagnostics if d.is_error]


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if anything is parsed: the size limit must be checked before parsing."""

    def refuse() -> Any:
        raise AssertionError("the text was parsed before its size was checked")

    monkeypatch.setattr(callqa.dsl.syntax, "parser", refuse)


@pytest.mark.usefixtures("no_parsing")
def test_a_file_over_the_line_limit_is_refused_before_it_is_parsed_at_the_line() -> None:
    text = HEAD + "field call.x number\n" * MAX_LINES
    (found,) = errors(text)
    assert (found.line, found.code) == (MAX_LINES + 1, "too-large")
    assert found.message == (
        f"this policy file is too large: it passes {MAX_LINES:,} lines here, the most a "
        "policy file may hold"
    )
    assert found.hint == 'split it into several files and join them with include "part.policy"'
    with pytest.raises(PolicyError) as raised:
        format_text(text, "big.policy")
    assert "too large" in str(raised.value)
    with pytest.raises(PolicyError):
        load_policy(text=text, file="big.policy")


@pytest.mark.usefixtures("no_parsing")
def test_a_file_over_the_character_limit_is_refused_at_the_line_that_passes_it() -> None:
    line = "# " + "x" * 997 + "\n"  # 1,000 characters a line
    text = HEAD + line * (MAX_CHARACTERS // 1000 + 1)
    (found,) = errors(text)
    assert found.line == (MAX_CHARACTERS - len(HEAD)) // 1000 + 2
    assert f"{MAX_CHARACTERS:,} characters" in found.message


def test_a_file_just_under_the_line_limit_is_read() -> None:
    text = HEAD + "# a comment\n" * (MAX_LINES - 2) + "field call.x number\n"
    assert text.count("\n") == MAX_LINES
    assert errors(text) == []


@pytest.fixture
def parsed_lengths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of each text the parser is given, in order."""
    real = parser()
    read: list[int] = []

    class Counting:
        def parse(self, text: str) -> Any:
            read.append(len(text))
            return real.parse(text)

    monkeypatch.setattr(callqa.dsl.syntax, "parser", Counting)
    return read


def test_each_block_is_parsed_once_on_its_own_text(parsed_lengths: list[int]) -> None:
    """Parsing a block used to be given every line before it as blank lines: the text the
    parser read grew with the square of the file's length."""
    read = parsed_lengths
    text = HEAD + "".join(f"field call.f{i} number\n" for i in range(2000))
    assert errors(text) == []
    assert len(read) == 2001
    assert sum(read) <= len(text) + len(read)


def test_one_blocks_syntax_tree_is_held_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lark's tree of a block takes about 20 times the memory of its text: each is built
    into the policy's own tree and let go before the next block is parsed (all of them
    were kept until the end: 190 MB for a file of 8,000 tests, now 36 MB)."""
    real = parser()
    alive: list[weakref.ref[Any]] = []
    most = 0

    class Watching:
        def parse(self, text: str) -> Any:
            nonlocal most
            most = max(most, sum(ref() is not None for ref in alive))
            tree = real.parse(text)
            alive.append(weakref.ref(tree))
            return tree

    monkeypatch.setattr(callqa.dsl.syntax, "parser", Watching)
    text = HEAD + "".join(f'action a{i} "动作" notify 班长\n' for i in range(50))
    assert len(errors(text)) == 0
    assert len(alive) == 51
    assert most <= 1


def test_trees_are_built_with_the_cycle_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its passes over the growing trees of a long block made parsing grow faster than
    the block (50,000 rules: 12 s, now 6 s); it is on again after, and stays off for a
    program that turned it off."""
    states: list[bool] = []
    real = callqa.dsl.build.Builder.statements

    def watching(self: callqa.dsl.build.Builder, tree: Any) -> Any:
        states.append(gc.isenabled())
        return real(self, tree)

    monkeypatch.setattr(callqa.dsl.build.Builder, "statements", watching)
    text = HEAD + "field call.a number\nfield call.b number\n"
    assert gc.isenabled()
    parse_policy(text)
    assert states == [False, False, False]
    assert gc.isenabled()
    gc.disable()
    try:
        parse_policy(text)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_broken_block_is_described_from_its_own_text(parsed_lengths: list[int]) -> None:
    """A broken block was parsed again after as many blank lines as came before it, for
    its positions: a file of broken lines took time with the square of its length."""
    read = parsed_lengths
    text = HEAD + "".join(f"field call.f{i} number 5\n" for i in range(500))
    found = errors(text)
    assert [(d.line, d.col, d.message) for d in found[-1:]] == [
        (501, 24, "unexpected number 5 here")
    ]
    assert len(found) == 500
    assert sum(read) <= len(text) + len(read)


def test_positions_after_many_blocks_are_the_files() -> None:
    """Each block is parsed on its own text, then placed at its lines; a broken block is
    described where it is too."""
    fields = "".join(f"field call.f{i} number\n" for i in range(3000))
    rubric = "rubric r {\n  section s {\n    item a deduct 1 when call.nope > 1\n  }\n}\n"
    broken = "rubric q {\n  section s { item a deduct x }\n}\n"
    found = [
        (d.line, d.col, d.end_line, d.end_col) for d in errors(HEAD + fields + rubric + broken)
    ]
    assert found == [(3004, 26, 3004, 35), (3008, 29, 3008, 30)]


def test_a_rubric_over_the_item_limit_is_refused_before_it_is_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_compiling(*_: object) -> None:
        raise AssertionError("the rubric was compiled")

    monkeypatch.setattr(callqa.engine.policy, "generate", no_compiling)
    text = rubric(MAX_RUBRIC_ITEMS + 1, sections=3)
    (found,) = errors(text)
    assert found.code == "too-large"
    assert text.split("\n")[found.line - 1].startswith(f"    item i{MAX_RUBRIC_ITEMS} ")
    assert found.message == (
        f"rubric big has more than {MAX_RUBRIC_ITEMS:,} items, the most one rubric may hold, "
        f"from item i{MAX_RUBRIC_ITEMS} here on"
    )
    assert found.hint is not None and "split it into several rubrics" in found.hint
    with pytest.raises(PolicyError):
        load_policy(text=text, file="big.policy")


def test_a_rubric_at_the_item_limit_loads_and_scores() -> None:
    policy = load_policy(text=rubric(MAX_RUBRIC_ITEMS, sections=4), file="big.policy")
    scorer = policy.rubric("big")
    answers = {f"i{i}": "pass" for i in range(MAX_RUBRIC_ITEMS)}
    answers["i0"] = "fail"
    result = scorer.score({"answers": answers, "call": {"duration": 30}})
    applicable = sum(1 for i in range(MAX_RUBRIC_ITEMS) if i % 3 == 0)
    assert result.score == round(100 * (applicable - 1) / applicable, 1)


def test_thousands_of_grade_bands_and_sections_load() -> None:
    """An elif per band and `P0 + P1 + ...` over the sections overflowed Python's compiler
    (RecursionError) from a few thousand on."""
    policy = load_policy(text=rubric(600, bands=5000, sections=600), file="big.policy")
    scorer = policy.rubric("big")
    answers = {f"i{i}": "pass" for i in range(600)}
    assert scorer.score({"answers": answers, "call": {"duration": 90}}).grade == "g0"
    answers.update({f"i{i}": "fail" for i in range(300)})
    result = scorer.score({"answers": answers, "call": {"duration": 90}})
    assert (result.score, result.grade) == (50.0, "不合格")


@st.composite
def band_lines(draw: st.DrawFn, otherwise: bool) -> list[str]:
    """Grade bands that cover the scale (the checker refuses gaps): lower bounds, each band
    reaching up to the next, written out (`< 90`) or not."""
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=6)) | ({0} if not otherwise else set()))
    if not cuts:
        cuts = [draw(st.integers(0, 99))]
    lines = []
    for n, low in enumerate(reversed(cuts)):
        above = cuts[len(cuts) - n] if n else None
        high = f" < {above}" if above is not None and draw(st.booleans()) else ""
        lines.append(f'    "g{n}" >= {low}{high}')
    return lines


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    otherwise=st.booleans(),
    critical=st.sampled_from(["zero_score", "fail_keep_score"]),
    answers=st.lists(st.sampled_from(["pass", "fail", "na", 2]), min_size=4, max_size=4),
)
def test_long_sums_and_grade_chains_written_as_loops_score_the_same(
    data: st.DataObject,
    otherwise: bool,
    critical: str,
    answers: list[object],
) -> None:
    """The loop forms (for many sections or bands) against the straight-line forms."""
    lines = [HEAD, "rubric r {", f"  critical means {critical}"]
    lines += [
        "  section a { item a1 deduct 5\n item a2 deduct 2 per occurrence max 6 }",
        "  section b { item b1 critical\n item b2 bonus 3 }",
        "  section c { }",
        "  grades {",
    ]
    lines += data.draw(band_lines(otherwise))
    lines += ['    "other" otherwise' if otherwise else "", "  }", "}"]
    text = "\n".join(lines) + "\n"
    assert errors(text) == []
    evaluation = dict(zip(["a1", "a2", "b1", "b2"], answers, strict=True))
    policy = load_policy(text=text, file="r.policy")
    straight = policy.score("r", evaluation)
    looped_scorer = generate(
        policy.rubric("r").table, policy.checked.fields, policy.timezone, ScoreResult, longest=0
    )
    assert "for low, high, label in BANDS" in looped_scorer.source
    looped = looped_scorer.one(evaluation)
    assert (looped.score, looped.grade, looped.counts) == (
        straight.score, straight.grade, straight.counts,
    )  # fmt: skip


def test_a_rubrics_two_scoring_functions_are_compiled_one_at_a_time() -> None:
    """Python's compiler holds a whole module at once (about 0.1 MB per item for both
    functions): compiled apart (codegen.emit.compile_function; test_codegen_emit checks
    that it compiles one function alone), a rubric at the item limit needs half the
    memory. Each is placed at its lines of the source kept for review."""
    policy = load_policy(text=rubric(30), file="big.policy")
    table = policy.rubric("big").table
    scorer = generate(table, policy.checked.fields, policy.timezone, ScoreResult)
    lines = scorer.source.split("\n")
    for function in (scorer.one, scorer.many):
        code = function.__code__
        assert lines[code.co_firstlineno - 1].startswith(f"def {code.co_name}(")
        assert code.co_filename == "<callqa rubric big>"


class _CountedId(str):
    """An item id that counts how often it is compared."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        _CountedId.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_an_item_is_found_by_its_id_without_reading_the_others() -> None:
    """Explaining a bad evaluation looks up each answer's item: with a scan per answer, a
    rubric of 1,000 items took a million comparisons per evaluation."""
    table = load_policy(text=rubric(MAX_RUBRIC_ITEMS), file="big.policy").rubric("big").table
    _CountedId.compared = 0
    found = [table.item(_CountedId(f"i{i}")) for i in (0, 500, 999)]
    assert [item.index for item in found if item is not None] == [0, 500, 999]
    assert table.item(_CountedId("nope")) is None
    assert _CountedId.compared <= 8


def sampling(picks: int) -> str:
    lines = [HEAD, "sampling daily {", "  per agent per day"]
    lines += [f"  pick 1 random call where call.duration >= {i}s" for i in range(picks)]
    return "\n".join([*lines, "}"]) + "\n"


def test_a_sampling_rule_over_the_pick_limit_is_refused_at_the_pick() -> None:
    text = sampling(MAX_PICKS + 1)
    (found,) = errors(text)
    assert (found.line, found.code) == (text.split("\n").index(
        f"  pick 1 random call where call.duration >= {MAX_PICKS}s") + 1, "too-large")  # fmt: skip
    assert found.message == (
        f"sampling daily has more than {MAX_PICKS} picks, the most one sampling rule may "
        "hold, from this pick on"
    )
    assert found.hint == "split it into several sampling rules"


def test_a_sampling_rule_at_the_pick_limit_runs() -> None:
    policy = load_policy(text=sampling(MAX_PICKS), file="s.policy")
    engine = Engine(policy)
    call = {"kind": "call", "id": "c1", "agent": "A1", "duration": 500, "at": "2026-11-02 09:00"}
    assert engine.feed(call) == []
    closed = engine.advance(dt.datetime(2026, 11, 3, 0, 1, tzinfo=policy.timezone))
    assert [(d.subject, d.action) for d in closed if d.kind == "sample"] == [("A1", "c1")]


class _CountedText(str):
    """A policy text that counts how often it is split into lines."""

    splits = 0

    def split(self, *args: Any, **kwargs: Any) -> list[str]:
        _CountedText.splits += 1
        return str.split(self, *args, **kwargs)

    __hash__ = str.__hash__


def test_the_line_of_each_pick_is_read_without_splitting_the_policy_each_time() -> None:
    """The engine shows every pick's line in its reasons; splitting the whole policy for
    each made a long sampling rule's engine take minutes."""
    checked, _ = check_text(sampling(MAX_PICKS), "s.policy")
    counted = dataclasses.replace(checked, source=_CountedText(checked.source))
    (block,) = counted.tree.samplings
    lines = [counted.line(entry.span) for entry in block.entries]
    assert lines[-1] == f"pick 1 random call where call.duration >= {MAX_PICKS - 1}s"
    assert _CountedText.splits <= 1


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_the_size_benchmarks_policies_are_clean_and_the_largest_is_accepted(kind: str) -> None:
    """bench/policy_size.py measures policies that check without errors, and its
    --near-limit size is the largest accepted (one more is over the limit)."""
    assert errors(GENERATORS[kind](20)) == []
    largest = near_limit(kind)
    if kind != "items":  # the rubric item limit, tested above
        assert GENERATORS[kind](largest).count("\n") <= MAX_LINES
        assert GENERATORS[kind](largest + 1).count("\n") > MAX_LINES


def test_suggestions_for_misspelt_names_stop_after_a_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each unknown name was compared with every known one: 4,000 fields and 4,000
    misspellings took 3 minutes to check. The comparisons of one check are bounded; the
    first misspellings still get their suggestion."""
    compared: list[int] = []
    real = difflib.get_close_matches

    def counting(word: str, names: list[str], *args: Any, **kwargs: Any) -> list[str]:
        compared.append(len(names))
        return real(word, names, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    monkeypatch.setattr(callqa.dsl.suggest, "SUGGESTION_BUDGET", 5_000)
    fields = "".join(f"field call.f{i} number\n" for i in range(200))
    rules = "".join(f"  rule r{i} on call where call.g{i} > 1 then warn\n" for i in range(200))
    text = HEAD + "action warn notify 班长\n" + fields + "discipline d {\n" + rules + "}\n"
    found = [d for d in errors(text) if d.message.startswith("unknown field")]
    assert len(found) == 200
    assert found[0].hint == "did you mean call.f0?"
    assert sum(compared) <= 5_000
    assert found[-1].hint is None or "did you mean" not in found[-1].hint
