"""The whole benchmark in order: generate, install, migrate, serve, seed, load, compare."""

import secrets
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import baseline_server
from bench.api_client import ApiClient, seed
from bench.database import scratch_database
from bench.load import LoadSettings, wrk_version
from bench.machine import describe_machine
from bench.measure import LoadPlan, measure
from bench.options import Options
from bench.project import Answers, GeneratedProject, RuntimeSettings
from bench.report import BenchReport
from bench.responses import check_responses
from bench.results import AppResult
from bench.revision import ABBREVIATED, describe, has_uncommitted_changes, resolve_commit
from bench.server import ServerProcess, free_port, running
from bench.targets import evaluate
from bench.tokens import reissue

RUNS = 2  # two runs: memory after the second one shows whether it keeps growing


@dataclass(frozen=True)
class Measured:
    result: AppResult
    shapes: dict[str, list[str]]  # each endpoint's JSON key paths


def run_benchmark(options: Options, wrk: str) -> BenchReport:
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = resolve_commit(options.template, options.vcs_ref)
    # copier adds uncommitted changes when, and only when, it is given "HEAD".
    copier_ref = "HEAD" if options.uncommitted else commit
    with ExitStack() as cleanup:
        # Entered first, so removed last: after the servers and the database.
        workdir = Path(
            cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix="bench-", ignore_cleanup_errors=True)
            )
        )
        project = GeneratedProject.generate(
            options.template,
            copier_ref,
            Answers(framework=options.framework),
            workdir / "project",
            options.python,
        )
        project.install()
        pins = project.installed_versions(baseline_server.SHARED_DISTRIBUTIONS)
        baseline_python = baseline_server.build_environment(workdir, options.python, pins)
        database = cleanup.enter_context(scratch_database(options.admin_database_url))
        settings = RuntimeSettings(
            database_url=database.url,
            secret_key=secrets.token_hex(32),  # 64 characters
            port=free_port(),
            workers=options.workers,
        )
        project.migrate(settings)
        plan = LoadPlan(
            settings=LoadSettings(
                wrk=wrk,
                connections=options.connections,
                threads=options.threads,
                request_timeout_s=options.request_timeout_s,
            ),
            duration_s=options.duration_s,
            warmup_s=options.warmup_s,
            runs=RUNS,
            database=database.name,
            quiet_wait_s=options.quiet_wait_s,
        )
        generated, issued_token = _bench_generated(
            project, settings, plan, options=options, workdir=workdir
        )
        baseline = _bench_baseline(
            baseline_python,
            settings,
            plan,
            options=options,
            workdir=workdir,
            issued_token=issued_token,
        )

    shapes = {name: (generated.shapes[name], baseline.shapes[name]) for name in generated.shapes}
    return BenchReport(
        framework=options.framework,
        started_at=started_at,
        machine=describe_machine(),
        template=describe(options.template, commit, options.uncommitted),
        commit=commit[:ABBREVIATED],
        uncommitted=options.uncommitted and has_uncommitted_changes(options.template),
        load_generator=wrk_version(wrk),
        connections=options.connections,
        threads=options.threads,
        duration_s=options.duration_s,
        warmup_s=options.warmup_s,
        workers=options.workers,
        items=options.items,
        generated=generated.result,
        baseline=baseline.result,
        checks=evaluate(options.framework, generated.result, baseline.result, shapes),
        strict=options.strict,
    )


def _bench_generated(
    project: GeneratedProject,
    settings: RuntimeSettings,
    plan: LoadPlan,
    *,
    options: Options,
    workdir: Path,
) -> tuple[Measured, str]:
    """Seed through the API and load the generated app; also return a token it issued."""
    server = ServerProcess(
        "generated",
        project.serve_argv(),
        cwd=project.root,
        env=project.tool_env(settings.environ()),
        port=settings.port,
        log_path=workdir / "generated.log",
    )
    with running(server, options.ready_timeout_s), ApiClient(server.base_url) as client:
        tokens = seed(client, options.items)
        shapes = check_responses(client, tokens.access_token(), options.items)
        result = measure(server, plan, tokens.access_token)
        # The model for the baseline's tokens, issued while the generated app still runs.
        issued_token = tokens.access_token()
    return Measured(result=result, shapes=shapes), issued_token


def _bench_baseline(
    interpreter: Path,
    settings: RuntimeSettings,
    plan: LoadPlan,
    *,
    options: Options,
    workdir: Path,
    issued_token: str,
) -> Measured:
    """Load the baseline on the same database, with tokens like the generated app's."""
    port = free_port()
    server = ServerProcess(
        "baseline",
        baseline_server.server_argv(interpreter, port, options.workers),
        cwd=workdir,
        env=baseline_server.server_env(
            settings.database_url, settings.secret_key, options.baseline_pool_size
        ),
        port=port,
        log_path=workdir / "baseline.log",
    )

    def fresh_token() -> str:
        return reissue(issued_token, settings.secret_key)

    with running(server, options.ready_timeout_s), ApiClient(server.base_url) as client:
        shapes = check_responses(client, fresh_token(), options.items)
        result = measure(server, plan, fresh_token)
    return Measured(result=result, shapes=shapes)
