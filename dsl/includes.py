"""`include`: a center's rulebook kept in several files, checked and run as one policy.

`include "standard.policy"` (a path relative to the including file's folder) brings the
included file's fields, actions, rubrics, sampling, escalation, threshold and discipline
blocks into the policy, so that a rule can read the scores of a scorecard kept in its
own file, and one engine holds every agent's status. The included file's `policy` line
and its tests stay with it: `callqa test standard.policy` runs them. The files must
share a timezone: calendar windows and times of day are read in it.

Each included file has three names. Its *logical* name is its path from the policy's
folder as the include lines spell it (`standard.policy`, `../shared/card.policy`): a
stored version keeps its files under it, so it reads the same wherever it is loaded
from. Its *shown* name is the one diagnostics and decisions give (`policies/
standard.policy` when the policy is shown as `policies/center.policy`). Its *identity*
(the real path on disk) tells whether two include lines name the same file.

A stored policy version keeps the included texts of the day it was published, so that
history can be replayed under the rules then in force: its text is a *bundle*, the
policy's own text followed by each included file's, each after a line holding an ASCII
file separator (U+001C, which no policy text can hold) and the file's logical name.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from callqa.dsl import ast
from callqa.dsl.diagnostics import Diagnostic
from callqa.dsl.i18n import N_, _
from callqa.dsl.parse import parse_policy
from callqa.dsl.source import Span

SEPARATOR = "\x1c"
MAX_DEPTH = 8  # files including files: deeper is a mistake, not a rulebook
MAX_BYTES = 4 << 20  # a policy file is a few pages; beyond this it is not one
MAX_INCLUDED = 4 * MAX_BYTES  # characters of all the files a policy includes
# the code of "the file name holds an invisible character": the checker, which reports
# every invisible character in a text, does not report this one a second time
INVISIBLE_IN_NAME = "include-invisible-name"


def read_policy(path: str | Path) -> str:
    """The text of a policy file, the one place policy files are read (`callqa check`,
    `fmt`, `test`, `policy add`, the TUI, `load_policy` and `include`): a regular file
    of at most MAX_BYTES, UTF-8, its line ends read as "\n". A device (`/dev/zero`), a
    pipe or a huge file would be read forever or fill the memory. Raises OSError whose
    strerror says what is wrong in plain words, or UnicodeDecodeError."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, _("this is a folder, not a policy file"), name)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, _("not a policy file (a device, a pipe or a socket)"), name)
        with open(name, "rb") as handle:  # at most one byte more than allowed, grow as it may
            data = handle.read(MAX_BYTES + 1)
    except ValueError:  # a NUL character in the name, which no file name can hold
        raise OSError(errno.EINVAL, _("the file name holds a NUL character"), name) from None
    except OSError as problem:
        if problem.errno == errno.ELOOP:
            circle = _("links that point at each other in a circle")
            raise OSError(errno.ELOOP, circle, name) from None
        raise
    if len(data) > MAX_BYTES:
        too_large = _("larger than {size} MB, too large for a policy").format(size=MAX_BYTES >> 20)
        raise OSError(errno.EFBIG, too_large, name)
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _real(path: Path) -> Path:
    """`path` with its links followed, or as it is when they cannot be (a circle of links,
    a NUL in the name): reading it then says why."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a circle, before Python 3.13
        return Path(os.path.abspath(path))


class Files(Protocol):
    """Where included files come from: a folder on disk, or a stored bundle."""

    def identity(self, logical: str) -> str:
        """What tells two logical names of the same file apart from two files."""

    def read(self, logical: str) -> str:
        """The file's text; raises OSError or UnicodeError."""


class FolderFiles:
    """Included files on disk, their logical names taken from `folder`, where the policy
    really is (it may be shown by its bare name, or be an edited copy of a file)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = _real(Path(folder))

    def identity(self, logical: str) -> str:
        return str(_real(self.folder / logical))

    def read(self, logical: str) -> str:
        real = Path(self.identity(logical))
        # the real file, not a link's name: a link called x.policy to another file is
        # not a policy
        if real.suffix != ".policy":
            raise OSError(errno.EINVAL, _("not a .policy file (a link to another file)"), str(real))
        return read_policy(real)


class StoredFiles:
    """Included files kept in a stored version (`unbundle`)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files

    def identity(self, logical: str) -> str:
        return logical

    def read(self, logical: str) -> str:
        if logical not in self.files:
            raise FileNotFoundError(2, _("not in the stored version"), logical)
        return self.files[logical]


def bundle(text: str, included: Mapping[str, str]) -> str:
    """The policy's text and its included files' texts by logical name, as one text to
    store."""
    parts = [text]
    for name, source in included.items():
        parts.append(f"\n{SEPARATOR}{name}\n{source}")
    return "".join(parts)


def unbundle(text: str) -> tuple[str, dict[str, str]]:
    """A stored text's policy text and its included files by logical name (a text
    stored without includes comes back as it is, with no files)."""
    if SEPARATOR not in text:
        return text, {}
    main, *rest = text.split(f"\n{SEPARATOR}")
    files: dict[str, str] = {}
    for part in rest:
        name, _, source = part.partition("\n")
        files[name] = source
    return main, files


def _logical(including: str, path: str) -> str:
    """The logical name of `path` included by the file of logical name `including` (the
    policy's own is "")."""
    return os.path.normpath(os.path.join(os.path.dirname(including), path))


def _shown(policy_file: str, logical: str) -> str:
    if policy_file.startswith("<") or os.path.isabs(logical):  # a text with no file
        return logical
    return os.path.normpath(os.path.join(os.path.dirname(policy_file), logical))


@dataclass
class Included:
    """What a policy's includes bring in."""

    policy_file: str  # the policy's shown name
    statements: list[ast.Statement] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # shown name -> text
    logical: dict[str, str] = field(default_factory=dict)  # shown name -> logical name
    diagnostics: list[Diagnostic] = field(default_factory=list)
    size: int = 0  # characters read so far, of at most MAX_INCLUDED


def resolve(tree: ast.PolicyFile, files: Files) -> Included:
    """The statements (besides `policy` lines and tests) of every file `tree` includes,
    directly or not, each file once, their spans naming their file."""
    out = Included(tree.file)
    header = tree.header
    timezone = (header.timezone if header else None) or "UTC"
    own = os.path.basename(tree.file) if not tree.file.startswith("<") else ""
    # the policy's own file, so that a file including it back is caught
    _include(tree, "", timezone, files, out, [files.identity(own) if own else ""], set())
    return out


def _include(
    tree: ast.PolicyFile,
    including: str,
    timezone: str,
    files: Files,
    out: Included,
    chain: list[str],
    seen: set[str],
) -> None:
    for include in tree.includes:
        logical = _logical(including, include.path)
        span = include.span

        def error(message: str, hint: str, span: Span = span, code: str = "include") -> None:
            out.diagnostics.append(
                Diagnostic.at(span, message, file=out.policy_file, hint=hint, code=code)
            )

        control = next((c for c in include.path if unicodedata.category(c) == "Cc"), None)
        if control is not None:  # a NUL, a tab, an escape: no file is meant to be named so
            error(
                _("the file name holds an invisible control character (U+{code:04X})").format(
                    code=ord(control)
                ),
                _("retype the file name between the quotes"),
                code=INVISIBLE_IN_NAME,
            )
            continue
        if not include.path.endswith(".policy"):  # never another kind of file
            error(
                _("{path} is not a policy file").format(path=include.path),
                _('include a file whose name ends in .policy, e.g. include "standard.policy"'),
            )
            continue
        identity = files.identity(logical)
        if identity in chain:
            error(
                _("{path} includes this file back, directly or not: a circle").format(
                    path=include.path
                ),
                _("remove one of the include lines: files cannot include each other in a circle"),
            )
            continue
        if identity in seen:  # already in, through another include line
            continue
        if len(chain) > MAX_DEPTH:
            error(
                _("includes nest more than {count} files deep").format(count=MAX_DEPTH),
                _("include files directly"),
            )
            continue
        name = _shown(out.policy_file, logical)
        try:
            text = files.read(logical)
        except (OSError, UnicodeError) as problem:
            if isinstance(problem, UnicodeError):
                error(
                    _("cannot read {file}: not UTF-8 text").format(file=name),
                    _("save the file as UTF-8"),
                )
            else:
                error(
                    _("cannot read {file}: {reason}").format(
                        file=name, reason=problem.strerror or type(problem).__name__
                    ),
                    _(_READ_HINTS.get(problem.errno or 0, _READ_HINTS[errno.ENOENT])),
                )
            continue
        if SEPARATOR in text:
            error(
                _("{file} holds a file separator character (U+001C)").format(file=name),
                _("remove it from the file"),
            )
            continue
        if out.size + len(text) > MAX_INCLUDED:  # many files of up to 4 MB each
            error(
                _(
                    "with {file}, the included files are larger than {size} MB in all, too "
                    "large for one policy"
                ).format(file=name, size=MAX_INCLUDED >> 20),
                _("include fewer files, or smaller ones"),
            )
            continue
        out.size += len(text)
        seen.add(identity)
        out.sources[name] = text
        out.logical[name] = logical
        included, diagnostics = parse_policy(text, name)
        out.diagnostics += diagnostics
        included_header = included.header
        if included_header is not None:
            theirs = included_header.timezone or "UTC"
            if theirs != timezone:
                error(
                    _("{file} reads times in {theirs}, this policy in {ours}").format(
                        file=name, theirs=theirs, ours=timezone
                    ),
                    _(
                        "give both files the same timezone: calendar days and times of day "
                        "would mean different hours in each"
                    ),
                )
                continue
        for statement in included.statements:
            if not isinstance(statement, ast.PolicyHeader | ast.TestBlock | ast.Include):
                out.statements.append(_in_file(statement, name))
        nested = ast.PolicyFile(
            tuple(_in_file(s, name) for s in included.includes), file=included.file
        )
        _include(nested, logical, timezone, files, out, [*chain, identity], seen)


# a fix to try when an included file cannot be read, by errno (translated where said)
_READ_HINTS = {
    errno.ENOENT: N_(
        "check the file name; it is read from the folder of the file that includes it"
    ),
    errno.ELOOP: N_("include the file itself, not a link in a circle of links"),
    errno.EINVAL: N_("include a policy's text file"),
    errno.EISDIR: N_("include a policy's text file"),
    errno.EFBIG: N_("split it into smaller files, each included"),
    errno.EACCES: N_("give the file read permission"),
}


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
