"""`load_policy` and the compiled, immutable `Policy` that services share between threads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from callqa.dsl import ast
from callqa.dsl.check import CheckedPolicy, check_text
from callqa.dsl.diagnostics import Diagnostic, PolicyError, has_errors
from callqa.dsl.i18n import _
from callqa.dsl.resolved import resolve
from callqa.dsl.suggest import closest
from callqa.dsl.types import Type
from callqa.engine.errors import EvaluationError, UnknownRubric
from callqa.engine.rules.compiled import CompiledRules, compile_rules
from callqa.engine.runtime.events import EVENT_KINDS, event_model
from callqa.engine.runtime.facts import FactReader, Reader, referenced_fields
from callqa.engine.scoring.diagnose import explain_failure
from callqa.engine.scoring.fast_path import GeneratedScorer, generate
from callqa.engine.scoring.results import BatchScores, ScoreResult
from callqa.engine.scoring.rubric import RubricTable, build_table
from callqa.engine.store.text_files import read_utf8
from callqa.engine.values import converter


class _Frozen:
    """Attributes are set once, in __init__; afterwards the object cannot change, so
    one instance can serve many threads without locks."""

    __slots__ = ("_sealed",)

    def __setattr__(self, name: str, value: object) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError(f"{type(self).__name__} is immutable; load a new policy instead")
        object.__setattr__(self, name, value)

    def _seal(self) -> None:
        object.__setattr__(self, "_sealed", True)


class CompiledRubric(_Frozen):
    """One rubric: its table (for explanations) and its generated scorer (for speed)."""

    __slots__ = ("_many", "_one", "fact_names", "source", "table")

    def __init__(self, table: RubricTable, scorer: GeneratedScorer) -> None:
        self.table = table
        self._one = scorer.one
        self._many = scorer.many
        self.source = scorer.source
        self.fact_names = scorer.fact_names
        self._seal()

    def score(self, evaluation: Any) -> ScoreResult:
        data = evaluation if evaluation.__class__ is dict else _as_mapping(evaluation)
        try:
            result: ScoreResult = self._one(data)  # type: ignore[arg-type]
        except Exception as exc:  # the fast path only fails on bad input; say what it was
            raise explain_failure(self.table, data, self.fact_names, exc) from None
        return result

    def score_many(self, columns: Mapping[str, Sequence[Any]]) -> BatchScores:
        lengths = {name: len(values) for name, values in columns.items()}
        n = max(lengths.values(), default=0)
        short = [name for name, length in lengths.items() if length != n]
        if short:
            raise EvaluationError(
                _("columns {columns} have fewer rows than the others ({rows})").format(
                    columns=", ".join(sorted(short)), rows=n
                )
            )
        scores, grades, crits, errors = self._many(dict(columns), n)
        explained: dict[int, Exception] = {}
        for row, exc in errors.items():
            data = {name: values[row] for name, values in columns.items()}
            explained[row] = explain_failure(self.table, data, self.fact_names, exc)
        return BatchScores(scores, grades, crits, explained)


def _as_mapping(evaluation: Any) -> Mapping[str, Any]:
    if isinstance(evaluation, Mapping):
        return evaluation
    dump = getattr(evaluation, "model_dump", None)
    if callable(dump):
        data = dump()
        if isinstance(data, dict):
            return data
    raise EvaluationError(
        _("an evaluation is a dict or a pydantic model, not {type}").format(
            type=type(evaluation).__name__
        )
    )


class Policy(_Frozen):
    """A checked and compiled policy. Immutable: load a new one to change rules.

    It is compiled here, once: the rubrics' scorers, the time-aware blocks (`rules`,
    from the typed `time_blocks`), the readers of each kind of event's facts
    (`fact_readers`). Every `Engine` of the policy shares them and keeps only its own
    state (it writes out only its own path for a kind of event, engine.runtime.kind_path,
    when the first comes: that path holds the engine's state).

    A policy pickles (for worker processes) as its checked model and warnings, not its
    generated functions, which cannot be pickled: unpickling compiles it again from that
    model (its included files' texts and locations as they were), without parsing or
    checking it again."""

    __slots__ = (
        "_rubrics", "actions", "checked", "diagnostics", "fact_reader", "fact_readers",
        "fields_read", "file", "kept", "name", "numbers", "rules", "time_blocks", "timezone",
        "version",
    )  # fmt: skip

    def __init__(self, checked: CheckedPolicy, diagnostics: list[Diagnostic]) -> None:
        header = checked.tree.header
        self.checked = checked
        self.file = checked.file
        self.name = header.name if header else Path(checked.file).stem
        self.version = header.version if header else None
        self.timezone = ZoneInfo(header.timezone if header and header.timezone else "UTC")
        self.diagnostics = tuple(diagnostics)  # warnings only, after a successful load
        rubrics: dict[str, CompiledRubric] = {}
        for rubric in checked.rubrics.values():
            file = rubric.span.file or checked.file  # a rubric may be in an included file
            source = checked.text_of(file) or ""
            table = build_table(rubric, file, source)
            scorer = generate(table, checked.fields, self.timezone, ScoreResult)
            rubrics[rubric.id] = CompiledRubric(table, scorer)
        self._rubrics = MappingProxyType(rubrics)
        # every field name the rules mention: what an engine's events are read for
        self.fields_read = referenced_fields(checked.tree)
        self.fact_reader = FactReader(self.fields_read)
        # what the facts of each kind of event are read by
        self.fact_readers: Mapping[str, Reader] = MappingProxyType(
            {kind: self.fact_reader.reader(event_model(kind)) for kind in EVENT_KINDS}
        )
        # the fields read as numbers, and their converters: a center's own value of one
        # must be a real number
        self.numbers: Mapping[str, Callable[[object, str], Any]] = MappingProxyType({
            name: converter(kind, self.timezone)
            for name, kind in checked.fields.items()
            if kind in (Type.NUMBER, Type.DURATION)
        })  # fmt: skip
        self.actions: Mapping[str, ast.ActionDecl] = MappingProxyType(
            {action.id: action for action in checked.tree.actions}
        )
        self.time_blocks = resolve(checked)  # the time-aware blocks, typed
        self.rules = compile_rules(
            self.time_blocks, checked.fields, self.timezone, self.numbers, (self.name, self.version)
        )
        self.kept: frozenset[str] | None = None  # see `only`
        self._seal()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the checked model: see the class docstring."""
        if self.kept is not None:
            return (_part_of, (self.checked, list(self.diagnostics), sorted(self.kept)))
        return (Policy, (self.checked, list(self.diagnostics)))

    def only(self, units: Iterable[str]) -> Policy:
        """This policy with only the time-aware rules whose decisions name one of `units`
        as their rule (escalations, thresholds and sampling blocks by id, discipline rules
        as `block.rule`); its rubrics all stay, to read evaluations. An incremental
        simulation replays such a part of two versions: the units a change touches."""
        kept = frozenset(units)
        part = object.__new__(Policy)
        for name in Policy.__slots__:
            object.__setattr__(part, name, getattr(self, name))
        rules = self.rules
        object.__setattr__(part, "rules", CompiledRules(
            tuple(spec for spec in rules.escalations if spec.block.id in kept),
            tuple(spec for spec in rules.thresholds if spec.block.id in kept),
            tuple(spec for spec in rules.samplings if spec.block.id in kept),
            tuple(spec for spec in rules.window_rules if spec.rule.name in kept),
            tuple(spec for spec in rules.event_rules if spec.rule.name in kept),
            rules.calendar,
            tuple(rota for rota in rules.rotas if rota.id in kept),
        ))  # fmt: skip
        object.__setattr__(part, "kept", kept)
        part._seal()
        return part

    @property
    def rubrics(self) -> Mapping[str, CompiledRubric]:
        return self._rubrics

    def rubric(self, rubric_id: str) -> CompiledRubric:
        try:
            return self._rubrics[rubric_id]
        except KeyError:
            guess = closest(rubric_id, self._rubrics)
            if guess:
                message = _("the policy has no rubric {rubric!r}; did you mean {guess}?")
            elif self._rubrics:
                message = _("the policy has no rubric {rubric!r}; the policy has: {known}")
            else:
                message = _("the policy has no rubric {rubric!r}; the policy has: none")
            known = ", ".join(sorted(self._rubrics))
            raise UnknownRubric(
                message.format(rubric=rubric_id, guess=guess, known=known)
            ) from None

    def score(self, rubric_id: str, evaluation: Any) -> ScoreResult:
        """Score one evaluation (a dict or a pydantic model) against a rubric."""
        return self.rubric(rubric_id).score(evaluation)

    def score_many(self, rubric_id: str, columns: Mapping[str, Sequence[Any]]) -> BatchScores:
        """Score a batch given as columns: item ids and dotted fact names -> equal-length lists."""
        return self.rubric(rubric_id).score_many(columns)


def load_policy(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    file: str | None = None,
    folder: str | Path | None = None,
    stored: bool = False,
) -> Policy:
    """Parse, check and compile a policy file (or `text=`), with the files it includes.
    `file` is the name shown in locations (by default the path); included files are read
    from `folder` (by default the folder of `path`, or of `file`), or from the text when
    it is `stored` (`CheckedPolicy.stored_text`, as a store keeps a version). Raises
    `PolicyError` on errors."""
    if text is None:
        if path is None:
            raise TypeError("load_policy needs a path or text=")
        text = read_utf8(path)
        file = file or str(path)
        folder = folder if folder is not None else Path(path).parent
    checked, diagnostics = check_text(text, file or "<policy>", folder, stored)
    if has_errors(diagnostics):
        raise PolicyError(diagnostics, checked.source, checked.sources)
    return Policy(checked, diagnostics)


def _part_of(checked: CheckedPolicy, diagnostics: list[Diagnostic], kept: list[str]) -> Policy:
    """A pickled `Policy.only(...)`: the whole policy compiled again, then the part taken."""
    return Policy(checked, diagnostics).only(kept)
