"""Who is calling: resolved from the bearer token on every request, checked against roles."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select

from server.auth.models import Device, User
from server.db import Database


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    username: str
    role: str
    device_id: uuid.UUID
    warehouse_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        """How this caller is written into ledgers and histories."""
        return f"user:{self.username}"


def new_token() -> str:
    return "bdg_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are long random strings, so a plain SHA-256 is enough to keep them useless if leaked.
    return hashlib.sha256(token.encode()).hexdigest()


async def principal_for_token(db: Database, token: str) -> Principal | None:
    """The live principal for a token, or None if unknown, revoked or the user is disabled.

    Looked up in the database on every request so a revocation applies at once, in every
    server process.
    """
    stmt = (
        select(Device.id, Device.revoked_at, User.id, User.username, User.role, User.active, User.warehouse_id)
        .join(User, User.id == Device.user_id)
        .where(Device.token_hash == hash_token(token))
    )
    async with db.reader.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    device_id, revoked_at, user_id, username, role, active, warehouse_id = row
    if revoked_at is not None or not active:
        return None
    return Principal(user_id=user_id, username=username, role=role, device_id=device_id, warehouse_id=warehouse_id)


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Resolves `Authorization: Bearer <token>`; public routes (opt public=True) skip it."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        handler = connection.scope.get("route_handler")
        if handler is not None and handler.opt.get("public"):
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("Send Authorization: Bearer <token>; log in at /api/v1/auth/login")
        db: Database = connection.app.state.db
        principal = await principal_for_token(db, token.strip())
        if principal is None:
            raise NotAuthorizedException("This token is not valid: the device was revoked or logged out")
        return AuthenticationResult(user=principal, auth=token)


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Deny by default: every route declares `opt={"roles": (...)}` or `opt={"public": True}`."""
    if handler.opt.get("public"):
        return
    allowed = handler.opt.get("roles")
    if not allowed:
        raise PermissionDeniedException("This endpoint declares no roles and is closed to everyone")
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException("Log in first")
    if principal.role not in allowed:
        raise PermissionDeniedException(f"The {principal.role} role may not do this")


# Shorthands for route declarations, e.g. @get("/", opt=STAFF).
ADMIN = {"roles": ("admin",)}
MANAGERS = {"roles": ("admin", "supervisor")}
STAFF = {"roles": ("admin", "supervisor", "warehouse")}
EVERYONE = {"roles": ("admin", "supervisor", "warehouse", "rider")}
PUBLIC = {"public": True}
