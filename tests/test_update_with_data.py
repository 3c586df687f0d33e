"""Tier 5, with data: a project in production crosses a template update.

Generated at the real repository's previous release, migrated on a fresh
PostgreSQL database, filled through the API of its production server (users,
items, refresh tokens, task runs), edited and committed like a user would,
then `copier update`d to the working tree: it installs, migrates on top of
its data, still serves every row written before, and passes `make check`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from copier import run_update
from psycopg import sql

from tests.contract.client import (
    JsonObject,
    User,
    assert_status,
    create_item,
    json_object,
    login,
    new_client,
    new_user,
)
from tests.contract.server import live_server
from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.databases import postgres_database, table_names
from tests.harness.exclusions import files_of_options_not_taken
from tests.harness.history import (
    build_history,
    git,
    history_since_previous_release,
    working_tree,
)
from tests.harness.option_rules import untaken_option_problems
from tests.harness.projects import generate, recorded_answers, run
from tests.harness.reporting import DURATION_PREFIX
from tests.option_space import AXES, Combination, combination_id
from tests.test_update import (
    UPDATED,
    assert_merged_cleanly,
    commit_all,
    conflicted_files,
    update,
)

pytestmark = [pytest.mark.update, pytest.mark.usefixtures("require_postgres")]

RecordProperty = Any  # pytest's record_property fixture


def _with_data(combination: Combination) -> dict[str, str]:
    """The row on PostgreSQL with JWT auth: the data a production project holds
    (users and refresh tokens exist only with auth)."""
    return {**combination, "database": "postgresql", "auth": "jwt"}


#: Per framework, without and with a task queue (the rows of tests/test_update.py).
ROWS = [_with_data(combination) for combination in UPDATED]
#: Tables whose rows the API wrote, by the option that brings them.
DATA_TABLES = ("users", "items", "refresh_tokens", "task_runs")
#: A module, a migration and a test of the user's own: a table the template knows nothing of.
USER_TABLE = "team_notes"
CHECK_TIMEOUT = 900.0
TASK_TIMEOUT = 30.0

SQLALCHEMY_MODEL = '''"""Notes the team keeps beside the items: added after generation."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from {package}.models.base import Base


class TeamNote(Base):
    __tablename__ = "team_notes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    body: Mapped[str] = mapped_column(String(200))
'''
ALEMBIC_REVISION = '''"""The team's notes.

Revision ID: team_0001
Revises: {down}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "team_0001"
down_revision: str | None = "{down}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_notes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_notes")),
    )


def downgrade() -> None:
    op.drop_table("team_notes")
'''
DJANGO_MODEL = '''"""Notes the team keeps beside the items: added after generation."""

from django.db import models


class TeamNote(models.Model):
    id = models.BigAutoField(primary_key=True)
    body = models.CharField(max_length=200)

    class Meta:
        db_table = "team_notes"

    def __str__(self) -> str:
        return self.body
'''
USER_TEST = '''"""A test the team wrote for its own model."""

from {package}.models import TeamNote


def test_a_note_keeps_its_body() -> None:
    assert TeamNote(body="deploy on Tuesdays").body == "deploy on Tuesdays"
'''
USER_ITEM_TEST = '''"""A test the team wrote for the items."""

from {package}.models import Item


def test_an_item_keeps_its_title() -> None:
    assert Item(title="order 1").title == "order 1"
'''
#: A route of the user's own, in each framework's idiom: GET /api/v1/team.
TEAM_PATH = "/api/v1/team"
TEAM_BODY = {"name": "orders", "on_call": "platform"}
FASTAPI_ROUTE = '''"""The team behind the service: added after generation."""

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(prefix="/team", tags=["team"])


class Team(BaseModel):
    name: str
    on_call: str


@router.get("")
async def describe_team() -> Team:
    return Team(name="orders", on_call="platform")
'''
FLASK_ROUTE = '''"""The team behind the service: added after generation."""

from flask import Blueprint, Response
from pydantic import BaseModel

from {package}.web.endpoints import endpoint, json_response

blueprint = Blueprint("team", __name__, url_prefix="/team")


class Team(BaseModel):
    name: str
    on_call: str


@blueprint.get("")
@endpoint(response=Team)
def describe_team() -> Response:
    """Who runs this service."""
    return json_response(Team(name="orders", on_call="platform"))
'''
DJANGO_ROUTE = '''"""The team behind the service: added after generation."""

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["team"])


class Team(Schema):
    name: str
    on_call: str


@router.get("", response=Team)
def describe_team(request: HttpRequest) -> Team:
    return Team(name="orders", on_call="platform")
'''
#: A setting the user changes (access tokens live 30 minutes, not 15), with their tests.
TTL_SETTING = ("access_token_ttl_seconds: int = Field(default=15 * 60,", "default=30 * 60,")
TTL_TESTS = (
    ('["expires_in"] == 900', '["expires_in"] == 1800'),
    ('["iat"] == 900', '["iat"] == 1800'),
)
USER_ACCESS_TTL = 30 * 60
#: A dependency the user adds: already locked (mypy needs it), so uv resolves it offline.
USER_DEPENDENCY = "typing-extensions"


@dataclass
class Written:
    """What the API wrote before the update, to find again after it."""

    users: list[User] = field(default_factory=list)
    items: dict[str, list[JsonObject]] = field(default_factory=dict)  # by user email
    tasks: dict[str, list[JsonObject]] = field(default_factory=dict)  # by user email


def package_of(project: Path) -> Path:
    return next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())


# --- the database, read directly --------------------------------------------------


def row_ids(url: str) -> dict[str, set[str]]:
    """The primary keys of every data table the project has."""
    present = table_names(url)
    ids: dict[str, set[str]] = {}
    with psycopg.connect(url, connect_timeout=5) as connection:
        for table in DATA_TABLES:
            if table in present:
                query = sql.SQL("SELECT id::text FROM {}").format(sql.Identifier(table))
                ids[table] = {str(row[0]) for row in connection.execute(query)}
    return ids


# --- the API ----------------------------------------------------------------------


def write_data(base_url: str, with_queue: bool) -> Written:
    written = Written()
    with new_client(base_url) as client:
        for number in range(2):
            user = new_user(client, f"before-update-{number}")
            # A second session of the same user: one more refresh token row.
            assert_status(login(client, user.email, user.password), 200)
            with new_client(base_url, headers=user.headers) as api:
                written.items[user.email] = [
                    create_item(api, f"order {number}-{n}", f"written before the update {n}")
                    for n in range(3)
                ]
                if with_queue:
                    written.tasks[user.email] = [run_ping(api, f"before the update {number}")]
            written.users.append(user)
    return written


def run_ping(api: httpx.Client, message: str) -> JsonObject:
    response = api.post("/api/v1/tasks/ping", json={"message": message})
    assert_status(response, 202)
    task_id = json_object(response)["task_id"]
    deadline = time.monotonic() + TASK_TIMEOUT
    while True:
        body = json_object(api.get(f"/api/v1/tasks/{task_id}"))
        if body["status"] in {"succeeded", "failed"}:
            break
        assert time.monotonic() < deadline, f"the ping stayed {body['status']}: {body}"
        time.sleep(0.2)
    assert body["status"] == "succeeded", body
    return body


def read_back(base_url: str, written: Written, *, user_route: bool = True) -> None:
    """Everything written before the update, through the API of the updated project,
    and the user's own route."""
    with new_client(base_url) as client:
        if user_route:
            team = client.get(TEAM_PATH)
            assert_status(team, 200)
            assert json_object(team) == TEAM_BODY, "the user's route changed"
            assert TEAM_PATH in json_object(client.get("/openapi.json"))["paths"]
        for user in written.users:
            # The refresh token issued before the update still rotates.
            refreshed = client.post(
                "/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}
            )
            assert_status(refreshed, 200)
            user.refresh_token = json_object(refreshed)["refresh_token"]  # the old one is spent
            logged_in = login(client, user.email, user.password)
            assert_status(logged_in, 200)
            assert json_object(logged_in)["expires_in"] == USER_ACCESS_TTL, "the setting is lost"
            headers = {"Authorization": f"Bearer {json_object(refreshed)['access_token']}"}
            with new_client(base_url, headers=headers) as api:
                me = api.get("/api/v1/users/me")
                assert_status(me, 200)
                assert json_object(me)["id"] == user.id
                for item in written.items[user.email]:
                    response = api.get(f"/api/v1/items/{item['id']}")
                    assert_status(response, 200)
                    assert json_object(response) == item, "an item changed across the update"
                for task in written.tasks.get(user.email, []):
                    response = api.get(f"/api/v1/tasks/{task['task_id']}")
                    assert_status(response, 200)
                    assert json_object(response) == task, "a task run changed across the update"


# --- the services of one row --------------------------------------------------------


@dataclass(frozen=True)
class Services:
    database_url: str
    broker: dict[str, str] | None
    cache: dict[str, str]
    #: Production's secret outlives an update: tokens signed before stay valid.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def environment(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, **(self.broker or {}), **self.cache}


@contextmanager
def services_for(combination: Combination) -> Iterator[Services]:
    prefix = f"upd_{combination_id(combination).replace('-', '_')}"
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database(prefix))
        broker = None
        if combination["task_queue"] != "none":
            broker = stack.enter_context(broker_namespace(combination["broker"], prefix)).settings()
        cache = stack.enter_context(cache_settings(combination, prefix))
        yield Services(url, broker, cache)


@contextmanager
def serving(project: Path, services: Services, log: Path) -> Iterator[str]:
    """`make migrate`, then the production server (and worker); its base URL."""
    with live_server(
        project,
        services.database_url,
        log,
        broker_settings=services.broker,
        cache=services.cache,
        secret_key=services.secret_key,
    ) as server:
        yield server.base_url


# --- the user's edits -----------------------------------------------------------------


def alembic_head(project: Path) -> str:
    texts = [path.read_text() for path in (project / "migrations" / "versions").glob("*.py")]
    revisions = {m for text in texts for m in re.findall(r'^revision: str = "(.+)"', text, re.M)}
    parents = {m for text in texts for m in re.findall(r'^down_revision.*= "(.+)"', text, re.M)}
    heads = revisions - parents
    assert len(heads) == 1, f"expected one Alembic head, found {heads}"
    return str(heads.pop())


def add_to_models_package(package: Path) -> None:
    """Import the new model beside the others, as the package's __init__ does."""
    init = package / "models" / "__init__.py"
    text = init.read_text()
    name = package.name
    line = f"from {name}.models.team_note import TeamNote\n"
    anchor = f"from {name}.models.user import User\n"
    assert anchor in text, f"{init} no longer imports User the way this test expects"
    text = text.replace(anchor, line + anchor)
    text = text.replace('    "User",\n', '    "TeamNote",\n    "User",\n')
    init.write_text(text)


def change_a_setting(project: Path, package: Path) -> None:
    """The access token's lifetime, and the tests of the project that assert it."""
    # Its own part of the settings; config.py held every setting before the parts.
    config = package / "settings" / "auth.py"
    if not config.exists():
        config = package / "config.py"
    old, new = TTL_SETTING
    text = config.read_text()
    assert old in text, f"{config} no longer sets the access token's lifetime this way"
    config.write_text(text.replace(old, old.replace("default=15 * 60,", new)))
    tests = project / "tests" / "test_auth.py"
    text = tests.read_text()
    assert TTL_TESTS[0][0] in text, f"{tests} no longer asserts expires_in"
    for before, after in TTL_TESTS:
        text = text.replace(before, after)
    tests.write_text(text)


def _sub_once(pattern: str, replacement: str, path: Path) -> None:
    text = path.read_text()
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.DOTALL | re.MULTILINE)
    assert count == 1, f"{path} no longer matches {pattern!r}: this test's edit needs updating"
    path.write_text(changed)


def add_a_route(package: Path, framework: str) -> None:
    """GET /api/v1/team: a routes module of the user's, registered beside the template's."""
    name = package.name
    routes = package / "web" / "routes"
    imports = rf"^(from {name}\.web\.routes import [a-z_, ]+)$"
    if framework == "django":
        (routes / "team.py").write_text(DJANGO_ROUTE)
        api = package / "web" / "api.py"
        _sub_once(imports, r"\1, team", api)
        with api.open("a") as module:
            module.write('api.add_router("/api/v1/team", team.router)\n')
        return
    init = routes / "__init__.py"
    _sub_once(imports, r"\1, team", init)
    if framework == "fastapi":
        (routes / "team.py").write_text(FASTAPI_ROUTE)
        _sub_once(r"(API_ROUTERS: [^=]+= \()(.*?),?\s*\)$", r"\1\2, team.router)", init)
    else:
        (routes / "team.py").write_text(FLASK_ROUTE.format(package=name))
        _sub_once(r"(API_BLUEPRINTS: [^=]+= \()(.*?),?\s*\)$", r"\1\2, team.blueprint)", init)


def edit_like_a_user(
    project: Path, framework: str, services: Services, *, registrations: bool = True
) -> None:
    """A setting and the tests that assert it, a route, a model with its own migration
    and a test of it, a dependency; committed.

    Without `registrations`, no route and no model (both are registered in lists an
    option also extends, see test_a_new_option_beside_the_users_registrations_conflicts):
    the test is of the items' model.
    """
    package = package_of(project)
    name = package.name
    change_a_setting(project, package)
    if registrations:
        add_a_route(package, framework)
    if not registrations:
        (project / "tests" / "test_team_items.py").write_text(USER_ITEM_TEST.format(package=name))
    elif framework == "django":
        (package / "models" / "team_note.py").write_text(DJANGO_MODEL)
        add_to_models_package(package)
        run(
            ["uv", "run", "--no-sync", "python", "manage.py", "makemigrations", name,
             "--name", "team_notes"],
            project,
            env={**services.environment, "SECRET_KEY": "x" * 64},
        )  # fmt: skip
    else:
        (package / "models" / "team_note.py").write_text(SQLALCHEMY_MODEL.format(package=name))
        add_to_models_package(package)
        revision = ALEMBIC_REVISION.format(down=alembic_head(project))
        (project / "migrations" / "versions" / "team_0001_team_notes.py").write_text(revision)
    if registrations:
        (project / "tests" / "test_team_notes.py").write_text(USER_TEST.format(package=name))
    run(["uv", "add", "--offline", USER_DEPENDENCY], project)
    run(["uv", "run", "--no-sync", "ruff", "format", "."], project)
    run(["uv", "run", "--no-sync", "ruff", "check", "--fix", "."], project)
    commit_all(
        project,
        "Longer access tokens; GET /api/v1/team; the team's notes: a model, its migration, "
        "a test; typing-extensions",
    )


# --- the tier ---------------------------------------------------------------------------


def row_params() -> list[Any]:
    return [
        pytest.param(
            row,
            id=combination_id(row),
            marks=pytest.mark.xdist_group(f"update-data-{combination_id(row)}"),
        )
        for row in ROWS
    ]


@pytest.mark.parametrize("combination", row_params())
def test_a_project_holding_data_updates_to_the_working_tree(
    combination: Combination, tmp_path: Path, record_property: RecordProperty
) -> None:
    started = time.perf_counter()
    history = history_since_previous_release(tmp_path)
    if history is None:
        pytest.skip("the repository has no earlier template commit than its working tree")
    # A row the previous release cannot render fails here, with Copier's reason.
    project = generate(history.repository, tmp_path / "project", combination, history.old_commit)
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, f"Generated from {history.previous[:10]}")
    run(["make", "install"], project)

    with services_for(combination) as services:
        with serving(project, services, tmp_path / "before.log") as base_url:
            written = write_data(base_url, combination["task_queue"] != "none")
        before = row_ids(services.database_url)
        for table in ("users", "items", "refresh_tokens"):
            assert before[table], f"the API wrote no {table}: {before}"
        if combination["task_queue"] != "none":
            # The welcome e-mails of the new users are task runs too.
            pinged = {task["task_id"] for tasks in written.tasks.values() for task in tasks}
            assert pinged <= before["task_runs"], before

        edit_like_a_user(project, combination["framework"], services)
        update(project, history.new_commit)
        assert_merged_cleanly(project)
        run(["make", "install"], project)

        with serving(project, services, tmp_path / "after.log") as base_url:
            after = row_ids(services.database_url)
            read_back(base_url, written)
        assert USER_TABLE in table_names(services.database_url), "the user's migration is lost"
        for table, ids in before.items():
            assert ids <= after.get(table, set()), f"rows of {table} lost in the update"
        counts = {table: (len(before[table]), len(after[table])) for table in before}
        record_property("row counts", counts)
        print(f"rows (before, after) the update: {counts}")  # shown by -rA

        run(["make", "drift"], project, env=services.environment, timeout=CHECK_TIMEOUT)
        run(["make", "check"], project, env=services.environment, timeout=CHECK_TIMEOUT)
    record_property(DURATION_PREFIX + "update with data", time.perf_counter() - started)


# --- changed answers on a project holding data --------------------------------------------

#: One project takes these answer changes in turn, each at the same release.
ANSWER_CHANGES: tuple[tuple[str, dict[str, str]], ...] = (
    # Redis first: Celery on Redis is the one combination with code of its own (the
    # lost-message watch), which the switch to RabbitMQ removes; migration 0003 stays.
    ("add a task queue", {"task_queue": "celery", "broker": "redis"}),
    ("switch the broker", {"broker": "rabbitmq"}),
    ("add the Redis cache", {"cache": "redis"}),
    ("remove the cache", {"cache": "none"}),
)
#: Where the chain starts: no queue, no cache, data in PostgreSQL.
CHAIN_START = {"task_queue": "none", "cache": "none", "database": "postgresql", "auth": "jwt"}


def chain_params() -> list[Any]:
    return [
        pytest.param(
            framework,
            id=framework,
            marks=pytest.mark.xdist_group(f"update-answers-{framework}"),
        )
        for framework in AXES["framework"]
    ]


def update_answers(project: Path, commit: str, answers: dict[str, str]) -> None:
    run_update(
        str(project),
        data=answers,
        defaults=True,
        overwrite=True,
        unsafe=False,
        vcs_ref=commit,
        quiet=True,
    )


@pytest.mark.parametrize("framework", chain_params())
def test_answers_change_on_a_project_holding_data(
    framework: str, tmp_path: Path, record_property: RecordProperty
) -> None:
    """Add a queue, switch its broker, add the cache, remove it: after each change the
    project migrates on top of its data, serves it, and leaves no file of an option
    it no longer takes; at the end its gates pass."""
    started = time.perf_counter()
    (commit,) = build_history(tmp_path / "template", [working_tree(tmp_path / "release")])
    answers: dict[str, str] = {"framework": framework, **CHAIN_START}
    project = generate(tmp_path / "template", tmp_path / "project", answers, commit)
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "Generated")
    run(["make", "install"], project)
    prefix = f"upd_answers_{framework}"

    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(prefix))
        services = Services(database_url, None, {})
        with serving(project, services, tmp_path / "start.log") as base_url:
            written = write_data(base_url, with_queue=False)
        # No route or model of the user's own here: adding a queue registers its own
        # beside them, and Copier leaves the conflict to the user (tested below).
        edit_like_a_user(project, framework, services, registrations=False)

        for number, (change, changed) in enumerate(ANSWER_CHANGES):
            answers = {**answers, **changed}
            before = row_ids(database_url)
            update_answers(project, commit, changed)
            assert_merged_cleanly(project)
            # The rules read rendered files; uv.lock is the project's own (the template
            # renders none) and lists transitive packages (Celery's amqp on any broker).
            problems = [
                problem
                for problem in untaken_option_problems(project, answers)
                if " uv.lock:" not in problem
            ]
            problems += files_of_options_not_taken(project, recorded_answers(project))
            assert not problems, f"after we {change}: {problems}"
            run(["make", "install"], project)
            commit_all(project, change)  # with uv.lock, which the install brought up to date
            services = Services(
                database_url,
                broker=(
                    stack.enter_context(
                        broker_namespace(answers["broker"], f"{prefix}_{number}")
                    ).settings()
                    if answers["task_queue"] != "none"
                    else None
                ),
                cache=stack.enter_context(cache_settings(answers, f"{prefix}_{number}")),
                secret_key=services.secret_key,
            )
            with serving(project, services, tmp_path / f"{number}.log") as base_url:
                after = row_ids(database_url)
                read_back(base_url, written, user_route=False)
                if answers["task_queue"] != "none":
                    user = written.users[0]
                    with new_client(base_url) as client:
                        token = json_object(login(client, user.email, user.password))
                    headers = {"Authorization": f"Bearer {token['access_token']}"}
                    with new_client(base_url, headers=headers) as api:
                        ran = run_ping(api, f"after {change}")
                        written.tasks.setdefault(user.email, []).append(ran)
            for table, ids in before.items():
                assert ids <= after[table], f"rows of {table} lost when we {change}"
            if answers["task_queue"] != "none":
                assert "task_runs" in after, f"no task_runs table after we {change}"
            counts = {table: len(ids) for table, ids in after.items()}
            record_property(f"rows after we {change}", counts)
            print(f"rows after we {change}: {counts}")  # shown by -rA
        run(["make", "check"], project, env=services.environment, timeout=CHECK_TIMEOUT)
    record_property(DURATION_PREFIX + "answer changes", time.perf_counter() - started)


#: Where a model and a routes module are registered, by framework: lists that a task
#: queue extends too (TaskRun, the tasks routes).
REGISTRIES = {
    "fastapi": ("models/__init__.py", "web/routes/__init__.py"),
    "flask": ("models/__init__.py", "web/routes/__init__.py"),
    "django": ("models/__init__.py", "web/api.py"),
}


@pytest.mark.parametrize("framework", AXES["framework"])
def test_a_new_option_beside_the_users_registrations_conflicts(
    framework: str, tmp_path: Path
) -> None:
    """The user registered a model and a route; adding a queue registers its own on
    the same lines. Copier cannot merge those two additions: it marks the conflict in
    exactly those files, the user's lines inside it, and merges every other file."""
    (commit,) = build_history(tmp_path / "template", [working_tree(tmp_path / "release")])
    project = generate(
        tmp_path / "template", tmp_path / "project", {"framework": framework, **CHAIN_START}, commit
    )
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "Generated")
    package = package_of(project)
    model = DJANGO_MODEL if framework == "django" else SQLALCHEMY_MODEL.format(package=package.name)
    (package / "models" / "team_note.py").write_text(model)
    add_to_models_package(package)
    add_a_route(package, framework)
    commit_all(project, "The team's notes and GET /api/v1/team")

    update_answers(project, commit, {"task_queue": "celery", "broker": "redis"})

    source = package.relative_to(project)
    models, routes = (str(source / registry) for registry in REGISTRIES[framework])
    assert conflicted_files(project) == sorted([models, routes])
    assert "TeamNote" in (project / models).read_text(), "the user's model import was dropped"
    assert (
        "team.router" in (project / routes).read_text()
        or "team.blueprint" in (project / routes).read_text()
    ), "the user's route registration was dropped"
    assert (package / "models" / "team_note.py").read_text() == model
    assert (package / "models" / "task_run.py").exists(), "the queue's model was not added"
