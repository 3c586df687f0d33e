"""Section 1: FastAPI, Flask and Django serve one OpenAPI document for the same answers.

Each framework's project is served as in production (`make migrate`, `make
serve`) and its `/openapi.json` fetched; after the normalisation of
docs/contract.md section 1 (no `info`, no prose, key order ignored) the
three documents are equal. SQLite and no queue or cache keep it cheap: those
answers change no route.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.contract.client import new_client
from tests.contract.openapi import differences, fetch_document, normalised
from tests.contract.server import live_server
from tests.harness.databases import database_for
from tests.option_space import Combination, combination_id

pytestmark = pytest.mark.contract

FRAMEWORKS = ("fastapi", "flask", "django")


def _served_document(project: Path, combination: Combination, workdir: Path) -> dict[str, object]:
    key = combination_id(combination)
    with (
        database_for("sqlite", f"one_document_{key.replace('-', '_')}", workdir) as database_url,
        live_server(project, database_url, workdir / f"{key}.log") as server,
        new_client(server.base_url) as client,
    ):
        return fetch_document(client)


@pytest.mark.parametrize("auth", ["jwt", "none"])
def test_the_three_frameworks_serve_one_document(
    auth: str, project_factory: ProjectFactory, tmp_path: Path
) -> None:
    documents = {}
    for framework in FRAMEWORKS:
        combination: Combination = {
            "framework": framework,
            "database": "sqlite",
            "auth": auth,
            "task_queue": "none",
            "cache": "none",
        }
        project = project_factory(combination)
        documents[framework] = normalised(_served_document(project, combination, tmp_path))

    reference = documents["fastapi"]
    for framework in FRAMEWORKS[1:]:
        found = list(differences(reference, documents[framework]))
        assert not found, f"fastapi and {framework} differ:\n" + "\n".join(found[:40])
