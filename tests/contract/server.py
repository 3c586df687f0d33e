"""Start and stop a generated project exactly as production would.

The operations interface (docs/contract.md section 9) is the only thing used:
environment variables, `make migrate`, `make serve` and, with a task queue,
`make worker`. Nothing here knows which framework or queue the project uses.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.databases import database_for
from tests.harness.environment import uv_environment
from tests.harness.mail_sink import mail_settings
from tests.harness.projects import recorded_answers, run
from tests.option_space import Combination, combination_id

ALLOWED_ORIGIN = "https://allowed.example"
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 15.0
MIGRATE_TIMEOUT = 180.0


@dataclass(frozen=True)
class LiveServer:
    """A running production server of one generated project."""

    project: Path
    base_url: str
    secret_key: str
    log_path: Path
    process: subprocess.Popen[bytes]
    #: The task worker, when the project has a queue (docs/contract.md section 8).
    worker: Worker | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        port = urlsplit(self.base_url).port
        assert port is not None
        return port

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, characters: int = 3000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"<no server log: {error}>"
        return text[-characters:]


class Worker:
    """`make worker` of a project, which a test may kill and start again."""

    def __init__(self, project: Path, environment: Mapping[str, str], log_path: Path) -> None:
        self._project = project
        self._environment = dict(environment)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert not self.is_running(), "the worker already runs"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["make", "worker"],
                cwd=self._project,
                env=self._environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker's process group, as a crash of its host would.

        RQ's work horse has a process group of its own and outlives this kill;
        the generated projects' own crash tests kill it too, and wait for RQ to
        find the abandoned job. Doing it here as well would add that wait (a
        minute and more) to every RQ row of this tier.
        """
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        _wait_for_group(self.process, SHUTDOWN_TIMEOUT)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError as error:
            return f"<no worker log: {error}>"


def wait_for_log_lines(server: LiveServer, needle: str, within: float = 3.0) -> list[str]:
    """The server's log lines containing `needle`, once there are any (or [])."""
    deadline = time.monotonic() + within
    while True:
        lines = [line for line in server.log_tail(2_000_000).splitlines() if needle in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def free_port() -> int:
    """A TCP port nobody listens on right now (on the loopback interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def with_port(url: str, port: int) -> str:
    """The same database URL, pointing at another port of the same host."""
    parts = urlsplit(url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    host = parts.hostname or "127.0.0.1"
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def production_settings(database_url: str, port: int, secret_key: str) -> dict[str, str]:
    """The environment of section 9, as an operator would set it."""
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CORS_ORIGINS": ALLOWED_ORIGIN,
        "LOG_LEVEL": "INFO",
        # Read only by projects that send e-mail (auth=jwt with a task queue).
        **mail_settings(),
    }


def _wait_until_live(server: LiveServer, timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if not server.is_running():
            raise AssertionError(
                f"`make serve` exited with {server.process.returncode} before answering\n"
                f"--- server log ---\n{server.log_tail()}"
            )
        try:
            response = httpx.get(f"{server.base_url}/health/live", timeout=2.0)
        except httpx.HTTPError as error:
            last_problem = repr(error)
        else:
            if response.status_code == httpx.codes.OK:
                return
            last_problem = f"status {response.status_code}: {response.text[:200]}"
        time.sleep(0.2)
    raise AssertionError(
        f"server never answered GET /health/live with 200 within {timeout:.0f} s "
        f"(last: {last_problem})\n--- server log ---\n{server.log_tail()}"
    )


def _group_alive(group: int) -> bool:
    """Whether any process of `group` still runs (zombies do not count)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _wait_for_group(process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()
        if not _group_alive(process.pid):
            return True
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM to the server's process group, SIGKILL if any of it lingers.

    Returns whether every process of the group stopped on SIGTERM alone
    within SHUTDOWN_TIMEOUT.
    """
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    if _wait_for_group(process, SHUTDOWN_TIMEOUT):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    _wait_for_group(process, SHUTDOWN_TIMEOUT)
    return False


def migrate(project: Path, settings: Mapping[str, str]) -> None:
    run(["make", "migrate"], project, env=settings, timeout=MIGRATE_TIMEOUT)


@contextmanager
def live_server(
    project: Path,
    database_url: str,
    log_path: Path,
    *,
    migrate_database_url: str | None = None,
    broker_settings: Mapping[str, str] | None = None,
    cache: Mapping[str, str] | None = None,
    secret_key: str | None = None,
) -> Iterator[LiveServer]:
    """Migrate, then `make serve` the project until the block ends.

    `migrate_database_url` lets a caller migrate through a direct connection
    while the server itself talks to the database through a proxy. With
    `broker_settings` (a project with a task queue), `make worker` runs too.
    `cache` holds REDIS_URL and CACHE_KEY_PREFIX of a project with the Redis cache.
    `secret_key` keeps the tokens of an earlier run valid (a fresh one otherwise).
    """
    port = free_port()
    secret_key = secret_key or secrets.token_urlsafe(48)  # 64 URL-safe characters
    settings = (
        production_settings(database_url, port, secret_key)
        | dict(broker_settings or {})
        | dict(cache or {})
    )
    migrate(project, {**settings, "DATABASE_URL": migrate_database_url or database_url})

    environment = uv_environment(recorded_answers(project).get("python_version", "3.13"))
    environment.update(settings)
    environment["PYTHONUNBUFFERED"] = "1"  # as in a container: log lines appear at once
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "serve"],
            cwd=project,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = None
    if broker_settings is not None:
        worker = Worker(project, environment, log_path.with_suffix(".worker.log"))
        worker.start()
    server = LiveServer(
        project=project,
        base_url=f"http://127.0.0.1:{port}",
        secret_key=secret_key,
        log_path=log_path,
        process=process,
        worker=worker,
    )
    try:
        _wait_until_live(server)
        yield server
    finally:
        stop(process)
        if worker is not None:
            worker.stop()


class ServerPool:
    """One live server per combination, started on first use, kept for the session.

    A server that failed to start is not retried: every later test of that
    combination fails at once with the same message.
    """

    def __init__(self, project_for: Callable[[Combination], Path], workdir: Path) -> None:
        self._project_for = project_for
        self._workdir = workdir
        self._servers: dict[str, LiveServer] = {}
        self._failures: dict[str, str] = {}
        self._resources = ExitStack()

    def server_for(self, combination: Combination) -> LiveServer:
        key = combination_id(combination)
        if key in self._failures:
            raise AssertionError(f"the {key} server could not start:\n{self._failures[key]}")
        if key not in self._servers:
            # The tests of a combination run one after another (see the contract
            # conftest): one server at a time keeps the shared database server's
            # connections and the machine's cores for the one in use.
            self.close()
            try:
                self._servers[key] = self._start(key, combination)
            except Exception as error:
                self._failures[key] = str(error)
                raise
        server = self._servers[key]
        if not server.is_running():
            raise AssertionError(
                f"the {key} server exited with {server.process.returncode}\n"
                f"--- server log ---\n{server.log_tail()}"
            )
        return server

    def _start(self, key: str, combination: Combination) -> LiveServer:
        project = self._project_for(combination)
        prefix = f"contract_{key.replace('-', '_')}"
        database_url = self._resources.enter_context(
            database_for(combination["database"], prefix, self._workdir)
        )
        broker_settings = None
        if combination["task_queue"] != "none":
            namespace = self._resources.enter_context(
                broker_namespace(combination["broker"], prefix)
            )
            broker_settings = namespace.settings()
        cache = self._resources.enter_context(cache_settings(combination, prefix))
        return self._resources.enter_context(
            live_server(
                project,
                database_url,
                self._workdir / f"{key}.log",
                broker_settings=broker_settings,
                cache=cache,
            )
        )

    def close(self) -> None:
        self._resources.close()
        self._servers.clear()
