"""Every message callqa says has its Simplified Chinese form, with the same placeholders,
and the language is chosen as people expect (`--lang`, `CALLQA_LANG`, the locale)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import callqa
from callqa.dsl import i18n
from callqa.dsl.i18n import _, from_environment, language

ROOT = Path(callqa.__file__).resolve().parent.parent
SOURCES = [ROOT / "callqa", *(Path(__import__(f"callqa.{name}", fromlist=["x"]).__file__).parent
                              for name in ("dsl", "engine", "tui"))]  # fmt: skip
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> dict[str, str]:
    """msgid -> where it is said, for every message marked in the code."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for file, line, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            for text in message if isinstance(message, tuple) else (message,):
                if text:
                    found.setdefault(text, f"{folder.name}/{file}:{line}")
    return found


def catalog() -> dict[str, str]:
    """msgid -> its Chinese, from every shipped catalog (plural forms: the first)."""
    out: dict[str, str] = {}
    for entry in i18n.catalog_files():
        with entry.open("rb") as handle:  # type: ignore[attr-defined]
            for message in read_po(handle, locale="zh_CN"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for msgid in ids:
                    out[msgid] = strings[0]
    return out


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_its_chinese() -> None:
    translated = catalog()
    missing = {msgid: where for msgid, where in extracted().items() if not translated.get(msgid)}
    assert not missing, "add to dsl/catalogs/zh_CN/*.po:\n" + "\n".join(
        f"{where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda m: m[1])
    )


def test_the_chinese_keeps_every_placeholder() -> None:
    for msgid, chinese in catalog().items():
        if chinese:
            assert placeholders(chinese) == placeholders(msgid), (msgid, chinese)


def test_no_catalog_holds_a_message_the_code_no_longer_says() -> None:
    said = extracted()
    stale = sorted(set(catalog()) - set(said))
    assert not stale, f"remove from dsl/catalogs/zh_CN/*.po: {stale}"


def test_chinese_text_is_simplified_chinese() -> None:
    """A translation says something in Chinese (not the English again), in simplified
    characters (a few traditional ones that creep in from other input methods fail)."""
    traditional = re.compile("[這個們為與說對實時間點錯誤檢規則請應該]")
    for msgid, chinese in catalog().items():
        if chinese:
            assert not traditional.search(chinese), (msgid, chinese)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "CALLQA_LANG": "en"}, "en"),
        ({"LANG": "C", "CALLQA_LANG": "zh"}, "zh"),
    ],
)
def test_the_language_is_chosen_as_the_environment_says(
    environ: dict[str, str], expected: str
) -> None:
    assert from_environment(environ) == expected


def test_a_message_is_said_in_the_language_chosen() -> None:
    with language("zh"):
        assert _("cancelled: nothing written") != "cancelled: nothing written"
    with language("en"):
        assert _("cancelled: nothing written") == "cancelled: nothing written"
