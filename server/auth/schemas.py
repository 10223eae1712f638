"""Wire shapes for logging in, users and devices.

Password hashes and token hashes never leave the server: no Out struct carries them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "supervisor", "warehouse", "rider"]

# PostgreSQL refuses NUL in text and would answer 500, so stored text has no control characters.
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
# Login takes any plain string up to the column width: a stricter shape would tell a caller
# which usernames cannot exist.
LoginName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=_PLAIN)]
# New usernames are typed on phone keyboards and written into ledgers as "user:<name>".
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
# argon2 hashes any length, but a megabyte password is only a way to burn our CPU.
LoginPassword = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
FullName = Annotated[str, msgspec.Meta(max_length=255, pattern=_PLAIN)]
DeviceName = Annotated[str, msgspec.Meta(max_length=128, pattern=_PLAIN)]


class LoginIn(msgspec.Struct):
    username: LoginName
    password: LoginPassword
    # Shown in the console's device list so an admin can tell which phone to revoke.
    device_name: DeviceName = ""


class UserOut(msgspec.Struct):
    id: uuid.UUID
    username: str
    full_name: str
    role: str
    warehouse_id: uuid.UUID | None
    active: bool


class LoginOut(msgspec.Struct):
    token: str  # shown once; the server keeps only its hash
    device_id: uuid.UUID
    user: UserOut


class MeOut(msgspec.Struct):
    user: UserOut
    device_id: uuid.UUID


class UserCreateIn(msgspec.Struct):
    username: Username
    password: NewPassword
    role: Role
    full_name: FullName = ""
    warehouse_id: uuid.UUID | None = None


class UserUpdateIn(msgspec.Struct, omit_defaults=True):
    """Only the fields sent change. warehouse_id: null clears it; absent leaves it alone."""

    full_name: FullName | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    warehouse_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET


class DeviceOut(msgspec.Struct):
    id: uuid.UUID
    user_id: uuid.UUID
    username: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = None
