"""The user interfaces: the `callqa` command line (cli.py) and, later, the Textual app."""
