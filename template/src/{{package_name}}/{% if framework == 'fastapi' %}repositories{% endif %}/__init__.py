"""Persistence: the only layer that builds queries."""
