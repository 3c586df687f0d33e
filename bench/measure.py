"""Load one running server: warm it up, then timed runs, sampling memory after each."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bench.cpu import DISTURBED_CORES, account, wait_for_quiet
from bench.load import LoadSettings, run_load
from bench.results import ENDPOINTS, AppResult, EndpointRun, MemorySample
from bench.server import ServerProcess

log = logging.getLogger("bench")


@dataclass(frozen=True)
class LoadPlan:
    settings: LoadSettings
    duration_s: float
    warmup_s: float
    runs: int
    database: str  # its backends' CPU time is the app's database work
    quiet_wait_s: float  # longest wait for a quiet machine before each run


def measure(server: ServerProcess, plan: LoadPlan, fresh_token: Callable[[], str]) -> AppResult:
    """Run every endpoint `plan.runs` times in turn against one server.

    A token is fetched before each run, since access tokens live 15 minutes
    by default and a whole benchmark can outlast one.
    """
    if plan.warmup_s > 0:
        token = fresh_token()
        for endpoint in ENDPOINTS:
            log.info("%s: warming up %s for %g s", server.name, endpoint.label, plan.warmup_s)
            run_load(plan.settings, server.base_url + endpoint.path, token, plan.warmup_s)
    runs: list[EndpointRun] = []
    memory: list[MemorySample] = []
    for run in range(1, plan.runs + 1):
        for endpoint in ENDPOINTS:
            url = server.base_url + endpoint.path
            _settle(plan.quiet_wait_s)
            timed_run = partial(run_load, plan.settings, url, fresh_token(), plan.duration_s)
            result, cpu = account(server.pid, plan.database, timed_run)
            server.ensure_running()
            log.info(
                "%s: %s run %d: %.0f req/s, p99 %.1f ms, %d errors, %.2f cores busy elsewhere",
                server.name,
                endpoint.label,
                run,
                result.requests_per_s,
                result.p99_ms,
                result.errors,
                cpu.elsewhere_s / plan.duration_s,
            )
            if result.errors:
                # wrk counts failures but cannot say what they were; the server may.
                log.warning("%s: its log ends with:\n%s", server.name, server.log_tail())
            runs.append(EndpointRun(endpoint=endpoint, run=run, load=result, cpu=cpu))
        memory.append(server.sample_memory(after_run=run))
    return AppResult(app=server.name, runs=tuple(runs), memory=tuple(memory))


def _settle(quiet_wait_s: float) -> None:
    if quiet_wait_s <= 0:
        return
    busy_cores = wait_for_quiet(quiet_wait_s)
    if busy_cores > DISTURBED_CORES:
        log.warning(
            "other processes still keep %.2f cores busy after %g s; running anyway",
            busy_cores,
            quiet_wait_s,
        )
