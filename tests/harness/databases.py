"""Throwaway databases on the machine's shared servers, one per use."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.harness.environment import POSTGRES_ADMIN_URL


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_postgres_database(prefix: str) -> str:
    """Create an empty, uniquely named database; return its URL."""
    # PostgreSQL cuts names at 63 bytes: the random part must survive the cut.
    name = f"{prefix[:54]}_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(POSTGRES_ADMIN_URL, name)


def drop_postgres_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    url = create_postgres_database(prefix)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@contextmanager
def missing_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a uniquely named database that does not exist; dropped afterwards
    if something created it."""
    url = _with_database(POSTGRES_ADMIN_URL, f"{prefix[:54]}_{secrets.token_hex(4)}")
    try:
        yield url
    finally:
        drop_postgres_database(url)


def postgres_database_exists(url: str) -> bool:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


@contextmanager
def database_for(database: str, prefix: str, workdir: Path) -> Iterator[str]:
    """A fresh database of the chosen kind, as a DATABASE_URL."""
    if database == "postgresql":
        with postgres_database(prefix) as url:
            yield url
    elif database == "sqlite":
        yield f"sqlite:///{workdir / f'{prefix}.sqlite3'}"
    else:
        raise ValueError(f"unknown database {database!r}")


def table_names(url: str) -> set[str]:
    """Tables in the database at `url` (PostgreSQL's public schema, or SQLite)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
            found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {str(row[0]) for row in found}
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        return {str(row[0]) for row in rows}
