"""Small dialect helpers for the sync tables. Bulk statements live in server/db/bulk.py."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from server.db.bulk import upsert_rows

__all__ = ["is_sqlite", "to_signed", "to_unsigned", "upsert_rows"]

# A 64-bit checksum term or sum (PROTOCOL.md §4.4), stored in a signed BIGINT column.
_U64 = 1 << 64
_I64 = 1 << 63


def to_signed(value: int) -> int:
    value &= _U64 - 1
    return value - _U64 if value >= _I64 else value


def to_unsigned(value: int) -> int:
    return value & (_U64 - 1)


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"
