"""What a rendered project must and must not contain for the options it took.

Principle 3 of DESIGN.md: no dead branches, no traces of options not taken,
no unused dependencies. Each rule reads the rendered tree's contents; the
render tier runs them for every combination, and the smoke command reports
them. Which files an option produces is not guessed here: copier.yml's
`_exclude` says it, and tests/harness/exclusions.py holds the tree to it.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.harness.checks import compose_files, project_files, text_of, workflow_files
from tests.option_space import Combination

Problems = list[str]

#: Distribution names that belong to one framework each (present only when chosen).
FRAMEWORK_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fastapi": ("fastapi",),
    "django": (
        "django",
        "django-ninja",
        "django-stubs",
        "django-stubs-ext",
        "pytest-django",
        "whitenoise",
    ),
    "flask": ("flask", "apispec"),
}
DATABASE_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "postgresql": ("asyncpg", "psycopg", "psycopg2", "psycopg2-binary"),
    "sqlite": ("aiosqlite",),
}
QUEUE_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "celery": ("celery", "celery-types"),
    "rq": ("rq", "django-rq"),
    "dramatiq": ("dramatiq", "django-dramatiq"),
}
CACHE_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "redis": ("redis",),
}
AUTH_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "jwt": ("pyjwt", "pwdlib", "argon2-cffi", "passlib", "python-multipart", "email-validator"),
}

#: Tables only an auth=jwt project has.
_AUTH_TABLES = re.compile(r"""["'](users|refresh_tokens?|login_attempts?)["']""")
#: Words only an auth=jwt project's README and configuration use.
_AUTH_TRACE = re.compile(r"jwt|refresh.token|access.token|argon2|/auth/|users/me", re.I)


def service_images(combination: Combination) -> set[str]:
    """The Docker images of the services a combination needs beside itself, as the
    message after copy and the generated README's quick start start them."""
    images = set()
    if combination["database"] == "postgresql":
        images.add("postgres:17")
    broker = combination.get("broker") if combination["task_queue"] != "none" else None
    if broker == "redis" or combination["cache"] == "redis":
        images.add("redis:8")
    if broker == "rabbitmq":
        images.add("rabbitmq:4")
    return images


def declared_distributions(project: Path) -> set[str]:
    """Normalized names of every dependency in pyproject.toml (all groups)."""
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    requirements: list[str] = list(data.get("project", {}).get("dependencies", []))
    for extra in data.get("project", {}).get("optional-dependencies", {}).values():
        requirements += extra
    for group in data.get("dependency-groups", {}).values():
        requirements += [item for item in group if isinstance(item, str)]
    names = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group()).lower())
    return names


def _mentions(files: Iterable[Path], pattern: re.Pattern[str], project: Path) -> Problems:
    problems: Problems = []
    for path in files:
        text = text_of(path) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                problems.append(f"{path.relative_to(project)}:{number}: {line.strip()[:120]}")
    return problems


def _migration_files(project: Path) -> list[Path]:
    return [
        path
        for path in project_files(project)
        if path.suffix == ".py" and "migrations" in path.relative_to(project).parts
    ]


def _dependencies(project: Path, combination: Combination) -> Problems:
    declared = declared_distributions(project)
    problems: Problems = []
    for axis, table in (
        ("framework", FRAMEWORK_DISTRIBUTIONS),
        ("database", DATABASE_DISTRIBUTIONS),
        ("auth", AUTH_DISTRIBUTIONS),
        ("task_queue", QUEUE_DISTRIBUTIONS),
        ("cache", CACHE_DISTRIBUTIONS),
    ):
        for value, distributions in table.items():
            if value == combination.get(axis):
                continue
            problems += [
                f"pyproject.toml depends on {name} although {axis} = {combination.get(axis)}"
                for name in distributions
                if name in declared
            ]
    return problems


def _infrastructure(project: Path) -> list[Path]:
    """Files that describe the project rather than implement it."""
    named = (".env.example", "Makefile", "README.md", "Dockerfile")
    return [
        project / "pyproject.toml",
        *compose_files(project),
        *workflow_files(project),
        *[project / name for name in named if (project / name).exists()],
    ]


def _auth(project: Path, combination: Combination) -> Problems:
    tables = _mentions(_migration_files(project), _AUTH_TABLES, project)
    if combination["auth"] == "jwt":
        return [] if tables else ["auth = jwt but no migration creates the users table"]
    mentions = _mentions(_infrastructure(project), _AUTH_TRACE, project)
    return [f"auth = none but a migration has an auth table: {line}" for line in tables] + [
        f"auth = none but authentication is mentioned in {line}" for line in mentions
    ]


def _database(project: Path, combination: Combination) -> Problems:
    infrastructure = _infrastructure(project)
    others = [p for p in project_files(project) if p not in infrastructure]
    if combination["database"] == "sqlite":
        infrastructure_trace, code_trace = r"postgres|asyncpg|psycopg", r"asyncpg|psycopg"
    else:
        infrastructure_trace, code_trace = r"sqlite", r"aiosqlite"
    found = _mentions(infrastructure, re.compile(infrastructure_trace, re.I), project)
    found += _mentions(others, re.compile(code_trace, re.I), project)
    return [
        f"database = {combination['database']} but another database appears in {line}"
        for line in found
    ]


#: Words that name each queue library, and each broker, in code and configuration.
_QUEUE_TRACES: dict[str, re.Pattern[str]] = {
    "celery": re.compile(r"celery", re.I),
    "rq": re.compile(r"\brq\b|django_rq|django-rq|rqworker", re.I),
    "dramatiq": re.compile(r"dramatiq", re.I),
}
_BROKER_TRACES: dict[str, re.Pattern[str]] = {
    "redis": re.compile(r"redis", re.I),
    "rabbitmq": re.compile(r"rabbitmq|amqp", re.I),
}
#: Traces of background work at all, for projects without a queue.
_TASK_TRACE = re.compile(r"BROKER_URL|task_runs|TASK_QUEUE|make worker", re.I)


def _task_queue(project: Path, combination: Combination) -> Problems:
    files = [path for path in project_files(project) if path.name != ".copier-answers.yml"]
    queue = combination["task_queue"]
    if queue == "none":
        tasks_packages = [
            str(path.relative_to(project)) for path in files if "tasks" in path.parent.parts
        ]
        found = _mentions(files, _TASK_TRACE, project)
        for pattern in (*_QUEUE_TRACES.values(), _BROKER_TRACES["rabbitmq"]):
            found += _mentions(files, pattern, project)
        return [f"task_queue = none but a tasks package has {path}" for path in tasks_packages] + [
            f"task_queue = none but background work appears in {line}" for line in found
        ]
    problems = [
        f"task_queue = {queue} but {other} appears in {line}"
        for other, pattern in _QUEUE_TRACES.items()
        if other != queue
        for line in _mentions(files, pattern, project)
    ]
    broker = combination["broker"]
    problems += [
        f"broker = {broker} but {other} appears in {line}"
        for other, pattern in _BROKER_TRACES.items()
        # The Redis cache is checked by its own rule.
        if other != broker and not (other == "redis" and combination.get("cache") == "redis")
        for line in _mentions(files, pattern, project)
    ]
    return problems


#: Traces of the welcome e-mail: its settings, its code and its test server.
_MAIL_TRACE = re.compile(
    r"\b(EMAIL_BACKEND|EMAIL_FROM|DEFAULT_FROM_EMAIL|SMTP_[A-Z_]+|email_backend|email_from|smtp_\w+)"
    r"|aiosmtpd|smtplib|welcome.e-?mail",
    re.I,
)


def _welcome_email(project: Path, combination: Combination) -> Problems:
    """The welcome e-mail exists exactly when there are users and a queue to send it."""
    files = [path for path in project_files(project) if path.name != ".copier-answers.yml"]
    declared = declared_distributions(project)
    test_servers = [name for name in ("aiosmtpd", "trustme") if name in declared]
    if combination["auth"] == "jwt" and combination["task_queue"] != "none":
        problems = [
            f"the welcome e-mail's tests need {name}"
            for name in ("aiosmtpd", "trustme")
            if name not in test_servers
        ]
        if not any("welcome_email" in (text_of(path) or "") for path in files):
            problems.append("auth = jwt with a task queue but no welcome_email task")
        return problems
    reason = "auth = none" if combination["auth"] == "none" else "task_queue = none"
    mentions = _mentions(files, _MAIL_TRACE, project)
    return [f"{reason} but pyproject.toml depends on {name}" for name in test_servers] + [
        f"{reason} but e-mail appears in {line}" for line in mentions
    ]


#: Traces of the item cache, for projects without it.
_CACHE_TRACE = re.compile(
    r"REDIS_URL|CACHE_TTL|CACHE_KEY_PREFIX|CACHES|item_cache|ItemCache|cached_items|CachedItem"
)


def _compose_services(project: Path) -> set[str]:
    services: set[str] = set()
    for path in compose_files(project):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        services |= set(document.get("services") or {})
    return services


def _cache(project: Path, combination: Combination) -> Problems:
    files = [path for path in project_files(project) if path.name != ".copier-answers.yml"]
    redis_broker = combination["task_queue"] != "none" and combination.get("broker") == "redis"
    services = _compose_services(project)
    if combination.get("cache", "none") == "none":
        problems = [
            f"cache = none but the cache appears in {line}"
            for line in _mentions(files, _CACHE_TRACE, project)
        ]
        if "redis" in services:
            problems.append("cache = none but compose.yaml has a redis service")
        if not redis_broker:
            problems += [
                f"neither the cache nor the broker is Redis, but redis appears in {line}"
                for line in _mentions(files, _BROKER_TRACES["redis"], project)
            ]
        return problems
    problems = []
    if "redis" not in declared_distributions(project):
        problems.append("cache = redis but pyproject.toml does not depend on redis")
    # The workflows that run the tests (not the weekly audit and update check).
    tested = [path for path in workflow_files(project) if "make check" in (text_of(path) or "")]
    for path in (project / ".env.example", *compose_files(project), *tested):
        if "REDIS_URL" not in (text_of(path) or ""):
            problems.append(f"cache = redis but {path.relative_to(project)} sets no REDIS_URL")
    # One Redis: the broker's when the broker is Redis, else a service of its own.
    if redis_broker and "redis" in services:
        problems.append("the broker's Redis serves the cache, but compose.yaml has a second one")
    if not redis_broker and "redis" not in services:
        problems.append("cache = redis but compose.yaml has no redis service")
    # The decorator of the item service is composed where the web layer builds it.
    web = [path for path in files if "web" in path.parts]
    if not any("CachedItemService(" in (text_of(path) or "") for path in web):
        problems.append("cache = redis but the web layer never puts the cache before the items")
    return problems


def _test_plugins(project: Path, combination: Combination) -> Problems:
    """Every test-support module tests/conftest.py registers exists: an option's
    fixtures are registered exactly when its module is produced (pytest stops the
    whole run at an entry it cannot import)."""
    conftest = project / "tests" / "conftest.py"
    tree = ast.parse(conftest.read_text(encoding="utf-8"))
    plugins: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in node.targets
        ):
            plugins += ast.literal_eval(node.value)
    return [
        f"tests/conftest.py registers {name}, which the project does not have"
        for name in plugins
        if not (project / f"{name.replace('.', '/')}.py").is_file()
    ]


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Path, Combination], Problems]


RULES: tuple[Rule, ...] = (
    Rule("no dependency of an option not taken", _dependencies),
    Rule("auth files and tables match the auth answer", _auth),
    Rule("database traces match the database answer", _database),
    Rule("queue and broker traces match the task_queue and broker answers", _task_queue),
    Rule("the welcome e-mail exists only with auth = jwt and a task queue", _welcome_email),
    Rule("cache files, settings and services match the cache answer", _cache),
    Rule("tests/conftest.py registers only test-support modules the project has", _test_plugins),
)


def untaken_option_problems(project: Path, combination: Combination) -> Problems:
    return [problem for rule in RULES for problem in rule.check(project, combination)]
