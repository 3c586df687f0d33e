"""The targets a generated project must meet, checked against the figures."""

from dataclasses import dataclass

from bench.results import ENDPOINTS, AppResult

# Share of the baseline's throughput each flavour must reach. The async
# FastAPI flavour runs on the same server stack as the baseline; the sync
# flavours (Django, Flask) pay for a thread per request.
MIN_THROUGHPUT_RATIO = {"fastapi": 0.5, "django": 0.25, "flask": 0.25}
MAX_WORKER_RSS_MIB = 150.0
# Allocator arenas and caches settle during the first run; more than this
# between two identical runs points at a leak.
MAX_RSS_GROWTH_MIB = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    measured: str
    # Timing targets depend on the machine: they fail the command only under --strict.
    timing: bool = False


def evaluate(
    framework: str,
    generated: AppResult,
    baseline: AppResult,
    shapes: dict[str, tuple[list[str], list[str]]],
) -> list[Check]:
    minimum = MIN_THROUGHPUT_RATIO[framework]
    checks = []
    for endpoint in ENDPOINTS:
        ratio = throughput_ratio(generated, baseline, endpoint.name)
        checks.append(
            Check(
                name=f"{endpoint.label} throughput >= {minimum:.2f}x baseline",
                passed=ratio >= minimum,
                measured=f"{ratio:.2f}x",
                timing=True,
            )
        )
    checks.append(
        Check(
            name="generated app: no non-2xx, socket errors or timeouts",
            passed=generated.errors == 0,
            measured=f"{generated.errors} errors",
        )
    )
    last_memory = generated.memory[-1].max_rss_mib if generated.memory else 0.0
    checks.append(
        Check(
            name=f"generated app: worker RSS < {MAX_WORKER_RSS_MIB:.0f} MiB after the runs",
            passed=bool(generated.memory) and last_memory < MAX_WORKER_RSS_MIB,
            measured=f"{last_memory:.1f} MiB",
        )
    )
    growth = generated.rss_growth_mib()
    checks.append(
        Check(
            name=f"generated app: worker RSS grows < {MAX_RSS_GROWTH_MIB:.0f} MiB run 1 -> 2",
            passed=growth < MAX_RSS_GROWTH_MIB and not generated.workers_replaced(),
            measured=f"{growth:+.1f} MiB"
            + (" (workers were replaced)" if generated.workers_replaced() else ""),
        )
    )
    # The two checks below guard the comparison itself, not the template.
    checks.append(
        Check(
            name="baseline: no errors (the comparison is valid)",
            passed=baseline.errors == 0,
            measured=f"{baseline.errors} errors",
        )
    )
    differing = [name for name, (ours, theirs) in shapes.items() if ours != theirs]
    checks.append(
        Check(
            name="baseline answers with the same JSON fields",
            passed=not differing,
            measured="same" if not differing else "differs on " + ", ".join(differing),
        )
    )
    return checks


def throughput_ratio(generated: AppResult, baseline: AppResult, endpoint_name: str) -> float:
    endpoint = next(endpoint for endpoint in ENDPOINTS if endpoint.name == endpoint_name)
    baseline_rate = baseline.mean_requests_per_s(endpoint)
    return generated.mean_requests_per_s(endpoint) / baseline_rate if baseline_rate else 0.0


def command_fails(checks: list[Check], strict: bool) -> bool:
    return any(not check.passed and (strict or not check.timing) for check in checks)
