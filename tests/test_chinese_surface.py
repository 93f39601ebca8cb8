"""What a manager reads, in Chinese from start to end: the demo, the checker, a policy's
tests and the terminal app, with `--lang zh` or the locale (`LANG=zh_CN.UTF-8`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui_snapshots import _ready

from callqa.dsl.i18n import set_language
from callqa.tui.app import CallqaApp
from callqa.tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# three English words in a row: a sentence left in English
ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{3,}\b")
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")  # policy code and names, quoted as written


def english_lines(output: str) -> list[str]:
    """Lines a Chinese reader would find in English: prose with no Chinese at all. Commands
    to type and policy code quoted as written are not prose."""
    out = []
    for line in output.splitlines():
        text = line.strip()
        if not text or CJK.search(text) or text.startswith(("callqa ", "mkdir ", "cp ")):
            continue
        if ENGLISH_PROSE.search(QUOTED.sub("", text)):
            out.append(line)
    return out


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    try:
        yield
    finally:
        set_language(None)


def test_the_demo_reads_in_chinese_from_start_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "zh", "demo", "--count", "100"]) == 0
    out = capsys.readouterr().out
    for said in ("策略测试：", "演示数据库 callqa-demo.db", "拟议修改", "个结果有变化", "完成"):
        assert said in out
    assert english_lines(out) == []


def test_the_locale_chooses_chinese(tmp_path: Path) -> None:
    """A manager whose machine speaks Chinese needs no option."""
    env = {**os.environ, "LANG": "zh_CN.UTF-8"}
    env.pop("CALLQA_LANG", None)
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    broken = tmp_path / "broken.policy"
    broken.write_text('策略 "p"\n质检表 s {\n  满份 100\n}\n', encoding="utf-8")
    run = subprocess.run(
        [str(Path(sys.executable).parent / "callqa"), "check", str(broken)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    said = run.stdout + run.stderr
    assert "满分" in said and "3:3" in said, said
    assert english_lines(said) == [], said


def test_policy_tests_report_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "test", str(ROOT / "policies" / "online.policy")]) == 0
    out = capsys.readouterr().out
    assert "7 个通过" in out or "通过" in out.splitlines()[-1], out
    assert english_lines(out) == []


def test_the_english_surface_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "test", str(ROOT / "policies" / "online.policy")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "7 passed, 0 failed"


def test_the_app_in_chinese(folder: Path, tmp_path: Path, chinese: None, snap_compare: Any) -> None:
    """The rulebook written in Chinese keywords, in the app speaking Chinese, at 80x24."""
    app = CallqaApp(folder, str(tmp_path / "h.db"), folder / "online.policy")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_ready)


def test_a_diagnostic_in_chinese_keeps_its_place_and_caret(chinese: None) -> None:
    from callqa.dsl.check import check_text, errors_only

    text = '策略 "在线"\n质检表 s "质检表" {\n  大项 a "服务" {\n    项 x "开场白" 扣 5 当 通话.duraton > 5分钟\n  }\n}\n'
    [error] = errors_only(check_text(text, "x.policy")[1])
    assert (error.line, error.col) == (4, 21)  # columns count characters
    rendered = error.render(text).split("\n")
    assert rendered[0].startswith("x.policy:4:21: 错误：")
    code, caret = rendered[1], rendered[2]
    from rich.cells import cell_len

    # the caret starts under 通话.duraton, counted in cells (a Chinese character is two)
    start = code.index("通话.duraton")
    assert cell_len(caret[: caret.index("^")]) == cell_len(code[:start])
    assert "可以试试：" in rendered[3] and "通话.duration" in rendered[3]
