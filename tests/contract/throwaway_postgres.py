"""A PostgreSQL server of a test's own, which the test may restart.

The machine's shared server must never be stopped: a test that restarts its
database gets a server of its own instead, initialised in a scratch folder,
listening on a free loopback port, with trust authentication, and removed
when the test ends. PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.contract.server import free_port

#: Seconds pg_ctl waits for the server to start or stop.
PG_CTL_WAIT_SECONDS = 60
#: Where Debian installs each major version's server programs.
DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"


class ThrowawayPostgresError(RuntimeError):
    pass


def _binaries() -> Path:
    """The folder of the newest installed initdb and pg_ctl."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(glob.glob(DEBIAN_BINARIES), key=lambda path: int(Path(path).parent.name))
    if not found:
        raise ThrowawayPostgresError(
            f"no PostgreSQL server programs: pg_ctl is neither on PATH nor in {DEBIAN_BINARIES}"
        )
    return Path(found[-1])


def _as_server_user(command: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return list(command)


@dataclass(frozen=True)
class ThrowawayPostgres:
    folder: Path
    port: int
    binaries: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def connections_to(self, name: str, client_ports: set[int] | None = None) -> int:
        """Client connections to database `name` (from these client ports, if given)."""
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT client_port FROM pg_stat_activity"
                " WHERE datname = %s AND backend_type = 'client backend'",
                (name,),
            ).fetchall()
        ports = [row[0] for row in rows]
        if client_ports is None:
            return len(ports)
        return sum(1 for port in ports if port in client_ports)

    def restart(self) -> None:
        """Stop the server as an operator would for maintenance (every session is
        ended), then start it again on the same port and data."""
        self._pg_ctl("restart", "-m", "fast")

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")

    def _pg_ctl(self, action: str, *options: str) -> None:
        command = [
            str(self.binaries / "pg_ctl"),
            action,
            "--pgdata",
            str(self.folder / "data"),
            "--wait",
            "--timeout",
            str(PG_CTL_WAIT_SECONDS),
            "--log",
            str(self.folder / "server.log"),
            *options,
        ]
        if action != "stop":
            command += [
                "-o",
                f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                f" -c unix_socket_directories={self.folder} -c fsync=off",
            ]
        result = subprocess.run(
            _as_server_user(command), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise ThrowawayPostgresError(
                f"pg_ctl {action} failed ({result.returncode}): {result.stderr}\n{log}"
            )


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A new PostgreSQL server, running until the block ends; then removed."""
    binaries = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="throwaway-postgres-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, SERVER_USER)
        initdb = [
            str(binaries / "initdb"),
            "--pgdata",
            str(folder / "data"),
            "--username",
            SERVER_USER,
            "--auth",
            "trust",
            "--no-sync",
            "--encoding",
            "UTF8",
        ]
        result = subprocess.run(
            _as_server_user(initdb), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ThrowawayPostgresError(f"initdb failed: {result.stderr}")
        server = ThrowawayPostgres(folder, free_port(), binaries)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
