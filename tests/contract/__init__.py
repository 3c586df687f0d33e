"""Tier 4: the black-box HTTP contract (docs/contract.md) against a live server."""
