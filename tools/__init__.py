"""Maintenance commands of the template repository (`uv run python -m tools.NAME`)."""
