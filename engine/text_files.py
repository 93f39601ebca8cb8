"""Reading the files managers hand over: a missing file, a folder or bytes that are not
text get one clear error (InputFileError), and a data file saved by Excel on Chinese
Windows, which writes GBK rather than UTF-8, is read as it is.

Data files (CSV, JSONL, plans, mappings) are UTF-8, with or without a byte-order mark,
or else GB18030 (GBK's superset), or UTF-16 with its byte-order mark. Policies must be
UTF-8: `callqa fmt` writes them back.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import TextIO

from engine.errors import InputFileError

SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, then 'CSV UTF-8')"
CHUNK = 1 << 20


def open_data(path: str | Path) -> TextIO:
    """A data file opened as text in the encoding it is in (see the module's docstring),
    for csv (newline="")."""
    path = Path(path)
    encoding = data_encoding(path)
    try:
        return path.open(encoding=encoding, newline="")
    except OSError as error:
        raise unreadable(path, error) from None


def read_data(path: str | Path) -> str:
    with open_data(path) as handle:
        return handle.read()


def read_utf8(path: str | Path) -> str:
    """A policy's text: UTF-8 only."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise unreadable(path, error) from None
    except UnicodeDecodeError as error:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte {error.start}): save the file as UTF-8"
        ) from None


def data_encoding(path: Path) -> str:
    """'utf-16' after its byte-order mark (Excel's "Unicode text"); else 'utf-8-sig' for
    UTF-8 text, else 'gb18030'; each checked in one streamed pass."""
    try:
        with path.open("rb") as handle:
            start = handle.read(2)
    except OSError as error:
        raise unreadable(path, error) from None
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    first_bad = _first_bad_byte(path, "utf-8")
    if first_bad is None:
        return "utf-8-sig"  # reads UTF-8 with or without the byte-order mark Excel writes
    if _first_bad_byte(path, "gb18030") is None:
        return "gb18030"
    raise InputFileError(f"{path}: not UTF-8 or GBK text (byte {first_bad}): {SAVE_AS_UTF8}")


def _first_bad_byte(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    return offset + error.start
                offset += len(chunk)
    except OSError as error:
        raise unreadable(path, error) from None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def unreadable(path: Path, error: OSError) -> InputFileError:
    """The error to show for a file the system would not open or read."""
    if isinstance(error, FileNotFoundError):
        reason = "file not found: check the path"
    elif isinstance(error, IsADirectoryError):
        reason = "this is a folder, not a file: give a file in it"
    elif isinstance(error, PermissionError):
        reason = "no permission to read it"
    else:
        reason = f"cannot read it ({error.strerror or error})"
    return InputFileError(f"{path}: {reason}")
