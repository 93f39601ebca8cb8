"""Reading the files managers hand over: a missing file, a folder, a device or bytes that
are not text get one clear error (InputFileError), and a data file saved by Excel on
Chinese Windows, which writes GBK rather than UTF-8, is read as it is.

Data files (CSV, JSONL, plans, mappings) are UTF-8, with or without a byte-order mark,
or else GB18030 (GBK's superset), or UTF-16 with its byte-order mark. A file that is
neither clean UTF-8 nor clean GBK is refused with the line and column that break it: read
as GBK, a UTF-8 file with one stray byte would have every Chinese value garbled. Policies
must be UTF-8: `callqa fmt` writes them back.

Every file is read once from where it comes from: a pipe or standard input (`cat calls.csv |
callqa import /dev/stdin`) is copied aside as it is read, so the encoding check and the
rows read the same bytes. What is read is bounded: a line of more than MAX_LINE bytes is
not a row of a call log (`/dev/zero` has none), and devices are refused outright.

Rows: `read_records` gives each CSV or JSON Lines row as a `Row` or, when it cannot be
read, a `RowError` with its row number; the rows after a bad one are still read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import json
import os
import re
import stat
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

import orjson

from callqa.dsl.i18n import N_, _
from callqa.engine.errors import InputFileError

CHUNK = 1 << 20
MAX_LINE = 4 << 20  # bytes in one line: a row of a call log is a few hundred
MAX_TEXT = 64 << 20  # bytes of a file read whole (a mapping, a sample plan)
MAX_POLICY = 4 << 20  # bytes of a policy: a few pages; beyond this it is not one
MAX_CELL = csv.field_size_limit()  # characters in one CSV cell (131,072)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the line number in the file (the CSV header is row 1)
    evaluation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RowError:
    number: int
    message: str

    def __str__(self) -> str:
        return _("row {number}: {message}").format(number=self.number, message=self.message)


# ------------------------------------------------------------------ bytes, bounded


def _source(path: Path, limit: int | None = None) -> IO[bytes]:
    """The file's bytes, from the start, seekable: a regular file as it is, a pipe or
    standard input copied aside as it is read (once). Devices and folders are refused; a
    line longer than MAX_LINE, or more than `limit` bytes in all, stops the reading."""
    try:
        mode = os.stat(path).st_mode if str(path) != "-" else os.fstat(0).st_mode
    except OSError as error:
        raise unreadable(path, error) from None
    except ValueError:  # a NUL character in the name: no file is named so
        raise InputFileError(
            _("{path!r}: no file name holds a NUL character").format(path=str(path))
        ) from None
    if stat.S_ISDIR(mode):
        raise unreadable(path, IsADirectoryError(21, "is a folder"))
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise InputFileError(
            _(
                "{path}: not a file but a device (a terminal, a disk, /dev/zero...): give a file, "
                "or pipe one in through /dev/stdin"
            ).format(path=path)
        )
    if stat.S_ISREG(mode) and limit is not None and os.stat(path).st_size > limit:
        raise _too_large(path, limit)
    try:
        handle: IO[bytes] = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as error:
        raise unreadable(path, error) from None
    if stat.S_ISREG(mode) and limit is None:
        return handle
    copy = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 (returned)
    with contextlib.nullcontext(handle) if str(path) == "-" else handle:
        for chunk in _bounded_chunks(handle, path, limit):
            copy.write(chunk)
    copy.seek(0)
    return copy


def _bounded_chunks(handle: IO[bytes], path: Path, limit: int | None) -> Iterator[bytes]:
    """The file's bytes in chunks, refused past `limit` bytes in all, or at a line longer
    than MAX_LINE bytes (an endless stream such as /dev/zero has no line ends)."""
    total, line, run = 0, 1, 0  # bytes read, line number, bytes since the last line end
    try:
        while chunk := handle.read(CHUNK):
            total += len(chunk)
            if limit is not None and total > limit:
                raise _too_large(path, limit)
            end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))  # \r: old Mac line ends
            if end < 0:
                run += len(chunk)
            else:
                line += chunk.count(b"\n")
                run = len(chunk) - end - 1
            if run > MAX_LINE:
                raise _too_long(path, line)
            yield chunk
    except OSError as error:
        raise unreadable(path, error) from None


def _too_large(path: Path, limit: int) -> InputFileError:
    return InputFileError(
        _(
            "{path}: larger than {size} MB, too large for this kind of file: check that it "
            "is the right file"
        ).format(path=path, size=limit >> 20)
    )


def _too_long(path: Path, line: int) -> InputFileError:
    return InputFileError(
        _(
            "{path}: line {line} is longer than {size} MB, which no row of a call log is: check "
            "that it is a CSV or JSON Lines file"
        ).format(path=path, line=line, size=MAX_LINE >> 20)
    )


def read_bytes(path: str | Path, limit: int = MAX_POLICY) -> bytes:
    """A whole file's bytes, at most `limit` of them: a device is refused, a pipe read once.
    The bounded reader for policies (dsl/) and any file read whole."""
    with _source(Path(path), limit) as handle:
        return handle.read()


# ------------------------------------------------------------------ encodings


def open_data(path: str | Path) -> TextIO:
    """A data file opened as text in the encoding it is in (see the module's docstring),
    for csv (newline=""). Read once: a pipe works."""
    return _open_text(Path(path), None)


def _open_text(path: Path, limit: int | None) -> TextIO:
    source = _source(path, limit)
    try:
        encoding = _encoding(source, path)
    except BaseException:
        source.close()
        raise
    source.seek(0)
    return io.TextIOWrapper(source, encoding=encoding, newline="")


def read_data(path: str | Path, limit: int = MAX_TEXT) -> str:
    """A whole data file (a mapping, a plan) as text, at most `limit` bytes."""
    with _open_text(Path(path), limit) as handle:
        return handle.read()


def read_utf8(path: str | Path, limit: int = MAX_POLICY) -> str:
    """A policy's text: UTF-8 only, at most `limit` bytes, never a device."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        line, column, text = _place(io.BytesIO(data), data.count(b"\n", 0, start) + 1, start,
                                    error.start)  # fmt: skip
        raise InputFileError(
            _(
                "{path}: not UTF-8 text: line {line}, column {column} is not UTF-8 (the line "
                "reads {text}): save the file as UTF-8"
            ).format(path=path, line=line, column=column, text=text)
        ) from None


def data_encoding(path: str | Path) -> str:
    """The encoding `open_data` reads `path` in."""
    path = Path(path)
    with _source(path) as source:
        return _encoding(source, path)


def _encoding(source: IO[bytes], path: Path) -> str:
    """'utf-16' after its byte-order mark (Excel's "Unicode text"); else 'utf-8-sig' for
    UTF-8 text, else 'gb18030' for clean GBK; each checked in one streamed pass. Lines
    longer than MAX_LINE are refused in the first pass."""
    start = source.read(2)
    source.seek(0)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        for _chunk in _bounded_chunks(source, path, None):
            pass
        return "utf-16"
    bad = _first_bad_utf8(source, path)
    if bad is None:
        return "utf-8-sig"  # reads UTF-8 with or without the byte-order mark Excel writes
    source.seek(0)
    problem = _gbk_problem(source)
    if problem is None:
        return "gb18030"
    line, column, text = bad
    raise InputFileError(_(_NOT_TEXT[problem]).format(path=path, line=line, column=column,
                                                      text=text))  # fmt: skip


# why a file is neither UTF-8 nor GBK (`_gbk_problem`), with what to do
_NOT_TEXT = {
    "not-gbk": N_(
        "{path}: not UTF-8 or GBK text: line {line}, column {column} is not UTF-8 (the line "
        "reads {text}), and the file is not GBK either; save it as UTF-8 (in Excel: Save As, "
        "then 'CSV UTF-8')"
    ),
    "mixed": N_(
        "{path}: not UTF-8 or GBK text: line {line}, column {column} is not UTF-8 (the line "
        "reads {text}), and the rest of it is UTF-8: it mixes encodings; save it as UTF-8 (in "
        "Excel: Save As, then 'CSV UTF-8')"
    ),
}


def _first_bad_utf8(source: IO[bytes], path: Path) -> tuple[int, int, str] | None:
    """Where the first byte that is not UTF-8 is: (line, column, the line's text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines, line_start = 0, 1, 0
    for chunk in _bounded_chunks(source, path, None):
        held = len(decoder.getstate()[0])  # an unfinished character from the last chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            at = offset - held + error.start
            before = max(0, at - offset)
            lines += chunk.count(b"\n", 0, before)
            if (end := chunk.rfind(b"\n", 0, before)) >= 0:
                line_start = offset + end + 1
            return _place(source, lines, line_start, at)
        offset += len(chunk)
        lines += chunk.count(b"\n")
        if (end := chunk.rfind(b"\n")) >= 0:
            line_start = offset - len(chunk) + end + 1
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return _place(source, lines, line_start, offset - len(decoder.getstate()[0]))
    return None


def _place(source: IO[bytes], line: int, line_start: int, at: int) -> tuple[int, int, str]:
    """(line, column, the line as read) for the byte at offset `at`, its line starting at
    `line_start`: the column counts characters, as an editor does."""
    source.seek(line_start)
    head = source.read(at - line_start)
    rest = source.read(4 * MAX_LINE_SHOWN + 4)  # enough bytes for the characters shown
    rest = rest[: rest.find(b"\n")] if b"\n" in rest else rest
    return (line, len(head.decode("utf-8")) + 1, line_shown(head + rest, len(head)))


MAX_LINE_SHOWN = 80  # characters of a line shown in a message


def line_shown(line: bytes, at: int) -> str:
    """A line's text from its start, with bytes that are not UTF-8 written as \\xe9,
    shortened at the end; when the byte at `at` lies far in, the middle is cut so that
    the line's start and that byte both show."""
    text = line.decode("utf-8", "backslashreplace").rstrip("\r")
    if len(text) <= MAX_LINE_SHOWN:
        return text
    column = len(line[:at].decode("utf-8", "backslashreplace"))
    if column < MAX_LINE_SHOWN - 20:
        return text[: MAX_LINE_SHOWN - 3] + "..."
    return text[:30] + "..." + text[column - 20 : column + 20] + "..."


def _is_chinese_text(ch: str) -> bool:
    """A common Han character (one GB2312 has), CJK punctuation or a full-width form: what
    a UTF-8 file's Chinese is made of. GBK bytes read as UTF-8 that happen to line up form
    other characters too, which say nothing of UTF-8: a private-use one (李喆 gives U+E1B4)
    or a rare Han one (王瑾军 then 郑... gives 誾)."""
    if "\u3400" <= ch <= "\u9fff":
        return _common_han(ch)
    return "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


@functools.cache
def _common_han(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _gbk_problem(source: IO[bytes]) -> str | None:
    """Why the bytes are not clean GBK (a key of _NOT_TEXT), or None when they are. GBK's
    two-byte characters seldom line up into what UTF-8 reads as Chinese text
    (`_is_chinese_text`), while a UTF-8 file with a stray byte is made of it: the bytes of
    such text at twice or more the bytes that are not UTF-8 mean a UTF-8 file with stray
    bytes (mixed); a rare Han character (王喆's 喆) counts for less than a common one, and a
    run of stray bytes for at most one character's three. Counting
    every three-byte sequence instead refused GBK files of names such as 李喆 (its bytes
    line up into a private-use character)."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    wide = stray = runs = 0  # bytes of Chinese text read as UTF-8; bytes not UTF-8, runs
    in_run = False
    try:
        while chunk := source.read(CHUNK):
            decoder.decode(chunk)
            for ch in utf8.decode(chunk):
                if "\udc80" <= ch <= "\udcff":
                    stray += 1
                    runs += not in_run
                    in_run = True
                    continue
                in_run = False
                if _is_chinese_text(ch):
                    wide += 3
                elif "\u3400" <= ch <= "\u9fff":
                    wide += 2  # a rare Han character: weaker evidence (see above)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "not-gbk"
    stray += len(utf8.getstate()[0])  # an unfinished UTF-8 character at the end
    # one stray byte may break the character it lands in and the next: count at most a
    # character's bytes for each run of stray bytes
    if wide >= 2 * min(stray, 3 * max(runs, 1)):
        return "mixed"
    return None


def unreadable(path: Path, error: OSError) -> InputFileError:
    """The error to show for a file the system would not open or read."""
    if isinstance(error, FileNotFoundError):
        message = _("{path}: file not found: check the path")
    elif isinstance(error, IsADirectoryError):
        message = _("{path}: this is a folder, not a file: give a file in it")
    elif isinstance(error, PermissionError):
        message = _("{path}: no permission to read it")
    else:
        message = _("{path}: cannot read it ({reason})")
    return InputFileError(message.format(path=path, reason=error.strerror or error))


# ------------------------------------------------------------------ rows


def read_records(
    path: str | Path, csv_row: Callable[[Row], Row] | None = None
) -> Iterator[Row | RowError]:
    """Rows of a `.csv` or `.jsonl` file as flat dicts (for events: one column a field),
    streamed. Standard input without a name to tell: JSON Lines when it starts with {.
    `csv_row` reshapes each CSV row (not a JSON one: a pipe's kind is known only here)."""
    path = Path(path)
    with open_data(path) as handle:
        lines = _lines(handle, path)
        first = next(lines, None)
        if first is None:
            return
        lines = _chain([first], lines)
        jsonl = path.suffix.lower() in JSONL_SUFFIXES or (
            not path.suffix and first.lstrip("\ufeff \t").startswith("{")
        )
        if jsonl:
            yield from read_jsonl(lines)
            return
        for row in csv_records(lines):
            yield row if csv_row is None or isinstance(row, RowError) else csv_row(row)


def _lines(handle: TextIO, path: Path) -> Iterator[str]:
    """The lines of a text, each at most MAX_LINE characters (UTF-16 is not bounded by the
    byte check)."""
    number = 0
    while line := handle.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE:
            raise _too_long(path, number)
        yield line


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


_LONG_NUMBER = re.compile(r"\d{20}")
_EXACT = (str, int, bool, type(None))  # values orjson reads as json does, whatever the line


def json_value(line: str) -> Any:
    """json.loads(line), by orjson when it reads the line to the same values (a tenth of
    the time): not for a number of 20 digits or more, which it would read as a float, nor
    for what it refuses (NaN, 1e400, a lone surrogate, ...), which json reads or explains.
    An object of text, whole numbers (an int that big would be a float), true, false and
    null is taken as it is: only a line with a float, a list or an object inside is
    searched for such a number."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if value.__class__ is dict:
        for item in value.values():
            if item.__class__ not in _EXACT:
                break
        else:
            return value
    return value if _LONG_NUMBER.search(line) is None else json.loads(line)


def read_jsonl(text: str | Iterable[str]) -> Iterator[Row | RowError]:
    """One JSON object per line; a line that is not one is a RowError, the rest are read."""
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json_value(line)
        except json.JSONDecodeError as error:
            yield RowError(number, _("not valid JSON ({reason} at column {column})").format(
                reason=error.msg, column=error.colno
            ))  # fmt: skip
            continue
        except RecursionError:
            yield RowError(number, _("nested too deeply to be an event or an evaluation"))
            continue
        except ValueError:  # a number of over 4,300 digits
            yield RowError(number, _("holds a number with thousands of digits, which no count "
                                     "or time has: correct it"))  # fmt: skip
            continue
        if not isinstance(value, dict):
            yield RowError(number, _("each line must be one JSON object {...}"))
            continue
        yield Row(number, value)


class _Lines:
    """Lines with their numbers for csv.reader; the lines of the row being read are kept,
    so that lines a runaway quote swallowed can be given back and read again."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = iter(lines)
        self.again: deque[tuple[int, str]] = deque()
        self.read = 0  # lines taken from the file
        self.given_back = 0  # how many lines were given back, in all
        self.taken: list[tuple[int, str]] = []  # the lines of the row being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.again:
            number, line = self.again.popleft()
        else:
            line = next(self.lines)
            self.read += 1
            number = self.read
        self.taken.append((number, line))
        return line

    def give_back(self) -> int:
        """Give back the lines after the row's first to be read again; how many (0 once
        the lines read again would outnumber the file's several times over: many unclosed
        quotes would otherwise read a file over and over)."""
        lines = self.taken[1:]
        if self.given_back + len(lines) > 4 * self.read + 10_000:
            return 0
        self.given_back += len(lines)
        self.again.extendleft(reversed(lines))
        return len(lines)


def csv_records(lines: Iterable[str]) -> Iterator[Row | RowError]:
    """CSV rows as dicts by the header's names, each numbered by the line it starts on. A
    quote that is not closed swallows the lines after it into one cell: when those lines
    look like rows, or the cell grows past MAX_CELL, the row is reported and its lines are
    read again as rows, so none is lost silently."""
    source = _Lines(lines)
    first = next(source, "")
    source.again.appendleft(source.taken.pop())
    # Excel's "Unicode text" is separated by tabs: read it so; say so for semicolons
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(source, delimiter=delimiter)
    header: list[str] | None = None
    while True:
        source.taken = []
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a cell over 131,072 characters
            number = source.taken[0][0] if source.taken else source.read
            yield RowError(number, _csv_problem(error, source.give_back()))
            continue
        number = source.taken[0][0]
        if header is None:
            header = [cell.strip() for cell in row]
            problem = _header_problem(header)
            if problem:
                yield RowError(number, problem)
                return
            continue
        if not any(cell.strip() for cell in row):
            continue
        spanned = len(source.taken) - 1  # lines a quoted cell ran over
        if spanned and (
            len(row) != len(header) or _swallowed_rows(source.taken[1:], len(header), delimiter)
        ):
            count = source.give_back()
            last = source.taken[-1][0]
            yield RowError(number, _(_RUNAWAY_QUOTE).format(count=count) if count else
                           _(_LOST).format(first=number + 1, last=last))  # fmt: skip
            continue
        if len(row) != len(header):
            unclosed = any("\n" in cell or "\r" in cell for cell in row)  # a quote ran to the end
            message = (
                _('has {cells} cells but the header has {columns} columns; a quote (") in it is '
                  "not closed: close it")
                if unclosed
                else _("has {cells} cells but the header has {columns} columns")
            )  # fmt: skip
            yield RowError(number, message.format(cells=len(row), columns=len(header)))
            continue
        record = {
            name: cell.strip() for name, cell in zip(header, row, strict=True) if cell.strip()
        }
        yield Row(number, record)


_RUNAWAY_QUOTE = N_(
    'a quote (") in this row is not closed, so its cell ran over the next {count} line(s): '
    "the row is left out and those lines are read as rows; close the quote, or write a "
    'quote inside a cell as ""'
)
_LOST = N_(
    'a quote (") in this row is not closed, so its cell ran over lines {first} to {last}, '
    "which are left out (the file has too many unclosed quotes to read them again); close "
    'the quote, or write a quote inside a cell as ""'
)


def _csv_problem(error: csv.Error, given_back: int) -> str:
    if "field larger than field limit" in str(error):
        if given_back:
            return _('a cell is longer than {limit:,} characters: a quote (") in it is probably '
                     "not closed; the row is left out and the {lines} line(s) it ran over are "
                     'read as rows; close the quote, or write a quote inside a cell as ""'
                     ).format(limit=MAX_CELL, lines=given_back)  # fmt: skip
        return _(
            "a cell is longer than {limit:,} characters, which no call log has: the row is "
            "left out; shorten the cell"
        ).format(limit=MAX_CELL)
    return _("cannot be read as CSV ({error}): the row is left out").format(error=error)


def _swallowed_rows(lines: list[tuple[int, str]], columns: int, delimiter: str) -> bool:
    """Whether lines inside one cell look like rows of their own: as many cells as the
    header has columns, read as CSV or with quotes taken as letters (a row with an unclosed
    quote of its own); a note written over two lines does not."""
    if columns < 2:
        return False
    for _number, line in lines:
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            try:
                cells = next(csv.reader([line], delimiter=delimiter, quoting=quoting), [])
            except csv.Error:
                continue
            if len(cells) == columns:
                return True
    return False


def _header_problem(header: list[str]) -> str | None:
    """Why the first row cannot name the columns: the file's rows would be misread."""
    if len(header) == 1 and ";" in header[0]:
        return _(
            "the header is one column, {header!r}: the file is separated by ';'; save it "
            "as CSV (comma-separated)"
        ).format(header=header[0][:60])
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            return _("the header names the column {name!r} twice: rename or remove one").format(
                name=name
            )
        seen.add(name)
    return None
