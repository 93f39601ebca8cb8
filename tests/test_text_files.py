"""Files as managers hand them over: UTF-8 with or without a byte-order mark, GBK from
Excel on Chinese Windows, and clear errors for the rest."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import InputFileError, load_policy
from engine.evaluations import read_records
from engine.text_files import read_data
from tui.cli import main

# text a call center writes: ASCII, Chinese (GBK has it), full-width punctuation, newlines
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
        ("latin.csv", b"id,agent\nk1,A\xe9\n", "latin.csv: not UTF-8 or GBK text (byte 13): save it as UTF-8"),
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
    with pytest.raises(InputFileError, match=r"gbk.policy: not UTF-8 text \(byte 8\)"):
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
    ("name", "content", "expected"),
    [
        ("big.csv", "id,note\n1," + "x" * 140_000 + "\n",
         "row 2: cannot be read as CSV (field larger than field limit (131072)); the rows after"),
        ("semi.csv", "id;agent;note\n1;A;x\n",
         "row 1: the header is one column, 'id;agent;note': the file is separated by ';'"),
        ("dup.csv", "id,greeting,greeting\n1,pass,fail\n",
         "row 1: the header names the column 'greeting' twice: rename or remove one"),
        ("quote.csv", 'id,agent,note,n\n1,A,"open,1\n2,B,x,2\n',
         'row 3: has 3 cells but the header has 4 columns; a quote (") in it is not closed'),
        ("deep.jsonl", '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n",
         "row 1: nested too deeply to be an event or an evaluation"),
    ],
    ids=["a cell of 140,000 characters", "semicolons", "a column twice", "an open quote",
         "JSON nested 100,000 deep"],
)  # fmt: skip
def test_a_malformed_file_is_one_row_error_not_a_traceback(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    first = str(next(iter(read_records(path))))
    assert first.startswith(expected), first[:300]


def test_tab_separated_and_utf16_files_read_as_their_comma_separated_twin(tmp_path: Path) -> None:
    """Excel's 'Unicode text' is UTF-16 with a byte-order mark, separated by tabs."""
    comma = "id,agent,at,duration\nk1,张三,2026-11-02 10:05,70\n"
    (tmp_path / "c.csv").write_text(comma, encoding="utf-8")
    (tmp_path / "t.txt").write_text(comma.replace(",", "\t"), encoding="utf-16")
    assert list(read_records(tmp_path / "t.txt")) == list(read_records(tmp_path / "c.csv"))
