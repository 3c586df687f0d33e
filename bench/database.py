"""A throwaway PostgreSQL database for one benchmark run."""

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bench.signals import interrupts_deferred

log = logging.getLogger("bench")


def database_url(admin_url: str, name: str) -> str:
    """A postgresql:// URL (what both apps take) for another database of the admin's server."""
    params = {key: str(value) for key, value in conninfo_to_dict(admin_url).items() if value}
    host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
    credentials = quote(params.get("user", "postgres"), safe="")
    if "password" in params:
        credentials += ":" + quote(params["password"], safe="")
    return f"postgresql://{credentials}@{host}:{port}/{name}"


@dataclass(frozen=True)
class Database:
    name: str
    url: str


@contextmanager
def scratch_database(admin_url: str) -> Iterator[Database]:
    """Create a uniquely named database, yield it and drop it afterwards."""
    name = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log.info("created database %s", name)
    try:
        yield Database(name=name, url=database_url(admin_url, name))
    finally:
        # FORCE ends sessions a killed server may have left behind.
        with (
            interrupts_deferred(),
            psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection,
        ):
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        log.info("dropped database %s", name)
