"""The generated app's public API, as the bench uses it: seed data, get tokens."""

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Self

import httpx

log = logging.getLogger("bench")

API = "/api/v1"


class ApiError(Exception):
    """The app answered a seeding or checking request unexpectedly."""


@dataclass(frozen=True)
class Account:
    email: str
    password: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


class ApiClient:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=30)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    def register(self, account: Account, full_name: str) -> None:
        response = self._http.post(
            f"{API}/auth/register",
            json={"email": account.email, "password": account.password, "full_name": full_name},
        )
        expect(response, httpx.codes.CREATED)

    def login(self, account: Account) -> TokenPair:
        response = self._http.post(
            f"{API}/auth/token",
            data={"username": account.email, "password": account.password},
        )
        expect(response, httpx.codes.OK)
        return token_pair(response)

    def refresh(self, refresh_token: str) -> TokenPair:
        response = self._http.post(f"{API}/auth/refresh", json={"refresh_token": refresh_token})
        expect(response, httpx.codes.OK)
        return token_pair(response)

    def create_item(self, token: str, title: str, description: str) -> None:
        response = self._http.post(
            f"{API}/items",
            json={"title": title, "description": description},
            headers=bearer(token),
        )
        expect(response, httpx.codes.CREATED)

    def get_json(self, path: str, token: str) -> dict[str, Any]:
        response = self._http.get(path, headers=bearer(token))
        expect(response, httpx.codes.OK)
        body: dict[str, Any] = response.json()
        return body


class TokenSource:
    """Fresh access tokens for one account: one login, then refresh-token rotation.

    Logging in before every run would hash the password each time (argon2 takes
    tens of MiB per hash, which the allocator may keep), and that would show up
    in the memory the bench attributes to serving the measured endpoints.
    """

    def __init__(self, client: ApiClient, account: Account) -> None:
        self._client = client
        self._pair = client.login(account)

    def access_token(self) -> str:
        self._pair = self._client.refresh(self._pair.refresh_token)
        return self._pair.access_token


def token_pair(response: httpx.Response) -> TokenPair:
    body = response.json()
    return TokenPair(access_token=body["access_token"], refresh_token=body["refresh_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise ApiError(
            f"{response.request.method} {response.request.url.path} gave "
            f"{response.status_code}, expected {status}: {response.text[:500]}"
        )


def seed(client: ApiClient, item_count: int) -> TokenSource:
    """One user owning item_count items, created through the public API only.

    Returns the user's tokens, with which the bench then acts as that user.
    """
    account = Account(
        email=f"bench-{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(18),
    )
    client.register(account, full_name="Bench User")
    tokens = TokenSource(client, account)
    token = tokens.access_token()
    for number in range(1, item_count + 1):
        client.create_item(
            token,
            title=f"Benchmark item {number}",
            description=f"Item {number} of {item_count}, created by the benchmark.",
        )
    log.info("seeded one user and %d items", item_count)
    return tokens
