"""Saving files so that a crash or a full disk never leaves half a policy behind."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from importlib.resources import files
from pathlib import Path

from callqa.dsl.i18n import _
from callqa.dsl.parse import parse_policy

# the shipped policies: examples to copy, never written (an upgrade would overwrite them)
SHIPPED = Path(str(files("callqa.policies"))).resolve()


# callqa's own developers, who maintain the shipped examples, set CALLQA_EDIT_SHIPPED=1 to
# edit and format them; for everyone else they are read-only, however callqa was installed
# (a `git clone` and `pip install -e .` at a center is a user's install too)
EDIT_SHIPPED = "CALLQA_EDIT_SHIPPED"
TEMPORARY_SUFFIX = ".saving"  # not `.policy`: a temporary left by a crash is never listed
STALE = 600  # seconds: a temporary this old is no save in progress but a killed one's


def is_shipped(path: Path) -> bool:
    """Whether `path` is in the installed package's policies: never written there."""
    editable = os.environ.get(EDIT_SHIPPED) == "1"
    return not editable and path.resolve().is_relative_to(SHIPPED)


def main_policy(folder: Path) -> Path | None:
    """The file to open first in `folder`: one that no other file there includes (the
    rulebook, not the scorecard or the calendar it pulls in), the first by name of those."""
    found = sorted(folder.glob("*.policy"))
    included: set[Path] = set()
    for path in found:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            tree, _problems = parse_policy(path.read_text(encoding="utf-8"), str(path))
            included.update((path.parent / include.path).resolve() for include in tree.includes)
    return next((p for p in found if p.resolve() not in included), found[0] if found else None)


class NotRegularFile(OSError):
    """A device, a pipe, a folder (or /dev/stdin): saving would replace it with a file."""

    def __init__(self, path: Path) -> None:
        message = _("not written: {path} is not a regular file; give the policy file's own path")
        super().__init__(errno.EINVAL, message.format(path=path))
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


def save_target(path: Path) -> Path:
    """The file a save of `path` writes: a link's target (replacing the link would part it
    from the file it shares), which must be a regular file or not exist yet."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links: writing it fails and says so
        return path
    if target.exists() and not target.is_file():
        raise NotRegularFile(path)
    return target


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file next to `path`, flush it to the disk, rename it over and
    flush the folder: after a crash or a power cut the file is the old one or the new one,
    never half of one. A failed save removes its temporary file and raises the OSError;
    one killed outright (kill -9, a power cut) cannot, so the next save of the file does.
    A symbolic link is written through to its target (save_target)."""
    path = save_target(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    _remove_stale(path)


def _remove_stale(path: Path) -> None:
    """Remove what killed saves of `path` left; a recent one may be another program's
    save under way, and stays."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if time.time() - leftover.stat().st_mtime > STALE:
                leftover.unlink()


def _mode_for(path: Path) -> int:
    """The file's own permissions, or for a new file those the user's umask gives (a
    temporary file is made readable by its owner only)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Flush the rename itself to the disk (where the system can open a folder for it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # Windows cannot open a folder; its rename is flushed with the file
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
