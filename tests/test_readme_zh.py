"""README.md and its Chinese twin README.zh-CN.md are kept in step: the same commands, the
same keyword table, and that table is the language's own (dsl/vocabulary_zh.py)."""

from __future__ import annotations

import re
from pathlib import Path

from callqa.dsl.vocabulary_zh import KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "README.md"
CHINESE = ROOT / "README.zh-CN.md"


def code_lines(path: Path) -> list[str]:
    """The commands a reader types, from the fenced code blocks, their comments left out."""
    lines: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            inside = not inside
            continue
        command = line.split(" #", 1)[0].rstrip()
        if inside and command.startswith(("callqa ", "python3 -m venv", "pip ", "pytest")):
            lines.append(command)
    return lines


def keyword_rows(path: Path) -> list[str]:
    """The rows of the keyword table: three English-Chinese pairs each."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line.startswith("| `") and line.count(" | ") == 5]


def headings(path: Path) -> list[int]:
    """The level of each heading outside code blocks."""
    levels: list[int] = []
    inside = False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            inside = not inside
        elif not inside and (match := re.match(r"(#+) ", line)):
            levels.append(len(match.group(1)))
    return levels


def test_both_readmes_list_the_same_commands() -> None:
    assert code_lines(CHINESE) == code_lines(ENGLISH)
    assert any("callqa demo" in line for line in code_lines(ENGLISH))


def test_both_readmes_have_the_same_sections() -> None:
    assert headings(CHINESE) == headings(ENGLISH)


def test_the_keyword_table_is_the_languages_own_and_in_both() -> None:
    rows = keyword_rows(ENGLISH)
    pairs = {pair for row in rows for pair in re.findall(r"`([^`]+)` \| ([^ |]+)", row)}
    assert pairs == set(KEYWORDS.items())
    assert keyword_rows(CHINESE) == rows
