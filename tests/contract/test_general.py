"""Section 1: the OpenAPI document and the offline documentation page."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.contract.client import (
    JsonObject,
    assert_security_headers,
    assert_status,
    csp_directives,
    json_object,
    media_type,
)
from tests.contract.combinations import for_combinations
from tests.contract.docs_page import inline_allowed, page_assets
from tests.contract.server import LiveServer

pytestmark = [pytest.mark.contract, for_combinations()]

ITEM_OPERATIONS = {
    ("post", "/api/v1/items"),
    ("get", "/api/v1/items"),
    ("get", "/api/v1/items/{}"),
    ("patch", "/api/v1/items/{}"),
    ("delete", "/api/v1/items/{}"),
}
AUTH_OPERATIONS = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/users/me"),
    ("patch", "/api/v1/users/me"),
}
#: CSP sources that name other hosts (or any host).
EXTERNAL_SOURCE = re.compile(r"^(\*|https?:|wss?:|data:|[a-z0-9.-]+\.[a-z]{2,}|//)", re.IGNORECASE)
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _openapi(client: httpx.Client) -> JsonObject:
    response = client.get("/openapi.json")
    assert_status(response, 200)
    assert media_type(response.headers) == "application/json"
    return json_object(response)


def _operations(document: JsonObject) -> dict[tuple[str, str], JsonObject]:
    """Every operation by (method, path), path parameters written `{}`."""
    operations: dict[tuple[str, str], JsonObject] = {}
    for path, item in document["paths"].items():
        generic = re.sub(r"\{[^}]*\}", "{}", path)
        for method, operation in item.items():
            if method in HTTP_METHODS:
                operations[(method, generic)] = operation
    return operations


def _request_media_types(operation: JsonObject) -> set[str]:
    return set(operation.get("requestBody", {}).get("content", {}))


def test_openapi_document_lists_the_item_routes(client: httpx.Client) -> None:
    document = _openapi(client)

    assert str(document.get("openapi", "")).startswith("3."), document.get("openapi")
    operations = _operations(document)
    assert operations.keys() >= ITEM_OPERATIONS, sorted(ITEM_OPERATIONS - operations.keys())
    create = operations[("post", "/api/v1/items")]
    assert "application/json" in _request_media_types(create), create
    assert "201" in create.get("responses", {}), create.get("responses")
    assert "200" in operations[("get", "/api/v1/items")].get("responses", {})
    assert "204" in operations[("delete", "/api/v1/items/{}")].get("responses", {})


def test_openapi_document_matches_the_auth_mode(client: httpx.Client, auth_enabled: bool) -> None:
    document = _openapi(client)
    operations = _operations(document)
    schemes = document.get("components", {}).get("securitySchemes", {})

    if not auth_enabled:
        auth_paths = {
            path for _, path in operations if path.startswith(("/api/v1/auth", "/api/v1/users"))
        }
        assert not auth_paths, auth_paths
        return
    assert operations.keys() >= AUTH_OPERATIONS, sorted(AUTH_OPERATIONS - operations.keys())
    assert schemes, "auth is on but the document declares no security scheme"
    assert any(
        scheme.get("type") == "oauth2"
        or (scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer")
        for scheme in schemes.values()
    ), f"no bearer or OAuth2 security scheme: {schemes}"
    listing = operations[("get", "/api/v1/items")]
    assert listing.get("security") or document.get("security"), (
        "GET /api/v1/items needs a token but declares no security requirement"
    )
    token_operation = operations[("post", "/api/v1/auth/token")]
    assert "application/x-www-form-urlencoded" in _request_media_types(token_operation)


def test_docs_page_loads_only_its_own_assets(client: httpx.Client, live: LiveServer) -> None:
    page = client.get("/docs")

    assert_status(page, 200)
    assert media_type(page.headers) == "text/html"
    assert_security_headers(page.headers, api=False)
    assets = page_assets(page.text)
    assert assets.scripts, "the docs page loads no script"
    own_host = urlsplit(live.base_url).netloc
    for reference in assets.scripts + assets.stylesheets:
        url = urljoin(str(page.url), reference)
        assert urlsplit(url).netloc == own_host, f"/docs loads {reference} from another host"
        asset = client.get(url)
        assert_status(asset, 200)
        assert asset.content, f"{reference} is empty"
    for reference in assets.scripts:
        kind = media_type(client.get(urljoin(str(page.url), reference)).headers)
        assert "javascript" in kind, f"{reference} is served as {kind!r}"
    for reference in assets.stylesheets:
        kind = media_type(client.get(urljoin(str(page.url), reference)).headers)
        assert kind == "text/css", f"{reference} is served as {kind!r}"


def test_docs_page_policy_lets_the_page_run(client: httpx.Client) -> None:
    """If /docs carries a CSP, it allows exactly what the page needs, from 'self'."""
    page = client.get("/docs")
    assert_status(page, 200)
    policy = page.headers.get("content-security-policy")
    if policy is None:
        return
    directives = csp_directives(policy)
    default = directives.get("default-src")
    scripts = directives.get("script-src", default)
    styles = directives.get("style-src", default)
    connect = directives.get("connect-src", default)
    assets = page_assets(page.text)

    for sources in (scripts or [], styles or []):
        external = [source for source in sources if EXTERNAL_SOURCE.match(source)]
        assert not external, f"/docs CSP allows external sources {external}: {policy}"
    if scripts is not None:
        if assets.scripts:
            assert "'self'" in scripts, f"/docs loads scripts but its CSP blocks them: {policy}"
        for content, nonce in assets.inline_scripts:
            assert inline_allowed(scripts, content, nonce), (
                f"/docs has an inline script its CSP blocks ({policy}): {content[:200]!r}"
            )
    if styles is not None:
        if assets.stylesheets:
            assert "'self'" in styles, f"/docs loads stylesheets but its CSP blocks them: {policy}"
        for content, nonce in assets.inline_styles:
            assert inline_allowed(styles, content, nonce), (
                f"/docs has an inline style its CSP blocks ({policy}): {content[:200]!r}"
            )
    if connect is not None:
        assert "'self'" in connect, f"/docs cannot fetch /openapi.json under its CSP: {policy}"
