"""Create and drop throwaway PostgreSQL databases for a test run."""

import asyncio
import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _execute_on_server(server_url: str, statement: str) -> None:
    # Maintenance statements run on the server's own `postgres` database.
    connection = await asyncpg.connect(_with_database(server_url, "postgres"), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(server_url: str, prefix: str) -> str:
    """Create an empty database with a unique name; return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(_execute_on_server(server_url, f'CREATE DATABASE "{name}"'))
    return _with_database(server_url, name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    asyncio.run(_execute_on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
