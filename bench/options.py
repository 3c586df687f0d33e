"""The bench's command line options."""

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.targets import MIN_THROUGHPUT_RATIO

REPOSITORY = Path(__file__).resolve().parent.parent
# The interpreter the bench runs on (outside any venv) also builds both apps.
DEFAULT_PYTHON = (
    Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
)
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Every completed run is appended here (bench/history.py).
DEFAULT_HISTORY = REPOSITORY / "docs" / "benchmarks" / "history.jsonl"


@dataclass(frozen=True)
class Options:
    framework: str
    duration_s: float
    warmup_s: float
    connections: int
    threads: int
    workers: int
    items: int
    request_timeout_s: float
    ready_timeout_s: float
    baseline_pool_size: int
    quiet_wait_s: float
    template: Path
    vcs_ref: str
    uncommitted: bool
    python: Path
    admin_database_url: str
    json_path: Path | None
    history_path: Path | None
    strict: bool


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_HISTORY,
        help="append the run's figures to this JSON-lines file "
        "(default docs/benchmarks/history.jsonl of this repository)",
    )
    group.add_argument(
        "--no-history", action="store_true", help="do not append the run to any history file"
    )


def history_path(args: argparse.Namespace) -> Path | None:
    return None if args.no_history else Path(args.history)


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Generate a project from this template, serve it like production, load it with "
            "wrk and compare it with a minimal Starlette + asyncpg baseline on the same "
            "database. Needs PostgreSQL and wrk; runs for about "
            "2 apps x 2 endpoints x 2 runs x DURATION seconds."
        ),
    )
    add = parser.add_argument
    add(
        "--framework",
        choices=sorted(MIN_THROUGHPUT_RATIO),
        default="fastapi",
        help="flavour to generate (default fastapi)",
    )
    add("--duration", type=float, default=15.0, help="seconds per timed run (default 15)")
    add("--warmup", type=float, default=3.0, help="seconds of warm-up per endpoint (default 3)")
    add("--connections", type=int, default=64, help="open connections (default 64)")
    add("--threads", type=int, default=2, help="wrk threads (default 2)")
    add("--workers", type=int, default=2, help="server worker processes per app (default 2)")
    add("--items", type=int, default=200, help="items seeded for the user (default 200)")
    add("--request-timeout", type=float, default=5.0, help="wrk's per-request timeout, s")
    add("--ready-timeout", type=float, default=90.0, help="seconds to wait for /health/ready")
    add("--baseline-pool-size", type=int, default=10, help="asyncpg pool size per worker")
    add(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each run, wait up to this many seconds for other processes to leave "
        "the machine idle (default 30; 0 = do not wait)",
    )
    add("--template", type=Path, default=REPOSITORY, help="template to render (default: here)")
    add("--vcs-ref", default="HEAD", help="git reference of the template (default HEAD)")
    add(
        "--uncommitted",
        action="store_true",
        help="render the template's working tree, uncommitted changes included "
        "(default: exactly the commit --vcs-ref names)",
    )
    add("--python", type=Path, default=DEFAULT_PYTHON, help="interpreter for both apps")
    add("--admin-database-url", default=DEFAULT_ADMIN_URL, help="where to create the database")
    add("--json", type=Path, dest="json_path", help="also write the figures as JSON here")
    add_history_arguments(parser)
    add("--strict", action="store_true", help="fail the command on missed timing targets too")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.items < 1:
        parser.error("--duration must be positive, --warmup not negative, --items at least 1")
    if args.uncommitted and args.vcs_ref != "HEAD":
        parser.error("--uncommitted renders the working tree: it goes with --vcs-ref HEAD only")
    if args.connections < args.threads or args.threads < 1 or args.workers < 1:
        parser.error("need at least one thread and worker, and no fewer connections than threads")
    return Options(
        framework=args.framework,
        duration_s=args.duration,
        warmup_s=args.warmup,
        connections=args.connections,
        threads=args.threads,
        workers=args.workers,
        items=args.items,
        request_timeout_s=args.request_timeout,
        ready_timeout_s=args.ready_timeout,
        baseline_pool_size=args.baseline_pool_size,
        quiet_wait_s=args.quiet_wait,
        template=args.template.resolve(),
        vcs_ref=args.vcs_ref,
        uncommitted=args.uncommitted,
        python=args.python,
        admin_database_url=args.admin_database_url,
        json_path=args.json_path,
        history_path=history_path(args),
        strict=args.strict,
    )
