"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from callqa.dsl.i18n import _

# A suggestion compares the misspelt name with every known one: a policy with thousands
# of misspellings among thousands of names took hours to check (4,000 of each: 3
# minutes). Within one check (`suggestions_limited`) at most this many names are compared
# in all; names misspelt after that get no "did you mean".
SUGGESTION_BUDGET = 200_000
_budget: ContextVar[list[int] | None] = ContextVar("suggestion_budget", default=None)


@contextmanager
def suggestions_limited() -> Iterator[None]:
    """Suggestions within the block share SUGGESTION_BUDGET (per thread and task)."""
    token = _budget.set([SUGGESTION_BUDGET])
    try:
        yield
    finally:
        _budget.reset(token)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    names = list(candidates)
    left = _budget.get()
    if left is not None:
        if left[0] < len(names):
            return None
        left[0] -= len(names)
    # a Chinese word is two or three characters: one in common is already a likely slip
    cutoff = 0.6 if word.isascii() else 0.5
    matches = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    match = closest(word, candidates)
    return _("did you mean {word}?").format(word=match) if match else None
