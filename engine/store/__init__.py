"""History on disk and the way in: the store (SQLite or PostgreSQL), importing event files
through a mapping, reading the files managers hand over."""
