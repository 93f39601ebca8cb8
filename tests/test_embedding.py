"""A service that embeds the engine pulls in no terminal app (issue 16: a service that only
scores should not carry the TUI's pin)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_and_the_language_never_import_the_terminal_app() -> None:
    code = (
        "import json, sys\n"
        "import callqa.dsl, callqa.engine, callqa.engine.store.database, callqa.engine.simulation.simulate\n"
        "import callqa.engine.store.importer, callqa.engine.sampling.plan\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or "
        "m.startswith('callqa.tui'))))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(shown.stdout) == []
