"""Users and devices: creating users, logging in, issuing device tokens, revoking devices."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import cache

import anyio.to_thread
import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import throttle
from server.auth.models import ROLES, Device, User
from server.auth.passwords import hash_password, verify_password
from server.auth.principal import Principal, hash_token, new_token
from server.auth.schemas import UserUpdateIn
from server.db import Database
from server.db.base import utcnow
from server.errors import BodegaError, Conflict, FieldError, InvalidInput, NotFound, TooManyAttempts
from server.inventory.models import Warehouse
from server.pagination import PageParams, fetch_page
from server.settings import Settings

# Same rule as schemas.Username; checked here too because the CLI does not pass through msgspec.
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,47}$")


class BadCredentials(BodegaError):
    """One answer for an unknown user and a wrong password, so a caller cannot probe for names."""

    status = 401
    slug = "bad-credentials"
    title = "Wrong username or password"


class LoginThrottled(TooManyAttempts):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


# ---- users -----------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    warehouse_id: uuid.UUID | None = None,
) -> User:
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"invalid username {username!r}",
            [FieldError("username", "1-48 letters, digits or . _ @ -, starting with a letter or digit")],
        )
    if role not in ROLES:
        raise InvalidInput(
            f"unknown role {role!r}", [FieldError("role", f"must be one of {', '.join(ROLES)}")]
        )
    if len(password) < 8:
        raise InvalidInput("password too short", [FieldError("password", "must be at least 8 characters")])
    existing = await session.scalar(select(User.id).where(User.username == username))
    if existing is not None:
        raise Conflict(f"user {username!r} already exists", [FieldError("username", "already taken")])
    if warehouse_id is not None:
        await _require_warehouse(session, warehouse_id)
    user = User(
        username=username,
        # argon2 is deliberately slow; keep it off the event loop.
        password_hash=await anyio.to_thread.run_sync(hash_password, password),
        role=role,
        full_name=full_name,
        warehouse_id=warehouse_id,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Two admins creating the same username at once: the unique index decides.
        raise Conflict(
            f"user {username!r} already exists", [FieldError("username", "already taken")]
        ) from exc
    return user


async def create_user_cli(
    db: Database, username: str, password: str, role: str, full_name: str, warehouse_code: str | None
) -> User:
    """`bodega create-user`: like the API, but names the warehouse by its code."""
    async with db.write() as session:
        warehouse_id = None
        if warehouse_code:
            warehouse_id = await session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code))
            if warehouse_id is None:
                raise InvalidInput(
                    f"no warehouse with code {warehouse_code!r}", [FieldError("warehouse_code", "unknown")]
                )
        return await create_user(
            session,
            username=username,
            password=password,
            role=role,
            full_name=full_name,
            warehouse_id=warehouse_id,
        )


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


async def list_users(
    session: AsyncSession, page: PageParams, *, role: str | None, active: bool | None
) -> tuple[Sequence[User], int]:
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return await fetch_page(session, stmt, page)


async def update_user(
    session: AsyncSession, user_id: uuid.UUID, changes: UserUpdateIn, *, by: Principal
) -> User:
    """Apply the fields sent.

    A new password or a change of `active` revokes the user's tokens (all but the caller's own
    device when admins change their own password): whoever knew the old password, or held a
    phone while the account was disabled, logs in afresh. Revoking on deactivation means a
    reactivated user does not get old tokens back; revoking on reactivation too covers users
    disabled before tokens were revoked that way.
    """
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    new_role = user.role if isinstance(changes.role, msgspec.UnsetType) else changes.role
    new_active = user.active if isinstance(changes.active, msgspec.UnsetType) else changes.active
    if user.role == "admin" and user.active and not (new_role == "admin" and new_active):
        await _keep_one_admin(session, user)
    if not isinstance(changes.warehouse_id, msgspec.UnsetType):
        if changes.warehouse_id is not None:
            await _require_warehouse(session, changes.warehouse_id)
        user.warehouse_id = changes.warehouse_id
    if not isinstance(changes.full_name, msgspec.UnsetType):
        user.full_name = changes.full_name
    password_changed = not isinstance(changes.password, msgspec.UnsetType)
    if not isinstance(changes.password, msgspec.UnsetType):
        # argon2 is deliberately slow; keep it off the event loop.
        user.password_hash = await anyio.to_thread.run_sync(hash_password, changes.password)
    if password_changed or new_active != user.active:
        await revoke_user_devices(session, user.id, by=by.actor, keep=by.device_id)
    user.role = new_role
    user.active = new_active
    await session.flush()
    return user


async def _keep_one_admin(session: AsyncSession, user: User) -> None:
    # Without an active admin nobody can manage users or revoke a lost phone from the console.
    # Locking every active admin row (PostgreSQL) stops two admins demoting each other at once.
    admins = await session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    )
    if not any(admin_id != user.id for admin_id in admins):
        raise Conflict(
            "this is the last active admin; make another admin first",
            [FieldError("role", "the last active admin must stay an active admin")],
        )


async def _require_warehouse(session: AsyncSession, warehouse_id: uuid.UUID) -> None:
    if await session.get(Warehouse, warehouse_id) is None:
        raise InvalidInput(f"no warehouse {warehouse_id}", [FieldError("warehouse_id", "unknown warehouse")])


# ---- login -----------------------------------------------------------------------------------


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password for unknown usernames")


def _password_matches(user: User | None, password: str) -> bool:
    # An unknown username costs the same hashing time as a known one, so timing reveals nothing.
    stored = user.password_hash if user is not None else _decoy_hash()
    return verify_password(stored, password) and user is not None


async def authenticate(
    db: Database, username: str, password: str, client: str, settings: Settings, *, device_name: str = ""
) -> tuple[User, Device, str]:
    """Check the throttle and the password, then register a device and return its token.

    Takes the database rather than one session: the attempt must be committed before it is
    counted (see throttle) and must stay recorded when the login is refused; and argon2 runs
    between transactions so SQLite's single writer is never held while a password is hashed.
    """
    now = utcnow()
    async with db.write() as session:
        attempt_id = await throttle.record_attempt(session, username=username, client=client, at=now)
    async with db.read() as session:
        wait = await throttle.retry_after(
            session, username=username, client=client, settings=settings, now=now
        )
        user = (
            None if wait is not None else await session.scalar(select(User).where(User.username == username))
        )
    if wait is not None:
        raise LoginThrottled(wait)
    # argon2 is deliberately slow: a worker thread keeps the event loop serving other requests.
    password_ok = await anyio.to_thread.run_sync(_password_matches, user, password)
    if user is None or not password_ok:
        raise BadCredentials("Check the username and password")
    if not user.active:
        # Only someone who knows the password learns the account is disabled.
        raise BadCredentials("This account is disabled; ask an admin")
    async with db.write() as session:
        await throttle.mark_success(session, attempt_id)
        device, token = await register_device(session, user, device_name)
        device.last_seen_at = device.created_at
    return user, device, token


# ---- devices ---------------------------------------------------------------------------------


async def register_device(session: AsyncSession, user: User, name: str) -> tuple[Device, str]:
    """Register a device for the user and return it with its bearer token (shown only once)."""
    token = new_token()
    device = Device(user_id=user.id, name=name[:128], token_hash=hash_token(token))
    session.add(device)
    await session.flush()
    return device, token


async def revoke_device(session: AsyncSession, device_id: uuid.UUID, by: str) -> Device:
    """Revoke a device; its token fails from the next request on, in every server process.

    Revoking twice keeps the first revocation's time and author.
    """
    await session.execute(
        update(Device)
        .where(Device.id == device_id, Device.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=by[:64])
    )
    device = await session.get(Device, device_id, populate_existing=True)
    if device is None:
        raise NotFound(f"no device {device_id}")
    return device


async def revoke_user_devices(
    session: AsyncSession, user_id: uuid.UUID, *, by: str, keep: uuid.UUID | None = None
) -> None:
    """Revoke every live token of a user, except the device `keep` (the caller's own)."""
    stmt = update(Device).where(Device.user_id == user_id, Device.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(Device.id != keep)
    await session.execute(stmt.values(revoked_at=utcnow(), revoked_by=by[:64]))


async def logout(session: AsyncSession, caller: Principal) -> None:
    """Logging out is revoking one's own device: the token is dead, the history stays."""
    await revoke_device(session, caller.device_id, by=caller.actor)


async def list_devices(
    session: AsyncSession,
    page: PageParams,
    *,
    user_id: uuid.UUID | None,
    username: str | None,
    revoked: bool | None,
) -> tuple[Sequence[tuple[Device, str]], int]:
    """Devices with their user's name, newest first."""
    stmt = select(Device, User.username).join(User, User.id == Device.user_id)
    if user_id is not None:
        stmt = stmt.where(Device.user_id == user_id)
    if username is not None:
        stmt = stmt.where(User.username == username)
    if revoked is not None:
        stmt = stmt.where(Device.revoked_at.is_not(None) if revoked else Device.revoked_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    # id only breaks ties so pages are stable; it carries no meaning of its own.
    rows = await session.execute(
        stmt.order_by(Device.created_at.desc(), Device.id).limit(page.limit).offset(page.offset)
    )
    return [(device, name) for device, name in rows], total
