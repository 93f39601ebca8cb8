"""The garbage collector during a replay.

A replay allocates a decision or two for every event (tuples the collector tracks) and
keeps the engines' state alive for the whole run: with Python's default thresholds the
collector runs a young-generation pass every 700 allocations and re-reads the engines'
windows and pending decisions in every older pass, about a quarter of a replay's time
(python bench/simulate_curve.py, CPU seconds, 200,000 stored events: 3.2-3.6 s with the
defaults, 2.4 s with these). A replay makes almost no reference cycles, so collecting
less often costs little memory.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

REPLAY_THRESHOLDS = (50_000, 50, 100)
"""Young passes every 50,000 allocations (not 700), older ones as often in proportion."""


@contextlib.contextmanager
def replay_collector() -> Iterator[None]:
    """Collect with REPLAY_THRESHOLDS while the block runs, then as before: the setting is
    the process's, so a host service's other threads collect less often meanwhile too."""
    before = gc.get_threshold()
    if before[0] == 0 or before[0] >= REPLAY_THRESHOLDS[0]:  # off, or already as rare
        yield
        return
    gc.set_threshold(*REPLAY_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
