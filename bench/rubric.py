"""The benchmark's rubric, once as policy text and once as a plain Python table.

20 items in 5 sections: 3 per-occurrence items with caps, 2 red lines, 2 items that
apply only to some calls, N/A answers, grade bands, scale 100, one decimal half-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

POLICY_TEXT = """
policy "bench" version "1" timezone "Asia/Shanghai"

rubric bench "基准质检表" {
  scale 100
  critical means zero_score
  na means excluded
  rounding 1 half_up
  section opening "开场与结束" {
    item greeting    "开场白"       deduct 5
    item closing     "结束语"       deduct 5
    item hold_ack    "等待前征询"   deduct 3
    item verify_name "确认称呼"     deduct 2
  }
  section attitude "服务态度" {
    item tone        "语气"         deduct 8
    item interrupt   "打断客户"     deduct 3 per occurrence max 9
    item forbidden   "服务忌语"     critical
    item patience    "耐心"         deduct 5
  }
  section standards "服务规范" {
    item identity    "身份核实"     deduct 10 when call.type == "account"
    item data_leak   "泄露客户信息" critical
    item ticket      "记录工单"     deduct 5
    item transfer    "转接规范"     deduct 4
  }
  section skills "业务技巧" {
    item accuracy    "解答准确"     deduct 10
    item recap       "复述确认"     deduct 8 when call.duration > 5m
    item ownership   "首问负责"     deduct 6
    item solution    "解决方案"     deduct 6
  }
  section language "服务用语" {
    item jargon      "术语"         deduct 2 per occurrence max 6
    item courtesy    "礼貌用语"     deduct 1 per occurrence max 4
    item clarity     "表达清晰"     deduct 4
    item empathy     "共情"         deduct 4
  }
  grades { "优秀" >= 95  "良好" >= 85  "合格" >= 70  "不合格" otherwise }
}
"""

RUBRIC_ID = "bench"


class Item(TypedDict):
    id: str
    kind: str  # "deduct" | "critical"
    points: float
    cap: float | None
    when: Callable[[dict[str, Any]], bool] | None


def _item(
    item_id: str,
    points: float = 0.0,
    *,
    cap: float | None = None,
    critical: bool = False,
    when: Callable[[dict[str, Any]], bool] | None = None,
) -> Item:
    kind = "critical" if critical else "deduct"
    return {"id": item_id, "kind": kind, "points": points, "cap": cap, "when": when}


TABLE: list[Item] = [
    _item("greeting", 5), _item("closing", 5), _item("hold_ack", 3), _item("verify_name", 2),
    _item("tone", 8), _item("interrupt", 3, cap=9), _item("forbidden", critical=True),
    _item("patience", 5),
    _item("identity", 10, when=lambda call: call["type"] == "account"),
    _item("data_leak", critical=True), _item("ticket", 5), _item("transfer", 4),
    _item("accuracy", 10), _item("recap", 8, when=lambda call: call["duration"] > 300),
    _item("ownership", 6), _item("solution", 6),
    _item("jargon", 2, cap=6), _item("courtesy", 1, cap=4), _item("clarity", 4),
    _item("empathy", 4),
]  # fmt: skip

GRADES: list[tuple[float, str]] = [(95.0, "优秀"), (85.0, "良好"), (70.0, "合格")]
LOWEST_GRADE = "不合格"
CALL_TYPES = ["account", "billing", "card", "general"]
