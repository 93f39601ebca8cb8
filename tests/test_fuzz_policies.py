"""Fuzzing the policy language: whatever text a manager (or a broken editor, or an
attacker) hands over, `check`, `fmt` and `load` answer with diagnostics, never a
traceback; and a policy that checks clean loads and its tests run without a crash.

Three sources of text: sequences of the grammar's own tokens (keywords, names, numbers,
operators, Chinese text, full-width punctuation), the shipped policies mutated line by
line and byte by byte, and random bytes. About 30 seconds in all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callqa.dsl import PolicyError, vocabulary
from callqa.dsl.check import check_text
from callqa.dsl.diagnostics import Diagnostic
from callqa.dsl.format import format_text
from callqa.dsl.grammar import terminal_patterns
from callqa.engine import load_policy
from callqa.engine.runtime.policy_tests import run_policy_tests

POLICIES = Path(__file__).resolve().parent.parent / "policies"
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in POLICIES.glob("*.policy")}

KEYWORDS = sorted(set(terminal_patterns().values()))
# the language's words from its one vocabulary, and names a policy gives things
WORDS = sorted({
    *KEYWORDS, *vocabulary.AGGREGATES, *vocabulary.CALL_WORDS, *vocabulary.DURATION_WORDS,
    *vocabulary.PERIODS, *vocabulary.THRESHOLD_SUBJECTS, *vocabulary.CALENDAR_UNITS,
    *vocabulary.TEST_EVENT_KINDS, *vocabulary.BOOLEANS, "value", "call.duration", "call.type",
    "evaluation.score", "answers.greeting", "facts.call.type", "主管", "班长", "服务", "优秀",
    "不合格", "1st", "2nd", "x.y", "x",
})  # fmt: skip
NUMBERS = ["0", "1", "5", "96", "96%", "0.96", "-3", "2.5", "1e400", "99999999999999", "60s",
           "5m", "8h", "3d", "1w", "11:00", "25:00", "2026-11-02", "2026-02-30",
           "2026-11-02 10:00", "2026-11-02T09:00+08:00", "9999-12-31 23:59"]  # fmt: skip
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ",", ".", "==", "!=", "<", "<=", ">", ">=", "=",
               "+", "-", "*", "/", "->", ":", "#", '"', "“", "”", "（", "）", "，", "：",
               "。", "！", "\u3000", "\t", "\n", "\n", "\r\n", "\x00", "\x1c", "\ufeff"]  # fmt: skip
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6).map(
    lambda text: '"' + text.replace('"', "").replace("\n", "") + '"'
)
TOKENS = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(NUMBERS), st.sampled_from(PUNCTUATION), TEXTS,
    st.from_regex(r"[a-z_\u4e00-\u9fff][a-z0-9_\u4e00-\u9fff]{0,6}", fullmatch=True),
)  # fmt: skip
HEADS = ["", 'policy "p" version "1" timezone "Asia/Shanghai"\n', 'policy "p"\n']


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@st.composite
def token_texts(draw: st.DrawFn) -> str:
    """A run of the language's tokens, separated by blanks or not, after a policy line."""
    tokens = draw(st.lists(TOKENS, max_size=60))
    gaps = draw(st.lists(st.sampled_from([" ", " ", "", "\n", "  "]), min_size=len(tokens),
                         max_size=len(tokens)))  # fmt: skip
    return draw(st.sampled_from(HEADS)) + "".join(t + g for t, g in zip(tokens, gaps, strict=True))


@st.composite
def mutated_shipped(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped policy with lines deleted, duplicated or swapped, tokens or bytes put in,
    or cut short: (its name, its text)."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    lines = SHIPPED[name].split("\n")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "bytes", "cut"]))
        if action == "delete" and len(lines) > 1:
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action in ("token", "bytes"):
            line = lines[at]
            where = draw(st.integers(0, len(line)))
            if action == "token":
                insert = draw(TOKENS)
            else:
                insert = draw(st.binary(min_size=1, max_size=8)).decode("utf-8", "replace")
            lines[at] = line[:where] + insert + line[where:]
        elif action == "cut":
            text = "\n".join(lines)
            lines = text[: draw(st.integers(0, len(text)))].split("\n")
    return name, "\n".join(lines)


random_bytes = st.binary(max_size=300).map(lambda data: data.decode("utf-8", "replace"))


def assert_placed(diagnostics: list[Diagnostic], text: str) -> None:
    """Every diagnostic says where (a line of the file, a column) and what."""
    for diagnostic in diagnostics:
        assert diagnostic.line >= 1 and diagnostic.col >= 1, diagnostic
        assert diagnostic.message.strip(), diagnostic
        assert "__ANON" not in diagnostic.message and "$END" not in diagnostic.message
        diagnostic.render(text)


def only_diagnostics(text: str, name: str, folder: Path) -> None:
    """check, format and load give diagnostics or a PolicyError, nothing else; a policy
    that checks clean loads, and its tests run."""
    _, diagnostics = check_text(text, name, folder)
    assert_placed(diagnostics, text)
    try:
        format_text(text, name)
    except PolicyError as error:
        assert error.diagnostics
        assert_placed(error.diagnostics, text)
    clean = not any(d.is_error for d in diagnostics)
    try:
        policy = load_policy(text=text, file=name, folder=folder)
    except PolicyError as error:
        assert not clean, [d.message for d in error.diagnostics]
        assert_placed(error.diagnostics, text)
        return
    assert clean
    for result in run_policy_tests(policy):
        for failure in result.failures:
            assert failure.strip()


@examples(300)
@given(text=token_texts())
def test_the_grammars_tokens_in_any_order_only_give_diagnostics(text: str, tmp_path: Path) -> None:
    only_diagnostics(text, "fuzz.policy", tmp_path)


@examples(120)
@given(mutated_shipped())
def test_mutated_shipped_policies_only_give_diagnostics(pair: tuple[str, str]) -> None:
    name, text = pair
    only_diagnostics(text, name, POLICIES)  # their includes are read from the shipped folder


@examples(200)
@given(text=random_bytes)
def test_random_bytes_only_give_diagnostics(text: str, tmp_path: Path) -> None:
    only_diagnostics(text, "bytes.policy", tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        'policy "p"\nrubric r { section s { item a deduct 5 } grades { "A" >= 60 "B" >= 60 } }\n',
        'policy "p"\ninclude "a\x00b.policy"\n',
        'policy "p"\ninclude "/dev/zero.policy"\n',
        'policy "p"\nrubric r { section s { item a deduct 5 } }\ntest "t" {\n  evaluation '
        'rubric "r" x "a" x.y "b" at 2026-11-02 10:00\n  expect no score for "A"\n}\n',
    ],
)
def test_inputs_the_fuzzer_found(text: str, tmp_path: Path) -> None:
    only_diagnostics(text, "found.policy", tmp_path)
