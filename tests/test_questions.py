"""Tier 1: the questions of copier.yml, their validators and the answers file."""

from __future__ import annotations

import keyword
import re
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy
from pytest_copie.plugin import Copie

from tests.harness import checks
from tests.harness.copier_config import choice_values, is_asked, questions, settings
from tests.harness.dependencies import dependency_floors
from tests.harness.option_rules import service_images
from tests.harness.projects import BASE_ANSWERS, generate
from tests.option_space import (
    ASKED_WHEN,
    AXES,
    COVERING_SET,
    all_combinations,
    completed,
    defaults,
    is_allowed,
)
from tools import reserved_names

pytestmark = pytest.mark.questions

QUESTIONS = questions()
RESERVED = {
    name: set(str(QUESTIONS[name]["default"]).split())
    for name in (
        "python_keywords",
        "python_stdlib_modules",
        "dependency_package_names",
        "dependency_distribution_names",
    )
}


@dataclass(frozen=True)
class BadInput:
    """Answers a validator must refuse, and what its message must say."""

    answers: dict[str, str]
    question: str
    says: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return "-".join(f"{key}={value[:20]!r}" for key, value in self.answers.items())


BAD_INPUTS = (
    # project_name: empty, padded, wrong first character, unsafe characters, too long
    BadInput({"project_name": ""}, "project_name", ("must not be empty",)),
    BadInput({"project_name": "   "}, "project_name", ("must not be empty",)),
    BadInput({"project_name": " Acme"}, "project_name", ("must not start or end with spaces",)),
    BadInput({"project_name": "1st Service"}, "project_name", ("must start with a letter",)),
    BadInput({"project_name": 'Acme "Orders"'}, "project_name", ("may not contain", "quotes")),
    BadInput({"project_name": "Acme {{ x }}"}, "project_name", ("may not contain",)),
    BadInput({"project_name": "A" * 81}, "project_name", ("at most 80 characters",)),
    # project_slug: upper case, underscores, double or edge hyphens, leading digit
    BadInput(
        {"project_slug": "Acme-Orders"},
        "project_slug",
        ("not a valid slug", "lower-case letters, digits and single hyphens"),
    ),
    BadInput({"project_slug": "acme_orders"}, "project_slug", ("not a valid slug",)),
    BadInput({"project_slug": "acme--orders"}, "project_slug", ("single hyphens",)),
    BadInput({"project_slug": "-acme"}, "project_slug", ("starting with a letter",)),
    BadInput({"project_slug": "acme-"}, "project_slug", ("not a valid slug",)),
    BadInput({"project_slug": "1acme"}, "project_slug", ("starting with a letter",)),
    BadInput({"project_slug": "a" * 61}, "project_slug", ("at most 60 characters",)),
    # a dependency's distribution name: the project would depend on itself
    BadInput(
        {"project_slug": "django"},
        "project_slug",
        ("distribution the project depends on", "django-service"),
    ),
    BadInput({"project_slug": "pydantic-settings"}, "project_slug", ("depends on",)),
    # package_name: not an identifier, keyword, stdlib module, dependency, project folder
    BadInput(
        {"package_name": "acme-orders"},
        "package_name",
        ("not a valid package name", "letters, digits and underscores"),
    ),
    BadInput({"package_name": "Acme"}, "package_name", ("not a valid package name",)),
    BadInput({"package_name": "1acme"}, "package_name", ("starting with a letter",)),
    BadInput({"package_name": "class"}, "package_name", ("Python keyword", "class_service")),
    BadInput({"package_name": "match"}, "package_name", ("Python keyword",)),
    BadInput({"package_name": "json"}, "package_name", ("standard-library module", "json_service")),
    BadInput({"package_name": "asyncio"}, "package_name", ("standard-library module",)),
    BadInput({"package_name": "tomllib"}, "package_name", ("standard-library module",)),
    BadInput({"package_name": "fastapi"}, "package_name", ("dependency", "fastapi_service")),
    BadInput({"package_name": "sqlalchemy"}, "package_name", ("dependency",)),
    BadInput({"package_name": "tests"}, "package_name", ("project folder",)),
    BadInput({"package_name": "test"}, "package_name", ("standard-library module",)),
    # typed over a valid derived default, a reserved name is still refused
    BadInput({"project_name": "Logging", "package_name": "logging"}, "package_name", ("standard",)),
    # author_email
    BadInput(
        {"author_email": "not-an-email"},
        "author_email",
        ("not a valid e-mail address", "name@example.com"),
    ),
    BadInput({"author_email": "dev@localhost"}, "author_email", ("not a valid e-mail",)),
    BadInput({"author_email": "a b@example.com"}, "author_email", ("not a valid e-mail",)),
    BadInput({"author_email": "dev@@example.com"}, "author_email", ("not a valid e-mail",)),
    BadInput({"author_email": ""}, "author_email", ("not a valid e-mail",)),
    # description and author_name
    BadInput({"description": ""}, "description", ("must not be empty",)),
    BadInput({"description": 'The "best" API'}, "description", ("double quotes",)),
    BadInput({"description": "two\nlines"}, "description", ("single line",)),
    BadInput({"author_name": " "}, "author_name", ("must not be empty",)),
    BadInput({"author_name": "Ann <ann@x.org>"}, "author_name", ("may not contain",)),
    # choices
    BadInput({"framework": "rails"}, "framework", AXES["framework"]),
    BadInput({"database": "mysql"}, "database", AXES["database"]),
    BadInput({"auth": "oauth"}, "auth", AXES["auth"]),
    BadInput({"task_queue": "huey"}, "task_queue", AXES["task_queue"]),
    BadInput({"task_queue": "celery", "broker": "kafka"}, "broker", AXES["broker"]),
    BadInput({"cache": "memcached"}, "cache", AXES["cache"]),
    BadInput(
        {"task_queue": "rq", "broker": "rabbitmq"},
        "broker",
        ("RQ keeps its queues in Redis", "choose the redis broker", "Celery or Dramatiq"),
    ),
    BadInput({"python_version": "3.11"}, "python_version", ("3.12", "3.13")),
)


def _refusal(template: Path, destination: Path, answers: dict[str, str]) -> str:
    with pytest.raises(ValueError, match=r".") as refused:
        generate(template, destination, answers)
    return str(refused.value)


def test_at_least_fifteen_bad_inputs() -> None:
    assert len(BAD_INPUTS) >= 15
    checked = {
        name
        for name, question in QUESTIONS.items()
        if is_asked(question) and ("validator" in question or "choices" in question)
    }
    untested = checked - {bad.question for bad in BAD_INPUTS}
    assert not untested, f"no bad input is tried for {sorted(untested)}"


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.id)
def test_validator_refuses_with_a_clear_message(
    bad: BadInput, template_repo: Path, tmp_path: Path
) -> None:
    message = _refusal(template_repo, tmp_path / "project", bad.answers)
    assert f"'{bad.question}'" in message, f"the message does not name the question: {message}"
    for fragment in bad.says:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert not (tmp_path / "project" / ".copier-answers.yml").exists()


GOOD_INPUTS: tuple[dict[str, str], ...] = (
    {},
    {"project_name": "O'Brien Payments"},
    {"project_name": "Zoë Café Orders"},
    {"project_name": "X"},
    {"project_name": "Billing API v2", "project_slug": "billing-v2", "package_name": "billing"},
    {"package_name": "acme_orders_app"},
    {"author_name": "Zoë O'Neil", "author_email": "first.last+backend@mail.example.co.uk"},
    {"description": "Orders, invoices & refunds: one API (v2)."},
    {"python_version": "3.12"},
    {"task_queue": "dramatiq", "broker": "rabbitmq"},
)


@pytest.mark.parametrize("answers", GOOD_INPUTS, ids=lambda answers: repr(answers)[:50])
def test_validators_accept_good_input(
    answers: dict[str, str], copie: Copie, template_repo: Path
) -> None:
    result = copie.copy(extra_answers={**BASE_ANSWERS, **answers}, template_dir=template_repo)
    assert result.exit_code == 0, result.exception
    assert result.project_dir is not None
    for name, value in answers.items():
        assert result.answers[name] == value
    project = result.project_dir
    problems = checks.unparsable_data_files(project) + checks.python_syntax_errors(project)
    assert not problems, "\n".join(problems)


def test_derived_defaults(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "p", {"project_name": "Acme  Orders & Co."})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "acme-orders-co"
    assert answers["package_name"] == "acme_orders_co"
    assert (project / "src" / "acme_orders_co" / "__init__.py").exists()


#: Project names whose plainly derived slug or package name is reserved, and the
#: valid defaults derived instead: (project_name, project_slug, package_name).
RESERVED_DERIVATIONS = (
    ("Json", "json", "json_service"),
    ("Test", "test", "test_service"),
    ("Email", "email", "email_service"),
    ("Celery", "celery-service", "celery_service"),
    ("Django", "django-service", "django_service"),
    ("Queue", "queue", "queue_service"),
)


def _copier_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The real `copier copy` command line, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "copier", "copy", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    RESERVED_DERIVATIONS,
    ids=[row[0] for row in RESERVED_DERIVATIONS],
)
def test_defaults_derived_from_a_reserved_name_are_valid(
    project_name: str, slug: str, package: str, template_repo: Path, tmp_path: Path
) -> None:
    """`copier copy --defaults` never trips over its own derived defaults."""
    project = tmp_path / "project"
    result = _copier_cli(
        "--quiet",
        "--defaults",
        "--data",
        f"project_name={project_name}",
        str(template_repo),
        str(project),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)
    assert (project / "src" / package / "__init__.py").exists()
    assert f'name = "{slug}"' in (project / "pyproject.toml").read_text()


def test_a_typed_reserved_package_name_is_refused(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    result = _copier_cli(
        "--quiet",
        "--defaults",
        "--data",
        "project_name=Json",
        "--data",
        "package_name=json",
        str(template_repo),
        str(project),
    )
    assert result.returncode != 0
    assert (
        "Validation error for question 'package_name': \"json\" is a standard-library module"
        in result.stderr
    ), result.stderr
    assert 'choose another package name (e.g. "json_service")' in result.stderr
    assert not (project / ".copier-answers.yml").exists()


#: Combinations whose message after copy is read: no service, each service alone
#: or with the others.
MESSAGE_COMBINATIONS: tuple[dict[str, str], ...] = (
    {"database": "sqlite"},
    {"database": "sqlite", "task_queue": "rq"},
    {"task_queue": "celery", "cache": "redis"},
    {"task_queue": "dramatiq", "broker": "rabbitmq", "cache": "redis", "framework": "django"},
)
SERVICE_NAMES = {
    "postgres:17": "PostgreSQL on 127.0.0.1:5432",
    "redis:8": "Redis on 127.0.0.1:6379",
    "rabbitmq:4": "RabbitMQ on 127.0.0.1:5672",
}


@pytest.mark.parametrize("answers", MESSAGE_COMBINATIONS, ids=repr)
def test_message_after_copy_names_the_services_and_the_first_commit(
    answers: dict[str, str], template_repo: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    data = [f"--data={name}={value}" for name, value in {**BASE_ANSWERS, **answers}.items()]
    result = _copier_cli("--defaults", *data, str(template_repo), str(project))
    assert result.returncode == 0, result.stderr
    message = result.stdout + result.stderr
    combination = completed(answers)
    needed = service_images(combination)
    started = set(re.findall(r"(?m)^\s*docker run -d .* (\S+)$", message))
    assert started == needed, message
    for image, service in SERVICE_NAMES.items():
        assert (service in message) == (image in needed), f"{service!r}:\n{message}"
    if not needed:
        assert "It needs no other service" in message
    steps = [line.split("#")[0].strip() for line in message.splitlines()]
    first_commit = [
        "git init",
        "git add --all",
        'git commit --message "Generate from copier-python-backend"',
    ]
    at = steps.index("git init")
    assert steps[at : at + 3] == first_commit, message
    assert steps.index("make install") > at + 2
    assert "copier update` needs the first render committed" in message
    # The README's quick start shows the same services and the same first commands.
    readme = (project / "README.md").read_text()
    for image in needed:
        assert f" {image}\n" in readme
    assert "\n".join(first_commit) in readme


def test_reserved_distributions_cover_every_dependency() -> None:
    """Every distribution a flavour may depend on is in the slug validator's list."""
    normalized = {re.sub(r"[-_.]+", "-", name).lower() for name in dependency_floors()}
    assert len(normalized) > 30, sorted(normalized)
    missing = normalized - RESERVED["dependency_distribution_names"]
    assert not missing, f"add {sorted(missing)} to dependency_distribution_names"


@pytest.mark.parametrize("axis", list(AXES))
def test_choices_equal_the_option_space(axis: str) -> None:
    question = QUESTIONS[axis]
    assert choice_values(question) == AXES[axis], (
        f"copier.yml offers {choice_values(question)} for {axis}; "
        f"tests/option_space.py AXES says {AXES[axis]}"
    )
    assert question["default"] == AXES[axis][0], "the first value of an axis is its default"


def test_broker_is_asked_only_with_a_queue(template_repo: Path, tmp_path: Path) -> None:
    with_queue = generate(template_repo, tmp_path / "queue", {"task_queue": "rq"})
    answers = yaml.safe_load((with_queue / ".copier-answers.yml").read_text())
    assert answers["broker"] == "redis"
    without = generate(template_repo, tmp_path / "none", {"task_queue": "none"})
    assert "broker" not in yaml.safe_load((without / ".copier-answers.yml").read_text())


def test_covering_set_covers_the_option_space() -> None:
    """Every covered combination is allowed, and every value and required pair appears."""
    assert all(is_allowed(combination) for combination in COVERING_SET)
    assert all(combination in list(all_combinations()) for combination in COVERING_SET)
    for axis, values in AXES.items():
        assert {c[axis] for c in COVERING_SET if axis in c} == set(values), axis
    queues = {(c["task_queue"], c.get("broker")) for c in all_combinations()}
    for framework in AXES["framework"]:
        rows = [c for c in COVERING_SET if c["framework"] == framework]
        assert len({(c["database"], c["auth"]) for c in rows}) == 4, framework
        assert {(c["task_queue"], c.get("broker")) for c in rows} == queues, framework
        # The welcome e-mail needs JWT auth and a queue: every queue meets it.
        for queue_name in AXES["task_queue"][1:]:
            assert any(c["task_queue"] == queue_name and c["auth"] == "jwt" for c in rows), (
                framework,
                queue_name,
            )
    for queue in queues:
        rows = [c for c in COVERING_SET if (c["task_queue"], c.get("broker")) == queue]
        assert {c["database"] for c in rows} == set(AXES["database"]), queue
        # RQ is on one row per framework, and each of those needs JWT (above).
        auth_modes = {"jwt"} if queue == ("rq", "redis") else set(AXES["auth"])
        assert {c["auth"] for c in rows} == auth_modes, queue
    # Each cache value meets every value of every other axis (pairwise).
    for cache in AXES["cache"]:
        rows = [c for c in COVERING_SET if c["cache"] == cache]
        for axis, values in AXES.items():
            if axis != "cache":
                assert {c[axis] for c in rows if axis in c} == set(values), (cache, axis)


def test_every_asked_question_helps_and_defaults() -> None:
    for name, question in QUESTIONS.items():
        if not is_asked(question):
            continue
        assert question.get("help"), f"{name} has no help text"
        if name != "project_name":
            assert "default" in question, f"{name} has no default"


# --- the answers file and secrets ----------------------------------------------------------


@pytest.fixture(scope="module")
def default_project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(template_repo, tmp_path_factory.mktemp("answers") / "project", {})


def _dotenv(project: Path) -> dict[str, str]:
    values = {}
    for line in (project / ".env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("'\"")
    return values


def test_answers_file_records_every_asked_question(default_project: Path) -> None:
    answers: dict[str, Any] = yaml.safe_load((default_project / ".copier-answers.yml").read_text())
    asked = {
        name
        for name, question in QUESTIONS.items()
        if is_asked(question) and (name not in ASKED_WHEN or ASKED_WHEN[name](defaults()))
    }
    hidden = set(QUESTIONS) - asked
    assert asked <= set(answers), f"not recorded: {asked - set(answers)}"
    assert not hidden & set(answers), f"hidden questions recorded: {hidden & set(answers)}"
    assert {"_commit", "_src_path"} <= set(answers)


def test_secret_key_is_only_in_dotenv(default_project: Path) -> None:
    secret = _dotenv(default_project).get("SECRET_KEY", "")
    assert len(secret) >= 32, "the development SECRET_KEY in .env is missing or short"
    leaks = [
        str(path.relative_to(default_project))
        for path in checks.project_files(default_project)
        if path.name != ".env" and secret in (checks.text_of(path) or "")
    ]
    assert not leaks, f"the development secret leaks into {leaks}"
    assert "dev_secret_key" not in (default_project / ".copier-answers.yml").read_text()


def test_each_render_gets_its_own_secret(default_project: Path, tmp_path: Path) -> None:
    template = Path(
        yaml.safe_load((default_project / ".copier-answers.yml").read_text())["_src_path"]
    )
    other = generate(template, tmp_path / "other", {})
    assert _dotenv(other)["SECRET_KEY"] != _dotenv(default_project)["SECRET_KEY"]


def test_dotenv_is_skip_if_exists(template_repo: Path, tmp_path: Path) -> None:
    assert ".env" in settings()["skip_if_exists"]
    project = generate(template_repo, tmp_path / "p", {})
    (project / ".env").write_text("SECRET_KEY=mine-and-only-mine\n")
    run_copy(
        str(template_repo),
        str(project),
        data=BASE_ANSWERS,
        defaults=True,
        overwrite=True,
        unsafe=False,
        quiet=True,
        vcs_ref="HEAD",
    )
    assert (project / ".env").read_text() == "SECRET_KEY=mine-and-only-mine\n"


# --- no --trust, no network -----------------------------------------------------------------


def test_copy_needs_no_trust() -> None:
    unsafe = {"tasks", "jinja_extensions"} & set(settings())
    assert not unsafe, f"copier.yml uses {unsafe}: `copier copy` would need --trust"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"rendering tried to use the network: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.usefixtures("no_network")
def test_render_is_offline_and_untrusted(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "p", {"database": "sqlite", "auth": "none"})
    assert (project / "pyproject.toml").exists()


# --- reserved names -------------------------------------------------------------------------


def test_reserved_stdlib_names_cover_this_interpreter() -> None:
    missing = (
        set(reserved_names.package_names(sys.stdlib_module_names))
        - RESERVED["python_stdlib_modules"]
    )
    assert not missing, (
        f"includes/reserved_names.yml lacks {sorted(missing)}: "
        "run `uv run python -m tools.reserved_names`"
    )


def test_reserved_keywords_cover_this_interpreter() -> None:
    missing = (
        set(reserved_names.package_names([*keyword.kwlist, *keyword.softkwlist]))
        - RESERVED["python_keywords"]
    )
    assert not missing, f"includes/reserved_names.yml lacks keywords {sorted(missing)}"


def test_reserved_names_include_is_up_to_date() -> None:
    assert reserved_names.main(["--check"]) == 0, "run `uv run python -m tools.reserved_names`"


def test_package_names_filter() -> None:
    assert reserved_names.package_names(["cProfile", "_thread", "__future__", "json"]) == [
        "cprofile",
        "json",
    ]
