"""Files as managers hand them over: UTF-8 with or without a byte-order mark, GBK from
Excel on Chinese Windows, and clear errors for the rest."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from callqa.engine import InputFileError, load_policy
from callqa.engine.scoring.evaluations import Row, read_records
from callqa.engine.store.importer import ImportReport, MappingError, load_mapping, rows_to_events
from callqa.engine.store.text_files import csv_records, read_data, read_utf8
from callqa.tui.cli import main

# text a call center writes: ASCII, Chinese (GBK has it), full-width punctuation, newlines
ROOT = Path(__file__).resolve().parent.parent
TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ019 ,.:-\n\"'张三李四质检投诉表扬班长主管，。：（）"),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(TEXT, st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
def test_text_reads_back_in_any_encoding_a_center_saves(text: str, encoding: str) -> None:
    """Except GBK bytes that happen to be valid UTF-8 too (投 is CD B6, which UTF-8 reads
    as Ͷ): UTF-8 wins, as in browsers and editors. Only a few characters can do it; a
    file with a column of Chinese names cannot."""
    import tempfile

    data = text.encode(encoding)
    if encoding in ("gbk", "gb18030") and not text.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            assume(data.decode("utf-8") == text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        assert read_data(path) == text


def test_a_gbk_csv_gives_the_same_rows_as_its_utf8_twin(tmp_path: Path) -> None:
    text = "id,agent,at,duration\nk1,张三,2026-11-02 10:05,70\nk2,李四,2026-11-02 11:05,80\n"
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "utf8.csv").write_bytes(text.encode("utf-8-sig"))
    assert list(read_records(tmp_path / "gbk.csv")) == list(read_records(tmp_path / "utf8.csv"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin.csv", b"id,agent\nk1,A\xe9\n",
         "latin.csv: not UTF-8 or GBK text: line 2, column 5 is not UTF-8 (the line reads k1,A\\xe9), and the file is not GBK either; save it as UTF-8"),
        ("missing.csv", None, "missing.csv: file not found: check the path"),
        ("folder", "dir", "folder: this is a folder, not a file: give a file in it"),
    ],
)  # fmt: skip
def test_an_unreadable_data_file_says_which_and_what_to_do(
    tmp_path: Path, name: str, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=re.escape(message)):
        list(read_records(path))


def test_a_policy_must_be_utf8_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "gbk.policy"
    path.write_bytes('policy "质检" version "1" timezone "Asia/Shanghai"\n'.encode("gbk"))
    with pytest.raises(
        InputFileError,
        match=r"gbk.policy: not UTF-8 text: line 1, column 9 is not UTF-8 \(the line reads policy \"\\xd6",
    ):
        load_policy(path)
    with pytest.raises(OSError):  # still an OSError for code written against the old error
        load_policy(tmp_path / "missing.policy")


def test_the_cli_reads_gbk_and_reports_missing_files_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parent.parent
    calls = tmp_path / "calls.csv"
    rows = [
        "id,agent,at,duration",
        *(f"k{h},张三,2026-11-02 {h:02d}:05,{60 + h}" for h in range(9, 17)),
    ]
    calls.write_bytes("\n".join(rows).encode("gbk"))
    args = [
        "sample",
        "--policy",
        str(root / "policies" / "center.policy"),
        "--period",
        "2026-11-02",
    ]
    assert main([*args, "--calls", str(calls)]) == 0
    assert "张三" in capsys.readouterr().out
    assert main([*args, "--calls", str(tmp_path / "nope.csv")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"{tmp_path / 'nope.csv'}: file not found: check the path"
    )
    assert main(["explain", "--policy", str(tmp_path), "--events", str(calls)]) == 1
    assert "this is a folder, not a file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "expected", "kept"),
    [
        ("big.csv", "id,note\n1," + "x" * 140_000 + "\n2,ok\n",
         "row 2: a cell is longer than 131,072 characters, which no call log has: the row is "
         "left out; shorten the cell", [3]),
        ("semi.csv", "id;agent;note\n1;A;x\n",
         "row 1: the header is one column, 'id;agent;note': the file is separated by ';'", []),
        ("dup.csv", "id,greeting,greeting\n1,pass,fail\n",
         "row 1: the header names the column 'greeting' twice: rename or remove one", []),
        ("quote.csv", 'id,agent,note,n\n1,A,"open,1\n2,B,x,2\n',
         'row 2: a quote (") in this row is not closed, so its cell ran over the next 1 '
         "line(s): the row is left out and those lines are read as rows",
         [3]),
        ("deep.jsonl", '{"a":' * 100_000 + "1" + "}" * 100_000 + '\n{"id": 2}\n',
         "row 1: nested too deeply to be an event or an evaluation", [2]),
        ("digits.jsonl", '{"n": 1' + "0" * 5000 + '}\n{"id": 2}\n',
         "row 1: holds a number with thousands of digits", [2]),
    ],
    ids=["a cell of 140,000 characters", "semicolons", "a column twice", "an open quote",
         "JSON nested 100,000 deep", "a JSON number of 5,000 digits"],
)  # fmt: skip
def test_a_malformed_row_is_one_row_error_and_the_rows_after_it_are_read(
    tmp_path: Path, name: str, content: str, expected: str, kept: list[int]
) -> None:
    """A cell over 131,072 characters or a 5,000-digit number stopped the reading: the
    good rows after it were lost."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    rows = list(read_records(path))
    assert str(rows[0]).startswith(expected), str(rows[0])[:300]
    assert [row.number for row in rows if isinstance(row, Row)] == kept


def test_tab_separated_and_utf16_files_read_as_their_comma_separated_twin(tmp_path: Path) -> None:
    """Excel's 'Unicode text' is UTF-16 with a byte-order mark, separated by tabs."""
    comma = "id,agent,at,duration\nk1,张三,2026-11-02 10:05,70\n"
    (tmp_path / "c.csv").write_text(comma, encoding="utf-8")
    (tmp_path / "t.txt").write_text(comma.replace(",", "\t"), encoding="utf-16")
    assert list(read_records(tmp_path / "t.txt")) == list(read_records(tmp_path / "c.csv"))


def test_a_utf8_file_with_one_latin1_byte_is_refused_not_read_as_gbk(tmp_path: Path) -> None:
    """The bytes are valid GB18030 too: read so, 张三 was stored as 寮犱笁, '0 rejected'."""
    rows = [
        "id,agent,at,duration",
        "k1,张三,2026-11-02 10:05,70",
        "k2,Jos\xe9e,2026-11-02 10:06,80",
    ]
    rows += [f"k{n},李四王五,2026-11-02 11:{n:02d},60" for n in range(3, 40)]
    data = "\n".join(rows).encode("utf-8").replace("Jos\xe9e".encode(), b"Jos\xe9e")
    data.decode("gb18030")  # the trap: every byte reads as GBK
    path = tmp_path / "calls.csv"
    path.write_bytes(data)
    expected = (
        f"{path}: not UTF-8 or GBK text: line 3, column 7 is not UTF-8 (the line reads "
        "k2,Jos\\xe9e,2026-11-02 10:06,80), and the rest of it is UTF-8: it mixes encodings; "
        "save it as UTF-8 (in Excel: Save As, then 'CSV UTF-8')"
    )
    with pytest.raises(InputFileError) as error:
        list(read_records(path))
    assert str(error.value) == expected


def test_a_gbk_file_with_rare_name_characters_is_still_read(tmp_path: Path) -> None:
    """Names may use characters outside GB2312 (喆, 堃): a few of them are GBK all the same."""
    rows = ["id,agent,at,duration"] + [
        f"k{n},{name},2026-11-02 10:{n:02d},70"
        for n, name in enumerate(["张喆", "李堃", "王小明", "赵丽华", "钱学森", "孙悟空"] * 3)
    ]
    text = "\n".join(rows) + "\n"
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "utf8.csv").write_text(text, encoding="utf-8")
    assert list(read_records(tmp_path / "gbk.csv")) == list(read_records(tmp_path / "utf8.csv"))


def test_an_unclosed_quote_in_the_last_column_loses_no_row(tmp_path: Path) -> None:
    """It swallowed the rest of the file into one cell: 150 of 200 rows vanished, '0 rejected'."""
    rows = ["id,agent,at,note"] + [f"k{n},A{n},2026-11-02 10:00,ok" for n in range(200)]
    rows[51] = 'k50,A50,2026-11-02 10:00,"unclosed note'
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    read = list(read_records(path))
    errors = [str(row) for row in read if not isinstance(row, Row)]
    assert [row.evaluation["id"] for row in read if isinstance(row, Row)] == [
        f"k{n}" for n in range(200) if n != 50
    ]
    assert len(errors) == 1 and errors[0].startswith(
        'row 52: a quote (") in this row is not closed, so its cell ran over the next 149 line(s)'
    )


def test_a_note_written_over_several_lines_is_one_cell() -> None:
    text = 'id,agent,note\nk1,A,"line one\nline two, and more"\nk2,B,x\n'
    rows = list(csv_records(io.StringIO(text, newline="")))
    assert rows == [
        Row(2, {"id": "k1", "agent": "A", "note": "line one\nline two, and more"}),
        Row(4, {"id": "k2", "agent": "B", "note": "x"}),
    ]


def _fifo(tmp_path: Path, data: bytes | None, name: str = "pipe") -> Path:
    """A named pipe fed `data` (None: zeros without end) by a thread, like `cat f |`."""
    fifo = tmp_path / name
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), fifo.open("wb") as out:
            if data is not None:
                out.write(data)
                return
            while True:
                out.write(bytes(1 << 16))

    threading.Thread(target=feed, daemon=True).start()
    return fifo


def test_a_pipe_is_read_once_with_its_rows(tmp_path: Path) -> None:
    """`cat calls.csv | callqa import /dev/stdin` read 0 rows: the encoding check read the
    stream to its end, then reopened it."""
    text = "id,agent\nk1,张三\nk2,李四\n"
    rows = list(read_records(_fifo(tmp_path, text.encode("gbk"))))
    assert rows == [Row(2, {"id": "k1", "agent": "张三"}), Row(3, {"id": "k2", "agent": "李四"})]


def test_callqa_import_reads_standard_input(tmp_path: Path) -> None:
    rows = ["kind,id,agent,at,duration"] + [
        f"call,k{n},A,2026-11-02 10:{n:02d},05:30" for n in range(30)
    ]
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from callqa.tui.cli import main; sys.exit(main())",
         "import", "--db", str(tmp_path / "h.db"), "/dev/stdin"],
        input="\n".join(rows).encode(), capture_output=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert "read 30 rows: kept 30 events" in result.stdout.decode()


def test_a_device_or_an_endless_stream_is_refused_not_read_forever(tmp_path: Path) -> None:
    device = "/dev/zero: not a file but a device (a terminal, a disk, /dev/zero...)"
    for read in (read_records, read_data, read_utf8, load_mapping):
        with pytest.raises(InputFileError, match=re.escape(device)):
            list(read("/dev/zero"))  # type: ignore[operator]
    with pytest.raises(InputFileError, match=r"pipe: line 1 is longer than 4 MB, which no row"):
        list(read_records(_fifo(tmp_path, None)))
    with pytest.raises(InputFileError, match=r"policy: (larger than 4 MB|line 1 is longer)"):
        read_utf8(_fifo(tmp_path, None, "policy"))  # the bounded reader policies may use
    with pytest.raises(InputFileError, match=r"big.policy: larger than 1 MB, too large"):
        read_utf8(_fifo(tmp_path, b"# a comment\n" * 100_000, "big.policy"), limit=1 << 20)


def test_a_huge_file_read_whole_is_refused_at_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"# x\n" * (1 << 18) + b'kind = "call"\n')
    with pytest.raises(InputFileError, match=r"big.toml: larger than 1 MB, too large"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("kind = " + "[" * 5000 + "]" * 5000 + "\n[fields]\n",
         "m.toml: kind is nested too deeply (lists or tables inside each other hundreds of times)"),
        ('kind = "call"\n[fields]\nagent = "A"\nid = "I"\nat = "T"\nduration = "D"\n'
         'resolved = { column = "R", map = { Y = true, "1" = true, "true" = true } }\n', None),
    ],
)  # fmt: skip
def test_a_hostile_mapping_is_a_clear_error(tmp_path: Path, toml: str, message: str | None) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml, encoding="utf-8")
    if message is not None:
        with pytest.raises(MappingError, match=re.escape(message)):
            load_mapping(mapping)
        return
    data = tmp_path / "calls.jsonl"
    lines = [{"I": "a", "A": "x", "T": "2026-11-02 09:00", "D": 60, "R": value}
             for value in (["Y"], {"Y": 1}, 1, True, "Y", "N")]  # fmt: skip
    data.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    report = ImportReport()
    events = list(
        rows_to_events(read_records(data), load_mapping(mapping), ZoneInfo("UTC"), report)
    )
    assert [event.resolved for event in events] == [True, True, True]
    assert report.rejected == [
        """row 1: R is '["Y"]'; the mapping knows Y, 1, true""",
        """row 2: R is '{"Y": 1}'; the mapping knows Y, 1, true""",
        "row 6: R is 'N'; the mapping knows Y, 1, true",
    ]


def test_utf8_whose_stray_byte_reads_as_common_gbk_is_refused_too(tmp_path: Path) -> None:
    """壶佤蹰踺 in UTF-8 reads as GBK's common 澹朵饯韫拌负 (and 閑 for the stray byte):
    what gives it away is that the rest of the file is UTF-8."""
    path = tmp_path / "calls.csv"
    path.write_bytes("id,agent\nk1,壶佤蹰踺\nk2,Jos".encode() + b"\xe9e\n")
    with pytest.raises(InputFileError, match=r"line 3, column 7 is not UTF-8 \(the line reads "
                       r"k2,Jos\\xe9e\), and the rest of it is UTF-8: it mixes encodings; save it as UTF-8"):  # fmt: skip
        list(read_records(path))


def test_rows_each_with_an_unclosed_quote_are_each_reported() -> None:
    """Read as CSV, each such row swallows the next one into a cell of its own: half the
    rows vanished into the other half's cells."""
    text = "id,agent,note\n" + "".join(f'k{n},"A,open\n' for n in range(6))
    rows = [str(row)[:61] for row in csv_records(io.StringIO(text, newline=""))]
    assert rows == [
        *(f'row {n}: a quote (") in this row is not closed, so its cell ran' for n in range(2, 7)),
        'row 7: has 2 cells but the header has 3 columns; a quote (") ',
    ]


def test_a_gbk_export_of_names_outside_gb2312_is_read(tmp_path: Path) -> None:
    """The reviewer's file: 王喆 is GBK, not GB2312; it was refused as 'mixes encodings'."""
    text = "kind,id,at,agent,duration\ncall,m1,2026-11-02 09:00,A001,60\ncall,m2,2026-11-02 09:00,王喆,60\n"
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("gbk"))
    assert read_data(path) == text
    for names in (["李堃", "张赟", "郑翀"], ["王喆", "李堃", "张赟", "郑翀"] * 20):
        rows = "".join(f"call,m{n},2026-11-02 09:00,{name},60\n" for n, name in enumerate(names))
        path.write_bytes(("kind,id,at,agent,duration\n" + rows).encode("gbk"))
        assert read_data(path) == "kind,id,at,agent,duration\n" + rows


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡欧阳司马"
)
GIVEN = "喆堃赟翀昇旻珺琛玥瑄婕彧祎犇淼鑫垚焱骉昊晟煜皓璟婧瑾琦伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"
NAMES = st.lists(
    st.tuples(st.sampled_from(SURNAMES), st.text(st.sampled_from(GIVEN), min_size=1, max_size=2)),
    min_size=2, max_size=30,
).map(lambda names: "".join(f"call,m{n},2026-11-02 09:00,{a}{b},60\n" for n, (a, b) in enumerate(names)))  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(NAMES)
@example(  # its GBK bytes line up into a private-use character read as UTF-8: was "mixed"
    "call,m0,2026-11-02 09:00,李喆,60\ncall,m1,2026-11-02 09:00,李喆,60\n"
)
@example(  # its GBK bytes line up into a rare Han character read as UTF-8: was "mixed"
    "call,m0,2026-11-02 09:00,王瑾军,60\ncall,m1,2026-11-02 09:00,郑瑾玥,60\n"
)
def test_chinese_names_saved_as_gbk_read_back_exactly(rows: str) -> None:
    """Two names or more (one name alone can be either encoding: see _gbk_problem). Names
    whose GBK bytes are valid UTF-8 as well (肖伟: Фΰ) are read as UTF-8, as README says."""
    import tempfile

    try:
        rows.encode("gbk").decode("utf-8")
        assume(False)
    except UnicodeDecodeError:
        pass

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_bytes(rows.encode("gbk"))
        assert read_data(path) == rows


@settings(max_examples=100, deadline=None)
@given(NAMES, st.data())
def test_chinese_names_in_utf8_with_one_latin1_byte_are_refused(
    rows: str, data: st.DataObject
) -> None:
    import tempfile

    encoded = bytearray(rows.encode("utf-8"))
    at = data.draw(st.integers(0, len(encoded) - 1))
    encoded[at] = data.draw(st.integers(0xA0, 0xFF))  # a Latin-1 letter or sign: é, ü, ©
    assume(b"\n" not in encoded[at : at + 1])
    with contextlib.suppress(UnicodeDecodeError):
        assume(not bytes(encoded).decode("utf-8"))  # still UTF-8: nothing stray
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_bytes(bytes(encoded))
        line = encoded.count(b"\n", 0, at) + 1
        with pytest.raises(InputFileError, match=rf"line {line}, column \d+ is not UTF-8 "):
            read_data(path)


def test_a_stray_byte_in_a_file_of_rare_names_is_refused_not_read_as_gbk(
    tmp_path: Path,
) -> None:
    """王喆 twice in UTF-8, 王's first byte replaced by \xa0: every byte is then valid GBK
    (爭嬪枂 ...), and 喆, a rare character, did not count as UTF-8's Chinese, so the file was
    read as GBK, the names garbled (found by the property above in a fresh-clone run)."""
    rows = bytearray(
        "call,m0,2026-11-02 09:00,王喆,60\ncall,m1,2026-11-02 09:00,王喆,60\n".encode()
    )
    rows[25] = 0xA0
    path = tmp_path / "calls.csv"
    path.write_bytes(bytes(rows))
    with pytest.raises(InputFileError, match=r"line 1, column 26 is not UTF-8 .* mixes encodings"):
        read_data(path)


def test_an_encoding_error_gives_the_column_in_its_line_and_the_line_from_its_start(
    tmp_path: Path,
) -> None:
    """It said 'line 7, byte 234 (in ,k5,...': the offset in the file, and mid-word."""
    rows = [f"call,k{n},2026-11-02 09:00,张三,60" for n in range(6)]
    rows.append("call,k6,2026-11-02 09:00,Jos\xe9e" + ",备注" * 60)
    data = "\n".join(rows).encode().replace("Jos\xe9e".encode(), b"Jos\xe9e")
    path = tmp_path / "calls.csv"
    path.write_bytes(data)
    with pytest.raises(InputFileError) as error:
        read_data(path)
    assert ("line 7, column 29 is not UTF-8 (the line reads call,k6,2026-11-02 09:00,Jos\\xe9e,"
            "备注,备注,备注,备注,备注,备注,备注,备注,备注,备注,备注,备注,备注,备注,备...), ") in str(error.value)  # fmt: skip
