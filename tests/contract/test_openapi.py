"""Section 1: the OpenAPI document tells the truth about every answer.

Every status an operation can return is documented, with the media type it
is served with: problems as `application/problem+json` with the shared
`Problem` schema (`ValidationProblem`, with `errors`, for 422).
"""

from __future__ import annotations

import httpx
import pytest

from tests.contract.client import PROBLEM_CONTENT_TYPE, JsonObject
from tests.contract.combinations import for_combinations
from tests.contract.openapi import fetch_document, has_path_parameter, operations

pytestmark = [pytest.mark.contract, for_combinations()]

PROBLEM = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM = {"$ref": "#/components/schemas/ValidationProblem"}
READINESS = {"$ref": "#/components/schemas/Readiness"}
#: Operations a client calls without a token, with auth on.
PUBLIC_API_OPERATIONS = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
}
#: Statuses documented on one operation beyond the general rules (sections 6 and 7).
OPERATION_STATUSES = {
    ("post", "/api/v1/auth/register"): {"409"},
    ("post", "/api/v1/auth/token"): {"401", "429"},
    ("post", "/api/v1/auth/refresh"): {"401"},
}


def _expected_statuses(method: str, path: str, operation: JsonObject) -> set[str]:
    expected = set(OPERATION_STATUSES.get((method, path), set()))
    if "security" in operation:
        expected.add("401")
    if has_path_parameter(path):
        expected.add("404")
    if operation.get("parameters") or "requestBody" in operation:
        expected.add("422")
    if "requestBody" in operation:
        expected |= {"413", "415"}
    if path.startswith("/api/"):
        expected.add("503")
    return expected


def test_every_error_is_a_documented_problem(client: httpx.Client) -> None:
    document = fetch_document(client)

    wrong = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path, status) == ("/health/ready", "503"):
                continue
            schema = VALIDATION_PROBLEM if status == "422" else PROBLEM
            if response.get("content") != {PROBLEM_CONTENT_TYPE: {"schema": schema}}:
                wrong.append(f"{method.upper()} {path} {status}: {response.get('content')}")
    assert not wrong, "\n".join(wrong)
    schemas = document["components"]["schemas"]
    assert "errors" in schemas["ValidationProblem"]["properties"]
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(schemas), sorted(schemas)


def test_every_status_an_operation_can_return_is_documented(
    client: httpx.Client, auth_enabled: bool
) -> None:
    document = fetch_document(client)

    missing = []
    for method, path, operation in operations(document):
        public = (method, path) in PUBLIC_API_OPERATIONS
        if auth_enabled and path.startswith("/api/") and not public:
            assert "security" in operation, f"{method.upper()} {path} needs a token"
        absent = _expected_statuses(method, path, operation) - operation["responses"].keys()
        if absent:
            missing.append(f"{method.upper()} {path}: {sorted(absent)}")
    assert not missing, "\n".join(missing)


def test_readiness_documents_its_report_for_200_and_503(client: httpx.Client) -> None:
    responses = fetch_document(client)["paths"]["/health/ready"]["get"]["responses"]

    for status in ("200", "503"):
        assert responses[status]["content"] == {"application/json": {"schema": READINESS}}


def test_patch_title_may_be_left_out_but_not_null(client: httpx.Client) -> None:
    """Section 7: `title: null` is refused, `description: null` clears."""
    schema = fetch_document(client)["components"]["schemas"]["ItemUpdate"]

    assert "required" not in schema, schema
    title, description = schema["properties"]["title"], schema["properties"]["description"]
    assert title["type"] == "string", title
    assert {"type": "null"} in description["anyOf"], description
