"""callqa: quality rules for call centers — a policy language, a rule engine and a terminal UI.

pyproject.toml installs this folder as the package `callqa`, and the repository's `dsl/`,
`engine/`, `grammars/`, `policies/`, `tui/` under it. A service embeds the engine only:

    from callqa.engine import Engine, load_policy

`callqa.engine` and `callqa.dsl` never import the terminal app.
"""

__version__ = "0.2.0"
