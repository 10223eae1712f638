"""Users and devices: creating users, issuing device tokens, revoking devices."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.models import ROLES, Device, User
from server.auth.passwords import hash_password
from server.auth.principal import hash_token, new_token
from server.errors import Conflict, FieldError, InvalidInput


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    warehouse_id: uuid.UUID | None = None,
) -> User:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", [FieldError("role", f"must be one of {', '.join(ROLES)}")])
    if len(password) < 8:
        raise InvalidInput("password too short", [FieldError("password", "must be at least 8 characters")])
    existing = await session.scalar(select(User.id).where(User.username == username))
    if existing is not None:
        raise Conflict(f"user {username!r} already exists", [FieldError("username", "already taken")])
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name,
        warehouse_id=warehouse_id,
    )
    session.add(user)
    await session.flush()
    return user


async def register_device(session: AsyncSession, user: User, name: str) -> tuple[Device, str]:
    """Register a device for the user and return it with its bearer token (shown only once)."""
    token = new_token()
    device = Device(user_id=user.id, name=name[:128], token_hash=hash_token(token))
    session.add(device)
    await session.flush()
    return device, token
