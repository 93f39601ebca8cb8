"""A policy may be written with Chinese keywords (质检表, 每, 当...), Chinese units (8小时),
full-width operators (≥, →), or a mix; it means what its English twin means, and
`callqa fmt --keywords zh|en` turns one into the other and back, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import policies

from callqa.dsl import ast
from callqa.dsl.check import check_text, errors_only
from callqa.dsl.format import format_text, format_tree
from callqa.dsl.grammar import parser
from callqa.dsl.parse import parse_policy
from callqa.dsl.vocabulary import keywords
from callqa.dsl.vocabulary_zh import KEYWORDS, NAMES, chinese_keywords, english, written_in
from callqa.tui.cli import main
from callqa.tui.highlight import highlight_lines

ROOT = Path(__file__).resolve().parent.parent

ENGLISH = """\
policy "示例" version "1" timezone "Asia/Shanghai"

field call.queue text

action retrain "再培训" notify 班长 sets status "培训中" requires approval by 主管

rubric std "标准" {
  scale 100
  critical means zero_score
  rounding 1 half_up
  appeals within 3 days accepted by 班长 panel 主管, 班长 decided by 主管
  section service "服务" weight 100% {
    item greeting "问候" deduct 5 per occurrence max 10 when call.queue in ["a"]
    item rude     "辱骂" critical
  }
  grades {
    "优秀" >= 90
    "不合格" otherwise
  }
}

sampling daily {
  per agent per day
  pick 2nd call
  pick 3 random calls where call.queue != "b" and not call.queue in ["c"]
  quota 5 per day
  publish 1 day ahead to 班长
}

escalation c {
  chain 班长 -> 主管 -> 经理
  start at 班长 when true
  escalate after 8 working hours at 主管, 2 working days at 经理 while unresolved
}

threshold q {
  per team per month
  value avg(evaluation.score)
  alert 主管 when value - previous >= 5 and count(evaluation) >= 8
}

discipline d {
  rule r1 when count(complaint) in calendar month >= 3 with at least 2 evaluation then retrain
  rule r2 on message without reply within 8 hours then retrain
  rule r3 when count(violation) in 30 days since retrain >= 2 then retrain
}

calendar work {
  hours mon-fri 09:00-12:00, 13:00-18:00
  holiday 2026-10-01 to 2026-10-07 "国庆"
  workday 2026-10-10 like mon
}

test "t" {
  complaint agent "A1" at 2026-11-03 09:00
  expect no retrain for "A1"
}
"""

CHINESE = """\
策略 "示例" 版本 "1" 时区 "Asia/Shanghai"

字段 通话.queue 文本

措施 retrain "再培训" 通知 班长 状态设为 "培训中" 审批人 主管

质检表 std "标准" {
  满分 100
  红线 即 总分归零
  取整 1 四舍五入
  申诉 时限 3天 受理人 班长 评审组 主管, 班长 裁定人 主管
  大项 service "服务" 权重 100% {
    项 greeting "问候" 扣 5 每次 最多 10 当 通话.queue 在 ["a"]
    项 rude     "辱骂" 红线
  }
  等级 {
    "优秀" >= 90
    "不合格" 其余
  }
}

抽检 daily {
  每 座席 每 天
  抽取 第2 通话
  抽取 3 随机 通话 满足 通话.queue != "b" 且 非 通话.queue 在 ["c"]
  配额 5 每 天
  公布 1天 提前 至 班长
}

升级 c {
  升级链 班长 → 主管 → 经理
  起始于 班长 当 是
  超时上报 8 工作小时 于 主管, 2 工作日 于 经理 未解决时
}

指标 q {
  每 班组 每 月
  数值 平均(评分.score)
  告警 主管 当 数值 - 上期 >= 5 且 计数(评分) >= 8
}

纪律 d {
  规则 r1 当 计数(投诉) 在 日历月 >= 3 至少 2 评分 则 retrain
  规则 r2 遇到 留言 未获 回复 时限 8小时 则 retrain
  规则 r3 当 计数(违规) 在 30天 自从 retrain >= 2 则 retrain
}

日历 work {
  工作时间 周一-周五 09:00-12:00, 13:00-18:00
  假日 2026-10-01 至 2026-10-07 "国庆"
  补班 2026-10-10 同 周一
}

测试 "t" {
  投诉 agent "A1" 于 2026-11-03 09:00
  预期 无 retrain 针对 "A1"
}
"""


def tree(text: str) -> ast.PolicyFile:
    parsed, diagnostics = parse_policy(text, "x.policy")
    assert errors_only(diagnostics) == [], [d.render(text) for d in diagnostics]
    return parsed


def meaning(text: str) -> ast.PolicyFile:
    """What a text means: its tree, as its English twin parses (a duration keeps the
    units it was written in, `8小时` or `8 hours`, so trees alone differ in that)."""
    return tree(format_tree(tree(text), "en"))


def test_a_policy_in_chinese_keywords_means_its_english_twin() -> None:
    assert meaning(CHINESE) == tree(ENGLISH)
    _, diagnostics = check_text(CHINESE, "x.policy")
    assert errors_only(diagnostics) == []


def test_fmt_turns_each_set_into_the_other_exactly() -> None:
    assert format_text(ENGLISH, keywords="zh") == CHINESE
    assert format_text(CHINESE, keywords="en") == ENGLISH
    # without being told, each keeps its own set
    assert format_text(CHINESE) == CHINESE
    assert format_text(ENGLISH) == ENGLISH


@settings(max_examples=60, deadline=None)
@given(policies())
def test_turning_any_policy_into_chinese_and_back_is_exact(policy: ast.PolicyFile) -> None:
    english_text = format_tree(policy, "en")
    chinese_text = format_tree(policy, "zh")
    assert meaning(chinese_text) == policy
    assert format_text(chinese_text, keywords="en") == english_text
    assert format_text(english_text, keywords="zh") == chinese_text
    assert format_text(chinese_text) == chinese_text


def test_one_file_may_mix_both_sets_and_other_spellings() -> None:
    mixed = """\
policy "混合"
rubric s {
  满分 100
  section a {
    项 x 扣 5 when call.duration ≥ 5分钟 and call.duration ＜ 1 小时
    item y deduct 2 当 call.duration ≤ 30秒 或 call.type ≠ "a" 且 call.type ＝ "b"
  }
}
纪律 d {
  rule r when 计数(complaint) 在 日历 月 ＞ 2 then warn
  规则 w 当 count(violation) in calendar week >= 1 则 warn
}
action warn
"""
    parsed = tree(mixed)
    item_x, item_y = parsed.statements[1].entries[1].items  # type: ignore[attr-defined]
    assert "call.duration >= 5 minutes and call.duration < 1 hour" in format_text(
        f'policy "p"\nrubric r {{\n  section a {{\n    item x deduct 5 when '
        f"{_condition(item_x)}\n  }}\n}}\n"
    )
    assert (
        _condition(item_y) == 'call.duration <= 30 seconds or call.type != "a" and call.type == "b"'
    )
    first, second = parsed.statements[2].rules  # type: ignore[attr-defined]
    assert (first.window.calendar, first.op, first.measure.function) == ("month", ">", "count")
    assert second.window.calendar == "week"
    # English blocks outnumber Chinese ones: fmt writes English
    assert written_in(mixed) == "en"
    assert "rule r when count(complaint) in calendar month > 2 then warn" in format_text(mixed)


def _condition(item: ast.Item) -> str:
    from callqa.dsl.format import format_expr

    assert item.condition is not None
    return format_expr(item.condition)


def test_chinese_units_read_as_their_english_ones() -> None:
    for written, seconds in (("8小时", 28_800), ("8 小时", 28_800), ("3天", 259_200),
                             ("5分钟", 300), ("30秒", 30), ("2周", 1_209_600), ("1.5小时", 5_400)):  # fmt: skip
        text = f'policy "p"\nrubric r {{\n  appeals within {written}\n}}\n'
        [_, rubric] = tree(text).statements
        assert rubric.entries[0].value.value == seconds, written  # type: ignore[attr-defined]


def test_a_keyword_still_serves_as_a_name_where_no_keyword_fits() -> None:
    text = 'policy "p"\nfield call.满分 number\nrubric r {\n  section a {\n    item 扣 deduct 1 when call.满分 > 1\n  }\n}\n'
    [_, field, rubric] = tree(text).statements
    assert field.path == ("call", "满分")  # type: ignore[attr-defined]
    assert rubric.entries[0].items[0].id == "扣"  # type: ignore[attr-defined]


def test_every_keyword_has_one_chinese_form_and_no_two_share_it() -> None:
    phrases = {word for phrase in KEYWORDS for word in phrase.split()}
    assert phrases == set(keywords()), "every keyword is in the Chinese table, alone or in a phrase"
    assert len(set(KEYWORDS.values())) == len(KEYWORDS)
    for kind, names in NAMES.items():
        assert len(set(names.values())) == len(names), kind
        assert all(english(zh, kind) == en for en, zh in names.items())


def test_the_chinese_keywords_are_the_grammars() -> None:
    spelled = {t.pattern.value for t in parser().terminals if not t.pattern.value.isascii()}
    assert chinese_keywords() <= spelled


def test_errors_in_a_chinese_block_suggest_chinese_keywords() -> None:
    text = 'policy "p"\n纪律 d {\n  规则 r 当 计数(投诉) 在 日历月 >= 3 贝 warn\n}\n'
    [error] = errors_only(check_text(text, "x.policy")[1])
    assert (error.line, error.col) == (3, 28)
    assert error.hint == "write one of: “则”, “至少”"
    text = 'policy "p"\n质检表 s {\n  满份 100\n}\n'
    [error] = errors_only(check_text(text, "x.policy")[1])
    assert error.hint == "did you mean 满分?"
    assert "^^^^" in error.render(text)  # two Chinese characters: four cells


def test_the_highlighter_knows_both_sets() -> None:
    line = "  规则 r 当 计数(投诉) 在 日历月 ≥ 3 则 warn 是 8小时 第2"
    encoded = line.encode("utf-8")
    styles = {encoded[a:b].decode("utf-8"): style for a, b, style in highlight_lines([line])[0]}
    assert styles["规则"] == styles["当"] == styles["则"] == styles["日历月"] == "keyword"
    assert styles["是"] == "boolean"
    assert styles["8小时"] == styles["第2"] == "number"
    assert styles["≥"] == "operator"


def test_cli_fmt_rewrites_into_the_set_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.policy"
    path.write_text(ENGLISH, encoding="utf-8")
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == ENGLISH
    assert main(["fmt", "--keywords", "zh", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == CHINESE
    assert f"formatted {path}" in capsys.readouterr().out
    assert main(["fmt", "--check", str(path)]) == 0
    assert main(["fmt", "--keywords", "en", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == ENGLISH


def test_a_policy_in_chinese_keywords_simulates_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped policies/online.policy, written in Chinese keywords, against a change
    written in Chinese too (typo coaching after 2 deductions a month instead of 3): the
    agents with exactly 2 typo deductions in November are now coached."""
    import datetime as dt
    import json

    from callqa.engine.store.database import Store

    def november(day: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    online = ROOT / "policies" / "online.policy"
    text = online.read_text(encoding="utf-8")
    rule = '规则 typos 当 计数(扣分 满足 扣分.item == "typo") 在 日历月 >= 3 则 typo_coaching'
    assert rule in text
    proposed = tmp_path / "online.policy"
    proposed.write_text(text.replace(rule, rule.replace(">= 3", ">= 2")), encoding="utf-8")
    (tmp_path / "calendar.policy").write_text(
        (ROOT / "policies" / "calendar.policy").read_text(encoding="utf-8"), encoding="utf-8"
    )
    answers = {"first_reply": "pass", "greeting": "pass", "accuracy": "pass", "script": "pass",
               "leak": "pass", "survey": "pass", "empathy": "pass"}  # fmt: skip
    events = []
    for number, (agent, typos) in enumerate([("B1", 2), ("B2", 3), ("B3", 1), ("B4", 2)]):
        for week in range(typos):
            events.append({
                "kind": "evaluation", "id": f"e{number}-{week}", "agent": agent,
                "rubric": "online_chat", "at": november(3 + 7 * week),
                "facts": {"call": {"duration": 180}},
                "answers": {**answers, "typo": 1},
            })  # fmt: skip
    db = str(tmp_path / "h.db")
    store = Store(db, create=True)
    store.add_events(sorted(events, key=lambda e: e["at"]))
    store.close()
    assert main(["simulate", "--db", db, "--policy", str(proposed), "--against", str(online),
                 "--to", "2026-12-01", "--format", "json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    coached = {
        change["subject"] for change in report["changed"] if change.get("action") == "typo_coaching"
    }
    assert coached == {"B1", "B4"}, report
    assert report["counts"]["action: typo_coaching"] == {"before": 1, "after": 3}
