from flask.testing import FlaskClient

from tests.auth import PASSWORD, login, register


def test_me_returns_the_signed_in_user(client: FlaskClient) -> None:
    user = register(client, "me@example.com")
    tokens = login(client, "me@example.com")
    response = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    assert response.get_json() == user
    assert response.headers["cache-control"] == "no-store"


def test_update_me_changes_name_and_password(client: FlaskClient) -> None:
    register(client, "change@example.com")
    tokens = login(client, "change@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    renamed = client.patch("/api/v1/users/me", json={"full_name": "Grace"}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.get_json()["full_name"] == "Grace"

    new_password = "a much better password"
    changed = client.patch("/api/v1/users/me", json={"password": new_password}, headers=headers)
    assert changed.status_code == 200
    assert login(client, "change@example.com", new_password)["access_token"]
    old = client.post(
        "/api/v1/auth/token", data={"username": "change@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401


def test_changing_the_password_revokes_refresh_tokens(client: FlaskClient) -> None:
    register(client, "stolen@example.com")
    tokens = login(client, "stolen@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    changed = client.patch(
        "/api/v1/users/me", json={"password": "a much better password"}, headers=headers
    )
    assert changed.status_code == 200
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


def test_update_me_validates_input(client: FlaskClient) -> None:
    register(client, "strict@example.com")
    tokens = login(client, "strict@example.com")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    for body in [{"password": "short"}, {"email": "new@example.com"}, {"full_name": "x" * 201}]:
        response = client.patch("/api/v1/users/me", json=body, headers=headers)
        assert response.status_code == 422, body


def test_me_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
