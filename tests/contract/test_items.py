"""Section 7: the items resource, its validation, pagination, sorting and search."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from tests.contract.client import (
    ITEM_FIELDS,
    JsonObject,
    User,
    assert_error_at,
    assert_problem,
    assert_status,
    create_item,
    json_object,
    list_items,
    media_type,
    parse_timestamp,
    token,
)
from tests.contract.combinations import for_combinations
from tests.contract.server import LiveServer

pytestmark = [pytest.mark.contract, for_combinations()]

SORTS = ("created_at", "-created_at", "title", "-title")


def _titles(page: JsonObject) -> list[str]:
    return [item["title"] for item in page["items"]]


def test_create_returns_the_item_and_its_location(
    api: httpx.Client, live: LiveServer, current_user: User | None
) -> None:
    title = f"{token()} first item"
    response = api.post("/api/v1/items", json={"title": title, "description": "details"})

    assert_status(response, 201)
    assert media_type(response.headers) == "application/json"
    item = json_object(response)
    expected_fields = ITEM_FIELDS | ({"owner_id"} if current_user else set())
    assert set(item) == expected_fields, item
    assert (item["title"], item["description"]) == (title, "details")
    assert str(uuid.UUID(item["id"])) == item["id"].lower()
    created, updated = parse_timestamp(item["created_at"]), parse_timestamp(item["updated_at"])
    assert created <= updated
    if current_user:
        assert item["owner_id"] == current_user.id
    location = urlsplit(response.headers.get("location", ""))
    assert location.path == f"/api/v1/items/{item['id']}", response.headers.get("location")
    assert location.netloc in {"", urlsplit(live.base_url).netloc}
    fetched = api.get(f"/api/v1/items/{item['id']}")
    assert_status(fetched, 200)
    assert json_object(fetched) == item


def test_description_is_optional_and_nullable(api: httpx.Client) -> None:
    without = api.post("/api/v1/items", json={"title": f"{token()} bare"})
    explicit_null = api.post(
        "/api/v1/items", json={"title": f"{token()} null", "description": None}
    )

    for response in (without, explicit_null):
        assert_status(response, 201)
        assert json_object(response)["description"] is None


@pytest.mark.parametrize(
    "title",
    ["a", "t" * 200, "é" * 200, "\U0001f600" * 200, "  padded  "],
    ids=["1-char", "200-ascii", "200-accented", "200-emoji", "padded"],
)
def test_title_within_bounds_is_accepted(api: httpx.Client, title: str) -> None:
    response = api.post("/api/v1/items", json={"title": title})

    assert_status(response, 201)
    assert json_object(response)["title"].strip() == title.strip()


@pytest.mark.parametrize(
    "title",
    ["", "t" * 201, "\U0001f600" * 201, " ", "   \t\n  ", None, 42],
    ids=["empty", "201-ascii", "201-emoji", "space", "whitespace", "null", "number"],
)
def test_title_out_of_bounds_is_422(api: httpx.Client, title: object) -> None:
    assert_error_at(api.post("/api/v1/items", json={"title": title}), ["body", "title"])


def test_description_length_bounds(api: httpx.Client) -> None:
    longest = api.post(
        "/api/v1/items", json={"title": f"{token()} long", "description": "d" * 10000}
    )
    too_long = api.post(
        "/api/v1/items", json={"title": f"{token()} long", "description": "d" * 10001}
    )

    assert_status(longest, 201)
    assert json_object(longest)["description"] == "d" * 10000
    assert_error_at(too_long, ["body", "description"])


def test_patch_updates_fields_and_moves_updated_at(api: httpx.Client) -> None:
    item = create_item(api, f"{token()} before", "old")
    time.sleep(0.01)

    response = api.patch(f"/api/v1/items/{item['id']}", json={"title": "after"})

    assert_status(response, 200)
    patched = json_object(response)
    assert (patched["title"], patched["description"]) == ("after", "old")
    assert patched["id"] == item["id"]
    assert parse_timestamp(patched["created_at"]) == parse_timestamp(item["created_at"])
    assert parse_timestamp(patched["updated_at"]) > parse_timestamp(item["updated_at"])
    assert json_object(api.get(f"/api/v1/items/{item['id']}")) == patched


def test_patch_can_clear_the_description(api: httpx.Client) -> None:
    item = create_item(api, f"{token()} described", "to be cleared")

    response = api.patch(f"/api/v1/items/{item['id']}", json={"description": None})

    assert_status(response, 200)
    assert json_object(response)["description"] is None
    assert json_object(response)["title"] == item["title"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"description": "d" * 10001}, "description"),
        ({"owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
    ids=["empty", "whitespace", "null-title", "long-title", "long-description", "owner", "id"],
)
def test_invalid_patch_is_422_and_changes_nothing(
    api: httpx.Client, payload: JsonObject, field: str
) -> None:
    item = create_item(api, f"{token()} stable", "kept")

    response = api.patch(f"/api/v1/items/{item['id']}", json=payload)

    assert_error_at(response, ["body", field])
    assert json_object(api.get(f"/api/v1/items/{item['id']}")) == item


def test_delete_then_gone(api: httpx.Client) -> None:
    item = create_item(api, f"{token()} doomed")

    deleted = api.delete(f"/api/v1/items/{item['id']}")

    assert_status(deleted, 204)
    assert deleted.content == b""
    assert_problem(api.get(f"/api/v1/items/{item['id']}"), 404)
    assert_problem(api.patch(f"/api/v1/items/{item['id']}", json={"title": "x"}), 404)
    assert_problem(api.delete(f"/api/v1/items/{item['id']}"), 404)


def test_missing_item_is_404_for_every_method(api: httpx.Client) -> None:
    missing = f"/api/v1/items/{uuid.uuid4()}"

    assert_problem(api.get(missing), 404)
    assert_problem(api.patch(missing, json={"title": "x"}), 404)
    assert_problem(api.delete(missing), 404)


def test_list_shape_and_total_counts_all_matches(api: httpx.Client) -> None:
    marker = token()
    created = [create_item(api, f"{marker} item {n}") for n in range(5)]

    page = list_items(api, q=marker, limit=2)

    assert set(page) == {"items", "total", "limit", "offset"}, page
    assert page["total"] == 5, page
    assert (page["limit"], page["offset"]) == (2, 0)
    assert len(page["items"]) == 2
    assert {item["id"] for item in page["items"]} <= {item["id"] for item in created}
    assert all(set(item) >= ITEM_FIELDS for item in page["items"]), page
    for item in page["items"]:
        assert parse_timestamp(item["created_at"]) <= parse_timestamp(item["updated_at"])


def test_default_sort_is_newest_first(api: httpx.Client) -> None:
    marker = token()
    titles = [f"{marker} {name}" for name in ("one", "two", "three")]
    for title in titles:
        create_item(api, title)
        time.sleep(0.01)

    assert _titles(list_items(api, q=marker)) == titles[::-1]
    assert _titles(list_items(api, q=marker, sort="-created_at")) == titles[::-1]
    assert _titles(list_items(api, q=marker, sort="created_at")) == titles


def test_sort_by_title(api: httpx.Client) -> None:
    marker = token()
    titles = [f"{marker} {name}" for name in ("bravo", "alpha", "charlie")]
    for title in titles:
        create_item(api, title)

    assert _titles(list_items(api, q=marker, sort="title")) == sorted(titles)
    assert _titles(list_items(api, q=marker, sort="-title")) == sorted(titles, reverse=True)


@pytest.mark.parametrize("sort", ["name", "id", "TITLE", "+title", "title,-created_at", "--title"])
def test_unknown_sort_is_422(api: httpx.Client, sort: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"sort": sort}), ["query", "sort"])


def test_pages_never_overlap_on_ties(api: httpx.Client) -> None:
    marker = token()
    created = {create_item(api, f"{marker} same")["id"] for _ in range(7)}

    for sort in SORTS:
        seen: list[str] = []
        for offset in range(0, 8, 2):
            page = list_items(api, q=marker, sort=sort, limit=2, offset=offset)
            assert page["total"] == 7, page
            seen += [item["id"] for item in page["items"]]
        assert len(seen) == len(set(seen)), f"sort={sort}: pages overlap: {seen}"
        assert set(seen) == created, f"sort={sort}: pages miss items"


def test_search_is_case_insensitive(api: httpx.Client) -> None:
    marker = token()
    item = create_item(api, f"{marker} Hello World")

    for query in (f"{marker} hello", f"{marker.upper()} HELLO WORLD", "LO wOrLd"):
        page = list_items(api, q=query, limit=100)
        assert item["id"] in {found["id"] for found in page["items"]}, query
    assert list_items(api, q=f"{marker} goodbye")["total"] == 0


def test_search_is_case_insensitive_beyond_ascii(api: httpx.Client) -> None:
    marker = token()
    item = create_item(api, f"{marker} Ärger Über Straße")

    page = list_items(api, q=f"{marker} ärger über")

    assert [found["id"] for found in page["items"]] == [item["id"]], page


WILDCARD_TITLES = (
    "100% done",
    "100 done",
    "a_b",
    "aXb",
    "back\\slash",
    "backslash",
    "back\\\\slash",
)


def _create_wildcard_items(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """Items titled `<marker> <suffix>`; returns the marker and ids by suffix."""
    marker = token()
    ids = {suffix: create_item(api, f"{marker} {suffix}")["id"] for suffix in WILDCARD_TITLES}
    return marker, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100% done", ["100% done"]),
        ("100%", ["100% done"]),
        ("100%done", []),
        ("a_b", ["a_b"]),
        ("a_", ["a_b"]),
        ("back\\slash", ["back\\slash"]),
        ("back\\", ["back\\slash", "back\\\\slash"]),
        ("back\\\\", ["back\\\\slash"]),
    ],
)
def test_search_wildcards_match_literally(
    api: httpx.Client, query: str, expected: list[str]
) -> None:
    marker, ids = _create_wildcard_items(api)

    page = list_items(api, q=f"{marker} {query}", limit=100)

    assert sorted(_titles(page)) == sorted(f"{marker} {suffix}" for suffix in expected), page
    assert page["total"] == len(expected), page
    assert {item["id"] for item in page["items"]} == {ids[suffix] for suffix in expected}


@pytest.mark.parametrize("query", ["%", "_", "\\"], ids=["percent", "underscore", "backslash"])
def test_search_for_a_lone_wildcard_is_literal(api: httpx.Client, query: str) -> None:
    _, ids = _create_wildcard_items(api)

    found: dict[str, str] = {}
    for offset in range(0, 1000, 100):
        page = list_items(api, q=query, limit=100, offset=offset)
        found |= {item["id"]: item["title"] for item in page["items"]}
        if offset + 100 >= page["total"]:
            break

    assert all(query in title for title in found.values()), sorted(found.values())
    for suffix, item_id in ids.items():
        assert (item_id in found) == (query in suffix), (suffix, query)


def test_search_longer_than_100_is_422(api: httpx.Client) -> None:
    assert_status(api.get("/api/v1/items", params={"q": "q" * 100}), 200)
    assert_error_at(api.get("/api/v1/items", params={"q": "q" * 101}), ["query", "q"])
