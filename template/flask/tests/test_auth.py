import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.auth import COMMITTED_EMAIL_DOMAIN, PASSWORD, login, register
from tests.conftest import TEST_SECRET, client_of


def test_register_returns_the_user_without_secrets(client: FlaskClient) -> None:
    user = register(client, "Mixed.Case@Example.COM")
    assert user["email"] == "mixed.case@example.com"
    assert set(user) == {"id", "email", "full_name", "is_active", "created_at"}


def test_emails_are_unique_case_insensitively(client: FlaskClient) -> None:
    register(client, "dup@example.com")
    response = client.post(
        "/api/v1/auth/register", json={"email": "DUP@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "short@example.com", "password": "7chars!"},
        {"email": "long@example.com", "password": "x" * 129},
        {"email": "extra@example.com", "password": PASSWORD, "is_admin": True},
    ],
)
def test_register_validates_input(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422


def test_token_pair_and_claims(client: FlaskClient) -> None:
    user = register(client, "claims@example.com")
    response = client.post(
        "/api/v1/auth/token", data={"username": "CLAIMS@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.get_json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    access = jwt.decode(tokens["access_token"], TEST_SECRET, algorithms=["HS256"])
    assert access["sub"] == user["id"]
    assert access["type"] == "access"
    assert access["exp"] - access["iat"] == 900
    refresh = jwt.decode(tokens["refresh_token"], TEST_SECRET, algorithms=["HS256"])
    assert refresh["type"] == "refresh"
    assert refresh["jti"] != access["jti"]


def _without_request_id(body: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in body.items() if key != "request_id"}


def test_wrong_password_and_unknown_email_look_the_same(client: FlaskClient) -> None:
    register(client, "known@example.com")
    wrong = client.post(
        "/api/v1/auth/token", data={"username": "known@example.com", "password": "wrong-pass"}
    )
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": "wrong-pass"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert _without_request_id(wrong.get_json()) == _without_request_id(unknown.get_json())


def test_repeated_failures_are_rate_limited(client: FlaskClient) -> None:
    register(client, "target@example.com")
    for _ in range(5):
        failed = client.post(
            "/api/v1/auth/token", data={"username": "target@example.com", "password": "guess1234"}
        )
        assert failed.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", data={"username": "target@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 900
    # Another account from the same address is not affected.
    register(client, "bystander@example.com")
    assert login(client, "bystander@example.com")["access_token"]


def test_the_login_limit_tells_clients_behind_a_proxy_apart(client: FlaskClient) -> None:
    register(client, "shared@example.com")
    # Requests now come from a local reverse proxy, trusted by default.
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"

    def log_in_for(client_address: str, password: str) -> int:
        return client.post(
            "/api/v1/auth/token",
            data={"username": "shared@example.com", "password": password},
            headers={"X-Forwarded-For": client_address},
        ).status_code

    assert [log_in_for("198.51.100.1", "a bad guess") for _ in range(5)] == [401] * 5
    assert log_in_for("198.51.100.1", PASSWORD) == 429
    assert log_in_for("198.51.100.2", PASSWORD) == 200


def test_concurrent_failures_stay_within_the_limit(committing_app: Flask) -> None:
    email = f"parallel@{COMMITTED_EMAIL_DOMAIN}"
    register(client_of(committing_app), email)
    form = {"username": email, "password": "guess1234"}
    attempts = 20
    start = threading.Barrier(attempts)

    def attempt(_: int) -> int:
        client = client_of(committing_app)
        start.wait()
        return client.post("/api/v1/auth/token", data=form).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 5, statuses


def test_an_overlong_username_is_refused_like_an_unknown_one(client: FlaskClient) -> None:
    username = "x" * 321 + "@example.com"
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": "guess1234"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_success_clears_earlier_failures(client: FlaskClient) -> None:
    register(client, "forgetful@example.com")
    for _ in range(4):
        client.post(
            "/api/v1/auth/token", data={"username": "forgetful@example.com", "password": "nope1234"}
        )
    login(client, "forgetful@example.com")
    for _ in range(4):
        client.post(
            "/api/v1/auth/token", data={"username": "forgetful@example.com", "password": "nope1234"}
        )
    login(client, "forgetful@example.com")


def test_refresh_rotates_and_detects_reuse(client: FlaskClient) -> None:
    register(client, "rotate@example.com")
    first = login(client, "rotate@example.com")

    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.get_json()
    assert second["refresh_token"] != first["refresh_token"]

    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    # Reuse revoked the whole family: the newer token is dead too.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(client: FlaskClient) -> None:
    register(client, "bye@example.com")
    tokens = login(client, "bye@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
    )
    assert response.status_code == 204
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


def _forge(claims: dict[str, object], secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": "00000000-0000-0000-0000-000000000000",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "00000000-0000-0000-0000-000000000001",
        "type": "access",
    }
    return jwt.encode({**base, **claims}, secret, algorithm=algorithm)


def test_bad_access_tokens_are_refused(client: FlaskClient) -> None:
    user = register(client, "victim@example.com")
    tokens = login(client, "victim@example.com")
    past = datetime.now(UTC) - timedelta(minutes=1)
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(
        f'{{"sub":"{user["id"]}","type":"access","exp":9999999999,"iat":0,"jti":"x"}}'.encode()
    ).decode()
    bad_tokens = [
        "not-a-jwt",
        tokens["refresh_token"],
        _forge({"sub": user["id"], "exp": past}),
        _forge({"sub": user["id"]}, secret="another-secret-of-sufficient-length!!"),
        f"{header}.{payload}.",
        _forge({}),  # a user that does not exist
    ]
    for token in bad_tokens:
        response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.headers["www-authenticate"] == "Bearer"


def test_openapi_describes_the_token_endpoint_and_the_bearer_scheme(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert document["components"]["securitySchemes"]
    assert document["paths"]["/api/v1/items"]["get"]["security"]
