"""Outgoing e-mail: the messages (messages.py) and how they are sent (backends.py)."""
