"""The policy language's Chinese words: one table from which the grammar, the builder,
the formatter, the highlighter and the checker's suggestions all read.

A manager may write `质检表 standard {` or `rubric standard {`, and mix both in one
file. Every English keyword has a Chinese form; a few English phrases read better as one
Chinese word (`with at least` is 至少, `per occurrence` is 每次). The parser accepts
either form (dsl/grammar.py adds the Chinese forms to the grammar when it loads it); the
syntax tree holds the English words, so the checker and the engine see one language;
`callqa fmt --keywords zh|en` writes a policy in one set (dsl/format.py).

Names with a meaning (periods, subjects, weekdays, a rubric's modes, event kinds, decision
kinds) are plain names to the grammar; their Chinese forms are read by the builder
(`english`), which stores the English word.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Literal

from callqa.dsl.vocabulary import TOP_LEVEL_KEYWORDS, UNIT_SECONDS, WORD_UNITS

KeywordSet = Literal["en", "zh"]

# English keyword, or phrase of keywords -> its Chinese form. Every keyword of the grammar
# is here, alone or in a phrase (tests/test_vocabulary_zh.py checks both ways). A phrase
# is written as its keywords stand in the grammar, one space apart.
KEYWORDS: dict[str, str] = {
    # top-level blocks
    "policy": "策略",
    "version": "版本",
    "timezone": "时区",
    "include": "引用",
    "field": "字段",
    "rubric": "质检表",
    "action": "措施",
    "sampling": "抽检",
    "escalation": "升级",
    "threshold": "指标",
    "discipline": "纪律",
    "calendar": "日历",
    "rota": "轮值",
    "test": "测试",
    # rubrics
    "scale": "满分",
    "critical": "红线",
    "means": "即",
    "na": "不适用",
    "bonus": "加分",
    "rounding": "取整",
    "appeals": "申诉",
    "within": "时限",
    "accepted by": "受理人",
    "panel": "评审组",
    "decided by": "裁定人",
    "calibration": "校准",
    "tolerance": "容差",
    "section": "大项",
    "weight": "权重",
    "item": "项",
    "deduct": "扣",
    "per occurrence": "每次",
    "max": "最多",
    "grades": "等级",
    "otherwise": "其余",
    # actions
    "notify": "通知",
    "sets status": "状态设为",
    "requires approval by": "审批人",
    # sampling, rota
    "per": "每",
    "pick": "抽取",
    "random": "随机",
    "where": "满足",
    "quota": "配额",
    "publish": "公布",
    "ahead": "提前",
    "to": "至",
    # escalation
    "chain": "升级链",
    "start at": "起始于",
    "escalate after": "超时上报",
    "at": "于",
    "while unresolved": "未解决时",
    "working": "工作",
    # thresholds
    "value": "数值",
    "alert": "告警",
    # discipline
    "rule": "规则",
    "when": "当",
    "then": "则",
    "on": "遇到",
    "in": "在",
    "since": "自从",
    "with at least": "至少",
    "without": "未获",
    # calendar
    "hours": "工作时间",
    "holiday": "假日",
    "workday": "补班",
    "like": "同",
    # tests
    "expect": "预期",
    "no": "无",
    "for": "针对",
    # expressions
    "and": "且",
    "or": "或",
    "not": "非",
    "not in": "不在",
    "true": "是",
    "false": "否",
}

# Words of the grammar's patterns (dsl/vocabulary.py names the English ones).
AGGREGATES = {"count": "计数", "sum": "合计", "avg": "平均", "min": "最小", "max": "最大"}
CALL_WORD = "通话"  # `抽取 第2 通话`, `抽取 3 随机 通话`
ORDINAL_PREFIX = "第"  # `第2`: the second
# duration units: `8小时`, `8 小时`; `8h` is written alike in both sets
UNITS = {"s": "秒", "m": "分钟", "h": "小时", "d": "天", "w": "周"}
WORKING_WORD = "工作"  # `8 工作小时`, `2 工作天`, written as one word
# full-width operators an input method types, and what they mean
OPERATORS = {"≥": ">=", "≤": "<=", "≠": "!=", "＝": "==", "＞": ">", "＜": "<", "→": "->"}

# Names with a meaning, by what they name: English -> Chinese. Each table reads both
# ways, so no two English words share a Chinese one.
NAMES: dict[str, dict[str, str]] = {
    "period": {"day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年"},
    "subject": {"agent": "座席", "team": "班组", "evaluator": "质检员", "giver": "反馈人"},
    "weekday": {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五",
                "sat": "周六", "sun": "周日"},
    "critical": {"zero_score": "总分归零", "fail_keep_score": "不合格保留得分",
                 "zero_section": "大项归零"},
    "na": {"excluded": "不计分", "pass": "视为通过"},
    "bonus": {"capped": "封顶", "uncapped": "不封顶"},
    "rounding": {"half_up": "四舍五入", "half_even": "四舍六入", "down": "舍去"},
    "type": {"number": "数字", "percent": "百分比", "duration": "时长", "time": "时刻",
             "date": "日期", "datetime": "日期时间", "text": "文本", "bool": "是否"},
    "alert_value": {"value": "数值", "previous": "上期"},
    "event": {
        "call": "通话", "evaluation": "评分", "complaint": "投诉", "violation": "违规",
        "commendation": "表扬", "exam": "考试", "survey": "满意度调查", "appeal": "申诉",
        "shift_swap": "换班", "leave_request": "请假", "complaint_resolved": "投诉解决",
        "complaint_escalated": "投诉升级", "deduction": "扣分", "message": "留言",
        "reply": "回复", "desk_away": "离席", "desk_back": "回席", "feedback": "辅导反馈",
        "appeal_accepted": "申诉受理", "appeal_decision": "申诉裁定", "agent_status": "座席状态",
        "approval": "审批", "agent_joined": "入职", "agent_left": "离职",
    },
    "decision": {
        "action": "措施", "approved": "已批准", "rejected": "已驳回", "alert": "告警",
        "no_data": "无数据", "sample": "抽中", "shortfall": "抽检不足", "publish": "公布",
        "escalation": "升级", "score": "得分", "insufficient_evidence": "证据不足",
        "appeal_rejected": "申诉驳回", "rescore": "复评", "appeal_review": "申诉评审",
        "rota": "轮值",
    },
}  # fmt: skip
# Chinese words also read, besides the table's (the formatter writes the table's)
ALSO: dict[str, dict[str, str]] = {
    "period": {"日": "day", "星期": "week"},
    "weekday": {"星期一": "mon", "星期二": "tue", "星期三": "wed", "星期四": "thu",
                "星期五": "fri", "星期六": "sat", "星期日": "sun", "周天": "sun"},
    "type": {"布尔": "bool"},
}  # fmt: skip
# periods a discipline window may name in one word: `在 日历月` is `in calendar month`
CALENDAR_PREFIX = "日历"


def chinese(word: str, kind: str) -> str:
    """The Chinese form of a name with a meaning (the name itself when it has none)."""
    return NAMES[kind].get(word, word)


def english(word: str, kind: str) -> str:
    """The English name a Chinese one stands for (any other word as it is): the builder
    calls this wherever the grammar reads a name with a meaning."""
    return _english(kind).get(word, word)


@cache
def _english(kind: str) -> dict[str, str]:
    return {**{zh: en for en, zh in NAMES[kind].items()}, **ALSO.get(kind, {})}


def keyword(phrase: str, keywords: KeywordSet) -> str:
    """A keyword (or phrase) in the given set."""
    return KEYWORDS[phrase] if keywords == "zh" else phrase


@lru_cache(maxsize=1)
def chinese_keywords() -> frozenset[str]:
    """Every Chinese keyword, for the highlighter and the block splitter."""
    return frozenset(KEYWORDS.values())


TOP_LEVEL_ZH = frozenset(KEYWORDS[word] for word in TOP_LEVEL_KEYWORDS)
# a duration's Chinese unit -> its unit letter (`8小时` is `8h`)
UNIT_OF = {**{zh: letter for letter, zh in UNITS.items()}, "日": "d"}


def unit_letter(word: str) -> str:
    """A duration's unit letter: `h` for `h`, `hours`, `hour` and `小时`."""
    return UNIT_OF.get(word) or WORD_UNITS.get(word.rstrip("s"), word)


def unit_word(amount: str, letter: str) -> str:
    """`8`, `h` -> `hours`; `1`, `d` -> `day`."""
    word = next(word for word, of in WORD_UNITS.items() if of == letter)
    return word if amount == "1" else word + "s"


def duration_text(text: str, keywords: KeywordSet) -> str:
    """A duration as written (`8h`, `8 hours`, `8 小时`) in one keyword set: `8小时` or
    `8 hours`. `8h` is written alike in both (a center writes `24h` in Chinese too), so a
    policy turns from one set to the other and back unchanged."""
    amount, unit = AMOUNT_UNIT.fullmatch(text).groups()  # type: ignore[union-attr]
    if unit in UNIT_SECONDS or (keywords == "en" and unit.isascii()):
        return text  # `8h`; English as written
    letter = unit_letter(unit)
    return (
        f"{amount}{UNITS[letter]}" if keywords == "zh" else f"{amount} {unit_word(amount, letter)}"
    )


def working_text(written: str, keywords: KeywordSet) -> str:
    """`8 working hours` (as the builder keeps it) in one set: `8 工作小时`; `2 working
    days`: `2 工作日`."""
    if keywords == "en":
        return written
    amount, _, unit = written.split(" ")
    letter = unit_letter(unit)
    return f"{amount} {WORKING_WORD}{'日' if letter == 'd' else UNITS[letter]}"


def written_in(text: str) -> KeywordSet:
    """The keyword set a policy is mostly written in, read from the first word of each
    top-level block: what `callqa fmt` keeps when not told otherwise."""
    firsts = _FIRST_WORD.findall(text)
    chinese_blocks = sum(word in TOP_LEVEL_ZH for word in firsts)
    english_blocks = sum(word in TOP_LEVEL_KEYWORDS for word in firsts)
    return "zh" if chinese_blocks > english_blocks else "en"


# a duration as written: its amount and its unit (`8h`, `8 hours`, `8小时`)
AMOUNT_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(\D+)")
_FIRST_WORD = re.compile(r"^([^\W\d]\w*)", re.M)
