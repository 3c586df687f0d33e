"""Section 6, last line: with `auth = none` there are no auth or user routes."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.client import assert_problem, create_item, token
from tests.contract.combinations import for_combinations

pytestmark = [pytest.mark.contract, for_combinations(auth="none")]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/refresh"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/users/me"),
        ("PATCH", "/api/v1/users/me"),
    ],
)
def test_auth_and_user_routes_do_not_exist(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json={})

    assert_problem(response, 404)


def test_items_need_no_credentials_and_belong_to_nobody(client: httpx.Client) -> None:
    item = create_item(client, f"{token()} public")

    assert "owner_id" not in item, item
    assert client.get(f"/api/v1/items/{item['id']}").status_code == 200


def test_a_bearer_token_is_not_required_nor_checked(client: httpx.Client) -> None:
    response = client.get("/api/v1/items", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 200, response.text
