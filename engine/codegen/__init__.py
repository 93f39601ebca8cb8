"""Generating Python: compiling the language's expressions and conditions into source and
functions, for the scoring fast path and the event runtime."""
