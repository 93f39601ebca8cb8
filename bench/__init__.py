"""Benchmarks: callqa side by side with hand-written Python and peer engines."""
