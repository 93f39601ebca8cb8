"""The language's words are kept in one place (dsl.vocabulary) and reach every reader.

The grammar is read here on its own terms (its text, its parser's terminals and rules),
so a word added to grammars/policy.lark that does not reach the vocabulary, or a
vocabulary word the grammar no longer spells, fails a test here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, find, settings
from strategies import policies

from callqa.dsl import ast, vocabulary, vocabulary_zh
from callqa.dsl.grammar import parser
from callqa.dsl.vocabulary import (
    ADDITIVE,
    AGGREGATES,
    ARROW,
    BOOLEANS,
    CALENDAR_UNITS,
    CALL_WORDS,
    COMPARISONS,
    DERIVED_KINDS,
    DURATION_WORDS,
    EVENT_KINDS,
    MULTIPLICATIVE,
    ORDINAL_SUFFIXES,
    PERIODS,
    TEST_EVENT_KINDS,
    THRESHOLD_SUBJECTS,
    TOP_LEVEL_KEYWORDS,
    UNIT_SECONDS,
    WORD_UNITS,
    keywords,
    reserved_words,
)
from callqa.dsl.vocabulary_zh import TOP_LEVEL_ZH, chinese_keywords
from callqa.engine.runtime.events import EVENT_KINDS as ENGINE_EVENT_KINDS
from callqa.engine.runtime.windows import calendar_key
from callqa.grammars import policy_grammar
from callqa.tui.highlight import highlight_lines

# Each terminal that is a regular expression spelling words, and how each word of the
# vocabulary is written for the pattern to match it.
PATTERN_WORDS: dict[str, tuple[tuple[str, ...], str]] = {
    "AGGREGATE": (AGGREGATES, "{}("),
    "CALL_WORD": (CALL_WORDS, "{}"),
    "DURATION_WORD": (tuple(DURATION_WORDS), "{}"),
    "DURATION": (tuple(UNIT_SECONDS), "5{}"),
    "ORDINAL": (ORDINAL_SUFFIXES, "2{}"),
    "COMP_OP": (COMPARISONS, "{}"),
}


def _literal_words_of_the_grammar_text() -> set[str]:
    """The words written in double quotes in the grammar file, comments left out."""
    code = re.sub(r"//[^\n]*", "", policy_grammar())
    return set(re.findall(r'"([^\W\d]\w*)"', code))


def _words_in_pattern(pattern: str) -> set[str]:
    """The lower-case words a terminal's regular expression spells (`seconds?` gives
    second and seconds); escapes such as \\s and \\d are not words."""
    text = re.sub(r"\\.", " ", pattern)
    words: set[str] = set()
    for word in re.findall(r"[a-z]+\??", text):
        if word.endswith("?"):  # its last letter is optional
            words.add(word[:-2])
        words.add(word.rstrip("?"))
    return words


def _highlighted(line: str) -> dict[str, str]:
    """The words of one line and the style the editor gives them."""
    encoded = line.encode("utf-8")
    return {
        encoded[start:end].decode("utf-8"): style
        for start, end, style in highlight_lines([line]).get(0, [])
    }


# ------------------------------------------------------------------- the grammar


def test_the_keywords_are_every_word_the_grammar_spells() -> None:
    assert keywords() == _literal_words_of_the_grammar_text()
    assert {"include", "rubric", "no", "item"} <= keywords()


def test_every_word_a_grammar_pattern_spells_is_in_the_vocabulary() -> None:
    """A regular-expression terminal that spells a word the vocabulary does not name (a new
    aggregate, a unit) fails here, and so does a vocabulary word its pattern refuses."""
    for terminal in parser().terminals:
        if type(terminal.pattern).__name__ != "PatternRE":
            continue
        spelled = _words_in_pattern(terminal.pattern.value)
        if terminal.name not in PATTERN_WORDS:
            assert not spelled, f"{terminal.name} spells {spelled}: name them in dsl/vocabulary"
            continue
        words, written = PATTERN_WORDS[terminal.name]
        assert spelled <= set(words), terminal.name
        for word in words:
            text = written.format(word)
            match = re.match(terminal.pattern.to_regexp(), text)
            assert match and match.group() == text.removesuffix("("), (terminal.name, word)


def test_the_operators_are_the_grammars() -> None:
    spelled = {t.name: t.pattern.value for t in parser().terminals}
    assert {spelled["PLUS"], spelled["MINUS"]} == set(ADDITIVE)
    assert {spelled["STAR"], spelled["SLASH"]} == set(MULTIPLICATIVE)
    assert re.match(parser().get_terminal("ARROW").pattern.to_regexp(), ARROW)
    assert set(COMPARISONS) == set(re.findall(r"[=!<>]+", spelled["COMP_OP"]))


def test_top_level_keywords_are_the_first_words_of_the_statements() -> None:
    """The words that start a block (where the parser resumes after a broken block) are
    the first word of every alternative of `statement`."""
    rules = parser().rules
    statements = {r.expansion[0].name for r in rules if r.origin.name == "statement"}
    # each keyword is a rule reading its English or Chinese form (dsl/grammar.py)
    keyword_rules = {r.expansion[0].name for r in rules if r.origin.name in statements}
    first = {
        parser().get_terminal(r.expansion[0].name).pattern.value
        for r in rules
        if r.origin.name in keyword_rules and r.expansion and r.expansion[0].is_term
    }
    assert first == TOP_LEVEL_KEYWORDS | TOP_LEVEL_ZH


def test_reserved_words_hold_the_keywords_and_the_words_of_patterns() -> None:
    assert reserved_words() == (
        keywords() | chinese_keywords() | {*AGGREGATES, *CALL_WORDS, *DURATION_WORDS}
    )
    assert {"minutes", "week", "avg", "calls"} <= reserved_words()
    assert set(WORD_UNITS.values()) == set(UNIT_SECONDS)


# ------------------------------------------------------------------- the readers


@pytest.mark.parametrize("word", sorted(_literal_words_of_the_grammar_text()))
def test_every_keyword_of_the_grammar_is_highlighted(word: str) -> None:
    styles = _highlighted(f"{word} 服务.{word} x_{word}")
    expected = "boolean" if word in BOOLEANS else "keyword"
    assert styles == {word: expected}  # a part of a field name or of a name is not


def test_include_is_highlighted_in_a_policy_line() -> None:
    assert _highlighted('include "standard.policy"') == {
        "include": "keyword",
        '"standard.policy"': "string",
    }


@pytest.mark.parametrize("word", CALL_WORDS)
def test_the_call_words_are_highlighted(word: str) -> None:
    assert _highlighted(f"pick 2nd {word}") == {"pick": "keyword", "2nd": "number", word: "keyword"}


def test_every_operator_is_highlighted_whole() -> None:
    for operator in (*COMPARISONS, *ADDITIVE, *MULTIPLICATIVE, ARROW):
        assert _highlighted(f"a {operator} b") == {operator: "operator"}


def test_every_duration_unit_and_ordinal_is_highlighted_as_a_number() -> None:
    for unit in UNIT_SECONDS:
        assert _highlighted(f"within 15{unit}") == {"within": "keyword", f"15{unit}": "number"}
    for suffix in ORDINAL_SUFFIXES:
        assert _highlighted(f"pick 4{suffix}") == {"pick": "keyword", f"4{suffix}": "number"}


def test_every_event_kind_the_engine_accepts_is_one_a_test_may_give() -> None:
    """A deduction is counted and acted on, but the engine makes it of an evaluation:
    no test (or feed) gives one."""
    assert set(TEST_EVENT_KINDS) == set(ENGINE_EVENT_KINDS)
    assert set(EVENT_KINDS) - set(DERIVED_KINDS) < set(TEST_EVENT_KINDS)
    assert not set(DERIVED_KINDS) & set(TEST_EVENT_KINDS)


@pytest.mark.parametrize("unit", CALENDAR_UNITS)
def test_the_engine_counts_in_every_calendar_unit_the_checker_accepts(unit: str) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    assert calendar_key(dt.datetime(2026, 11, 30, 23, 59, tzinfo=zone), unit, zone)


def test_the_readers_use_the_vocabularys_own_sets() -> None:
    """The checker, the expression checker and the parser's builder hold no copies."""
    from callqa.dsl import build, check_blocks, expressions

    assert check_blocks.PERIODS is vocabulary.PERIODS
    assert check_blocks.DECISION_KINDS is vocabulary.DECISION_KINDS
    assert expressions.EVENT_KINDS is vocabulary.EVENT_KINDS
    assert vocabulary_zh.WORD_UNITS is vocabulary.WORD_UNITS
    assert build.UNIT_SECONDS is vocabulary.UNIT_SECONDS


# ------------------------------------------------------------------ the strategies


def _strings(node: object) -> Iterator[str]:
    """Every text in a syntax tree (ids, kinds, periods, operators...)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, tuple):
        for child in node:
            yield from _strings(child)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            yield from _strings(getattr(node, field.name))


def test_the_strategies_generate_every_named_word_of_the_vocabulary() -> None:
    """Generated policies reach every period, subject, calendar unit, event kind and
    comparison: a word added to the vocabulary is generated without editing the tests."""
    wanted = {*PERIODS, *THRESHOLD_SUBJECTS, *CALENDAR_UNITS, *TEST_EVENT_KINDS, *COMPARISONS}
    seen: set[str] = set()

    def covers_all(tree: ast.PolicyFile) -> bool:
        seen.update(_strings(tree))
        return wanted <= seen

    find(
        policies(),
        covers_all,
        settings=settings(
            max_examples=3000,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
            deadline=None,
        ),
    )


# ------------------------------------------------------------ the prebuilt parser


def test_the_prebuilt_parser_is_built_from_this_grammar() -> None:
    """grammars/policy.lalr (the parser's tables, loaded in 20 ms instead of built in 0.2 s
    by every command) is rebuilt after any change to the grammar or to its words:
    `python -c "from callqa.dsl.grammar import write_prebuilt; write_prebuilt()"`."""
    from callqa.dsl.grammar import bilingual, prebuilt_key
    from callqa.grammars import prebuilt_parser

    key = prebuilt_key(bilingual(policy_grammar()))
    written = prebuilt_parser().split(b"\n", 1)[0]
    assert written.split(b" lark=")[0] == key.split(b" lark=")[0], "rebuild grammars/policy.lalr"


def test_the_prebuilt_and_a_fresh_parser_read_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    from callqa.dsl import grammar
    from callqa.dsl.parse import parse_policy

    text = (Path(__file__).resolve().parent.parent / "policies" / "online.policy").read_text(
        encoding="utf-8"
    )
    loaded = parse_policy(text, "online.policy")
    grammar.parser.cache_clear()
    grammar.terminal_patterns.cache_clear()
    monkeypatch.setattr(grammar, "prebuilt_parser", lambda: b"")
    try:
        assert parse_policy(text, "online.policy") == loaded
        assert grammar.terminal_patterns()["_ZH_RUBRIC"] == "质检表"
    finally:
        grammar.parser.cache_clear()
        grammar.terminal_patterns.cache_clear()
