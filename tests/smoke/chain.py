"""The whole chain for one combination, step by step."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from tests.harness import checks
from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.databases import database_for
from tests.harness.environment import REPO_ROOT
from tests.harness.option_rules import untaken_option_problems
from tests.harness.projects import generate, recorded_answers, run
from tests.option_space import Combination, combination_id
from tests.smoke import api
from tests.smoke.report import Report, StepError
from tests.smoke.server import Server, free_port, production_environment, serving


def _problems(found: list[str]) -> None:
    if found:
        raise StepError("\n".join(found))


def _checking(check: Callable[[Path], list[str]], project: Path) -> Callable[[], None]:
    return lambda: _problems(check(project))


def _make(project: Path, target: str, env: dict[str, str], timeout: float = 900) -> str:
    try:
        run(["make", target], project, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise StepError(f"`make {target}` did not finish in {timeout:.0f} s") from error
    except AssertionError as error:
        raise StepError(str(error)) from error
    return ""


def run_chain(
    template: Path,
    answers: dict[str, str],
    workdir: Path,
    report: Report,
    contract: bool,
) -> None:
    """Render, check, install, migrate, check, serve, call, stop; stop at the first failure."""
    combination: Combination = answers
    project = workdir / combination_id(combination)
    report.header()

    def render() -> str:
        if project.exists():  # a previous run kept with --keep
            shutil.rmtree(project)
        generate(template, project, answers)
        return str(project)

    steps: list[tuple[str, Callable[[], str | None]]] = [("render", render)]
    steps += [
        (f"render check: {name}", _checking(check, project))
        for name, check in checks.ALL_CHECKS.items()
    ]
    steps.append(
        (
            "render check: no file of an option not taken",
            lambda: _problems(untaken_option_problems(project, combination)),
        )
    )
    steps.append(("make install", lambda: _make(project, "install", {})))
    for name, action in steps:
        if not report.run(name, action):
            return

    with ExitStack() as stack:
        database: list[str] = []

        def create_database() -> str:
            database.append(
                stack.enter_context(database_for(answers["database"], "smoke", workdir))
            )
            return database[0].rsplit("@", 1)[-1]

        if not report.run("fresh database", create_database):
            return
        env = {"DATABASE_URL": database[0]}
        if answers.get("task_queue", "none") != "none":
            namespace = stack.enter_context(broker_namespace(answers["broker"], "smoke"))
            env |= namespace.settings()
        env |= stack.enter_context(cache_settings(answers, "smoke"))
        if not report.run("make migrate (empty database)", lambda: _make(project, "migrate", env)):
            return
        if not report.run("make check", lambda: _make(project, "check", env)):
            return
        _serve_and_call(project, combination, env, workdir, report)
    if contract and (REPO_ROOT / "tests" / "contract").is_dir():
        report.run("contract suite (tests/contract)", lambda: _contract(combination))


def _serve_and_call(
    project: Path, combination: Combination, env: dict[str, str], workdir: Path, report: Report
) -> None:
    environment = production_environment(env["DATABASE_URL"], free_port()) | env
    version = recorded_answers(project).get("python_version", "3.13")
    log = workdir / f"{combination_id(combination)}-serve.log"
    server_box: list[Server] = []
    with ExitStack() as stack:

        def start() -> str:
            server_box.append(stack.enter_context(serving(project, version, environment, log)))
            return f"{server_box[0].base_url}, WEB_CONCURRENCY=2, log {log}"

        if not report.run("make serve (production)", start):
            return
        base_url = server_box[0].base_url
        if not report.run("GET /health/ready and a 404", lambda: api.check_health(base_url)):
            return
        report.run("API calls", lambda: api.exercise_items(base_url, combination))
        report.run("SIGTERM: graceful stop", lambda: f"{server_box[0].stop():.1f} s")


def _contract(combination: Combination) -> str:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/contract",
        "-q",
        "-k",
        combination_id(combination),
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0:
        marker = next(
            (i for i, line in enumerate(lines) if "short test summary info" in line), None
        )
        summary = lines[marker + 1 :] if marker is not None else lines[-40:]
        raise StepError("\n".join(summary) + "\n" + result.stderr[-2000:])
    return lines[-1] if lines else ""
