"""Simulation: replaying history under two policy versions, and sweeping one rule's limit."""
