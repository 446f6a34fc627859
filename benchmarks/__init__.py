"""Benchmarks, one module per subject: `python -m benchmarks.<name>`.

They print tables and ratios from one run; the figures depend on the machine
and its load (docs/benchmarks.md says which were taken how).
"""
