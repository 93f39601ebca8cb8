"""The policy language's words, in one place that the highlighter, the formatter, the
checker and the test strategies all read, so that a word added to the language reaches
every one of them.

Three kinds of words:

- Keywords: the words the grammar spells (`rubric`, `per`, `include`...). They are read
  from the grammar itself (`keywords()`), so a keyword added to `grammars/policy.lark`
  needs no second list.
- Words of the grammar's patterns: a few terminals are regular expressions that spell
  words (`count(`, `calls`, `5 minutes`, `2nd`); the grammar cannot list them, so they are
  named here, and tests/test_vocabulary.py checks them against the patterns.
- Names with a meaning: words the grammar reads as a plain name and the checker gives a
  meaning (periods, calendar units, event kinds, kinds of decision). The grammar does not
  know them; the checker refuses any other.

Also in one place elsewhere: field types (`dsl.types.TYPE_NAMES`) and a rubric's modes
(`dsl.check.CRITICAL_MODES`, `NA_MODES`, `BONUS_MODES`, `ROUNDING_MODES`).
"""

from __future__ import annotations

from functools import lru_cache

# ------------------------------------------------------------------------- keywords

BOOLEANS = ("true", "false")

# Lines whose first word (at column 1) is one of these start a new top-level block: the
# parser parses each block on its own, so one broken block does not hide the others.
TOP_LEVEL_KEYWORDS = frozenset(
    {"policy", "include", "field", "rubric", "action", "sampling", "escalation", "threshold",
     "discipline", "calendar", "rota", "test"}
)  # fmt: skip


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every English word the grammar spells as a literal (`"rubric"`, `"no"`), `true`
    and `false` included: read from the parser's terminals, so it always matches the
    grammar. (Their Chinese forms: dsl.vocabulary_zh.)"""
    from callqa.dsl.grammar import terminal_patterns  # the grammar module reads this one

    return frozenset(
        text for text in terminal_patterns().values() if text.isalpha() and text.isascii()
    )


# ------------------------------------------------------ words of the grammar's patterns

AGGREGATES = ("count", "sum", "avg", "min", "max")  # AGGREGATE: `count(...)`
CALL_WORDS = ("call", "calls")  # CALL_WORD: `pick 2nd call`, `pick 3 random calls`
ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")  # ORDINAL: `2nd`
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}  # DURATION: `5m`
WORD_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
DURATION_WORDS = frozenset(word + plural for word in WORD_UNITS for plural in ("", "s"))
# what a threshold's alert reads besides aggregates: the period's value, and the subject's
# value in the period before (`alert 主管 when value - previous >= 5`: month over month)
ALERT_VALUES = ("value", "previous")
# `8 working hours`: working time is counted in these units (a working week, or second,
# is not something a center's rule says)
WORKING_UNITS = ("m", "h", "d")
# weekdays as a calendar's `hours` and the roster's `days` name them, Monday first
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(first: str, last: str | None) -> list[int]:
    """`mon`-`fri` -> [0, 1, 2, 3, 4] (0 = Monday); `sat`-`mon` wraps over the weekend."""
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return list(range(start, end + 1)) if start <= end else [*range(start, 7), *range(end + 1)]


COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")  # COMP_OP
ADDITIVE = ("+", "-")  # PLUS, MINUS: bind less tightly than
MULTIPLICATIVE = ("*", "/")  # STAR, SLASH
ARROW = "->"  # ARROW: `chain 班长 -> 主管`


def reserved_words() -> frozenset[str]:
    """Every word the grammar may read as something other than a name: its keywords and
    the words its patterns spell. (The contextual lexer still accepts most of them as names
    where no keyword fits; generated names stay clear of them all.)"""
    from callqa.dsl.vocabulary_zh import chinese_keywords

    return keywords() | chinese_keywords() | {*AGGREGATES, *CALL_WORDS, *DURATION_WORDS}


# ----------------------------------------------------------- names with a meaning

PERIODS = ("day", "week", "month")  # `per agent per week` (sampling, thresholds)
# `per team`; a giver is who gave feedback (`feedback.by`: a team lead, a QA evaluator)
THRESHOLD_SUBJECTS = ("team", "agent", "evaluator", "giver")
CALENDAR_UNITS = ("day", "week", "month", "quarter", "year")  # `in calendar month`
# the kinds of event a policy may count (`count(complaint)`) and react to (`rule x on exam`)
EVENT_KINDS = (
    "call", "evaluation", "complaint", "violation", "commendation", "exam", "survey", "appeal",
    "shift_swap", "leave_request", "complaint_resolved", "complaint_escalated", "deduction",
    "message", "reply", "desk_away", "desk_back", "feedback",
)  # fmt: skip
# what answers an event a rule may wait on (`on message without reply within 8h`)
ANSWERED_BY = {"message": "reply", "desk_away": "desk_back", "complaint": "complaint_resolved"}
# what the engine makes of another event: each deducted item of an evaluation
DERIVED_KINDS = ("deduction",)
# every kind the engine accepts (engine.runtime.events.EVENT_KINDS): what a test may give
TEST_EVENT_KINDS = (
    *(kind for kind in EVENT_KINDS if kind not in DERIVED_KINDS),
    "appeal_accepted", "appeal_decision", "agent_status", "approval", "agent_joined",
    "agent_left",
)  # fmt: skip
# the kinds of decision a test may expect (engine.decisions.Decision.kind)
DECISION_KINDS = ("action", "approved", "rejected", "alert", "no_data", "sample", "shortfall",
                  "publish", "escalation", "score", "insufficient_evidence", "appeal_rejected",
                  "rescore", "appeal_review", "rota")  # fmt: skip
