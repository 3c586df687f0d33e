"""Benchmark of a generated project against a minimal hand-written baseline.

Run it as `uv run python -m bench --help`; docs/benchmarks.md explains it.
"""
