from httpx import AsyncClient

from tests.auth import PASSWORD, login, register


async def test_me_returns_the_signed_in_user(client: AsyncClient) -> None:
    user = await register(client, "me@example.com")
    tokens = await login(client, "me@example.com")
    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    assert response.json() == user
    assert response.headers["cache-control"] == "no-store"


async def test_update_me_changes_name_and_password(client: AsyncClient) -> None:
    await register(client, "change@example.com")
    tokens = await login(client, "change@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    renamed = await client.patch("/api/v1/users/me", json={"full_name": "Grace"}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.json()["full_name"] == "Grace"

    new_password = "a much better password"
    changed = await client.patch(
        "/api/v1/users/me", json={"password": new_password}, headers=headers
    )
    assert changed.status_code == 200
    assert (await login(client, "change@example.com", new_password))["access_token"]
    old = await client.post(
        "/api/v1/auth/token", data={"username": "change@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401


async def test_changing_the_password_revokes_refresh_tokens(client: AsyncClient) -> None:
    await register(client, "stolen@example.com")
    tokens = await login(client, "stolen@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    changed = await client.patch(
        "/api/v1/users/me", json={"password": "a much better password"}, headers=headers
    )
    assert changed.status_code == 200
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_update_me_validates_input(client: AsyncClient) -> None:
    await register(client, "strict@example.com")
    tokens = await login(client, "strict@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    for body in [{"password": "short"}, {"email": "new@example.com"}, {"full_name": "x" * 201}]:
        response = await client.patch("/api/v1/users/me", json=body, headers=headers)
        assert response.status_code == 422, body


async def test_me_needs_a_token(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
