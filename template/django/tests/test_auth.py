import threading
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from django.db import connection
from django.test import Client

from tests.auth import PASSWORD, Account, log_in, make_account


def register(client: Client, email: str, password: str = PASSWORD) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/auth/register",
        {"email": email, "password": password, "full_name": "Ada"},
        content_type="application/json",
    )
    body: dict[str, object] = response.json()
    return response.status_code, body


def refresh(client: Client, token: str) -> int:
    response = client.post(
        "/api/v1/auth/refresh", {"refresh_token": token}, content_type="application/json"
    )
    return response.status_code


def test_register_stores_the_email_lower_case(anonymous: Client) -> None:
    status, user = register(anonymous, "Ada@Example.COM")

    assert status == 201
    assert user["email"] == "ada@example.com"
    assert "password" not in user
    assert register(anonymous, "ADA@example.com")[0] == 409
    assert register(anonymous, "short@example.com", "2short")[0] == 422


def test_login_issues_a_token_pair(anonymous: Client) -> None:
    register(anonymous, "ada@example.com")

    response = anonymous.post(
        "/api/v1/auth/token", {"username": "ADA@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = anonymous.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["email"] == "ada@example.com"


def test_wrong_password_and_unknown_user_look_alike(account: Account, anonymous: Client) -> None:
    wrong = anonymous.post(
        "/api/v1/auth/token", {"username": account.user.email, "password": "wrong password"}
    )
    unknown = anonymous.post(
        "/api/v1/auth/token", {"username": "nobody@example.com", "password": PASSWORD}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_repeated_failures_are_rate_limited(account: Account, anonymous: Client) -> None:
    for _ in range(5):
        failed = anonymous.post(
            "/api/v1/auth/token", {"username": account.user.email, "password": "wrong password"}
        )
        assert failed.status_code == 401

    limited = anonymous.post(
        "/api/v1/auth/token", {"username": account.user.email, "password": PASSWORD}
    )

    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 900
    other_ip = Client(REMOTE_ADDR="192.0.2.7")
    assert log_in(other_ip, account.user.email)["token_type"] == "bearer"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("production_password_hashing")
def test_concurrent_failures_stay_within_the_limit() -> None:
    # Committed for real: each request runs on its own thread's connection, and
    # checks passwords as slowly as in production, while the others go on.
    account = make_account("parallel@example.com")
    form = {"username": account.user.email, "password": "wrong password"}
    # Twice the limit, with room in the pool (DATABASE_POOL_SIZE, 20) for every thread
    # and the test: no attempt waits for a connection, which a loaded machine answers
    # with 503 (twenty threads and the test's own connection would not fit).
    attempts = 10
    start = threading.Barrier(attempts)

    def attempt(_: int) -> int:
        client = Client()
        start.wait()
        try:
            return client.post("/api/v1/auth/token", form).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 5, statuses


def test_an_overlong_username_is_refused_like_an_unknown_one(anonymous: Client) -> None:
    response = anonymous.post(
        "/api/v1/auth/token", {"username": "x" * 321 + "@example.com", "password": PASSWORD}
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_nul_in_the_login_form_is_refused_at_its_field(anonymous: Client) -> None:
    response = anonymous.post(
        "/api/v1/auth/token", {"username": "nul\x00@example.com", "password": PASSWORD}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "username"]


def test_refresh_rotates_and_detects_reuse(account: Account) -> None:
    anonymous = Client()
    first = account.refresh_token

    rotated = anonymous.post(
        "/api/v1/auth/refresh", {"refresh_token": first}, content_type="application/json"
    )
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]

    assert refresh(anonymous, first) == 401  # reused: every token of the user is revoked
    assert refresh(anonymous, second) == 401


def test_logout_revokes_the_refresh_token(account: Account) -> None:
    response = account.client.post(
        "/api/v1/auth/logout",
        {"refresh_token": account.refresh_token},
        content_type="application/json",
    )

    assert response.status_code == 204
    assert refresh(Client(), account.refresh_token) == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer not.a.token", "Basic YWRhOnNlY3JldA=="],
    ids=["missing", "empty", "malformed", "basic"],
)
def test_bad_access_tokens_are_refused(account: Account, header: str) -> None:
    client = Client(headers={"Authorization": header} if header else {})

    response = client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_refresh_token_is_no_access_token(account: Account) -> None:
    client = Client(headers={"Authorization": f"Bearer {account.refresh_token}"})

    assert client.get("/api/v1/users/me").status_code == 401
    assert refresh(Client(), account.access_token) == 401


def test_unsigned_token_is_refused(account: Account) -> None:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key="", algorithm="none")  # "none" signs with no key
    client = Client(headers={"Authorization": f"Bearer {unsigned}"})

    assert client.get("/api/v1/users/me").status_code == 401


def test_inactive_users_lose_access(account: Account) -> None:
    account.user.is_active = False
    account.user.save()

    assert account.client.get("/api/v1/users/me").status_code == 401
    assert refresh(Client(), account.refresh_token) == 401


def test_tokens_of_another_user_cannot_log_out_mine(account: Account) -> None:
    other = make_account("grace@example.com")

    other.client.post(
        "/api/v1/auth/logout",
        {"refresh_token": account.refresh_token},
        content_type="application/json",
    )

    assert refresh(Client(), account.refresh_token) == 200
