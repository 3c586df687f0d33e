"""Section 5: the database goes away and comes back; the server stays up.

A separate server of the same project reaches PostgreSQL through a TCP proxy
the test controls. Two outages: the database is down (connections drop, new
ones are refused) and the database is unreachable (connections hang). In
both, readiness and API requests must answer 503 in bounded time, and the
server must serve again once the proxy is restored, without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ProjectFactory
from tests.contract.client import (
    assert_status,
    create_item,
    json_object,
    new_client,
    new_user,
    token,
)
from tests.contract.combinations import select
from tests.contract.outage import (
    CLIENT_TIMEOUT,
    RECOVERY_WITHIN,
    Phases,
    Send,
    assert_all_unavailable,
    assert_ready_reports_the_database,
    database_requests,
    is_ready,
    is_serving,
    wait_for,
)
from tests.contract.proxy import TcpProxy
from tests.contract.server import SHUTDOWN_TIMEOUT, LiveServer, live_server, stop, with_port
from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.databases import postgres_database
from tests.harness.params import combination_params
from tests.option_space import AXES, Combination, combination_id

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class OutageRig:
    server: LiveServer
    proxy: TcpProxy
    auth_enabled: bool


#: One PostgreSQL combination per framework: the outage is the database's, the
#: same whatever else the project uses.
OUTAGE_COMBINATIONS = [
    select(framework=framework, database="postgresql")[0] for framework in AXES["framework"]
]


@pytest.fixture(scope="module", params=combination_params(OUTAGE_COMBINATIONS))
def rig(
    request: pytest.FixtureRequest,
    project_factory: ProjectFactory,
    require_postgres: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OutageRig]:
    combination: Combination = request.param
    project = project_factory(combination)
    workdir: Path = tmp_path_factory.mktemp("outage")
    prefix = f"contract_outage_{combination_id(combination).replace('-', '_')}"
    with ExitStack() as resources:
        database_url = resources.enter_context(postgres_database(prefix))
        broker_settings = None
        if combination["task_queue"] != "none":
            namespace = resources.enter_context(broker_namespace(combination["broker"], prefix))
            broker_settings = namespace.settings()
        cache = resources.enter_context(cache_settings(combination, prefix))
        target_port = urlsplit(database_url).port or 5432
        proxy = resources.enter_context(TcpProxy("127.0.0.1", target_port))
        server = resources.enter_context(
            live_server(
                project,
                with_port(database_url, proxy.port),
                workdir / "server.log",
                migrate_database_url=database_url,
                broker_settings=broker_settings,
                cache=cache,
            )
        )
        yield OutageRig(server, proxy, combination["auth"] == "jwt")


@dataclass(frozen=True)
class Scene:
    """A user (when auth is on), an item of theirs, and a client acting as them."""

    api: httpx.Client
    headers: dict[str, str] | None
    requests: dict[str, Send]
    item_id: str
    marker: str


@pytest.fixture
def scene(rig: OutageRig) -> Iterator[Scene]:
    base_url = rig.server.base_url
    with new_client(base_url, timeout=CLIENT_TIMEOUT) as anonymous:
        wait_for(lambda: is_ready(anonymous), RECOVERY_WITHIN, "a healthy server to start from")
        user = new_user(anonymous) if rig.auth_enabled else None
    headers = user.headers if user else None
    marker = token()
    with new_client(base_url, headers=headers, timeout=CLIENT_TIMEOUT) as api:
        item = create_item(api, f"{marker} before")
        assert_status(api.get("/health/ready"), 200)
        assert rig.proxy.open_connections() > 0, "the server does not use the proxy"
        yield Scene(api, headers, database_requests(user, item["id"], marker), item["id"], marker)
    rig.proxy.restore()


def test_database_down_then_back(rig: OutageRig, scene: Scene) -> None:
    """Connections drop and new ones are refused: 503s at once, then recovery."""
    phases = Phases()
    rig.proxy.cut()

    with phases.phase("readiness while down"):
        assert_ready_reports_the_database(scene.api)
    with phases.phase("API while down"):
        assert_all_unavailable(rig.server.base_url, scene.headers, scene.requests, extra_lists=4)
    with phases.phase("liveness while down"):
        assert_status(scene.api.get("/health/live"), 200)

    rig.proxy.restore()

    with phases.phase("recovery"):
        wait_for(lambda: is_serving(scene.api, scene.marker), RECOVERY_WITHIN, "recovery")
        listing = json_object(scene.api.get("/api/v1/items", params={"q": scene.marker}))
        assert [found["id"] for found in listing["items"]] == [scene.item_id], listing
        created = scene.api.post("/api/v1/items", json={"title": f"{scene.marker} after"})
        assert_status(created, 201)
    assert rig.server.is_running(), "the server exited"
    phases.assert_all_passed()


def test_database_unreachable_then_back(rig: OutageRig, scene: Scene) -> None:
    """Packets vanish, nothing is refused: only the server's own timeouts help."""
    phases = Phases()
    rig.proxy.stall()

    with phases.phase("readiness while unreachable"):
        assert_ready_reports_the_database(scene.api)
    with phases.phase("API while unreachable"):
        assert_all_unavailable(rig.server.base_url, scene.headers, scene.requests, extra_lists=8)
    with phases.phase("readiness after the API burst"):
        assert_ready_reports_the_database(scene.api)
    with phases.phase("liveness while unreachable"):
        assert_status(scene.api.get("/health/live"), 200)

    rig.proxy.restore()

    with phases.phase("recovery"):
        wait_for(lambda: is_serving(scene.api, scene.marker), RECOVERY_WITHIN, "recovery")
        created = scene.api.post("/api/v1/items", json={"title": f"{scene.marker} after"})
        assert_status(created, 201)
    assert rig.server.is_running(), "the server exited"
    phases.assert_all_passed()


def test_sigterm_stops_the_server_gracefully(rig: OutageRig) -> None:
    """Section 9: `make serve` execs the server, so SIGTERM shuts it down."""
    process = rig.server.process
    assert process.poll() is None, "the server is not running"

    stopped_alone = stop(process)

    assert stopped_alone, f"the server was still running {SHUTDOWN_TIMEOUT:.0f} s after SIGTERM"
    assert "Traceback" not in rig.server.log_tail(20000), rig.server.log_tail()
