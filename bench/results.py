"""The figures one benchmark produces, shared by the measuring and reporting code."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str

    @property
    def label(self) -> str:
        return f"GET {self.path.partition('?')[0]}"


# The two read paths every auth=jwt flavour serves: one runs auth plus two
# queries and serialises a page, the other auth plus one query.
ENDPOINTS = (
    Endpoint("items", "/api/v1/items?limit=20"),
    Endpoint("users_me", "/api/v1/users/me"),
)


@dataclass(frozen=True)
class LoadResult:
    """What wrk measured during one timed run against one endpoint."""

    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    timeouts: int

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors + self.timeouts


@dataclass(frozen=True)
class CpuUsage:
    """CPU seconds spent during one run, split by who spent them."""

    server_s: float
    database_s: float
    load_generator_s: float
    elsewhere_s: float


@dataclass(frozen=True)
class EndpointRun:
    endpoint: Endpoint
    run: int
    load: LoadResult
    cpu: CpuUsage

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu.server_s / self.load.requests if self.load.requests else 0.0

    @property
    def database_cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu.database_s / self.load.requests if self.load.requests else 0.0

    @property
    def elsewhere_cores(self) -> float:
        """Cores kept busy by processes outside the bench, on average."""
        return self.cpu.elsewhere_s / self.load.duration_s if self.load.duration_s else 0.0


@dataclass(frozen=True)
class WorkerMemory:
    pid: int
    rss_mib: float


@dataclass(frozen=True)
class MemorySample:
    """Resident memory of every server worker, taken right after a run."""

    after_run: int
    workers: tuple[WorkerMemory, ...]

    @property
    def max_rss_mib(self) -> float:
        return max((worker.rss_mib for worker in self.workers), default=0.0)


@dataclass(frozen=True)
class AppResult:
    app: str
    runs: tuple[EndpointRun, ...]
    memory: tuple[MemorySample, ...]

    def mean_requests_per_s(self, endpoint: Endpoint) -> float:
        rates = [run.load.requests_per_s for run in self.runs if run.endpoint == endpoint]
        return sum(rates) / len(rates) if rates else 0.0

    def server_cpu_ms_per_request(self, endpoint: Endpoint) -> float:
        runs = [run for run in self.runs if run.endpoint == endpoint]
        requests = sum(run.load.requests for run in runs)
        return 1000 * sum(run.cpu.server_s for run in runs) / requests if requests else 0.0

    def max_elsewhere_cores(self) -> float:
        return max((run.elsewhere_cores for run in self.runs), default=0.0)

    @property
    def errors(self) -> int:
        return sum(run.load.errors for run in self.runs)

    def rss_growth_mib(self) -> float:
        """Largest growth of one worker between the first and last sample.

        Workers are matched by pid; a worker that was replaced between the two
        samples (a restart) cannot be matched, so then the largest worker of
        each sample is compared instead.
        """
        if len(self.memory) < 2:
            return 0.0
        first, last = self.memory[0], self.memory[-1]
        before = {worker.pid: worker.rss_mib for worker in first.workers}
        after = {worker.pid: worker.rss_mib for worker in last.workers}
        if before.keys() != after.keys():
            return last.max_rss_mib - first.max_rss_mib
        return max(after[pid] - before[pid] for pid in after)

    def workers_replaced(self) -> bool:
        pid_sets = {frozenset(worker.pid for worker in sample.workers) for sample in self.memory}
        return len(pid_sets) > 1
