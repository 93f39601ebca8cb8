"""`python -m callqa` runs the `callqa` command."""

from callqa.tui.cli import main

raise SystemExit(main())
