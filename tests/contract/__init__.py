"""Tier 4: the black-box HTTP contract (shared CONTRACT.md) against a live server."""
