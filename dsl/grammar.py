"""The one Lark parser, built once per process and shared (Lark parsers are reentrant).

`grammars/policy.lark` spells the language in English; `bilingual` adds each keyword's
Chinese form (dsl/vocabulary_zh.py) when the grammar is loaded, so the two sets can never
drift apart and the grammar file stays readable.
"""

from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark

from callqa.dsl.vocabulary_zh import KEYWORDS
from callqa.grammars import PREBUILT, policy_grammar, prebuilt_parser

_STRING = re.compile(r'"([^"\\]*)"')
# a rule's head: `name:`, `?name:` or `!name:` at the start of a line
_RULE_HEAD = re.compile(r"^[?!]?[a-z_][a-z_0-9]*(\.\d+)?\s*:", re.M)


OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "propagate_positions": True,
    "maybe_placeholders": True,
}


@lru_cache(maxsize=1)
def parser() -> Any:
    """The parser, loaded from the tables shipped beside the grammar when they were built
    from this very grammar with this Lark (20 ms), else built here (0.2 s: every `callqa`
    command would wait for it)."""
    text = bilingual(policy_grammar())
    key = prebuilt_key(text)
    prebuilt = prebuilt_parser()
    if prebuilt.startswith(key):
        return Lark.load(io.BytesIO(prebuilt[len(key) :]))
    return Lark(text, **OPTIONS)


def prebuilt_key(text: str) -> bytes:
    """What the prebuilt tables must have been built from: this grammar's text with these
    options (a change to either needs new tables), by this Lark (another version may
    not read them)."""
    digest = hashlib.sha256(f"{sorted(OPTIONS.items())}\n{text}".encode()).hexdigest()
    return f"callqa-lalr grammar={digest} lark={lark.__version__}\n".encode()


def build_prebuilt() -> bytes:
    """The prebuilt parser's bytes, as `write_prebuilt` writes them to grammars/policy.lalr
    (tests/test_vocabulary.py fails while they are out of date)."""
    text = bilingual(policy_grammar())
    out = io.BytesIO()
    Lark(text, **OPTIONS).save(out)
    return prebuilt_key(text) + out.getvalue()


def bilingual(grammar: str) -> str:
    """The grammar with every keyword (and phrase of keywords) in a rule replaced by a
    rule that reads it in English or in Chinese: `"per" "occurrence"` becomes
    `_kw_per_occurrence`, with `_kw_per_occurrence: "per" "occurrence" | _ZH_PER_OCCURRENCE`
    and `_ZH_PER_OCCURRENCE: "每次"`.

    The added rules start with `_`, so Lark inlines them: the tree is the one the English
    grammar gives. Rules marked `!` keep their tokens, so there the alternatives are
    written in place (`("item" | _ZH_ITEM)`) and the builder reads either word.
    """
    rules, terminals = _split(grammar)
    added: dict[str, str] = {}
    added_terminals: dict[str, str] = {}
    phrases = sorted((p for p in KEYWORDS if " " in p), key=len, reverse=True)

    def replace(body: str, keep_tokens: bool) -> str:
        for phrase in phrases:
            pattern = r"\s+".join(f'"{word}"' for word in phrase.split())
            english = " ".join(f'"{word}"' for word in phrase.split())
            alternatives = f"{english} | {_chinese(phrase, added_terminals)}"
            if keep_tokens:
                body = re.sub(pattern, f"({alternatives})", body)
            elif re.search(pattern, body):
                name = "_kw_" + phrase.replace(" ", "_")
                added[name] = alternatives
                body = re.sub(pattern, name, body)

        def single(match: re.Match[str]) -> str:
            word = match.group(1)
            if word not in KEYWORDS:
                return match.group(0)
            alternatives = f'"{word}" | {_chinese(word, added_terminals)}'
            if keep_tokens:
                return f"({alternatives})"
            added[f"_kw_{word}"] = alternatives
            return f"_kw_{word}"

        return _STRING.sub(single, body)

    out = [replace(rule, rule.lstrip().startswith("!")) for rule in rules]
    out.extend(f"{name}: {alternatives}" for name, alternatives in sorted(added.items()))
    out.extend(f'{name}: "{word}"' for name, word in sorted(added_terminals.items()))
    return "\n".join([*out, *terminals]) + "\n"


def _chinese(phrase: str, terminals: dict[str, str]) -> str:
    """The terminal of a keyword's Chinese form, named in ASCII capitals (`_ZH_THEN`):
    Lark tells terminals from rules by their capitals, so that an error can list what
    was expected; the leading `_` keeps it out of the tree."""
    name = "_ZH_" + phrase.upper().replace(" ", "_")
    terminals[name] = KEYWORDS[phrase]
    return name


def _split(grammar: str) -> tuple[list[str], list[str]]:
    """The grammar's rules (each with its continuation lines) and everything else
    (terminals, directives, comments), comments dropped from both."""
    rules: list[str] = []
    other: list[str] = []
    in_rule = False
    for line in grammar.split("\n"):
        code = line.split("//", 1)[0].rstrip()
        if not code:
            continue
        if code[0].isspace():  # a continuation: `    | other alternative`
            (rules if in_rule else other)[-1] += "\n" + code
            continue
        in_rule = _RULE_HEAD.match(code) is not None
        (rules if in_rule else other).append(code)
    return rules, other


@lru_cache(maxsize=1)
def terminal_patterns() -> dict[str, str]:
    """Terminal name -> literal text for keyword and punctuation terminals."""
    out: dict[str, str] = {}
    for t in parser().terminals:
        if type(t.pattern).__name__ == "PatternStr":
            out[t.name] = t.pattern.value
    return out


def write_prebuilt() -> Path:
    """A developer's step after a change to the grammar or to the words: writes the
    prebuilt parser beside the grammar in the source tree (`python -c "from
    callqa.dsl.grammar import write_prebuilt; write_prebuilt()"`)."""
    import callqa.grammars

    target = Path(callqa.grammars.__file__).parent / PREBUILT
    target.write_bytes(build_prebuilt())
    return target
