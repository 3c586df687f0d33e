"""The smoke command: one combination through the whole chain, with a report.

uv run python -m tests.smoke --data framework=fastapi --data database=sqlite
uv run python -m tests.smoke --all
"""
