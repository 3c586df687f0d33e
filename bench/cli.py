"""Command line entry: parse, run, print, and the exit status."""

import logging
import sys
from collections.abc import Sequence

import psycopg

from bench.api_client import ApiError
from bench.benchmark import run_benchmark
from bench.commands import StepError
from bench.history import append, command_line, http_run
from bench.load import INSTALL_HINT, LoadError, find_wrk
from bench.options import parse_args
from bench.report import render_text, write_json
from bench.revision import RevisionError
from bench.server import ServerError
from bench.signals import stop_on_sigterm
from bench.targets import command_fails

log = logging.getLogger("bench")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = parse_args(arguments)
    wrk = find_wrk()
    if wrk is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    stop_on_sigterm()
    try:
        report = run_benchmark(options, wrk)
    except (StepError, ServerError, ApiError, LoadError, RevisionError, psycopg.Error) as error:
        # An expected failure of a step: its message says what and where, no traceback.
        print(f"[bench] aborted: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("[bench] interrupted; servers stopped, database dropped", file=sys.stderr)
        return 130
    print(render_text(report))
    if options.json_path is not None:
        write_json(report, options.json_path)
        log.info("wrote %s", options.json_path)
    if options.history_path is not None:
        append(http_run(report, command_line("bench", arguments)), options.history_path)
        log.info("appended the run to %s", options.history_path)
    failed = command_fails(report.checks, options.strict)
    if failed:
        log.error("some targets were missed (see above)")
    return 1 if failed else 0
