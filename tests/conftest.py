"""Shared test set-up: a hypothesis profile that does not fail on a slow CI machine."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The tests read what callqa says in English, whatever the machine's locale; those about
# Chinese ask for it (`--lang zh`, `language("zh")`, their own environment).
os.environ["CALLQA_LANG"] = "en"

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


def _register_bench() -> None:
    """Make `import bench` work in tests without putting the repository root on sys.path
    (which would make `engine` importable beside `callqa.engine`: two copies of one module)."""
    spec = importlib.util.spec_from_file_location(
        "bench", ROOT / "bench" / "__init__.py", submodule_search_locations=[str(ROOT / "bench")]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module
    spec.loader.exec_module(module)


_register_bench()


@pytest.fixture
def policies_dir() -> Path:
    return POLICIES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped policies that a test may edit."""
    target = tmp_path / "policies"
    target.mkdir()
    for path in POLICIES.glob("*.policy"):
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(autouse=True)
def shipped_examples_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the shipped examples as users do, read-only, even when the developer who
    runs them has set CALLQA_EDIT_SHIPPED=1 to edit them (tui.files)."""
    monkeypatch.delenv("CALLQA_EDIT_SHIPPED", raising=False)
