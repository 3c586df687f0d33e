"""A few calls through the public API: enough to tell that the chain works.

The full black-box suite is `tests/contract`; these calls only show that a
production server of this combination serves real requests end to end.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.option_space import Combination
from tests.smoke.report import StepError

PROBLEM_JSON = "application/problem+json"


def _expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise StepError(
            f"{response.request.method} {response.request.url.path} gave "
            f"{response.status_code}, expected {status}: {response.text[:500]}"
        )
    return response.json() if response.content else None


def check_health(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        body = _expect(client.get("/health/ready"), 200)
        if body.get("status") != "ok":
            raise StepError(f"/health/ready: {body}")
        missing = client.get("/api/v1/no-such-route")
        _expect(missing, 404)
        if not missing.headers.get("content-type", "").startswith(PROBLEM_JSON):
            raise StepError(f"404 is not problem details: {missing.headers.get('content-type')}")
        return f"ready: {body.get('checks')}"


def _login(client: httpx.Client) -> dict[str, str]:
    email = f"smoke-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    _expect(client.post("/api/v1/auth/register", json={"email": email, "password": password}), 201)
    tokens = _expect(
        client.post("/api/v1/auth/token", data={"username": email, "password": password}), 200
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = _expect(client.get("/api/v1/users/me", headers=headers), 200)
    if me.get("email") != email:
        raise StepError(f"/users/me returned {me}")
    return headers


def exercise_items(base_url: str, combination: Combination) -> str:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        headers = _login(client) if combination["auth"] == "jwt" else {}
        if headers:
            _expect(client.get("/api/v1/items"), 401)
        title = f"smoke {secrets.token_hex(4)}"
        item = _expect(client.post("/api/v1/items", json={"title": title}, headers=headers), 201)
        page = _expect(client.get("/api/v1/items", params={"q": title}, headers=headers), 200)
        if page.get("total") != 1 or page["items"][0]["id"] != item["id"]:
            raise StepError(f"the new item is not listed: {page}")
        _expect(client.get(f"/api/v1/items/{item['id']}", headers=headers), 200)
        _expect(client.delete(f"/api/v1/items/{item['id']}", headers=headers), 204)
        _expect(client.get(f"/api/v1/items/{item['id']}", headers=headers), 404)
        calls = "register, token, users/me, " if headers else ""
        return f"{calls}create, list, get, delete"
