"""Create and drop throwaway PostgreSQL databases for a test run."""

import secrets
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _execute_on_server(server_url: str, statement: sql.Composed) -> None:
    # Maintenance statements run on the server's own `postgres` database.
    url = _with_database(server_url, "postgres")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(statement)


def create_database(server_url: str, prefix: str) -> str:
    """Create an empty database with a unique name; return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _execute_on_server(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(server_url, name)


def drop_database(url: str) -> None:
    name = sql.Identifier(urlsplit(url).path.lstrip("/"))
    _execute_on_server(url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
