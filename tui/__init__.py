"""The user interfaces: the `callqa` command line (`cli/`, one module per command group) and
the Textual app (`app.py`)."""
