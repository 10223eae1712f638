"""HTTP endpoints for logging in and out, users and devices. Thin: services do the work.

No `from __future__ import annotations` here: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth import services
from server.auth.principal import ADMIN, EVERYONE, PUBLIC, Principal
from server.auth.schemas import (
    DeviceOut,
    LoginIn,
    LoginOut,
    MeOut,
    Role,
    UserCreateIn,
    UserOut,
    UserUpdateIn,
)
from server.db import Database
from server.pagination import PAGINATION, Page, PageParams, TextFilter
from server.settings import Settings, TrustedProxies

# Explicit parameter kinds: Litestar 2.23+ deprecates inferring them, and 3.0 drops it.
Db = NamedDependency[Database]


def client_address(request: Request[Any, Any, Any], trusted_proxies: TrustedProxies) -> str:
    """The address the login throttle counts: the peer, or what a trusted proxy says it forwarded.

    X-Forwarded-For is believed only from a configured proxy (BODEGA_TRUSTED_PROXIES), else any
    client could name a fresh address per guess and escape the per-address lockout.
    """
    peer = request.client.host if request.client else "unknown"
    return trusted_proxies.client_of(peer, request.headers.getall("x-forwarded-for", []))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login", opt={**PUBLIC, "throttled": True}, status_code=200, summary="Log in and get a device token"
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        db: Db,
        settings: NamedDependency[Settings],
    ) -> LoginOut:
        return await services.authenticate(
            db,
            data.username,
            data.password,
            client_address(request, settings.trusted_proxies),
            settings,
            device_name=data.device_name,
        )

    @post("/logout", opt=EVERYONE, status_code=204, summary="Revoke this device's token")
    async def logout(self, request: Request[Principal, Any, Any], db: Db) -> None:
        await services.logout(db, request.user)

    @get("/me", opt=EVERYONE, summary="Who this token belongs to")
    async def me(self, request: Request[Principal, Any, Any], db: Db) -> MeOut:
        return await services.me(db, request.user)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", opt=ADMIN, dependencies=PAGINATION, summary="List users by username")
    async def list_users(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        role: FromQuery[Role | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> Page[UserOut]:
        return await services.list_users(db, page, role=role, active=active)

    @post("/", opt=ADMIN, summary="Create a user")
    async def create_user(
        self, request: Request[Principal, Any, Any], data: JSONBody[UserCreateIn], db: Db
    ) -> UserOut:
        return await services.create_user(db, data, request.user.actor)

    @patch(
        "/{user_id:uuid}",
        opt=ADMIN,
        summary="Change a user; a new password or active=false revokes its tokens at once",
    )
    async def update_user(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserUpdateIn],
        db: Db,
    ) -> UserOut:
        return await services.update_user(db, user_id, data, by=request.user)


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @get("/", opt=ADMIN, dependencies=PAGINATION, summary="List devices, newest first")
    async def list_devices(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        user_id: FromQuery[uuid.UUID | None] = None,
        username: TextFilter = None,
        revoked: FromQuery[bool | None] = None,
    ) -> Page[DeviceOut]:
        return await services.list_devices(db, page, user_id=user_id, username=username, revoked=revoked)

    @post("/{device_id:uuid}/revoke", opt=ADMIN, status_code=200, summary="Revoke a lost or retired device")
    async def revoke(
        self, request: Request[Principal, Any, Any], device_id: FromPath[uuid.UUID], db: Db
    ) -> DeviceOut:
        return await services.revoke_device(db, device_id, request.user.actor)


auth_routes: list[Any] = [AuthController, UserController, DeviceController]
