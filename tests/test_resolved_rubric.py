"""A rubric as the checker resolved it (issue 16 item 3): `CheckedPolicy.rubrics` holds
each rubric's points, caps, section weights, settings and grade bands as numbers, and the
engine compiles those, not the syntax nodes. Grade bands used to be resolved twice, by the
checker and by the engine, with different defaults for a band without `>=`; now once.

The property checks the one resolution against an oracle written from README's rules
(a band runs from its `>=`, or 0, up to its `<`, or the next band's `>=`; `otherwise`
takes what no band covers), by brute force over every score on a half-point grid: the
checker's bands cover what the oracle's cover, the checker refuses a band set exactly
when the oracle finds an overlap, a gap or an empty band, and an accepted set grades
every score as the oracle does, in the compiled scorer and in the rubric's table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from callqa.dsl.check import check_text, errors_only
from callqa.dsl.resolved_rubric import GradeBand, ResolvedItem, RubricSettings
from callqa.engine import load_policy


@dataclass(frozen=True)
class WrittenBand:
    label: str
    low: int | None  # `>= low`
    high: int | None  # `< high`

    def text(self) -> str:
        bounds = ("" if self.low is None else f" >= {self.low}") + (
            "" if self.high is None else f" < {self.high}"
        )
        return f'"{self.label}"{bounds}'


@dataclass(frozen=True)
class BandSet:
    scale: int
    bands: tuple[WrittenBand, ...]
    otherwise: str | None  # the `otherwise` band's label
    otherwise_at: int  # where it is written among the bands

    def text(self) -> str:
        written = [band.text() for band in self.bands]
        if self.otherwise is not None:
            written.insert(self.otherwise_at, f'"{self.otherwise}" otherwise')
        return "\n".join([
            'policy "p" version "1" timezone "UTC"',
            "rubric r {",
            f"  scale {self.scale}",
            "  bonus uncapped",
            '  section s "s" {',
            f'    item d "扣分" deduct 0.5 per occurrence max {self.scale}',
            '    item b "加分" bonus 0.5 per occurrence max 5',
            "  }",
            "  grades { " + " ".join(written) + " }",
            "}",
        ])  # fmt: skip

    def grid(self) -> list[float]:
        """Every half point from 0 to past the highest bound: every interval with
        whole-number ends holds one of them."""
        return [k / 2 for k in range(2 * (self.scale + 6) + 1)]


# ------------------------------------------------------------------------ oracle


def oracle_scores(band: WrittenBand, bands: tuple[WrittenBand, ...]) -> tuple[float, float]:
    low = 0.0 if band.low is None else float(band.low)
    if band.high is not None:
        return low, float(band.high)
    above = [float(b.low) for b in bands if b.low is not None and b.low > low]
    return low, min(above) if above else math.inf


def covering(bands: tuple[WrittenBand, ...], score: float) -> list[str]:
    found = []
    for band in bands:
        low, high = oracle_scores(band, bands)
        if low <= score < high:
            found.append(band.label)
    return found


def oracle_refuses(spec: BandSet) -> bool:
    """An empty band, a score covered twice, or an uncovered score above a covered one
    that is below the scale or below another covered one; without `otherwise`, an
    uncovered 0."""
    bands = spec.bands
    if any(high <= low for low, high in (oracle_scores(b, bands) for b in bands)):
        return True
    grid = spec.grid()
    covered = [len(covering(bands, score)) for score in grid]
    if any(n > 1 for n in covered):
        return True
    for index, score in enumerate(grid):
        if covered[index]:
            continue
        below = any(covered[:index])
        above = any(covered[index + 1 :])
        if below and (above or score <= spec.scale):
            return True
        if not below and spec.otherwise is None and any(covered):
            return True
    return False


def oracle_grade(spec: BandSet, score: float) -> str | None:
    found = covering(spec.bands, score)
    return found[0] if found else spec.otherwise


# -------------------------------------------------------------------- band sets


@st.composite
def tiled(draw: st.DrawFn) -> BandSet:
    """Bands that cover every score once, written in the ways a manager writes them:
    the lowest band by `otherwise`, `>= 0`, or only its `<`."""
    scale = draw(st.sampled_from([10, 20]))
    cuts = sorted(draw(st.lists(st.integers(1, scale), min_size=1, max_size=5, unique=True)))
    bands = [
        WrittenBand(
            f"G{index}",
            cut,
            cuts[index + 1] if index + 1 < len(cuts) and draw(st.booleans()) else None,
        )
        for index, cut in enumerate(cuts)
    ]
    lowest = draw(st.sampled_from(["otherwise", ">= 0", "< first", ">= 0 < first"]))
    otherwise = None
    if lowest == "otherwise":
        otherwise = "不合格"
    else:
        low = 0 if lowest.startswith(">=") else None
        high = cuts[0] if lowest.endswith("first") else None
        bands.append(WrittenBand("不合格", low, high))
    order = draw(st.permutations(bands))
    return BandSet(scale, tuple(order), otherwise, draw(st.integers(0, len(bands))))


@st.composite
def anything(draw: st.DrawFn) -> BandSet:
    """Bands with bounds anywhere: overlaps, gaps and empty bands too."""
    scale = draw(st.sampled_from([10, 20]))
    bound = st.integers(0, scale + 4)
    bands = []
    for index in range(draw(st.integers(1, 5))):
        low = draw(st.none() | bound)
        high = draw(bound) if low is None else draw(st.none() | bound)
        bands.append(WrittenBand(f"G{index}", low, high))
    otherwise = draw(st.sampled_from([None, "不合格"]))
    return BandSet(scale, tuple(bands), otherwise, draw(st.integers(0, len(bands))))


def answers(spec: BandSet, score: float) -> dict[str, object]:
    """An evaluation scoring `score`: half a point off per fault, half on per bonus."""
    faults = max(0, round(2 * (spec.scale - score)))
    bonuses = max(0, round(2 * (score - spec.scale)))
    return {"id": "E", "answers": {"d": faults, "b": bonuses}}


@given(tiled() | anything())
def test_grade_bands_are_resolved_once_and_grade_as_the_oracle_says(spec: BandSet) -> None:
    checked, diagnostics = check_text(spec.text(), "r.policy")
    resolved = checked.rubrics["r"].grades
    assert [b.fallback for b in resolved].count(True) == (spec.otherwise is not None)
    written = {b.label: b for b in spec.bands}
    for band in resolved:
        if not band.fallback:
            assert (band.low, band.high) == oracle_scores(written[band.label], spec.bands)
    for score in spec.grid():
        assert [b.label for b in resolved if b.covers(score)] == covering(spec.bands, score)

    assert bool(errors_only(diagnostics)) == oracle_refuses(spec), spec.text()
    if errors_only(diagnostics):
        return
    policy = load_policy(text=spec.text(), file="r.policy")
    table = policy.rubric("r").table
    scores = [s for s in spec.grid() if s <= spec.scale + 5]
    evaluations = [answers(spec, score) for score in scores]
    batch = policy.score_many(
        "r",
        {item: [e["answers"][item] for e in evaluations] for item in ("d", "b")},  # type: ignore[index]
    )
    for index, score in enumerate(scores):
        result = policy.score("r", evaluations[index])
        assert result.score == score
        expected = oracle_grade(spec, score)
        assert (result.grade, batch.grades[index], table.grade_of(score)) == (
            expected, expected, expected,
        ), (spec.text(), score)  # fmt: skip


def test_a_band_without_a_lower_bound_starts_at_0_for_checker_and_engine() -> None:
    """`"不合格" < 60`: before, the checker read it from 0 and the engine from -inf."""
    text = BandSet(100, (WrittenBand("合格", 60, None), WrittenBand("不合格", None, 60)),
                   None, 0).text()  # fmt: skip
    checked, diagnostics = check_text(text)
    assert not errors_only(diagnostics)
    assert checked.rubrics["r"].grades == (
        GradeBand("合格", 60.0, math.inf, False),
        GradeBand("不合格", 0.0, 60.0, False),
    )
    table = load_policy(text=text).rubric("r").table
    assert [(b.label, b.low, b.high) for b in table.grades] == [
        ("合格", 60.0, math.inf), ("不合格", 0.0, 60.0),
    ]  # fmt: skip


def test_the_checker_resolves_points_caps_weights_and_settings_as_numbers() -> None:
    checked, diagnostics = check_text(
        'policy "p"\n'
        "rubric r {\n"
        "  scale 50\n  rounding 2 down\n  appeals within 2 days\n"
        '  section a "开场" weight 20 {\n'
        "    item x deduct 2 per occurrence max 6\n"
        '    item y "红线" critical when call.duration > 5m\n'
        "  }\n"
        "  section b weight 30 { item z bonus 1.5 }\n"
        "}\n"
    )
    assert not errors_only(diagnostics)
    rubric = checked.rubrics["r"]
    assert (rubric.id, rubric.label) == ("r", "r")
    assert rubric.settings == RubricSettings(
        scale=50.0, rounding_digits=2, rounding_mode="down", appeal_window_seconds=172800.0
    )
    assert [(s.id, s.label, s.weight) for s in rubric.sections] == [
        ("a", "开场", 0.4), ("b", "b", 0.6),
    ]  # fmt: skip
    x, y = rubric.sections[0].items
    (z,) = rubric.sections[1].items
    assert x == ResolvedItem("x", "x", "deduct", 2.0, 6.0, True, False, None)
    assert (y.kind, y.points, y.cap, y.critical, y.label) == ("critical", 0.0, None, True, "红线")
    assert y.condition is not None
    assert z == ResolvedItem("z", "z", "bonus", 1.5, None, False, False, None)
    assert checked.settings == {"r": rubric.settings}
    # the engine's table holds what the checker resolved
    table = load_policy(text=checked.source).rubric("r").table
    assert [(i.id, i.points, i.cap, i.kind) for i in table.items] == [
        ("x", 2.0, 6.0, "deduct"), ("y", 0.0, None, "critical"), ("z", 1.5, None, "bonus"),
    ]  # fmt: skip
    assert [s.weight for s in table.sections] == [0.4, 0.6]
    assert table.settings == rubric.settings
