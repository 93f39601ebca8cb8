"""An unexpected error, told in one line a manager can read."""

from __future__ import annotations

import re


def first_line(error: BaseException | None) -> str:
    """The first line of an error's message, without the `(sqlite3.DatabaseError) ` prefix
    and the SQL a database driver adds; the error's class name if it has no message."""
    text = str(error).strip().splitlines()[0] if error is not None and str(error).strip() else ""
    return re.sub(r"^\([\w.]+\) ", "", text) or type(error).__name__
