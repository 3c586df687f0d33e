"""Sections 2 and 4: no input gives a 500.

Text the database cannot store (U+0000, lone surrogates from `\\ud800` JSON
escapes) and numbers past the documented bounds are refused with a 422 that
names the field, on every framework and database, and the OpenAPI document
says so (`pattern`, `maximum`).
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.contract.client import (
    JsonObject,
    User,
    assert_error_at,
    create_item,
    json_object,
    new_password,
    register,
    token,
    unique_email,
)
from tests.contract.combinations import for_combinations

pytestmark = pytest.mark.contract

#: Every covered combination; those with users.
EVERY = for_combinations()
WITH_USERS = for_combinations(auth="jwt")

NUL = "\x00"
#: The largest `offset` the contract accepts (2**31 - 1).
MAX_OFFSET = 2_147_483_647
MAX_LIMIT = 100
#: A JSON body whose title is a lone high surrogate, written as the escape a
#: client would send (`json.dumps` would refuse to produce it from a str).
LONE_SURROGATE_TITLE = b'{"title": "lone \\ud800 surrogate"}'


def _post_item(api: httpx.Client, body: JsonObject) -> httpx.Response:
    return api.post("/api/v1/items", json=body)


@EVERY
def test_nul_in_a_new_title_is_422(api: httpx.Client) -> None:
    response = _post_item(api, {"title": f"{token()} nul{NUL}here"})

    assert_error_at(response, ["body", "title"])


@EVERY
def test_nul_in_a_new_description_is_422(api: httpx.Client) -> None:
    response = _post_item(api, {"title": f"{token()} ok", "description": f"a{NUL}b"})

    assert_error_at(response, ["body", "description"])


@EVERY
def test_nul_in_a_changed_title_or_description_is_422(api: httpx.Client) -> None:
    item = create_item(api, f"{token()} to patch")

    for field in ("title", "description"):
        response = api.patch(f"/api/v1/items/{item['id']}", json={field: f"x{NUL}"})
        assert_error_at(response, ["body", field])
    unchanged = json_object(api.get(f"/api/v1/items/{item['id']}"))
    assert (unchanged["title"], unchanged["description"]) == (item["title"], None)


@EVERY
def test_a_lone_surrogate_escape_in_a_body_is_422(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/items",
        content=LONE_SURROGATE_TITLE,
        headers={"Content-Type": "application/json"},
    )

    assert_error_at(response, ["body", "title"])


@EVERY
def test_a_surrogate_pair_escape_is_one_character_and_accepted(api: httpx.Client) -> None:
    marker = token()
    body = f'{{"title": "{marker} \\ud83d\\ude00"}}'.encode()

    response = api.post("/api/v1/items", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 201, response.text
    assert json_object(response)["title"] == f"{marker} \U0001f600"


@EVERY
@pytest.mark.parametrize(
    "q", [NUL, f"a{NUL}", f"{NUL}%"], ids=["only", "trailing", "with-wildcard"]
)
def test_nul_in_the_search_is_422(api: httpx.Client, q: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"q": q}), ["query", "q"])


@EVERY
@pytest.mark.parametrize(
    "value", [str(MAX_OFFSET + 1), str(2**63), "18446744073709551615", "1" + "0" * 40]
)
def test_offset_beyond_the_bound_is_422(api: httpx.Client, value: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"offset": value}), ["query", "offset"])


@EVERY
def test_the_largest_offset_is_accepted(api: httpx.Client) -> None:
    response = api.get("/api/v1/items", params={"offset": MAX_OFFSET, "limit": 1})

    assert response.status_code == 200, response.text
    page = json_object(response)
    assert (page["items"], page["offset"]) == ([], MAX_OFFSET), page


@EVERY
@pytest.mark.parametrize("value", [str(MAX_LIMIT + 1), str(2**31), "18446744073709551615"])
def test_limit_beyond_the_bound_is_422(api: httpx.Client, value: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"limit": value}), ["query", "limit"])


def _parameter(document: JsonObject, path: str, name: str) -> JsonObject:
    for parameter in document["paths"][path]["get"]["parameters"]:
        if parameter["name"] == name and parameter["in"] == "query":
            schema = parameter["schema"]
            assert isinstance(schema, dict)
            return schema
    raise AssertionError(f"no query parameter {name!r} on GET {path}")


def _string_branch(schema: JsonObject) -> JsonObject:
    """The string schema of a field, also when it is nullable (`anyOf`)."""
    branches = schema.get("anyOf", [schema])
    strings = [branch for branch in branches if branch.get("type") == "string"]
    assert len(strings) == 1, schema
    string = strings[0]
    assert isinstance(string, dict)
    return string


def _assert_refuses_nul(schema: JsonObject, where: str) -> None:
    pattern = _string_branch(schema).get("pattern")
    assert isinstance(pattern, str), f"{where}: no pattern in {schema}"
    assert re.search(pattern, "any text \U0001f600"), f"{where}: {pattern!r} refuses plain text"
    assert not re.search(pattern, f"a{NUL}b"), f"{where}: {pattern!r} accepts NUL"


def _component(document: JsonObject, name: str) -> JsonObject:
    schema = document["components"]["schemas"][name]
    assert isinstance(schema, dict)
    return schema


@EVERY
def test_the_openapi_document_states_the_bounds(client: httpx.Client) -> None:
    document = json_object(client.get("/openapi.json"))

    offset = _parameter(document, "/api/v1/items", "offset")
    limit = _parameter(document, "/api/v1/items", "limit")
    assert (offset.get("minimum"), offset.get("maximum")) == (0, MAX_OFFSET), offset
    assert (limit.get("minimum"), limit.get("maximum")) == (1, MAX_LIMIT), limit
    _assert_refuses_nul(_parameter(document, "/api/v1/items", "q"), "query q")
    for component, field in [
        ("ItemCreate", "title"),
        ("ItemCreate", "description"),
        ("ItemUpdate", "title"),
        ("ItemUpdate", "description"),
    ]:
        properties = _component(document, component)["properties"]
        _assert_refuses_nul(properties[field], f"{component}.{field}")


@WITH_USERS
def test_nul_in_a_registration_is_422(client: httpx.Client) -> None:
    cases = {
        "email": (f"nul{NUL}{token()}@example.com", new_password(), None),
        "password": (unique_email("nulpw"), f"{new_password()}{NUL}", None),
        "full_name": (unique_email("nulname"), new_password(), f"Ada{NUL}Lovelace"),
    }
    for field, (email, password, full_name) in cases.items():
        assert_error_at(register(client, email, password, full_name), ["body", field])


@WITH_USERS
def test_nul_in_a_profile_change_is_422(api: httpx.Client, current_user: User | None) -> None:
    assert current_user is not None
    for field, value in [("full_name", f"Ada{NUL}"), ("password", f"{new_password()}{NUL}")]:
        response = api.patch("/api/v1/users/me", json={field: value})
        assert_error_at(response, ["body", field])


@WITH_USERS
def test_nul_in_the_login_form_is_422(client: httpx.Client) -> None:
    for field in ("username", "password"):
        form = {"username": unique_email("nullogin"), "password": new_password()}
        form[field] += NUL
        response = client.post("/api/v1/auth/token", data=form)
        assert_error_at(response, ["body", field])


@WITH_USERS
def test_the_openapi_document_states_the_text_rule_for_users(client: httpx.Client) -> None:
    document = json_object(client.get("/openapi.json"))

    for component, field in [
        ("UserCreate", "password"),
        ("UserCreate", "full_name"),
        ("UserUpdate", "password"),
        ("UserUpdate", "full_name"),
    ]:
        properties = _component(document, component)["properties"]
        _assert_refuses_nul(properties[field], f"{component}.{field}")


#: What Python's `str.strip` removes: a title of nothing else is refused (section 7),
#: and the document's pattern says so (section 4).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: The special-use domains whose addresses registration refuses (section 6).
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test", "TEST")


@EVERY
def test_a_title_of_whitespace_is_refused_as_the_document_says(
    api: httpx.Client, client: httpx.Client
) -> None:
    document = json_object(client.get("/openapi.json"))
    for component in ("ItemCreate", "ItemUpdate"):
        pattern = _string_branch(_component(document, component)["properties"]["title"])["pattern"]
        assert re.search(pattern, f"\u3000{token()} \t"), f"{component}: {pattern!r}"
        for character in WHITESPACE:
            assert not re.search(pattern, character * 2), f"{component}: {character!r} accepted"

    for character in WHITESPACE:
        assert_error_at(_post_item(api, {"title": character * 2}), ["body", "title"])


@WITH_USERS
def test_an_email_in_a_special_use_domain_is_refused_as_the_document_says(
    client: httpx.Client,
) -> None:
    document = json_object(client.get("/openapi.json"))
    pattern = _component(document, "UserCreate")["properties"]["email"]["pattern"]
    assert re.search(pattern, unique_email()), pattern
    assert re.search(pattern, f"{token()}@test.example"), pattern

    for domain in SPECIAL_USE_DOMAINS:
        email = f"{token()}@mail.{domain}"
        assert not re.search(pattern, email), f"{pattern!r} accepts {email}"
        assert_error_at(register(client, email, new_password()), ["body", "email"])


@WITH_USERS
def test_a_password_may_be_left_out_of_a_profile_change_but_not_null(
    api: httpx.Client, client: httpx.Client, current_user: User | None
) -> None:
    """Section 6: `password: null` is refused (a password is changed, never removed),
    and the document shows a plain string; `full_name: null` clears the name."""
    assert current_user is not None
    schema = _component(json_object(client.get("/openapi.json")), "UserUpdate")
    password, full_name = schema["properties"]["password"], schema["properties"]["full_name"]
    assert password.get("type") == "string", password
    assert "required" not in schema, schema
    assert {"type": "null"} in full_name["anyOf"], full_name

    assert_error_at(api.patch("/api/v1/users/me", json={"password": None}), ["body", "password"])
    cleared = api.patch("/api/v1/users/me", json={"full_name": None})
    assert cleared.status_code == 200, cleared.text
    assert json_object(cleared)["full_name"] is None
