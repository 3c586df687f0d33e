"""The generated project: render it with copier, install it, migrate, serve."""

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.commands import child_env, run_step


@dataclass(frozen=True)
class Answers:
    framework: str
    project_name: str = "Bench Service"
    database: str = "postgresql"
    auth: str = "jwt"
    task_queue: str = "none"
    broker: str | None = None

    def as_data(self) -> dict[str, str]:
        data = {
            "project_name": self.project_name,
            "framework": self.framework,
            "database": self.database,
            "auth": self.auth,
            "task_queue": self.task_queue,
        }
        if self.broker is not None:
            data["broker"] = self.broker
        return data


@dataclass(frozen=True)
class RuntimeSettings:
    """What docs/contract.md section 9 lets an operator set; the bench runs production."""

    database_url: str
    secret_key: str
    port: int
    workers: int

    def environ(self) -> dict[str, str]:
        return {
            "ENVIRONMENT": "production",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "LOG_LEVEL": "WARNING",
        }


class GeneratedProject:
    def __init__(self, root: Path, python: Path) -> None:
        self.root = root
        self._python = python

    @classmethod
    def generate(
        cls, template: Path, vcs_ref: str, answers: Answers, destination: Path, python: Path
    ) -> "GeneratedProject":
        data_options = [
            option
            for key, value in answers.as_data().items()
            for option in ("--data", f"{key}={value}")
        ]
        copy = [sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref", vcs_ref]
        run_step(
            f"rendering the template ({template} at {vcs_ref})",
            # The copier of the bench's own environment: the one the template pins.
            [*copy, *data_options, str(template), str(destination)],
            cwd=destination.parent,
            # copier runs `git status` in the template; without optional locks
            # that cannot touch the index of the repository being benchmarked.
            env=child_env({"GIT_OPTIONAL_LOCKS": "0"}),
            timeout_s=300,
        )
        return cls(destination, python)

    def tool_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return child_env(
            {
                "UV_PYTHON": str(self._python),
                "UV_PYTHON_DOWNLOADS": "never",
                **(extra or {}),
            }
        )

    def install(self) -> None:
        run_step(
            "installing the generated project (uv sync)",
            ["uv", "sync"],
            cwd=self.root,
            env=self.tool_env(),
            timeout_s=900,
        )

    def migrate(self, settings: RuntimeSettings) -> None:
        run_step(
            "migrating the database (make migrate)",
            ["make", "migrate"],
            cwd=self.root,
            env=self.tool_env(settings.environ()),
            timeout_s=300,
        )

    def serve_argv(self) -> list[str]:
        return ["make", "serve"]

    def worker_argv(self) -> list[str]:
        return ["make", "worker"]

    def installed_versions(self, distributions: Iterable[str]) -> dict[str, str]:
        """Versions of the given distributions in the project's environment."""
        script = (
            "import importlib.metadata as m, json, sys\n"
            "found = {}\n"
            "for name in sys.argv[1:]:\n"
            "    try: found[name] = m.version(name)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(found))\n"
        )
        output = run_step(
            "reading the generated project's package versions",
            [str(self.root / ".venv" / "bin" / "python"), "-c", script, *distributions],
            cwd=self.root,
            env=self.tool_env(),
            timeout_s=60,
        )
        versions: dict[str, str] = json.loads(output)
        return versions
