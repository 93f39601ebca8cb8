"""The scorers compared in the benchmark: hand-written Python (a table loop and an
unrolled version) and zen-engine, all implementing README's scoring rules for one rubric."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
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


def _zen_terms() -> tuple[str, str, str]:
    """The rubric's possible points, deducted points and red lines as zen expressions."""
    possible: list[str] = []
    deducted: list[str] = []
    red_lines: list[str] = []
    for item in TABLE:
        key = item["id"]
        answer = f"answers.{key}"
        applies = f"{answer} != 'na'"
        if key == "identity":
            applies = f"call.type == 'account' and {applies}"
        elif key == "recap":
            applies = f"call.duration > 300 and {applies}"
        if item["kind"] == "critical":
            red_lines.append(f"{answer} == 'fail'")
            continue
        points, cap = item["points"], item["cap"]
        if cap is not None:
            possible.append(f"({applies} ? {cap:g} : 0)")
            deducted.append(f"({applies} ? min([{answer} * {points:g}, {cap:g}]) : 0)")
        else:
            possible.append(f"({applies} ? {points:g} : 0)")
            deducted.append(f"({applies} and {answer} == 'fail' ? {points:g} : 0)")
    return " + ".join(possible), " + ".join(deducted), " or ".join(red_lines)


def zen_graph() -> dict[str, Any]:
    """The rubric as a zen-engine decision graph (JDM): input -> one expression node ->
    output, no JS function node.

    The node's expressions run in order, later ones reading earlier ones through `$`:
    possible and deducted points and the red lines, then the raw score, the score rounded
    half-up to one decimal, and the grade looked up from the rounded score.
    """
    possible, deducted, red_lines = _zen_terms()
    expressions = [
        ("p", possible),
        ("d", deducted),
        ("x", red_lines),
        ("raw", "$.x ? 0 : ($.p > 0 ? 100 * ($.p - $.d) / $.p : 100)"),
        ("score", "floor($.raw * 10 + 0.5 + 0.000000001) / 10"),
        ("grade", "$.score >= 95 ? '优秀' : ($.score >= 85 ? '良好' : "
                  "($.score >= 70 ? '合格' : '不合格'))"),
    ]  # fmt: skip
    rubric_node = {
        "id": "rubric", "type": "expressionNode", "name": "rubric",
        "position": {"x": 0, "y": 0},
        "content": {"expressions": [
            {"id": f"x{n}", "key": key, "value": value}
            for n, (key, value) in enumerate(expressions)
        ]},
    }  # fmt: skip
    nodes = [
        {"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
        rubric_node,
        {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}},
    ]
    edges = [
        {"id": "e1", "sourceId": "in", "targetId": "rubric", "type": "edge"},
        {"id": "e2", "sourceId": "rubric", "targetId": "out", "type": "edge"},
    ]
    return {"nodes": nodes, "edges": edges}


def _zen_pair(result: dict[str, Any]) -> tuple[float, str]:
    return float(result["score"]), str(result["grade"])


def zen_scorer() -> Callable[[dict[str, Any]], tuple[float, str]]:
    """zen-engine per call: `ZenDecision.evaluate(evaluation)`, the decision compiled once
    (`ZenDecisionContent`, which evaluates faster than passing the JSON text)."""
    import zen

    decision = zen.ZenEngine().create_decision(zen.ZenDecisionContent(json.dumps(zen_graph())))

    def score(evaluation: dict[str, Any]) -> tuple[float, str]:
        return _zen_pair(decision.evaluate(evaluation)["result"])

    return score


def zen_batch_scorer() -> Callable[[list[dict[str, Any]]], list[tuple[float, str]]]:
    """zen-engine's own batch call: `ZenEngine.evaluate_batch` over a list of requests."""
    import zen

    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"rubric": zen_graph()}}})

    def score(rows: list[dict[str, Any]]) -> list[tuple[float, str]]:
        answers = engine.evaluate_batch([{"key": "rubric", "context": row} for row in rows])
        out = []
        for answer in answers:
            if not answer.get("success"):
                raise RuntimeError(f"zen-engine failed: {answer.get('error')}")
            out.append(_zen_pair(answer["data"]["result"]))
        return out

    return score
