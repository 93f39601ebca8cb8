"""Where both contenders of the replay benchmark put their decisions.

A million outcomes in one Python list would be re-read by the cyclic garbage collector
on every full collection, and the contender that allocates more would pay for the
harness's list. Chunks of 10,000 frozen into tuples are read once and then skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CHUNK = 10_000


class Outcomes:
    def __init__(self) -> None:
        self.chunks: list[tuple[Any, ...]] = []
        self.current: list[Any] = []

    def append(self, outcome: Any) -> None:
        current = self.current
        current.append(outcome)
        if len(current) >= CHUNK:
            self.chunks.append(tuple(current))
            self.current = []

    def __iter__(self) -> Iterator[Any]:
        for chunk in self.chunks:
            yield from chunk
        yield from self.current

    def __len__(self) -> int:
        return len(self.chunks) * CHUNK + len(self.current)
