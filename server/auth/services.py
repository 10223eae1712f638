"""Users and devices: creating users, logging in, issuing device tokens, revoking devices.

Each service runs its own transactions through the one writer (`Database.run_write`, module-level
functions of a Connection) and answers with the wire shape. argon2 runs before a transaction,
never inside one, so SQLite's single writer is never held while a password is hashed.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import cache

import anyio.to_thread
import msgspec
from sqlalchemy import Select, Uuid, column, delete, func, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit.record import audit, changes
from server.auth import throttle
from server.auth.models import ROLES, Device, User
from server.auth.passwords import hash_password, verify_password
from server.auth.principal import WAREHOUSES, Principal, hash_token, new_token
from server.auth.schemas import DeviceOut, LoginOut, MeOut, UserCreateIn, UserOut, UserUpdateIn
from server.db import Database
from server.db.base import utcnow
from server.db.orm import orm_session
from server.errors import BodegaError, Conflict, FieldError, InvalidInput, NotFound, TooManyAttempts
from server.pagination import Page, PageParams, fetch_page
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


# ---- users -----------------------------------------------------------------------------------


def check_new_user(username: str, password: str, role: str) -> None:
    """What can be refused before anything is hashed or written."""
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


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    role: str,
    full_name: str = "",
    warehouse_id: uuid.UUID | None = None,
) -> User:
    """The one writer of a new user, inside the caller's transaction (the API, the CLI, seeds)."""
    existing = session.scalar(select(User.id).where(User.username == username))
    if existing is not None:
        raise Conflict(f"user {username!r} already exists", [FieldError("username", "already taken")])
    if warehouse_id is not None:
        _require_warehouse(session, warehouse_id)
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        full_name=full_name,
        warehouse_id=warehouse_id,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two admins creating the same username at once: the unique index decides.
        raise Conflict(
            f"user {username!r} already exists", [FieldError("username", "already taken")]
        ) from exc
    return user


async def _hash(password: str) -> str:
    # argon2 is deliberately slow; keep it off the event loop.
    return await anyio.to_thread.run_sync(hash_password, password)


async def create_user(db: Database, data: UserCreateIn, by: str) -> UserOut:
    check_new_user(data.username, data.password, data.role)
    password_hash = await _hash(data.password)
    return await db.run_write(
        _create_user, data.username, password_hash, data.role, data.full_name, data.warehouse_id, None, by
    )


async def create_user_cli(
    db: Database, username: str, password: str, role: str, full_name: str, warehouse_code: str | None
) -> UserOut:
    """`bodega create-user`: like the API, but names the warehouse by its code."""
    check_new_user(username, password, role)
    password_hash = await _hash(password)
    return await db.run_write(
        _create_user, username, password_hash, role, full_name, None, warehouse_code, "cli"
    )


def _create_user(
    conn: Connection,
    username: str,
    password_hash: str,
    role: str,
    full_name: str,
    warehouse_id: uuid.UUID | None,
    warehouse_code: str | None,
    by: str,
) -> UserOut:
    with orm_session(conn) as session:
        if warehouse_code:
            warehouse_id = session.scalar(select(WAREHOUSES.c.id).where(WAREHOUSES.c.code == warehouse_code))
            if warehouse_id is None:
                raise InvalidInput(
                    f"no warehouse with code {warehouse_code!r}", [FieldError("warehouse_code", "unknown")]
                )
        user = add_user(
            session,
            username=username,
            password_hash=password_hash,
            role=role,
            full_name=full_name,
            warehouse_id=warehouse_id,
        )
        audit(conn, "user.created", by, "user", str(user.id), after=_audited(user))
        return user_out(user)


def _audited(user: User) -> dict[str, object]:
    """What the audit log says of a user (never the password's hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "full_name": user.full_name,
        "warehouse_id": str(user.warehouse_id) if user.warehouse_id else None,
        "active": user.active,
    }


def _user_or_404(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


async def me(db: Database, caller: Principal) -> MeOut:
    return MeOut(user=await db.run_read(_user_out, caller.user_id), device_id=caller.device_id)


def _user_out(conn: Connection, user_id: uuid.UUID) -> UserOut:
    with orm_session(conn) as session:
        return user_out(_user_or_404(session, user_id))


async def list_users(
    db: Database, page: PageParams, *, role: str | None, active: bool | None
) -> Page[UserOut]:
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return await db.run_read(_user_page, stmt, page)


def _user_page(conn: Connection, stmt: Select[User], page: PageParams) -> Page[UserOut]:
    with orm_session(conn) as session:
        users, total = fetch_page(session, stmt, page)
        return page.of([user_out(u) for u in users], total)


async def update_user(db: Database, user_id: uuid.UUID, changes: UserUpdateIn, *, by: Principal) -> UserOut:
    """Apply the fields sent.

    A new password or a change of `active` revokes the user's tokens (all but the caller's own
    device when admins change their own password): whoever knew the old password, or held a
    phone while the account was disabled, logs in afresh. Revoking on deactivation means a
    reactivated user does not get old tokens back; revoking on reactivation too covers users
    disabled before tokens were revoked that way.
    """
    password_hash = None if isinstance(changes.password, msgspec.UnsetType) else await _hash(changes.password)
    return await db.run_write(_update_user, user_id, changes, password_hash, by.actor, by.device_id)


def _update_user(
    conn: Connection,
    user_id: uuid.UUID,
    changes: UserUpdateIn,
    password_hash: str | None,
    by: str,
    by_device: uuid.UUID | None,
) -> UserOut:
    with orm_session(conn) as session:
        user = _user_or_404(session, user_id)
        before = _audited(user)
        new_role = user.role if isinstance(changes.role, msgspec.UnsetType) else changes.role
        new_active = user.active if isinstance(changes.active, msgspec.UnsetType) else changes.active
        if user.role == "admin" and user.active and not (new_role == "admin" and new_active):
            _keep_one_admin(session, user)
        if not isinstance(changes.warehouse_id, msgspec.UnsetType):
            if changes.warehouse_id is not None:
                _require_warehouse(session, changes.warehouse_id)
            user.warehouse_id = changes.warehouse_id
        if not isinstance(changes.full_name, msgspec.UnsetType):
            user.full_name = changes.full_name
        if password_hash is not None:
            user.password_hash = password_hash
        if password_hash is not None or new_active != user.active:
            revoke_user_devices(session, user.id, by=by, keep=by_device)
        user.role = new_role
        user.active = new_active
        session.flush()
        _audit_update(conn, user, before, password_hash is not None, by)
        return user_out(user)


def _audit_update(conn: Connection, user: User, before: dict[str, object], reset: bool, by: str) -> None:
    """One entry per kind of change, so the console can search for each: a password reset, a user
    disabled or enabled (each revoked the user's devices), other fields with before and after."""
    uid = str(user.id)
    if reset:
        audit(conn, "user.password_reset", by, "user", uid, username=user.username, devices_revoked=True)
    if before["active"] != user.active:
        action = "user.enabled" if user.active else "user.disabled"
        audit(conn, action, by, "user", uid, username=user.username, devices_revoked=True)
    after = _audited(user)
    if any(before[k] != after[k] for k in after if k != "active"):
        diff = changes({**before, "active": user.active}, after)
        audit(conn, "user.updated", by, "user", uid, username=user.username, **diff)


def _keep_one_admin(session: Session, user: User) -> None:
    # Without an active admin nobody can manage users or revoke a lost phone from the console.
    # Locking every active admin row (PostgreSQL) stops two admins demoting each other at once.
    admins = session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    )
    if not any(admin_id != user.id for admin_id in admins):
        raise Conflict(
            "this is the last active admin; make another admin first",
            [FieldError("role", "the last active admin must stay an active admin")],
        )


def _require_warehouse(session: Session, warehouse_id: uuid.UUID) -> None:
    if session.scalar(select(WAREHOUSES.c.id).where(WAREHOUSES.c.id == warehouse_id)) is None:
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
) -> LoginOut:
    """Check the throttle and the password, then register a device and answer with its token.

    The attempt is committed before it is counted (see throttle) and stays recorded when the
    login is refused; argon2 runs between the transactions.
    """
    now = utcnow()
    attempt_id = await db.run_write(throttle.record_attempt, username, client, now)
    wait, user = await db.run_read(_judge_attempt, username, client, settings, now)
    if wait is not None:
        raise LoginThrottled(wait)
    # argon2 is deliberately slow: a worker thread keeps the event loop serving other requests.
    password_ok = await anyio.to_thread.run_sync(_password_matches, user, password)
    if user is None or not password_ok:
        raise BadCredentials("Check the username and password")
    if not user.active:
        # Only someone who knows the password learns the account is disabled.
        raise BadCredentials("This account is disabled; ask an admin")
    device_id, token = await db.run_write(_logged_in, attempt_id, user.id, device_name)
    return LoginOut(token=token, device_id=device_id, user=user_out(user))


def _judge_attempt(
    conn: Connection, username: str, client: str, settings: Settings, now: datetime
) -> tuple[int | None, User | None]:
    """Seconds to wait (None: go ahead), and the user when the attempt may go ahead."""
    wait = throttle.retry_after(conn, username=username, client=client, settings=settings, now=now)
    if wait is not None:
        return wait, None
    with orm_session(conn) as session:
        return None, session.scalar(select(User).where(User.username == username))


def _logged_in(
    conn: Connection, attempt_id: int, user_id: uuid.UUID, device_name: str
) -> tuple[uuid.UUID, str]:
    throttle.mark_success(conn, attempt_id)
    with orm_session(conn) as session:
        device, token = add_device(session, user_id, device_name)
        device.last_seen_at = device.created_at
        return device.id, token


# ---- devices ---------------------------------------------------------------------------------


def add_device(session: Session, user_id: uuid.UUID, name: str) -> tuple[Device, str]:
    """Register a device for the user and return it with its bearer token (shown only once)."""
    token = new_token()
    device = Device(user_id=user_id, name=name[:128], token_hash=hash_token(token))
    session.add(device)
    session.flush()
    return device, token


# A revoked device's push subscriptions go in the revocation's own transaction, so a lost phone
# stops showing alerts at once. Push stands above auth (its routes are guarded by auth), so auth
# names the one table it deletes from instead of importing the push package; every other change
# to it is push's own (server/push/subscriptions.py).
_PUSH_SUBSCRIPTIONS = table("push_subscriptions", column("user_id", Uuid), column("device_id", Uuid))


def _forget_devices(conn: Connection, device_ids: list[uuid.UUID]) -> None:
    if device_ids:
        conn.execute(delete(_PUSH_SUBSCRIPTIONS).where(_PUSH_SUBSCRIPTIONS.c.device_id.in_(device_ids)))


def _forget_user_devices(conn: Connection, user_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    stmt = delete(_PUSH_SUBSCRIPTIONS).where(_PUSH_SUBSCRIPTIONS.c.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(_PUSH_SUBSCRIPTIONS.c.device_id != keep)
    conn.execute(stmt)


def _revoke(session: Session, device_id: uuid.UUID, by: str) -> Device:
    """Revoking twice keeps the first revocation's time and author."""
    session.execute(
        update(Device)
        .where(Device.id == device_id, Device.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=by[:64])
    )
    # A lost phone must stop showing alerts too: its push subscriptions go in the same transaction.
    _forget_devices(session.connection(), [device_id])
    device = session.get(Device, device_id, populate_existing=True)
    if device is None:
        raise NotFound(f"no device {device_id}")
    return device


async def revoke_device(db: Database, device_id: uuid.UUID, by: str) -> DeviceOut:
    """Revoke a device; its token fails from the next request on, in every server process."""
    return await db.run_write(_revoke_device, device_id, by)


def _revoke_device(conn: Connection, device_id: uuid.UUID, by: str) -> DeviceOut:
    with orm_session(conn) as session:
        was_live = session.scalar(select(Device.revoked_at).where(Device.id == device_id)) is None
        device = _revoke(session, device_id, by)
        username = _user_or_404(session, device.user_id).username
        if was_live:  # revoking twice changes nothing: one entry, at the first
            audit(conn, "device.revoked", by, "device", str(device.id), username=username, name=device.name)
        return device_out(device, username)


def revoke_user_devices(
    session: Session, user_id: uuid.UUID, *, by: str, keep: uuid.UUID | None = None
) -> None:
    """Revoke every live token of a user, except the device `keep` (the caller's own)."""
    stmt = update(Device).where(Device.user_id == user_id, Device.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(Device.id != keep)
    session.execute(stmt.values(revoked_at=utcnow(), revoked_by=by[:64]))
    _forget_user_devices(session.connection(), user_id, keep)


async def logout(db: Database, caller: Principal) -> None:
    """Logging out is revoking one's own device: the token is dead, the history stays."""
    await db.run_write(_logout, caller.device_id, caller.actor)


def _logout(conn: Connection, device_id: uuid.UUID, by: str) -> None:
    with orm_session(conn) as session:
        _revoke(session, device_id, by)


async def list_devices(
    db: Database,
    page: PageParams,
    *,
    user_id: uuid.UUID | None,
    username: str | None,
    revoked: bool | None,
) -> Page[DeviceOut]:
    """Devices with their user's name, newest first."""
    stmt = select(Device, User.username).join(User, User.id == Device.user_id)
    if user_id is not None:
        stmt = stmt.where(Device.user_id == user_id)
    if username is not None:
        stmt = stmt.where(User.username == username)
    if revoked is not None:
        stmt = stmt.where(Device.revoked_at.is_not(None) if revoked else Device.revoked_at.is_(None))
    return await db.run_read(_device_page, stmt, page)


def _device_page(conn: Connection, stmt: Select[Device, str], page: PageParams) -> Page[DeviceOut]:
    with orm_session(conn) as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        # id only breaks ties so pages are stable; it carries no meaning of its own.
        rows = session.execute(
            stmt.order_by(Device.created_at.desc(), Device.id).limit(page.limit).offset(page.offset)
        )
        return page.of([device_out(device, name) for device, name in rows], total)
