"""A deliberately minimal app doing the same work as the benchmarked endpoints.

It answers `GET /api/v1/users/me` and `GET /api/v1/items` like the generated
project (same JWT, same tables, same queries, same JSON shape) with nothing
else: no middleware, no ORM, no validation layer, no logging. The ratio of the
generated app's throughput to this one's is the price of the generated app's
layers, which is what the bench reports.

Served by uvicorn: `uvicorn app:create_app --factory --app-dir bench/baseline`.
Configuration comes from SECRET_KEY, DATABASE_URL and BASELINE_POOL_SIZE.
"""

import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_POOL_SIZE = 10
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "type"]

USER_BY_ID = """
    SELECT id, email, full_name, is_active, created_at
    FROM users WHERE id = $1 AND is_active
"""
COUNT_ITEMS = "SELECT count(*) FROM items WHERE owner_id = $1"
PAGE_OF_ITEMS = """
    SELECT id, title, description, created_at, updated_at, owner_id
    FROM items WHERE owner_id = $1
    ORDER BY created_at DESC, id DESC
    LIMIT $2 OFFSET $3
"""


@dataclass(frozen=True)
class Settings:
    secret_key: str
    database_url: str
    pool_size: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Settings":
        return cls(
            secret_key=environ["SECRET_KEY"],
            database_url=environ["DATABASE_URL"],
            pool_size=int(environ.get("BASELINE_POOL_SIZE", DEFAULT_POOL_SIZE)),
        )


class UnauthorizedError(Exception):
    """The request carries no usable access token."""


def problem(status: int, title: str, detail: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def user_json(user: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(user["id"]),
        "email": user["email"],
        "full_name": user["full_name"],
        "is_active": user["is_active"],
        "created_at": user["created_at"].isoformat(),
    }


def item_json(item: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(item["id"]),
        "title": item["title"],
        "description": item["description"],
        "created_at": item["created_at"].isoformat(),
        "updated_at": item["updated_at"].isoformat(),
        "owner_id": str(item["owner_id"]),
    }


def query_int(request: Request, name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = int(raw)  # ValueError is turned into 422 by the caller
    if not lowest <= value <= highest:
        raise ValueError(name)
    return value


class BaselineApi:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        # One pool per worker process: lifespan runs in each uvicorn worker.
        self._pool = await asyncpg.create_pool(
            self._settings.database_url,
            min_size=self._settings.pool_size,
            max_size=self._settings.pool_size,
        )
        try:
            yield
        finally:
            await self._pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the pool is opened by the lifespan")
        return self._pool

    def _user_id_from(self, request: Request) -> uuid.UUID:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError
        try:
            claims = jwt.decode(
                token,
                self._settings.secret_key,
                algorithms=["HS256"],
                options={"require": REQUIRED_CLAIMS},
            )
            if claims["type"] != "access":
                raise UnauthorizedError
            return uuid.UUID(claims["sub"])
        except (jwt.InvalidTokenError, TypeError, ValueError) as error:
            raise UnauthorizedError from error

    async def _current_user(
        self, request: Request, connection: asyncpg.pool.PoolConnectionProxy
    ) -> asyncpg.Record:
        user = await connection.fetchrow(USER_BY_ID, self._user_id_from(request))
        if user is None:
            raise UnauthorizedError
        return user

    async def users_me(self, request: Request) -> Response:
        try:
            async with self.pool.acquire() as connection:
                user = await self._current_user(request, connection)
        except UnauthorizedError:
            return problem(401, "Unauthorized", "Missing or invalid access token.")
        return JSONResponse(user_json(user), headers={"Cache-Control": "no-store"})

    async def list_items(self, request: Request) -> Response:
        try:
            limit = query_int(request, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
            offset = query_int(request, "offset", 0, 0, 2**31 - 1)
        except ValueError:
            return problem(422, "Unprocessable Content", "limit or offset is out of range.")
        try:
            # One connection for the whole request, as a per-request session does.
            async with self.pool.acquire() as connection:
                user = await self._current_user(request, connection)
                total = await connection.fetchval(COUNT_ITEMS, user["id"])
                page = await connection.fetch(PAGE_OF_ITEMS, user["id"], limit, offset)
        except UnauthorizedError:
            return problem(401, "Unauthorized", "Missing or invalid access token.")
        body = {
            "items": [item_json(item) for item in page],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def ready(self, _request: Request) -> Response:
        # The bench waits on the same readiness route for both apps.
        async with self.pool.acquire() as connection:
            await connection.fetchval("SELECT 1", timeout=2)
        return JSONResponse({"status": "ok", "checks": {"database": "ok"}})


def create_app() -> Starlette:
    api = BaselineApi(Settings.from_environ(os.environ))
    routes = [
        Route("/api/v1/users/me", api.users_me, methods=["GET"]),
        Route("/api/v1/items", api.list_items, methods=["GET"]),
        Route("/health/ready", api.ready, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=api.lifespan)
