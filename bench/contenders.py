"""The scorers compared in the benchmark: hand-written Python (a table loop and an
unrolled version) and zen-engine, all implementing README's scoring rules for one rubric."""

from __future__ import annotations

import json
import math
from typing import Any

from bench.rubric import GRADES, LOWEST_GRADE, TABLE


def grade_of(score: float) -> str:
    for low, label in GRADES:
        if score >= low:
            return label
    return LOWEST_GRADE


def hand_loop(evaluation: dict[str, Any]) -> tuple[float, str]:
    """The natural pure-Python scorer: one loop over the rubric table per evaluation."""
    answers = evaluation["answers"]
    call = evaluation["call"]
    possible = deducted = 0.0
    critical = False
    for item in TABLE:
        when = item["when"]
        if when is not None and not when(call):
            continue
        answer = answers[item["id"]]
        if answer == "na":
            continue
        if item["kind"] == "critical":
            if answer == "fail":
                critical = True
            continue
        cap = item["cap"]
        if cap is not None:
            possible += cap
            if answer:
                deducted += min(answer * item["points"], cap)
        else:
            possible += item["points"]
            if answer == "fail":
                deducted += item["points"]
    score = 0.0
    if not critical:
        score = 100.0 * (possible - deducted) / possible if possible else 100.0
    score = math.floor(score * 10 + 0.5 + 1e-9) / 10
    return score, grade_of(score)


def hand_unrolled(evaluation: dict[str, Any]) -> tuple[float, str]:
    """The same rules written out item by item for this one rubric."""
    a = evaluation["answers"]
    call = evaluation["call"]
    if a["forbidden"] == "fail" or a["data_leak"] == "fail":
        score = 0.0
    else:
        p = d = 0.0
        for key, points in (("greeting", 5.0), ("closing", 5.0), ("hold_ack", 3.0),
                            ("verify_name", 2.0), ("tone", 8.0), ("patience", 5.0),
                            ("ticket", 5.0), ("transfer", 4.0), ("accuracy", 10.0),
                            ("ownership", 6.0), ("solution", 6.0), ("clarity", 4.0),
                            ("empathy", 4.0)):  # fmt: skip
            answer = a[key]
            if answer != "na":
                p += points
                if answer == "fail":
                    d += points
        if call["type"] == "account":
            answer = a["identity"]
            if answer != "na":
                p += 10.0
                if answer == "fail":
                    d += 10.0
        if call["duration"] > 300:
            answer = a["recap"]
            if answer != "na":
                p += 8.0
                if answer == "fail":
                    d += 8.0
        for key, points, cap in (("interrupt", 3.0, 9.0), ("jargon", 2.0, 6.0),
                                 ("courtesy", 1.0, 4.0)):  # fmt: skip
            answer = a[key]
            if answer != "na":
                p += cap
                if answer:
                    d += min(answer * points, cap)
        score = 100.0 * (p - d) / p if p else 100.0
    score = math.floor(score * 10 + 0.5 + 1e-9) / 10
    return score, grade_of(score)


# --------------------------------------------------------------------- zen-engine


def zen_graph() -> dict[str, Any]:
    """The rubric as a zen-engine decision graph (JDM): two expression nodes, no JS.

    Node 1 computes each item's possible and deducted points (and red lines) from the
    input; node 2 adds them up, scales, rounds half-up and picks the grade.
    """
    expressions: list[tuple[str, str]] = []
    for item in TABLE:
        key = item["id"]
        answer = f"answers.{key}"
        applies = "true"
        if key == "identity":
            applies = "call.type == 'account'"
        elif key == "recap":
            applies = "call.duration > 300"
        if item["kind"] == "critical":
            expressions.append((f"x_{key}", f"({applies}) and {answer} == 'fail'"))
            continue
        on = f"({applies}) and {answer} != 'na'"
        cap = item["cap"]
        stake = cap if cap is not None else item["points"]
        expressions.append((f"p_{key}", f"{on} ? {stake} : 0"))
        if cap is not None:
            lost = f"min([{answer} * {item['points']}, {cap}])"
        else:
            lost = f"{answer} == 'fail' ? {item['points']} : 0"
        expressions.append((f"d_{key}", f"{on} ? ({lost}) : 0"))
    deduct_items = [i["id"] for i in TABLE if i["kind"] != "critical"]
    critical_items = [i["id"] for i in TABLE if i["kind"] == "critical"]
    expressions.append(("p", " + ".join(f"$.p_{k}" for k in deduct_items)))
    expressions.append(("d", " + ".join(f"$.d_{k}" for k in deduct_items)))
    expressions.append(("x", " or ".join(f"$.x_{k}" for k in critical_items)))
    final = [
        ("raw", "x ? 0 : (p > 0 ? 100 * (p - d) / p : 100)"),
        ("score", "floor($.raw * 10 + 0.5 + 0.000000001) / 10"),
        ("grade", "$.score >= 95 ? '优秀' : ($.score >= 85 ? '良好' : "
                  "($.score >= 70 ? '合格' : '不合格'))"),
    ]  # fmt: skip

    def node(node_id: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "id": node_id, "type": "expressionNode", "name": node_id,
            "position": {"x": 0, "y": 0},
            "content": {"expressions": [
                {"id": f"{node_id}{n}", "key": k, "value": v} for n, (k, v) in enumerate(pairs)
            ]},
        }  # fmt: skip

    nodes = [
        {"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
        node("items", expressions),
        node("total", final),
        {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}},
    ]
    edges = [
        {"id": "e1", "sourceId": "in", "targetId": "items", "type": "edge"},
        {"id": "e2", "sourceId": "items", "targetId": "total", "type": "edge"},
        {"id": "e3", "sourceId": "total", "targetId": "out", "type": "edge"},
    ]
    return {"nodes": nodes, "edges": edges}


def zen_scorer() -> Any:
    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(zen_graph()))

    def score(evaluation: dict[str, Any]) -> tuple[float, str]:
        result = decision.evaluate(evaluation)["result"]
        return float(result["score"]), str(result["grade"])

    return score
