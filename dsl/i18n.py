"""What callqa says, in the manager's language: Simplified Chinese or English.

Messages are written in English in the code, as whole sentences with named placeholders
(`_("{file} has {count} errors").format(file=..., count=...)`), and translated through
gettext catalogs: `dsl/catalogs/zh_CN/*.po`, one file per part of callqa, kept by hand
and checked by tests/test_i18n.py against the messages Babel extracts from the code (a
message without its Chinese fails there).

The language is chosen by `--lang zh|en`, else `CALLQA_LANG`, else the locale (`LC_ALL`,
`LC_MESSAGES`, `LANG`: `zh_CN.UTF-8` is Chinese); English otherwise. It is read when a
message is made, so a service may switch per request (`language(...)`).

The catalogs are read from their `.po` text with Babel (no compiled `.mo` to keep in step).
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
CATALOG_FOLDER = "zh_CN"  # the catalogs of Chinese (zh)

# the run's language (the CLI's --lang), for every thread; `language()` overrides it in one
_for_the_run: Language | None = None
_chosen: ContextVar[Language | None] = ContextVar("language", default=None)


def from_environment(environ: dict[str, str] | None = None) -> Language:
    """`CALLQA_LANG`, else the locale's language; English unless one says Chinese."""
    env = os.environ if environ is None else environ
    for name in ("CALLQA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip().lower()
        if value:
            return "zh" if value.startswith("zh") else "en"
    return "en"


def current() -> Language:
    chosen = _chosen.get() or _for_the_run
    return chosen if chosen is not None else from_environment()


def set_language(language: Language | None) -> None:
    """For a program's whole run, every thread (the CLI's `--lang`); None: from the
    environment."""
    global _for_the_run
    _for_the_run = language


@contextmanager
def language(chosen: Language) -> Iterator[None]:
    """Messages made inside are in `chosen` (per thread and task)."""
    token = _chosen.set(chosen)
    try:
        yield
    finally:
        _chosen.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    if current() == "en":
        return message
    return _translations().gettext(message)


def N_(message: str) -> str:
    """Marks a message made before the language is known (a table at module level) for
    the catalogs; translate it with `_()` where it is said."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` (Chinese has one)."""
    if current() == "en":
        return singular if count == 1 else plural
    return _translations().ngettext(singular, plural, count)


def named(word: str, kind: str) -> str:
    """A word people read that the language itself names (a decision kind `rescore`, an
    event kind `complaint`, a period `month`): its Chinese name (复评, 投诉, 月) when
    speaking Chinese. JSON output keeps the English word."""
    if current() == "en":
        return word
    from callqa.dsl.vocabulary_zh import chinese

    return chinese(word, kind)


def field_name(name: str) -> str:
    """A field as people read it: `call.duration`, or `通话.duration` when speaking Chinese
    (the event kind in Chinese, as a policy in Chinese keywords writes it)."""
    if current() == "en" or "." not in name:
        return name
    kind, rest = name.split(".", 1)
    return f"{named(kind, 'event')}.{rest}"


@lru_cache(maxsize=1)
def _translations() -> gettext.NullTranslations:
    """Every Chinese catalog, read once and joined into one gettext translation."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    joined = Catalog(locale="zh_CN")
    for entry in sorted(catalog_files(), key=lambda item: item.name):
        with entry.open("rb") as handle:
            for message in read_po(handle, locale="zh_CN"):
                if message.id and message.string:
                    joined[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, joined)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalog_files() -> list[Traversable]:
    """The Chinese catalogs shipped in the package (`dsl/catalogs/zh_CN/*.po`)."""
    folder = files("callqa.dsl").joinpath("catalogs", CATALOG_FOLDER)
    return [entry for entry in folder.iterdir() if entry.name.endswith(".po")]
