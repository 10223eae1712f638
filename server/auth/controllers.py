"""HTTP endpoints for logging in and out, users and devices. Thin: services do the work.

No `from __future__ import annotations` here: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth import services
from server.auth.models import Device, User
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


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        warehouse_id=user.warehouse_id,
        active=user.active,
    )


def device_out(device: Device, username: str) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        user_id=device.user_id,
        username=username,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        revoked_at=device.revoked_at,
        revoked_by=device.revoked_by,
    )


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
        user, device, token = await services.authenticate(
            db,
            data.username,
            data.password,
            client_address(request, settings.trusted_proxies),
            settings,
            device_name=data.device_name,
        )
        return LoginOut(token=token, device_id=device.id, user=user_out(user))

    @post("/logout", opt=EVERYONE, status_code=204, summary="Revoke this device's token")
    async def logout(self, request: Request[Principal, Any, Any], db: Db) -> None:
        async with db.write() as session:
            await services.logout(session, request.user)

    @get("/me", opt=EVERYONE, summary="Who this token belongs to")
    async def me(self, request: Request[Principal, Any, Any], db: Db) -> MeOut:
        async with db.read() as session:
            user = await services.get_user(session, request.user.user_id)
        return MeOut(user=user_out(user), device_id=request.user.device_id)


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
        async with db.read() as session:
            users, total = await services.list_users(session, page, role=role, active=active)
        return page.of([user_out(u) for u in users], total)

    @post("/", opt=ADMIN, summary="Create a user")
    async def create_user(self, data: JSONBody[UserCreateIn], db: Db) -> UserOut:
        async with db.write() as session:
            user = await services.create_user(
                session,
                username=data.username,
                password=data.password,
                role=data.role,
                full_name=data.full_name,
                warehouse_id=data.warehouse_id,
            )
        return user_out(user)

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
        async with db.write() as session:
            user = await services.update_user(session, user_id, data, by=request.user)
        return user_out(user)


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
        async with db.read() as session:
            rows, total = await services.list_devices(
                session, page, user_id=user_id, username=username, revoked=revoked
            )
        return page.of([device_out(d, name) for d, name in rows], total)

    @post("/{device_id:uuid}/revoke", opt=ADMIN, status_code=200, summary="Revoke a lost or retired device")
    async def revoke(
        self, request: Request[Principal, Any, Any], device_id: FromPath[uuid.UUID], db: Db
    ) -> DeviceOut:
        async with db.write() as session:
            device = await services.revoke_device(session, device_id, by=request.user.actor)
            user = await services.get_user(session, device.user_id)
        return device_out(device, user.username)


auth_routes: list[Any] = [AuthController, UserController, DeviceController]
