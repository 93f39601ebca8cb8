"""Properties of scoring on generated rubrics and evaluations, against an oracle written
straight from README's rules (a plain loop, no shared code with the engine)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from callqa.engine import load_policy

CALL_TYPES = ["account", "billing", "card"]


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # deduct | bonus | critical
    points: int
    cap: int | None
    critical: bool
    when_type: str | None


@dataclass(frozen=True)
class Spec:
    sections: tuple[tuple[Item, ...], ...]
    weights: tuple[int, ...] | None
    critical_mode: str
    na_mode: str
    bonus_mode: str

    def text(self) -> str:
        lines = [
            'policy "p" version "1" timezone "UTC"',
            "rubric r {",
            "  scale 100",
            f"  critical means {self.critical_mode}",
            f"  na means {self.na_mode}",
            f"  bonus {self.bonus_mode}",
        ]
        for index, items in enumerate(self.sections):
            weight = f" weight {self.weights[index]}%" if self.weights else ""
            lines.append(f'  section s{index} "第{index}部分"{weight} {{')
            for item in items:
                clause = ""
                if item.kind in ("deduct", "bonus"):
                    clause = f"{item.kind} {item.points}"
                    if item.cap is not None:
                        clause += f" per occurrence max {item.cap}"
                if item.critical:
                    clause += " critical"
                if item.when_type:
                    clause += f' when call.type == "{item.when_type}"'
                lines.append(f'    item {item.id} "标签{item.id}" {clause}')
            lines.append("  }")
        lines.append('  grades { "A" >= 90 "B" >= 60 "C" otherwise }')
        lines.append("}")
        return "\n".join(lines)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section]


@st.composite
def items(draw: st.DrawFn, prefix: str) -> Item:
    kind = draw(st.sampled_from(["deduct", "deduct", "deduct", "bonus", "critical"]))
    points = draw(st.integers(1, 20))
    per_occurrence = kind != "critical" and draw(st.booleans())
    cap = points * draw(st.integers(1, 4)) if per_occurrence else None
    critical = kind == "critical" or (kind == "deduct" and draw(st.integers(0, 9)) == 0)
    when_type = draw(st.none() | st.sampled_from(CALL_TYPES))
    return Item(prefix, kind, points, cap, critical, when_type)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    n_sections = draw(st.integers(1, 4))
    sections = []
    counter = 0
    for _ in range(n_sections):
        n_items = draw(st.integers(1, 5))
        section = []
        for _ in range(n_items):
            section.append(draw(items(f"i{counter}")))
            counter += 1
        sections.append(tuple(section))
    weights = None
    if draw(st.booleans()):
        cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=n_sections - 1,
                                    max_size=n_sections - 1, unique=True)))  # fmt: skip
        bounds = [0, *cuts, 100]
        weights = tuple(b - a for a, b in itertools.pairwise(bounds))
    return Spec(
        tuple(sections),
        weights,
        draw(st.sampled_from(["zero_score", "fail_keep_score", "zero_section"])),
        draw(st.sampled_from(["excluded", "pass"])),
        draw(st.sampled_from(["capped", "uncapped"])),
    )


def answers_for(spec: Spec) -> st.SearchStrategy[dict[str, object]]:
    per_item = {}
    for item in spec.items:
        if item.cap is not None:
            per_item[item.id] = st.integers(0, 6) | st.just("na")
        else:
            per_item[item.id] = st.sampled_from(["pass", "fail", "na", 0, 1])
    return st.fixed_dictionaries(per_item)


def count_of(value: object, kind: str) -> int | None:
    if value == "na":
        return None
    if value == "pass":
        return 1 if kind == "bonus" else 0
    if value == "fail":
        return 0 if kind == "bonus" else 1
    assert isinstance(value, int)
    return value


def oracle(spec: Spec, call_type: str, answers: dict[str, object]) -> float:
    """README's "How a score is computed", written as plainly as possible."""
    possible = [0.0] * len(spec.sections)
    deducted = [0.0] * len(spec.sections)
    crossed = [False] * len(spec.sections)
    bonus = 0.0
    for s, section in enumerate(spec.sections):
        for item in section:
            stake = float(item.cap if item.cap is not None else item.points)
            stake = stake if item.kind == "deduct" else 0.0
            count = count_of(answers[item.id], item.kind)
            if (item.when_type and item.when_type != call_type) or count is None:
                if spec.na_mode == "pass":
                    possible[s] += stake
                continue
            possible[s] += stake
            if count == 0:
                continue
            amount = item.points * count if item.cap is not None else item.points
            if item.cap is not None:
                amount = min(amount, item.cap)
            if item.kind == "deduct":
                deducted[s] += amount
            elif item.kind == "bonus":
                bonus += amount
            if item.critical:
                crossed[s] = True
    if spec.critical_mode == "zero_section":
        deducted = [p if c else d for p, d, c in zip(possible, deducted, crossed, strict=True)]
    if spec.weights:
        num = den = 0.0
        for w, p, d in zip(spec.weights, possible, deducted, strict=True):
            if p:
                num += w / 100 * (p - d) / p
                den += w / 100
        score = 100 * num / den if den else 100.0
    else:
        p_total, d_total = sum(possible), sum(deducted)
        score = 100 * (p_total - d_total) / p_total if p_total else 100.0
    score += bonus
    if spec.bonus_mode == "capped":
        score = min(score, 100.0)
    if spec.critical_mode == "zero_score" and any(crossed):
        score = 0.0
    return math.floor(score * 10 + 0.5 + 1e-9) / 10


@st.composite
def cases(draw: st.DrawFn) -> tuple[Spec, str, dict[str, object]]:
    spec = draw(specs())
    return spec, draw(st.sampled_from(CALL_TYPES)), draw(answers_for(spec))


_CACHE: dict[str, object] = {}


def compiled(spec: Spec):  # type: ignore[no-untyped-def]
    text = spec.text()
    if text not in _CACHE:
        _CACHE[text] = load_policy(text=text)
    return _CACHE[text]


def score(spec: Spec, call_type: str, answers: dict[str, object]):  # type: ignore[no-untyped-def]
    return compiled(spec).score("r", {"call": {"type": call_type}, "answers": answers})


@given(cases())
def test_engine_agrees_with_the_oracle(case: tuple[Spec, str, dict[str, object]]) -> None:
    spec, call_type, answers = case
    assert score(spec, call_type, answers).score == oracle(spec, call_type, answers)


@given(cases())
def test_score_is_within_zero_and_scale(case: tuple[Spec, str, dict[str, object]]) -> None:
    spec, call_type, answers = case
    result = score(spec, call_type, answers)
    ceiling = 100.0
    if spec.bonus_mode == "uncapped":
        ceiling += sum(i.cap or i.points for i in spec.items if i.kind == "bonus")
    assert 0.0 <= result.score <= ceiling


@given(specs(), st.sampled_from(CALL_TYPES))
def test_all_pass_scores_the_full_scale(spec: Spec, call_type: str) -> None:
    answers = {i.id: ("fail" if i.kind == "bonus" else "pass") for i in spec.items}
    result = score(spec, call_type, answers)
    assert result.score == 100.0 and result.passed and result.grade == "A"


@given(cases(), st.data())
def test_failing_one_more_item_never_raises_the_score(
    case: tuple[Spec, str, dict[str, object]], data: st.DataObject
) -> None:
    spec, call_type, answers = case
    candidates = [
        i for i in spec.items if i.kind != "bonus" and count_of(answers[i.id], i.kind) is not None
    ]
    if not candidates:
        return
    item = data.draw(st.sampled_from(candidates))
    worse = dict(answers)
    count = count_of(answers[item.id], item.kind) or 0
    worse[item.id] = count + 1
    assert score(spec, call_type, worse).score <= score(spec, call_type, answers).score


@given(cases())
def test_any_critical_failure_scores_zero_under_zero_score(
    case: tuple[Spec, str, dict[str, object]],
) -> None:
    spec, call_type, answers = case
    result = score(spec, call_type, answers)
    if result.critical:
        assert not result.passed
        if spec.critical_mode == "zero_score":
            assert result.score == 0.0


@given(cases())
def test_reasons_add_up_to_the_score(case: tuple[Spec, str, dict[str, object]]) -> None:
    spec, call_type, answers = case
    result = score(spec, call_type, answers)
    if spec.weights or result.critical or result.bonuses:
        return
    possible = sum(s.possible for s in result.sections)
    deducted = sum(d.points for d in result.deductions)
    expected = 100 * (possible - deducted) / possible if possible else 100.0
    assert result.score == math.floor(expected * 10 + 0.5 + 1e-9) / 10


@given(specs(), st.lists(st.tuples(st.sampled_from(CALL_TYPES), st.data()), max_size=6))
def test_score_many_equals_score_row_by_row(spec: Spec, rows: list) -> None:  # type: ignore[type-arg]
    evaluations = [(t, data.draw(answers_for(spec))) for t, data in rows]
    columns: dict[str, list[object]] = {"call.type": [t for t, _ in evaluations]}
    for item in spec.items:
        columns[item.id] = [a[item.id] for _, a in evaluations]
    batch = compiled(spec).score_many("r", columns)  # type: ignore[attr-defined]
    for index, (call_type, answers) in enumerate(evaluations):
        single = score(spec, call_type, answers)
        assert (batch.scores[index], batch.grades[index]) == (single.score, single.grade)
