"""Password hashing with argon2id."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite creates hundreds of users; it sets BODEGA_TEST_FAST_HASHING=1 to use cheap argon2
# parameters. Production never sets it and gets argon2-cffi's recommended defaults.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("BODEGA_TEST_FAST_HASHING") == "1"
    else PasswordHasher()
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
