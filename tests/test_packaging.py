"""callqa installs as one package, `callqa` (issue 16): a host service may have its own
`engine` or `tui`, and a new folder of the engine is never left out of the wheel."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import callqa

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = {"tests", "bench", "docs", "build"}  # build/: a local `pip install .`


def test_every_package_folder_is_listed_in_the_wheel() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(settings["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(("callqa", *init.parent.relative_to(ROOT).parts)).replace(
            "callqa.callqa", "callqa"
        )
        for init in ROOT.glob("*/**/__init__.py")
        if init.relative_to(ROOT).parts[0] not in NOT_SHIPPED
        and not init.relative_to(ROOT).parts[0].startswith(".")
    }
    assert listed == on_disk


def test_only_callqa_is_importable_not_its_folders_by_their_own_names() -> None:
    assert callqa.__version__
    for name in ("engine", "dsl", "tui", "grammars", "policies"):
        assert importlib.util.find_spec(name) is None, f"`import {name}` finds {name}"
    assert importlib.util.find_spec("callqa.engine") is not None


def test_the_version_is_written_once() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text and 'attr = "callqa.__version__"' in text
