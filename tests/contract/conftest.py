"""Fixtures of the contract tier: a live production server per combination.

Every test module parametrizes `combination` (see `combinations.py`); the
fixtures below turn it into a running server and HTTP clients. Servers are
shared by all tests of a combination, so tests isolate their own data with
unique emails and title markers and never rely on global counts.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

import httpx
import pytest

from tests.conftest import ProjectFactory
from tests.contract.client import User, new_client, new_user
from tests.contract.server import LiveServer, ServerPool
from tests.option_space import Combination, combination_id


@pytest.fixture(scope="session")
def servers(
    project_factory: ProjectFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerPool]:
    pool = ServerPool(project_factory, tmp_path_factory.mktemp("contract"))
    yield pool
    pool.close()


@pytest.fixture
def live(
    combination: Combination, servers: ServerPool, request: pytest.FixtureRequest
) -> LiveServer:
    """The running server of this test's combination."""
    if combination["database"] == "postgresql":
        request.getfixturevalue("require_postgres")
    return servers.server_for(combination)


@pytest.fixture
def auth_enabled(combination: Combination) -> bool:
    return combination["auth"] == "jwt"


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    """An anonymous client of the live server."""
    with new_client(live.base_url) as anonymous:
        yield anonymous


#: Re-login a shared user well before its access token (15 minutes) expires.
SHARED_USER_MAX_AGE = 10 * 60


@pytest.fixture(scope="session")
def shared_users() -> dict[str, tuple[User, float]]:
    """One user per combination for tests that only need *a* user."""
    return {}


@pytest.fixture
def current_user(
    auth_enabled: bool,
    client: httpx.Client,
    combination: Combination,
    shared_users: dict[str, tuple[User, float]],
) -> User | None:
    """A registered, logged-in user when auth is on; nobody otherwise.

    Password hashing is deliberately slow, so tests that only need to be
    somebody share one user per combination; their data stays apart through
    unique title markers. Tests about users and tokens make their own.
    """
    if not auth_enabled:
        return None
    key = combination_id(combination)
    cached = shared_users.get(key)
    if cached is None or time.monotonic() - cached[1] > SHARED_USER_MAX_AGE:
        shared_users[key] = (new_user(client, "shared"), time.monotonic())
    return shared_users[key][0]


@pytest.fixture
def api(live: LiveServer, current_user: User | None) -> Iterator[httpx.Client]:
    """A client allowed to use the items API: with a user's token when auth is on."""
    headers = current_user.headers if current_user else None
    with new_client(live.base_url, headers=headers) as authorized:
        yield authorized


def _combination_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    combination = params.get("combination", params.get("rig"))
    return combination_id(combination) if isinstance(combination, dict) else ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run each combination's contract tests one after another, so its server
    starts once and stops before the next combination's starts."""
    positions = [i for i, item in enumerate(items) if "contract" in item.keywords]
    ordered = sorted((items[i] for i in positions), key=_combination_of)
    for position, item in zip(positions, ordered, strict=True):
        items[position] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server's (and the worker's) log to every failed contract test."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            server = getattr(value, "server", value)
            if isinstance(server, LiveServer):
                report.sections.append(("server log (tail)", server.log_tail()))
                if server.worker is not None:
                    report.sections.append(("worker log (tail)", server.worker.log_tail()))
    return report
