"""Scoring (质检评分): a rubric compiled to straight-line Python, its results and reasons, reading
evaluation files, calibration of evaluators, demo evaluations."""
