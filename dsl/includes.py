"""`include`: a center's rulebook kept in several files, checked and run as one policy.

`include "standard.policy"` (a path relative to the including file's folder) brings the
included file's fields, actions, rubrics, sampling, escalation, threshold and discipline
blocks into the policy, so that a rule can read the scores of a scorecard kept in its
own file, and one engine holds every agent's status. The included file's `policy` line
and its tests stay with it: `callqa test standard.policy` runs them. The files must
share a timezone: calendar windows and times of day are read in it.

A stored policy version keeps the included texts of the day it was published, so that
history can be replayed under the rules then in force: its text is a *bundle*, the
policy's own text followed by each included file's, each after a line holding an ASCII
file separator (U+001C, which no policy text can hold) and the file's name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl import ast
from dsl.diagnostics import Diagnostic
from dsl.parse import parse_policy
from dsl.source import Span

SEPARATOR = "\x1c"
MAX_DEPTH = 8  # files including files: deeper is a mistake, not a rulebook

# Reads an included file's text by its name; raises OSError or UnicodeError.
Reader = Callable[[str], str]


MAX_BYTES = 4 << 20  # a policy file is a few pages; beyond this it is not one


def read_from_disk(name: str) -> str:
    return _read(Path(name))


def _read(path: Path) -> str:
    """A policy file's text: a regular file of reasonable size (never a device or a pipe,
    which could be read forever)."""
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    if path.stat().st_size > MAX_BYTES:
        raise OSError(27, f"larger than {MAX_BYTES >> 20} MB, too large for a policy", str(path))
    return path.read_text(encoding="utf-8")


def disk_reader(file: str, folder: str | Path | None) -> Reader:
    """Reads included files from `folder`, where the policy shown as `file` really is
    (a policy may be shown by its bare name, or be an edited copy of a file)."""
    if folder is None:
        return read_from_disk

    def read(name: str) -> str:
        return _read(Path(folder) / relative_name(name, file))

    return read


def bundle_reader(files: Mapping[str, str], file: str) -> Reader:
    """Reads included files from a stored bundle's files (`unbundle`)."""

    def read(name: str) -> str:
        key = relative_name(name, file)
        if key not in files:
            raise FileNotFoundError(2, "not in the stored version", name)
        return files[key]

    return read


def bundle(text: str, included: Mapping[str, str]) -> str:
    """The policy's text and its included files' texts, as one text to store."""
    parts = [text]
    for name, source in included.items():
        parts.append(f"\n{SEPARATOR}{name}\n{source}")
    return "".join(parts)


def unbundle(text: str) -> tuple[str, dict[str, str]]:
    """A bundle's policy text and its included files by name (a plain policy text comes
    back as it is, with no files)."""
    if SEPARATOR not in text:
        return text, {}
    main, *rest = text.split(f"\n{SEPARATOR}")
    files: dict[str, str] = {}
    for part in rest:
        name, _, source = part.partition("\n")
        files[name] = source
    return main, files


def relative_name(name: str, policy_file: str) -> str:
    """An included file's name from the folder of the policy: how a bundle keeps it, so
    that a stored version reads the same wherever its file is shown from."""
    folder = "" if policy_file.startswith("<") else os.path.dirname(policy_file)
    return os.path.relpath(name, folder or os.curdir)


def included_name(including: str, path: str) -> str:
    """The name an included file goes by: its path from the including file's folder."""
    if including.startswith("<"):  # a text with no file: the path as written
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(os.path.dirname(including), path))


@dataclass
class Included:
    """What a policy's includes bring in."""

    statements: list[ast.Statement] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text
    diagnostics: list[Diagnostic] = field(default_factory=list)


def resolve(tree: ast.PolicyFile, read: Reader) -> Included:
    """The statements (besides `policy` lines and tests) of every file `tree` includes,
    directly or not, each file once, their spans naming their file."""
    out = Included()
    header = tree.header
    timezone = (header.timezone if header else None) or "UTC"
    _include(tree, tree.file, timezone, read, out, [tree.file])
    return out


def _include(
    tree: ast.PolicyFile, file: str, timezone: str, read: Reader, out: Included, chain: list[str]
) -> None:
    for include in tree.includes:
        name = included_name(file, include.path)
        span = include.span if file == chain[0] else dataclasses.replace(include.span, file=file)

        def error(message: str, hint: str, span: Span = span) -> None:
            out.diagnostics.append(
                Diagnostic.at(span, message, file=file, hint=hint, code="include")
            )

        if not include.path.endswith(".policy"):  # never another kind of file
            error(
                f"{include.path} is not a policy file",
                'include a file whose name ends in .policy, e.g. include "standard.policy"',
            )
            continue
        if name in chain:
            error(
                f"{include.path} includes this file again (through {' → '.join(chain)})",
                "remove one of the include lines: files cannot include each other in a circle",
            )
            continue
        if name in out.sources:  # already in, through another file
            continue
        if len(chain) > MAX_DEPTH:
            error(f"includes nest more than {MAX_DEPTH} files deep", "include files directly")
            continue
        try:
            text = read(name)
        except (OSError, UnicodeError) as problem:
            reason = (
                "not UTF-8 text" if isinstance(problem, UnicodeError)
                else problem.strerror or type(problem).__name__
            )  # fmt: skip
            error(
                f"cannot read {name}: {reason}",
                "check the file name; it is read from the folder of the file that includes it"
                if not isinstance(problem, UnicodeError)
                else "save the file as UTF-8",
            )
            continue
        if SEPARATOR in text:
            error(f"{name} holds a file separator character (U+001C)", "remove it from the file")
            continue
        out.sources[name] = text
        included, diagnostics = parse_policy(text, name)
        out.diagnostics += diagnostics
        included_header = included.header
        if included_header is not None:
            theirs = included_header.timezone or "UTC"
            if theirs != timezone:
                error(
                    f"{name} reads times in {theirs}, this policy in {timezone}",
                    "give both files the same timezone: calendar days and times of day "
                    "would mean different hours in each",
                )
                continue
        for statement in included.statements:
            if not isinstance(statement, ast.PolicyHeader | ast.TestBlock | ast.Include):
                out.statements.append(_in_file(statement, name))
        _include(included, name, timezone, read, out, [*chain, name])


def _in_file(node: Any, name: str) -> Any:
    """`node` with every span in it naming the file `name`."""
    if isinstance(node, Span):
        return dataclasses.replace(node, file=name)
    if isinstance(node, tuple):
        return tuple(_in_file(item, name) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _in_file(getattr(node, f.name), name) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)
    return node
