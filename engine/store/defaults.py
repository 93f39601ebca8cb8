"""The databases every command reads by default, named once (importing this module loads no
database driver, so the command line's help stays quick)."""

DEFAULT_DB = "callqa.db"  # a center's own history: what every command reads and import writes
DEMO_DB = "callqa-demo.db"  # callqa demo's generated history, never mixed with a center's own
