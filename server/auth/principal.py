"""Who is calling: resolved from the bearer token on every request, checked against roles."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import String, Uuid, column, select, table

from server.auth.models import Device, User
from server.db import Database
from server.errors import BodegaError, FieldError

# The shorthands for route declarations live below every package that declares routes; named here
# too, where the routes of the domains above auth have always found them.
from server.roles import ADMIN as ADMIN
from server.roles import EVERYONE as EVERYONE
from server.roles import MANAGERS as MANAGERS
from server.roles import PUBLIC as PUBLIC
from server.roles import STAFF as STAFF


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    username: str
    role: str
    device_id: uuid.UUID
    warehouse_id: uuid.UUID | None = None
    warehouse_code: str | None = None  # the user's warehouse, as routes and bodies name it

    @property
    def actor(self) -> str:
        """How this caller is written into ledgers and histories."""
        return f"user:{self.username}"


def new_token() -> str:
    return "bdg_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are long random strings, so a plain SHA-256 is enough to keep them useless if leaked.
    return hashlib.sha256(token.encode()).hexdigest()


# A user belongs to a warehouse. Auth reads that warehouse's code by its id and nothing else, so it
# names the inventory's table here instead of importing the inventory package, which stands above
# auth (its routes are guarded by auth).
WAREHOUSES = table("warehouses", column("id", Uuid), column("code", String))

_LOOKUP = (
    select(
        Device.id,
        Device.revoked_at,
        User.id,
        User.username,
        User.role,
        User.active,
        User.warehouse_id,
        WAREHOUSES.c.code,
    )
    .join(User, User.id == Device.user_id)
    .outerjoin(WAREHOUSES, WAREHOUSES.c.id == User.warehouse_id)
)
_SQLITE_LOOKUP = (
    "SELECT d.id, d.revoked_at, u.id, u.username, u.role, u.active, u.warehouse_id, w.code "
    "FROM devices d JOIN users u ON u.id = d.user_id LEFT JOIN warehouses w ON w.id = u.warehouse_id "
    "WHERE d.token_hash = ?"
)


class TokenDirectory:
    """Answers "whose token is this?" on every request, straight from the database.

    Nothing is cached, so a revocation applies to the very next request in every server process.
    On SQLite the lookup runs on a private read-only sqlite3 connection: an indexed read of a WAL
    database takes microseconds, far less than a round trip through the async driver's thread.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite: sqlite3.Connection | None = None
        if db.sqlite_path:
            self._sqlite = sqlite3.connect(
                f"file:{db.sqlite_path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
            self._sqlite.execute("PRAGMA busy_timeout=5000")

    async def lookup(self, token: str) -> Principal | None:
        token_hash = hash_token(token)
        if self._sqlite is not None:
            row = self._sqlite.execute(_SQLITE_LOOKUP, (token_hash,)).fetchone()
            if row is None:
                return None
            row = (
                uuid.UUID(hex=row[0]),
                row[1],
                uuid.UUID(hex=row[2]),
                row[3],
                row[4],
                bool(row[5]),
                uuid.UUID(hex=row[6]) if row[6] else None,
                row[7],
            )
        else:
            async with self.db.reader.connect() as conn:
                row = (await conn.execute(_LOOKUP.where(Device.token_hash == token_hash))).first()
            if row is None:
                return None
        device_id, revoked_at, user_id, username, role, active, warehouse_id, warehouse_code = row
        if revoked_at is not None or not active:
            return None
        return Principal(
            user_id=user_id,
            username=username,
            role=role,
            device_id=device_id,
            warehouse_id=warehouse_id,
            warehouse_code=warehouse_code,
        )

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Resolves `Authorization: Bearer <token>` and checks the route's roles; public routes
    (opt public=True) skip both.

    The role check lives here rather than in a Litestar guard: Litestar copies the route handler
    for every guard call, which cost more per request than the check itself.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        handler = connection.route_handler
        if handler.opt.get("public"):
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("Send Authorization: Bearer <token>; log in at /api/v1/auth/login")
        directory: TokenDirectory = connection.app.state.tokens
        principal = await directory.lookup(token.strip())
        if principal is None:
            raise NotAuthorizedException("This token is not valid: the device was revoked or logged out")
        check_roles(handler, principal)
        return AuthenticationResult(user=principal, auth=token)


def check_roles(handler: BaseRouteHandler, principal: Principal) -> None:
    """Deny by default: every route declares `opt={"roles": (...)}` or `opt={"public": True}`."""
    allowed = handler.opt.get("roles")
    if not allowed:
        raise PermissionDeniedException("This endpoint declares no roles and is closed to everyone")
    if principal.role not in allowed:
        raise PermissionDeniedException(f"The {principal.role} role may not do this")


# ---- warehouse scope -------------------------------------------------------------------------


class OutsideYourWarehouse(BodegaError):
    status = 403
    slug = "outside-your-warehouse"
    title = "This belongs to another warehouse"


def works_in_one_warehouse(principal: Principal) -> bool:
    """Warehouse staff act only in their own warehouse; admins and supervisors act in all."""
    return principal.role == "warehouse"


def check_warehouse(principal: Principal, code: str | None, field: str = "warehouse") -> None:
    """Refuse (403 naming the field) a warehouse user reaching another warehouse's stock or orders.

    `code` is the warehouse the request names or reaches; None when it reaches none yet (an
    order not allocated to any warehouse), which is no warehouse user's work either.
    """
    if not works_in_one_warehouse(principal):
        return
    own = principal.warehouse_code
    if own is None:
        raise OutsideYourWarehouse(
            "your user is not assigned to a warehouse; ask an admin to set one",
            [FieldError(field, "your user has no warehouse")],
        )
    if code != own:
        raise OutsideYourWarehouse(
            f"you work in warehouse {own}", [FieldError(field, f"only warehouse {own} is yours")]
        )


def warehouse_filter(principal: Principal, code: str | None, field: str = "warehouse") -> str | None:
    """The warehouse a list is limited to: the one asked for; for warehouse users, always their own."""
    if not works_in_one_warehouse(principal):
        return code
    check_warehouse(principal, code or principal.warehouse_code, field)
    return principal.warehouse_code
