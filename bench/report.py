"""The bench's output: a table for people and the same figures as JSON."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import DISTURBED_CORES
from bench.results import ENDPOINTS, AppResult, Endpoint, EndpointRun, LoadResult, MemorySample
from bench.targets import MAX_RSS_GROWTH_MIB, Check, throughput_ratio


@dataclass(frozen=True)
class BenchReport:
    framework: str
    started_at: str
    machine: str
    template: str
    commit: str  # the template's, abbreviated as in `template`
    uncommitted: bool  # uncommitted changes were rendered too
    load_generator: str
    connections: int
    threads: int
    duration_s: float
    warmup_s: float
    workers: int
    items: int
    generated: AppResult
    baseline: AppResult
    checks: list[Check]
    strict: bool

    @property
    def apps(self) -> tuple[AppResult, AppResult]:
        return (self.generated, self.baseline)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; text left-aligned, figures right-aligned."""
    widths = [max(len(row[index]) for row in [headers, *rows]) for index in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if _is_figure(cell) else cell.ljust(width)
            for cell, width in zip(cells, widths, strict=True)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _is_figure(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell[0] in "+-") and cell != "-" * len(cell)


def _errors_cell(load: LoadResult) -> str:
    if load.errors == 0:
        return "0"
    return (
        f"{load.errors} ({load.non_2xx} non-2xx, {load.socket_errors} socket, "
        f"{load.timeouts} timeouts)"
    )


def _memory_cell(sample: MemorySample | None) -> str:
    if sample is None or not sample.workers:
        return "n/a"
    return " / ".join(f"{worker.rss_mib:.1f}" for worker in sample.workers)


def _cpu_ratio(report: BenchReport, endpoint: Endpoint) -> float:
    baseline = report.baseline.server_cpu_ms_per_request(endpoint)
    return report.generated.server_cpu_ms_per_request(endpoint) / baseline if baseline else 0.0


def _disturbance_note(report: BenchReport) -> list[str]:
    busiest = max(app.max_elsewhere_cores() for app in report.apps)
    if busiest <= DISTURBED_CORES:
        return []
    return [
        f"  NOTE: other processes kept up to {busiest:.2f} cores busy during a run; "
        "req/s and latency are disturbed (CPU ms/req much less so). Rerun on a quiet machine."
    ]


def render_text(report: BenchReport) -> str:
    header = [
        f"Benchmark of the generated {report.framework} project against the baseline",
        f"  when:      {report.started_at}",
        f"  machine:   {report.machine}",
        f"  template:  {report.template}",
        f"  load:      {report.load_generator}, {report.threads} threads, "
        f"{report.connections} connections, {report.duration_s:g} s per run after a "
        f"{report.warmup_s:g} s warm-up per endpoint; {report.workers} server workers; "
        f"{report.items} items seeded",
    ]
    load_rows = [
        [
            app.app,
            run.endpoint.label,
            str(run.run),
            f"{run.load.requests_per_s:.1f}",
            f"{run.load.p50_ms:.1f}",
            f"{run.load.p99_ms:.1f}",
            f"{run.server_cpu_ms_per_request:.2f}",
            f"{run.database_cpu_ms_per_request:.2f}",
            f"{run.elsewhere_cores:.2f}",
            _errors_cell(run.load),
        ]
        for app in report.apps
        for run in app.runs
    ]
    ratio_rows = [
        [
            endpoint.label,
            f"{report.generated.mean_requests_per_s(endpoint):.1f}",
            f"{report.baseline.mean_requests_per_s(endpoint):.1f}",
            f"{throughput_ratio(report.generated, report.baseline, endpoint.name):.2f}x",
            f"{report.generated.server_cpu_ms_per_request(endpoint):.2f}",
            f"{report.baseline.server_cpu_ms_per_request(endpoint):.2f}",
            f"{_cpu_ratio(report, endpoint):.2f}x",
        ]
        for endpoint in ENDPOINTS
    ]
    memory_rows = []
    for app in report.apps:
        growth = app.rss_growth_mib()
        first = app.memory[0] if app.memory else None
        last = app.memory[-1] if len(app.memory) > 1 else None
        memory_rows.append(
            [
                app.app,
                str(len(first.workers) if first else 0),
                _memory_cell(first),
                _memory_cell(last),
                f"{growth:+.1f}",
                "yes" if growth >= MAX_RSS_GROWTH_MIB or app.workers_replaced() else "no",
            ]
        )
    check_lines = [
        f"  {'PASS' if check.passed else 'FAIL'}  {check.name}: {check.measured}"
        + (" (timing: fails the command only with --strict)" if check.timing else "")
        for check in report.checks
    ]
    return "\n".join(
        [
            *header,
            "",
            "Throughput, latency and CPU per request",
            format_table(
                [
                    "app",
                    "endpoint",
                    "run",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "app CPU ms/req",
                    "db CPU ms/req",
                    "others' cores",
                    "errors",
                ],
                load_rows,
            ),
            "  errors = non-2xx + socket errors + timeouts; CPU = all server processes, and the",
            "  PostgreSQL backends of the bench's database; others' cores = CPU used by",
            "  processes outside the bench during the run (high values mean a disturbed run)",
            *_disturbance_note(report),
            "",
            "Generated / baseline (mean of the runs)",
            format_table(
                [
                    "endpoint",
                    "req/s generated",
                    "req/s baseline",
                    "ratio",
                    "app CPU ms/req generated",
                    "baseline",
                    "ratio",
                ],
                ratio_rows,
            ),
            "",
            "Worker memory (VmRSS in MiB, one figure per worker process)",
            format_table(
                ["app", "workers", "after run 1", "after run 2", "growth", "grew"], memory_rows
            ),
            "",
            f"Targets ({report.framework})",
            *check_lines,
        ]
    )


def _load_json(load: LoadResult) -> dict[str, Any]:
    return {
        "requests": load.requests,
        "duration_s": round(load.duration_s, 3),
        "requests_per_s": round(load.requests_per_s, 1),
        "latency_ms": {
            "p50": load.p50_ms,
            "p90": load.p90_ms,
            "p99": load.p99_ms,
            "max": load.max_ms,
        },
        "errors": {
            "total": load.errors,
            "non_2xx": load.non_2xx,
            "socket": load.socket_errors,
            "timeouts": load.timeouts,
        },
    }


def _cpu_json(run: EndpointRun) -> dict[str, Any]:
    return {
        "cpu_s": {
            "server": round(run.cpu.server_s, 2),
            "database": round(run.cpu.database_s, 2),
            "load_generator": round(run.cpu.load_generator_s, 2),
            "elsewhere": round(run.cpu.elsewhere_s, 2),
        },
        "server_cpu_ms_per_request": round(run.server_cpu_ms_per_request, 3),
        "database_cpu_ms_per_request": round(run.database_cpu_ms_per_request, 3),
    }


def _app_json(app: AppResult) -> dict[str, Any]:
    return {
        "runs": [
            {
                "endpoint": run.endpoint.path,
                "run": run.run,
                **_load_json(run.load),
                **_cpu_json(run),
            }
            for run in app.runs
        ],
        "worker_rss_mib": [
            {
                "after_run": sample.after_run,
                "workers": {str(worker.pid): round(worker.rss_mib, 1) for worker in sample.workers},
            }
            for sample in app.memory
        ],
        "rss_growth_mib": round(app.rss_growth_mib(), 1),
        "workers_replaced": app.workers_replaced(),
    }


def to_json(report: BenchReport) -> dict[str, Any]:
    return {
        "framework": report.framework,
        "started_at": report.started_at,
        "machine": report.machine,
        "template": report.template,
        "settings": {
            "load_generator": report.load_generator,
            "connections": report.connections,
            "threads": report.threads,
            "duration_s": report.duration_s,
            "warmup_s": report.warmup_s,
            "workers": report.workers,
            "items": report.items,
            "strict": report.strict,
        },
        "generated": _app_json(report.generated),
        "baseline": _app_json(report.baseline),
        "throughput_ratio": {
            endpoint.path: round(
                throughput_ratio(report.generated, report.baseline, endpoint.name), 3
            )
            for endpoint in ENDPOINTS
        },
        "checks": [
            {
                "name": check.name,
                "passed": check.passed,
                "measured": check.measured,
                "timing": check.timing,
            }
            for check in report.checks
        ],
    }


def write_json(report: BenchReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(report), indent=2) + "\n")
