"""The checker: every problem in a policy, in one run, as diagnostics.

`check_policy` returns a `CheckedPolicy` (the syntax tree plus what the checker
resolved: the fields in scope and each rubric's values, `dsl.resolved_rubric`) and the
list of diagnostics. The engine compiles only a CheckedPolicy without errors.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from callqa.dsl import ast
from callqa.dsl.check_blocks import BlockChecker, fractions, misread_fractions
from callqa.dsl.diagnostics import (
    Diagnostic,
    Severity,
    has_errors,
    line_said,
    listed,
    sort_diagnostics,
)
from callqa.dsl.expressions import Scope, infer, never_true
from callqa.dsl.i18n import N_, _, current, named
from callqa.dsl.includes import (
    INVISIBLE_IN_NAME,
    Files,
    FolderFiles,
    StoredFiles,
    bundle,
    resolve,
    unbundle,
)
from callqa.dsl.parse import parse_policy
from callqa.dsl.resolved_rubric import (
    GradeBand,
    ResolvedRubric,
    RubricSettings,
    resolve_rubric,
)
from callqa.dsl.source import Span
from callqa.dsl.suggest import did_you_mean, suggestions_limited
from callqa.dsl.types import BUILTIN_FIELDS, TYPE_NAMES, Type
from callqa.dsl.vocabulary_zh import keyword

# A rubric's modes and what each means (translated where said: `_(CRITICAL_MODES[mode])`)
CRITICAL_MODES = {
    "zero_score": N_("a failed red-line item makes the total score 0"),
    "fail_keep_score": N_(
        "a failed red-line item fails the evaluation but keeps the computed score"
    ),
    "zero_section": N_("a failed red-line item zeroes only its own section"),
}
NA_MODES = {
    "excluded": N_("an N/A item leaves both the earned and the possible points"),
    "pass": N_("an N/A item counts as passed"),
}
BONUS_MODES = {
    "capped": N_("bonus points never lift the score above the scale"),
    "uncapped": N_("bonus points may lift the score above the scale"),
}
ROUNDING_MODES = {"half_up", "half_even", "down"}


@dataclass(frozen=True, slots=True)
class CheckedPolicy:
    """`tree` holds the policy's own statements and those of the files it includes
    (`dsl.includes`); `sources` holds those files' texts by the name they are shown by,
    `logical` their names from the policy's folder (how a stored version keeps them)."""

    tree: ast.PolicyFile
    fields: dict[str, Type]
    rubrics: dict[str, ResolvedRubric] = field(default_factory=dict)
    source: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    logical: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.tree.file

    @property
    def settings(self) -> dict[str, RubricSettings]:
        """Each rubric's settings, by rubric id."""
        return {rubric_id: rubric.settings for rubric_id, rubric in self.rubrics.items()}

    def location(self, span: Span) -> str:
        """`file:line` of a span, in whichever file it is."""
        return f"{span.file or self.file}:{span.line}"

    def line(self, span: Span) -> str:
        """The text of a span's first line, without surrounding blanks."""
        text = self.sources.get(span.file, "") if span.file else self.source
        lines = _lines_of(text)
        return lines[span.line - 1].strip() if 0 < span.line <= len(lines) else ""

    def text_of(self, file: str) -> str | None:
        """The text of the policy's own file or of a file it includes."""
        return self.source if file == self.file else self.sources.get(file)

    @property
    def stored_text(self) -> str:
        """The text that stores this policy: its own, with its included files' after it
        (a bundle, see `dsl.includes`); load it back with `stored=True`."""
        if not self.sources:
            return self.source
        return bundle(self.source, {self.logical[n]: t for n, t in self.sources.items()})


def check_text(
    text: str, file: str = "<policy>", folder: str | Path | None = None, stored: bool = False
) -> tuple[CheckedPolicy, list[Diagnostic]]:
    """Parse and check a policy text with the files it includes, read from `folder` (by
    default the folder `file` names, or the current one), or from the text itself when
    it is `stored` (`CheckedPolicy.stored_text`). Never raises on bad input."""
    if stored:
        text, bundled = unbundle(text)
        files: Files = StoredFiles(bundled)
    else:
        if folder is None:
            folder = os.curdir if file.startswith("<") else os.path.dirname(file) or os.curdir
        files = FolderFiles(folder)
    tree, diagnostics = parse_policy(text, file)
    included = resolve(tree, files)
    if included.statements:
        tree = ast.PolicyFile((*tree.statements, *included.statements), tree.comments, file)
    checker = _Checker(tree)
    # A policy line that could not be read is reported already, not as a missing one.
    checker.header_written = re.search(r"^[\ufeff \t]*policy\b", text, re.MULTILINE) is not None
    with suggestions_limited():
        checker.run()
    checked = CheckedPolicy(
        tree, checker.fields, checker.rubrics, text, included.sources, included.logical
    )
    named = {(d.file, d.line) for d in included.diagnostics if d.code == INVISIBLE_IN_NAME}
    invisible = [
        d for d in (
            *invisible_characters(text, file),
            *(d for name, source in included.sources.items()
              for d in invisible_characters(source, file, name)),
        ) if (d.file, d.line) not in named  # said already, of the include's file name
    ]  # fmt: skip
    all_found = [*diagnostics, *included.diagnostics, *checker.diagnostics, *invisible]
    return checked, sort_diagnostics(all_found)


# Characters a policy may not hold, even in a text or a comment: invisible, they restyle or
# rewrite a terminal (ESC starts an escape sequence) or turn the text after them around (the
# bidi overrides), and no database stores a NUL. C0 controls but tab and newline, DEL, C1,
# the bidirectional controls, and the zero-width characters that make two labels look
# alike ("质检" and "质\u200b检"); tui.literal shows these as escapes (\u001b).
CONTROL_CHARACTERS = (
    *range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
    0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029,
    *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF,
)  # fmt: skip
_CONTROL = re.compile("[" + "".join(re.escape(chr(code)) for code in CONTROL_CHARACTERS) + "]")
# a text in double quotes (one line, \" inside) or a comment: where the parser takes any
# character (elsewhere it reports an invisible one itself); a CRLF line's \r is not in it
_QUOTED_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#(?:[^\r\n]|\r(?!\n))*')


def invisible_characters(text: str, file: str, included: str = "") -> list[Diagnostic]:
    """An error at each control character inside a text or a comment of `text` (the
    policy's own, or the file it includes named `included`), with the caret under it:
    such a label or name would reach terminals and reports, and `policy add` refuses a NUL."""
    if _CONTROL.search(text) is None:  # nearly always: one quick pass
        return []
    found = []
    for part in _QUOTED_OR_COMMENT.finditer(text):
        message = (
            _("an invisible character (U+{code:04X}) is in this comment")
            if part.group().startswith("#")
            else _("an invisible character (U+{code:04X}) is in this text")
        )
        for char in _CONTROL.finditer(part.group()):
            index = part.start() + char.start()
            line = text.count("\n", 0, index) + 1
            column = index - text.rfind("\n", 0, index)
            found.append(Diagnostic.at(
                Span(line, column, line, column + 1, included),
                message.format(code=ord(char.group())),
                file=file,
                hint=_("remove the invisible character (it comes along when text is copied "
                       "from a terminal, a document or a web page): shown, it would restyle "
                       "or reorder what terminals and reports show"),
                code="invisible-character",
            ))  # fmt: skip
    return found


class _Checker:
    def __init__(self, tree: ast.PolicyFile) -> None:
        self.tree = tree
        self.diagnostics: list[Diagnostic] = []
        self.fields: dict[str, Type] = dict(BUILTIN_FIELDS)
        self.declared: dict[str, ast.FieldDecl] = {}
        self.rubrics: dict[str, ResolvedRubric] = {}
        self.header_written = False
        self.fractions = fractions(tree)

    def error(self, span: Span, message: str, hint: str | None = None, code: str = "") -> None:
        self.diagnostics.append(
            Diagnostic.at(span, message, file=self.tree.file, hint=hint, code=code)
        )

    def warn(self, span: Span, message: str, hint: str | None = None, code: str = "") -> None:
        self.diagnostics.append(
            Diagnostic.at(
                span, message, file=self.tree.file, hint=hint, code=code, severity=Severity.WARNING
            )
        )

    def report(self, span: Span, message: str, hint: str | None) -> None:
        self.error(span, message, hint, code="type")

    def run(self) -> None:
        self.header()
        for decl in self.tree.fields:
            self.field_decl(decl)
        seen: dict[str, ast.Rubric] = {}
        for rubric in self.tree.rubrics:
            if rubric.id in seen:
                self.error(
                    rubric.id_span,
                    _("there is already a rubric called {id} ({where})").format(
                        id=rubric.id,
                        where=line_said(seen[rubric.id].span, rubric.span, self.tree.file),
                    ),
                    _("give each rubric its own id"),
                    code="duplicate-id",
                )
            seen[rubric.id] = rubric
            self.rubric(rubric)
        tests: dict[str, ast.TestBlock] = {}
        for test in self.tree.tests:
            if test.name in tests:  # `callqa test` would report two results under one name
                self.warn(
                    test.span,
                    _("there is already a test called {name!r} (line {line})").format(
                        name=test.name, line=tests[test.name].span.line
                    ),
                    _("give each test its own name"),
                    code="duplicate-test",
                )
            tests[test.name] = test
        BlockChecker(self.tree, self.fields, self.error, self.warn).run()

    # ----------------------------------------------------------------- header

    def header(self) -> None:
        headers = [s for s in self.tree.statements if isinstance(s, ast.PolicyHeader)]
        if not headers:
            if not self.header_written:  # an empty file too: activated, it would judge nothing
                self.error(
                    Span.point(1, 1),
                    _("the file does not say which policy it is")
                    if self.tree.statements
                    else _("the file does not say which policy it is (it is empty)"),
                    _('start with: policy "name" version "2026.11" timezone "Asia/Shanghai"'),
                    code="no-header",
                )
            return
        for extra in headers[1:]:
            self.error(extra.span, _("a file has one policy line"), _("remove this policy line"))
        header = headers[0]
        if header.timezone is not None and header.timezone_span is not None:
            hint = timezone_hint(header.timezone)
            if hint is not None:
                self.error(
                    header.timezone_span,
                    _("unknown timezone {name!r}").format(name=header.timezone),
                    hint,
                    code="timezone",
                )
        elif header.timezone is None:
            self.warn(
                header.span,
                _("the policy has no timezone, so calendar days are counted in UTC"),
                _('add timezone "Asia/Shanghai" (or your center\'s)'),
                code="no-timezone",
            )

    def field_decl(self, decl: ast.FieldDecl) -> None:
        kind = TYPE_NAMES.get(decl.type_name)
        if kind is None:
            self.error(
                decl.type_span,
                _("unknown type {name}").format(name=decl.type_name),
                did_you_mean(decl.type_name, TYPE_NAMES)
                or _("use one of: {names}").format(names=listed(sorted(TYPE_NAMES), "type")),
                code="unknown-type",
            )
            return
        if len(decl.path) < 2:
            self.error(
                decl.span,
                _("a field belongs to something: write call.{name}").format(name=decl.name),
                code="field-name",
            )
            return
        if decl.name in BUILTIN_FIELDS:
            self.error(
                decl.span,
                _("{name} is built in already ({type})").format(
                    name=decl.name, type=named(BUILTIN_FIELDS[decl.name].value, "type")
                ),
                _("remove this line"),
                code="duplicate-field",
            )
            return
        first = self.declared.get(decl.name)
        if first is not None:
            # a file included for its rubric declares the fields the rubric reads, and so
            # may the policy including it: the same declaration in two files is fine
            if first.span.file != decl.span.file and self.fields[decl.name] == kind:
                return
            where = line_said(first.span, decl.span, self.tree.file)
            self.error(
                decl.span,
                _("{name} is declared twice (first at {where})").format(
                    name=decl.name, where=where
                ),
                _("remove one of the lines"),
            )
            return
        self.declared[decl.name] = decl
        self.fields[decl.name] = kind

    # ----------------------------------------------------------------- rubric

    def rubric(self, rubric: ast.Rubric) -> None:
        settings = self.rubric_settings(rubric)
        resolved = resolve_rubric(rubric, settings)
        self.rubrics[rubric.id] = resolved
        scope = Scope(self.fields)
        sections = rubric.sections
        if not sections:
            self.error(
                rubric.id_span,
                _("rubric {id} has no sections").format(id=rubric.id),
                _(
                    'add a section: section service "服务规范" {{ item greeting "规范开场白" '
                    "deduct 5 }}"
                ).format(),
                code="empty-rubric",
            )
        section_ids: dict[str, ast.Section] = {}
        item_ids: dict[str, ast.Item] = {}
        for section in sections:
            if section.id in section_ids:
                self.error(
                    section.id_span,
                    _("there is already a section called {id} (line {line})").format(
                        id=section.id, line=section_ids[section.id].span.line
                    ),
                    _("give each section its own id"),
                    code="duplicate-id",
                )
            section_ids[section.id] = section
            if not section.items:
                self.warn(
                    section.id_span,
                    _("section {id} has no items").format(id=section.id),
                    _('add an item: item greeting "规范开场白" deduct 5'),
                    code="empty",
                )
            for item in section.items:
                if item.id in item_ids:
                    self.error(
                        item.id_span,
                        _("there is already an item called {id} (line {line})").format(
                            id=item.id, line=item_ids[item.id].span.line
                        ),
                        _("item ids must be unique within a rubric: answers are given by item id"),
                        code="duplicate-id",
                    )
                item_ids[item.id] = item
                self.item(item, scope)
        self.weights(sections, settings)
        grades = rubric.grades
        if len([e for e in rubric.entries if isinstance(e, ast.Grades)]) > 1:
            self.error(
                rubric.id_span, _("the rubric has more than one grades block"), _("keep one")
            )
        if grades is not None:
            self.grades(grades, resolved.grades, settings.scale)

    def appeal_steps(self, setting: ast.Setting, settings: RubricSettings) -> RubricSettings:
        """`accepted by 班长 panel 主管, 班长, evaluator decided by 主管`: each step once;
        who decides sits on the panel (the superior of the three-party panel)."""
        given: dict[str, tuple[str, ...]] = {}
        for step, roles in setting.steps:
            if step in given:
                # in Chinese, the step's keyword (`accepted` is 受理人)
                word = step if current() == "en" else keyword(_STEP_PHRASES.get(step, step), "zh")
                self.error(setting.span, _("the appeal line says `{step}` twice").format(step=word),
                           _("keep one {step}").format(step=word),
                           code="repeated-line")  # fmt: skip
            given[step] = roles
        panel = given.get("panel", ())
        if len(set(panel)) != len(panel):
            self.error(setting.span, _("a role sits on the panel twice"), _("name each role once"))
        decides = given.get("decided", (None,))[0]
        if panel and decides is not None and decides not in panel:
            self.error(setting.span,
                       _("{role} decides appeals but does not sit on the panel").format(
                           role=decides),
                       _("write: panel {roles}").format(roles=", ".join((*panel, decides))),
                       code="appeal")  # fmt: skip
        return dataclasses.replace(
            settings, appeal_accepted_by=given.get("accepted", (None,))[0],
            appeal_panel=panel, appeal_decided_by=decides,
        )  # fmt: skip

    def rubric_settings(self, rubric: ast.Rubric) -> RubricSettings:
        settings = RubricSettings()
        replace = dataclasses.replace
        for key in ("scale", "critical", "na", "bonus", "rounding", "appeals", "calibration"):
            found = rubric.settings(key)
            for extra in found[1:]:
                self.error(
                    extra.span,
                    _("{key} is set twice in this rubric").format(key=keyword(key, current())),
                    _("keep one"),
                )
            if not found:
                continue
            setting = found[0]
            if key == "scale":
                assert setting.value is not None
                scale = setting.value.number
                if scale <= 0:
                    self.error(setting.span, _("the scale must be above 0"), _("write scale 100"))
                else:
                    settings = replace(settings, scale=scale)
            elif key == "appeals":
                assert setting.value is not None
                seconds = setting.value.number
                if seconds <= 0:
                    self.error(setting.span, _("the appeal window must be longer than 0"),
                               _("write appeals within 3 days"))  # fmt: skip
                else:
                    settings = replace(settings, appeal_window_seconds=seconds)
                settings = self.appeal_steps(setting, settings)
            elif key == "calibration":
                assert setting.value is not None
                tolerance = setting.value.number
                if tolerance <= 0:
                    self.error(setting.span, _("the calibration tolerance must be above 0"),
                               _("write calibration tolerance 5"))  # fmt: skip
                else:
                    settings = replace(settings, calibration_tolerance=tolerance)
            elif key == "rounding":
                assert setting.value is not None
                digits = int(setting.value.number)
                if digits > 6:
                    self.error(
                        setting.span, _("round to at most 6 decimals"), _("write rounding 1")
                    )
                else:
                    settings = replace(settings, rounding_digits=digits)
                if setting.word is not None:
                    self.mode_word(setting, ROUNDING_MODES, "rounding")
                    settings = replace(settings, rounding_mode=setting.word)
            else:
                modes = {"critical": CRITICAL_MODES, "na": NA_MODES, "bonus": BONUS_MODES}[key]
                if self.mode_word(setting, set(modes), key):
                    settings = replace(settings, **{key: setting.word})
        return settings

    def mode_word(self, setting: ast.Setting, choices: set[str], key: str) -> bool:
        word = setting.word or ""
        if word in choices:
            return True
        hint = did_you_mean(word, choices) or _("use one of: {names}").format(
            names=listed(sorted(choices), key)
        )
        self.error(
            setting.word_span or setting.span,
            _("{word} is not a {key} setting").format(word=word, key=keyword(key, current())),
            hint,
            code="unknown-setting",
        )
        return False

    def item(self, item: ast.Item, scope: Scope) -> None:
        label = item.label or item.id
        if item.deduct is None and item.bonus is None and not item.critical:
            self.error(
                item.span,
                _("item {id} does not say what it is worth").format(id=item.id),
                _("add deduct 5, bonus 2 or critical"),
                code="empty-item",
            )
        if item.deduct is not None and item.bonus is not None:
            self.error(
                item.bonus.span,
                _("item {id} both deducts and gives a bonus").format(id=item.id),
                _("split it into a deduction item and a bonus item"),
                code="deduct-and-bonus",
            )
        if item.bonus is not None and item.critical:
            self.error(
                item.span,
                _("item {id} is a bonus and a red line at once").format(id=item.id),
                _("make the red line its own item"),
                code="bonus-critical",
            )
        for word, amount in (("deduct", item.deduct), ("bonus", item.bonus)):
            if amount is None:
                continue
            points = amount.points.number
            if points <= 0:
                fix = _("write deduct 5") if word == "deduct" else _("write bonus 5")
                self.error(amount.points.span, _("the points must be above 0"), fix)
            if amount.per_occurrence and amount.cap is None:
                self.error(
                    amount.span,
                    _("{label}: a per-occurrence item needs a cap").format(label=label),
                    _("add max, e.g. {points} per occurrence max {cap}").format(
                        points=amount.points.text, cap=_fmt_number(points * 3)
                    ),
                    code="no-cap",
                )
            if amount.cap is not None:
                cap = amount.cap.number
                if cap < points:
                    self.error(
                        amount.cap.span,
                        _("the cap {cap} is smaller than one occurrence ({points})").format(
                            cap=amount.cap.text, points=amount.points.text
                        ),
                        _("raise the cap to at least {points}").format(points=amount.points.text),
                        code="cap",
                    )
        if item.condition is not None:
            reported = len(self.diagnostics)
            kind = infer(item.condition, scope, self.report)
            misread_fractions(item.condition, self.fractions, self.error, self.warn)
            if kind not in (Type.BOOL, Type.UNKNOWN):
                self.error(
                    item.condition.span,
                    _("the when condition must be true or false, not {example}").format(
                        example=kind.example
                    ),
                    _('compare it, e.g. when call.type == "account"'),
                    code="type",
                )
            elif kind is Type.BOOL and len(self.diagnostics) == reported:
                reason = never_true(item.condition)
                if reason:
                    self.warn(
                        item.condition.span,
                        _("item {id} can never apply: {reason}").format(id=item.id, reason=reason),
                        _("fix the condition or remove the item"),
                        code="never-applies",
                    )

    def weights(self, sections: tuple[ast.Section, ...], settings: RubricSettings) -> None:
        weighted = [s for s in sections if s.weight is not None]
        if not weighted:
            return
        for section in sections:
            if section.weight is None:
                self.error(
                    section.id_span,
                    _("section {id} has no weight, but other sections do").format(id=section.id),
                    _("give every section a weight, or none"),
                    code="weights",
                )
        percents = [s for s in weighted if s.weight is not None and s.weight.text.endswith("%")]
        if percents and len(percents) != len(weighted):
            self.error(
                weighted[0].span,
                _("write all section weights as percentages or all as points"),
                _(
                    "write weight 40% and weight 60%, or weight 40 and weight 60 (points of the "
                    "scale)"
                ),
                code="weights",
            )
            return
        total = sum(s.weight.number for s in weighted if s.weight is not None)
        target, unit = (1.0, "100%") if percents else (settings.scale, _fmt_number(settings.scale))
        if len(weighted) == len(sections) and abs(total - target) > 1e-9:
            shown = f"{_fmt_number(total * 100)}%" if percents else _fmt_number(total)
            self.error(
                weighted[0].span,
                _("the section weights add up to {total}, not {target}").format(
                    total=shown, target=unit
                ),
                _("change the weights so that they add up to {target}").format(target=unit),
                code="weights",
            )

    def grades(self, grades: ast.Grades, resolved: tuple[GradeBand, ...], scale: float) -> None:
        """The bands as written, then their scores as resolved (`resolved`, one per band,
        what the engine grades by): overlaps and gaps, found in one sorted pass (a rubric
        may have thousands of bands). `otherwise` takes the scores below every band: a
        score a band's `<` leaves uncovered above another band is still a gap."""
        otherwise = [b for b in grades.bands if b.otherwise]
        for extra in otherwise[1:]:
            self.error(extra.span, _("only one grade can be `otherwise`"),
                       _('give "{label}" a lower bound, such as "{label}" >= 60').format(
                           label=extra.label),
                       code="grades")  # fmt: skip
        bounded = [b for b in grades.bands if not b.otherwise]
        labels: set[str] = set()
        for band in bounded:
            if band.label in labels:
                self.error(band.span, _("the grade {label} is given twice").format(
                    label=band.label), _("give each grade its own name"),
                    code="grades")  # fmt: skip
            labels.add(band.label)
            written: dict[str, ast.Literal] = {}
            for op, value in band.bounds:
                if op not in (">=", "<"):
                    self.error(
                        value.span,
                        _("grades use >= for the lower bound and < for the upper, not {op}").format(
                            op=op
                        ),
                        _('write "{label}" >= 85 < 95').format(label=band.label),
                        code="grades",
                    )
                elif op in written:  # only the first would count
                    self.error(
                        value.span,
                        (
                            _(
                                "the grade {label} has two lower bounds ({op} {first} and {op} "
                                "{second})"
                            )
                            if op == ">="
                            else _(
                                "the grade {label} has two upper bounds ({op} {first} and "
                                "{op} {second})"
                            )
                        ).format(
                            label=band.label, op=op, first=written[op].text, second=value.text
                        ),
                        _("keep one"),
                        code="grades",
                    )
                written.setdefault(op, value)
        intervals: list[tuple[float, float, ast.Band]] = []
        for band, resolved_band in zip(grades.bands, resolved, strict=True):
            if resolved_band.fallback:
                continue
            lo, hi = resolved_band.low, resolved_band.high
            if hi <= lo:
                self.error(band.span,
                           _("the grade {label} contains no score").format(label=band.label),
                           _("its upper bound (<) must be above its lower bound (>=)"),
                           code="grades")  # fmt: skip
                continue
            if lo > scale:
                self.warn(
                    band.span,
                    _(
                        "the grade {label} starts above the scale ({scale}) and is never reached"
                    ).format(label=band.label, scale=_fmt_number(scale)),
                    _("lower it, or raise the scale (scale {low})").format(low=_fmt_number(lo)),
                    code="unreachable-grade",
                )
            intervals.append((lo, hi, band))
        intervals.sort(key=lambda t: (t[0], t[1]))
        fallback = otherwise[0].label if otherwise else None
        reach: tuple[float, ast.Band] | None = None  # the highest score covered so far, by
        for lo, hi, band in intervals:
            if reach is None:
                if lo > 0 and fallback is None:
                    self.error(
                        band.span,
                        _("no grade covers scores from 0 to below {low}").format(
                            low=_fmt_number(lo)
                        ),
                        _('add a band such as "不合格" otherwise, or lower {label}').format(
                            label=band.label
                        ),
                        code="grades-gap",
                    )
            elif lo < reach[0]:
                end = min(reach[0], hi)
                overlap = (
                    _("the grades {first} and {second} overlap between {low} and {high}")
                    if end < math.inf
                    else _("the grades {first} and {second} overlap from {low} up")
                )
                self.error(
                    band.span,
                    overlap.format(
                        first=reach[1].label,
                        second=band.label,
                        low=_fmt_number(lo),
                        high=_fmt_number(end) if end < math.inf else "",
                    ),
                    _("make one grade end (<) where the next starts (>=)"),
                    code="grades-overlap",
                )
            elif lo > reach[0]:
                self.grade_gap(reach[1], band, reach[0], lo, fallback)
            if reach is None or hi > reach[0]:
                reach = (hi, band)
        if reach is not None and reach[0] <= scale:
            top = reach[1]
            self.error(
                _bound_span(top, "<") or top.span,
                (
                    _(
                        "no grade covers scores of {score} and above: they would get {fallback} "
                        "(otherwise)"
                    )
                    if fallback
                    else _("no grade covers scores of {score} and above")
                ).format(score=_fmt_number(reach[0]), fallback=fallback),
                _("remove the upper bound (<) of {label}, the highest grade").format(
                    label=top.label
                ),
                code="grades-gap",
            )

    def grade_gap(
        self, below: ast.Band, above: ast.Band, start: float, end: float, fallback: str | None
    ) -> None:
        """Scores from `start` to below `end` that no band covers, between two bands: the
        fix is to move a bound (an `otherwise` band would only hide them)."""
        if fallback is None:
            message = _(
                "no grade covers scores from {start} to below {end}, between {below} and {above}"
            )
        else:
            message = _(
                "scores from {start} to below {end} fall between {below} and {above} and would "
                "get {fallback} (otherwise), a lower grade than {below}"
            )
        upper = _bound_span(below, "<")
        if upper is None:
            hint = _('lower {above} to "{above}" >= {start}')
        else:
            hint = _('change {below}\'s "< {start}" to "< {end}", or lower {above} to "{above}" '
                     ">= {start}")  # fmt: skip
        said = {
            "start": _fmt_number(start), "end": _fmt_number(end), "below": below.label,
            "above": above.label, "fallback": fallback,
        }  # fmt: skip
        self.error(
            upper or above.span, message.format(**said), hint.format(**said), code="grades-gap"
        )


def timezone_hint(name: str) -> str | None:
    """None when `name` is a timezone; else a fix to try (a close name, or for `UTC+8`,
    the zone to write)."""
    try:
        zoneinfo.ZoneInfo(name)
        return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    offset = re.fullmatch(r"\s*(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::00)?\s*", name, re.IGNORECASE)
    if offset is not None:
        sign = "-" if offset[1] == "+" else "+"  # the Etc/GMT zones count the other way
        hint = (
            _('write your city\'s zone (China: "Asia/Shanghai"), or "Etc/GMT{sign}{hours}"')
            if offset[1] == "+" and int(offset[2]) == 8
            else _('write your city\'s zone, or "Etc/GMT{sign}{hours}"')
        )
        return hint.format(sign=sign, hours=int(offset[2]))
    return did_you_mean(name, _timezones()) or _('use a name such as "Asia/Shanghai" or "UTC"')


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# the steps of an appeals line, as the builder keeps them -> their keyword
_STEP_PHRASES = {"accepted": "accepted by", "decided": "decided by"}


def _bound_span(band: ast.Band, op: str) -> Span | None:
    for written, value in band.bounds:
        if written == op:
            return value.span
    return None


def _fmt_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def errors_only(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


__all__ = [
    "BONUS_MODES",
    "CRITICAL_MODES",
    "NA_MODES",
    "CheckedPolicy",
    "RubricSettings",
    "check_text",
    "errors_only",
    "has_errors",
]


@functools.lru_cache(maxsize=2)
def _lines_of(text: str) -> tuple[str, ...]:
    """A text's lines, split once: the engine asks for the line of every sampling pick
    and alert, and splitting the whole policy each time grew with the square of its size."""
    return tuple(text.split("\n"))
