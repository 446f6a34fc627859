"""Benchmarks: commands that measure and print, never tests (python -m benchmarks.NAME).

Each module says what it measures and whether its figures depend on how busy the
machine is; docs/benchmarks.md keeps the figures measured.
"""
