"""Section 1's promise, kept by a client nobody here wrote.

openapi-python-client generates a client from the document FastAPI serves
(once per session and kind of document, offline, from the saved
`/openapi.json`); that one client then drives every combination of the
covering set, FastAPI, Flask and Django alike, through the whole API:
registration, the OAuth2 password grant, refresh rotation, logout, the
items' create, list, search, sort, pages, update and delete, and problem
details parsed into the generated `Problem` and `ValidationProblem` models.
Any status the document does not list for an operation fails the test (the
client raises on it).

The routes, and so the document, depend on two answers only: the auth mode
and whether there is a task queue (any queue, any broker). A client is
generated for each such kind from a FastAPI project of that kind, and each
test first checks that the server it drives serves, after the normalisation
of section 1, the very document its client was generated from; so this
tier also proves one document across queues, caches and databases, where
test_one_document.py compares the three frameworks on one cheap combination.

Last, the generated README's recipe for a client runs as written against one
combination per framework and auth mode.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ProjectFactory
from tests.contract.client import JsonObject, User, new_client, new_password, token, unique_email
from tests.contract.combinations import for_combinations, select
from tests.contract.generated_client import (
    ITEM_PAGE,
    ITEM_READ,
    PROBLEM,
    TOKEN_PAIR,
    USER_READ,
    VALIDATION_PROBLEM,
    GeneratedClient,
    ItemPage,
    ItemRead,
    Problem,
    Reply,
    ValidationProblem,
    generate_client,
)
from tests.contract.openapi import differences, fetch_document, normalised, operations
from tests.contract.server import LiveServer, live_server
from tests.harness.brokers import broker_namespace
from tests.harness.databases import database_for
from tests.harness.params import combination_params
from tests.harness.readme import section, shell_commands
from tests.option_space import Combination, combination_id

pytestmark = pytest.mark.contract

#: The framework whose document the client is generated from.
SOURCE_FRAMEWORK = "fastapi"


@dataclass(frozen=True)
class Source:
    """A client generated from the source framework's document, and that document."""

    document: JsonObject
    client: GeneratedClient


@dataclass(frozen=True)
class SourceKind:
    """What decides the routes a document has: the auth mode and whether tasks exist."""

    auth: str
    tasks: bool

    @classmethod
    def of(cls, combination: Combination) -> SourceKind:
        return cls(combination["auth"], combination["task_queue"] != "none")

    def combination(self) -> Combination:
        """The cheapest project of the source framework with these routes: SQLite, no
        cache, and RQ on Redis when it needs a queue (the queue changes no route)."""
        queue = {"task_queue": "rq", "broker": "redis"} if self.tasks else {"task_queue": "none"}
        return {
            "framework": SOURCE_FRAMEWORK,
            "database": "sqlite",
            "auth": self.auth,
            **queue,
            "cache": "none",
        }


@pytest.fixture(scope="session")
def generated_clients(
    project_factory: ProjectFactory, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[SourceKind], Source]:
    """The client generated for a kind of document, made on first use, kept for the session."""
    sources: dict[SourceKind, Source] = {}

    def served_document(kind: SourceKind) -> JsonObject:
        combination = kind.combination()
        key = combination_id(combination)
        project = project_factory(combination)
        workdir = tmp_path_factory.mktemp(f"source-server-{key}")
        prefix = f"generated_client_{key.replace('-', '_')}"
        with ExitStack() as stack:
            database_url = stack.enter_context(database_for("sqlite", prefix, workdir))
            broker_settings = None
            if kind.tasks:
                namespace = stack.enter_context(broker_namespace("redis", prefix))
                broker_settings = namespace.settings()
            server = stack.enter_context(
                live_server(
                    project, database_url, workdir / "server.log", broker_settings=broker_settings
                )
            )
            anonymous = stack.enter_context(new_client(server.base_url))
            return fetch_document(anonymous)

    def source_for(kind: SourceKind) -> Source:
        if kind not in sources:
            key = combination_id(kind.combination())
            document = shared_across_workers(
                tmp_path_factory, f"{key}.json", lambda: served_document(kind)
            )
            workdir = tmp_path_factory.mktemp(f"generated-client-{key}")
            package = f"contract_generated_client_{key.replace('-', '_')}"
            generated = generate_client(document, workdir, package)
            operation_ids = {
                operation["operationId"]
                for _, _, operation in operations(document)
                if "operationId" in operation
            }
            assert generated.operation_ids == operation_ids, "an operation has no function"
            sources[kind] = Source(document, generated)
        return sources[kind]

    return source_for


def shared_across_workers(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], JsonObject]
) -> JsonObject:
    """`make()`, computed by the first xdist worker that needs it and read by the others.

    Serving a source project costs an install and a server start (30-50 s);
    every worker needs the same few documents, so one builds each while the
    others wait on the lock. Generating the client from it takes seconds and
    stays per worker (it is imported there).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, shared by its workers
    path = root / "generated-client-documents" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            path.write_text(json.dumps(make()))
    document = json.loads(path.read_text())
    assert isinstance(document, dict), f"{path} does not hold a JSON object"
    return document


@pytest.fixture
def source(generated_clients: Callable[[SourceKind], Source], combination: Combination) -> Source:
    return generated_clients(SourceKind.of(combination))


def assert_serves_the_source_document(client: httpx.Client, source: Source) -> None:
    found = list(differences(normalised(source.document), normalised(fetch_document(client))))
    assert not found, (
        f"the server's document differs from the {SOURCE_FRAMEWORK} document the client "
        "was generated from:\n" + "\n".join(found[:40])
    )


def assert_problem(generated: GeneratedClient, reply: Reply, status: int) -> Problem:
    """The problem details of `reply`, parsed into the generated `Problem`."""
    return _checked(generated.parsed(reply, status, PROBLEM), reply, status)


def assert_validation_problem(generated: GeneratedClient, reply: Reply) -> ValidationProblem:
    """The 422 of `reply`, parsed into the generated `ValidationProblem`."""
    problem = _checked(generated.parsed(reply, 422, VALIDATION_PROBLEM), reply, 422)
    assert problem.errors, problem
    assert all(error.msg.strip() for error in problem.errors), problem
    return problem


def _checked[P: Problem](problem: P, reply: Reply, status: int) -> P:
    assert problem.status == status, problem
    assert problem.title.strip(), problem
    assert problem.detail.strip(), problem
    assert isinstance(problem.type_, str), problem
    assert problem.request_id == reply.headers.get("x-request-id"), problem
    return problem


# --- auth (auth = jwt) --------------------------------------------------------------


@for_combinations(auth="jwt")
def test_the_generated_client_registers_logs_in_and_rotates_tokens(
    live: LiveServer, client: httpx.Client, source: Source
) -> None:
    assert_serves_the_source_document(client, source)
    generated = source.client
    email, password = unique_email("Generated"), new_password()

    with generated.session(live.base_url) as anonymous:
        body = generated.new("UserCreate", email=email, password=password, full_name="Ada")
        reply = generated.call("auth_register", anonymous, body=body)
        user = generated.parsed(reply, 201, USER_READ)
        assert (user.email, user.full_name, user.is_active) == (email.lower(), "Ada", True)

        again = generated.call("auth_register", anonymous, body=body)
        assert_problem(generated, again, 409)

        form = generated.new("PasswordGrantForm", username=email, password=password)
        reply = generated.call("auth_issue_token", anonymous, body=form)
        first = generated.parsed(reply, 200, TOKEN_PAIR)
        assert first.token_type == "bearer"  # noqa: S105 (a token type, not a secret)
        assert first.expires_in > 0

        wrong = generated.new("PasswordGrantForm", username=email, password=f"{password}-not")
        refused = generated.call("auth_issue_token", anonymous, body=wrong)
        assert_problem(generated, refused, 401)

        # Rotation: the refresh token is good once; presented again it is refused,
        # and that reuse revokes the user's other refresh tokens too.
        rotate = generated.new("RefreshRequest", refresh_token=first.refresh_token)
        reply = generated.call("auth_refresh_token", anonymous, body=rotate)
        second = generated.parsed(reply, 200, TOKEN_PAIR)
        assert second.refresh_token != first.refresh_token
        reused = generated.call("auth_refresh_token", anonymous, body=rotate)
        assert_problem(generated, reused, 401)
        revoked = generated.new("RefreshRequest", refresh_token=second.refresh_token)
        reply = generated.call("auth_refresh_token", anonymous, body=revoked)
        assert_problem(generated, reply, 401)

        reply = generated.call("auth_issue_token", anonymous, body=form)
        third = generated.parsed(reply, 200, TOKEN_PAIR)

    with generated.session(live.base_url, third.access_token) as signed_in:
        reply = generated.call("users_read_me", signed_in)
        assert generated.parsed(reply, 200, USER_READ).id == user.id

        update = generated.new("UserUpdate", full_name="Ada L.")
        reply = generated.call("users_update_me", signed_in, body=update)
        assert generated.parsed(reply, 200, USER_READ).full_name == "Ada L."

        logout = generated.new("RefreshRequest", refresh_token=third.refresh_token)
        reply = generated.call("auth_logout", signed_in, body=logout)
        assert reply.status == 204, reply
        reply = generated.call("auth_refresh_token", signed_in, body=logout)
        assert_problem(generated, reply, 401)

    with generated.session(live.base_url, "not-a-token") as impostor:
        reply = generated.call("users_read_me", impostor)
        assert_problem(generated, reply, 401)


# --- items (every combination) --------------------------------------------------------


def _titles(page: ItemPage) -> list[str]:
    return [item.title for item in page.items]


@for_combinations()
def test_the_generated_client_creates_lists_updates_and_deletes_items(
    live: LiveServer, client: httpx.Client, source: Source, current_user: User | None
) -> None:
    assert_serves_the_source_document(client, source)
    generated = source.client
    marker = token()
    access_token = current_user.access_token if current_user else None

    with generated.session(live.base_url, access_token) as api:
        created: dict[str, ItemRead] = {}
        for word in ("bravo", "alpha", "charlie"):
            body = generated.new("ItemCreate", title=f"{marker} {word}", description=word)
            reply = generated.call("items_create_item", api, body=body)
            item = generated.parsed(reply, 201, ITEM_READ)
            assert (item.title, item.description) == (f"{marker} {word}", word)
            assert reply.headers.get("location", "").endswith(f"/api/v1/items/{item.id}")
            created[word] = item

        def page(**query: object) -> ItemPage:
            reply = generated.call("items_list_items", api, q=marker, **query)
            return generated.parsed(reply, 200, ITEM_PAGE)

        everything = page()
        assert everything.total == 3
        assert {item.id for item in everything.items} == {item.id for item in created.values()}

        by_title = generated.new("ItemsListItemsSort", "title")
        by_title_descending = generated.new("ItemsListItemsSort", "-title")
        ordered = [f"{marker} {word}" for word in ("alpha", "bravo", "charlie")]
        assert _titles(page(sort=by_title)) == ordered
        assert _titles(page(sort=by_title_descending)) == ordered[::-1]

        first = page(sort=by_title, limit=2, offset=0)
        rest = page(sort=by_title, limit=2, offset=2)
        assert (first.total, first.limit, first.offset) == (3, 2, 0)
        assert (rest.total, rest.limit, rest.offset) == (3, 2, 2)
        assert _titles(first) + _titles(rest) == ordered

        narrowed = generated.call("items_list_items", api, q=f"{marker} CHAR")
        found = generated.parsed(narrowed, 200, ITEM_PAGE)
        assert [item.id for item in found.items] == [created["charlie"].id]

        original = created["alpha"]
        renamed = generated.new("ItemUpdate", title=f"{marker} alpha renamed")
        reply = generated.call("items_update_item", api, item_id=original.id, body=renamed)
        updated = generated.parsed(reply, 200, ITEM_READ)
        assert (updated.title, updated.description) == (f"{marker} alpha renamed", "alpha")
        assert updated.updated_at > original.updated_at
        cleared = generated.new("ItemUpdate", description=None)
        reply = generated.call("items_update_item", api, item_id=original.id, body=cleared)
        updated = generated.parsed(reply, 200, ITEM_READ)
        assert (updated.title, updated.description) == (f"{marker} alpha renamed", None)
        reply = generated.call("items_get_item", api, item_id=original.id)
        assert generated.parsed(reply, 200, ITEM_READ).description is None

        reply = generated.call("items_delete_item", api, item_id=original.id)
        assert reply.status == 204, reply
        gone = generated.call("items_get_item", api, item_id=original.id)
        assert_problem(generated, gone, 404)
        assert page().total == 2


@for_combinations()
def test_the_generated_client_parses_validation_problems(
    live: LiveServer, client: httpx.Client, source: Source, current_user: User | None
) -> None:
    assert_serves_the_source_document(client, source)
    generated = source.client
    access_token = current_user.access_token if current_user else None

    with generated.session(live.base_url, access_token) as api:
        # The generated models do not check bounds: the server does, and says where.
        body = generated.new("ItemCreate", title="")
        reply = generated.call("items_create_item", api, body=body)
        problem = assert_validation_problem(generated, reply)
        assert ["body", "title"] in [list(error.loc) for error in problem.errors], problem

        reply = generated.call("items_list_items", api, limit=0)
        problem = assert_validation_problem(generated, reply)
        assert ["query", "limit"] in [list(error.loc) for error in problem.errors], problem


# --- the generated README's recipe --------------------------------------------------

README_SECTION = "A typed API client"
#: How the README runs the generator; the tier runs the locked one instead, offline.
README_GENERATOR = "uvx --from 'openapi-python-client>=0.29,<0.30' openapi-python-client"
README_BASE_URL = "http://127.0.0.1:8000"
#: The user the README's example logs in as.
README_USER = {"email": "ada@example.com", "password": "correct horse"}


def _one_per_framework_and_auth() -> list[Combination]:
    chosen: dict[tuple[str, str], Combination] = {}
    for combination in select():
        chosen.setdefault((combination["framework"], combination["auth"]), combination)
    return list(chosen.values())


@pytest.mark.parametrize("combination", combination_params(_one_per_framework_and_auth()))
def test_the_readme_recipe_generates_a_client_that_works(
    live: LiveServer, client: httpx.Client, combination: Combination, tmp_path: Path
) -> None:
    """The generated README's commands and example, as written, against this server."""
    text = section((live.project / "README.md").read_text(), README_SECTION)
    script = "\n".join(shell_commands(text)).replace("\\\n", " ")
    assert README_GENERATOR in script, script
    script = script.replace(README_GENERATOR, f"{sys.executable} -m openapi_python_client")
    script = script.replace(README_BASE_URL, live.base_url)
    example = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert example is not None, text
    if combination["auth"] == "jwt":
        registered = client.post("/api/v1/auth/register", json=README_USER)
        assert registered.status_code in {201, 409}, registered.text

    # In a folder of its own: the README writes beside the project and into it.
    workdir = tmp_path / "project"
    workdir.mkdir()
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    generated = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, f"{script}\n{generated.stdout}\n{generated.stderr}"

    packages = [path.parent for path in tmp_path.glob("*-client/*/__init__.py")]
    assert len(packages) == 1, packages
    ran = subprocess.run(
        [sys.executable, "-c", example.group(1).replace(README_BASE_URL, live.base_url)],
        cwd=workdir,
        env={**environment, "PYTHONPATH": str(packages[0].parent)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}"
    assert "Invoice 42" in ran.stdout, ran.stdout
