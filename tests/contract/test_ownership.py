"""Section 7 with `auth = jwt`: items need a token and belong to their owner."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.client import (
    assert_problem,
    assert_status,
    create_item,
    json_object,
    list_items,
    new_client,
    new_user,
    token,
)
from tests.contract.combinations import for_combinations
from tests.contract.server import LiveServer

pytestmark = [pytest.mark.contract, for_combinations(auth="jwt")]


def test_items_need_a_token(client: httpx.Client) -> None:
    for response in (
        client.get("/api/v1/items"),
        client.post("/api/v1/items", json={"title": "anonymous"}),
    ):
        assert_problem(response, 401)
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_another_users_item_is_404_and_unlisted(live: LiveServer, client: httpx.Client) -> None:
    owner, stranger = new_user(client, "owner"), new_user(client, "stranger")
    marker = token()
    with (
        new_client(live.base_url, headers=owner.headers) as as_owner,
        new_client(live.base_url, headers=stranger.headers) as as_stranger,
    ):
        item = create_item(as_owner, f"{marker} private")
        path = f"/api/v1/items/{item['id']}"

        assert_problem(as_stranger.get(path), 404)
        assert_problem(as_stranger.patch(path, json={"title": "stolen"}), 404)
        assert_problem(as_stranger.delete(path), 404)
        assert list_items(as_stranger, q=marker)["total"] == 0
        assert list_items(as_stranger, q=marker)["items"] == []

        still_there = as_owner.get(path)
        assert_status(still_there, 200)
        assert json_object(still_there) == item
        assert list_items(as_owner, q=marker)["total"] == 1


def test_not_found_looks_the_same_for_foreign_and_missing_items(
    live: LiveServer, client: httpx.Client
) -> None:
    owner, stranger = new_user(client, "owner"), new_user(client, "stranger")
    with (
        new_client(live.base_url, headers=owner.headers) as as_owner,
        new_client(live.base_url, headers=stranger.headers) as as_stranger,
    ):
        item = create_item(as_owner, f"{token()} private")
        foreign = assert_problem(as_stranger.get(f"/api/v1/items/{item['id']}"), 404)
        missing = assert_problem(
            as_stranger.get("/api/v1/items/00000000-0000-4000-8000-000000000000"), 404
        )

    assert {k: v for k, v in foreign.items() if k != "request_id"} == {
        k: v for k, v in missing.items() if k != "request_id"
    }
