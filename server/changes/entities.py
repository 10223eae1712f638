"""Reading rows for entities, shared by the domains that build them (each domain's entities.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.engine import Connection

CHUNK = 500


def chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def by_ids(conn: Connection, sql: str, ids: Sequence[uuid.UUID]) -> list[Any]:
    """Run `sql`, whose `{ids}` is a test of an id column against `ids`. On SQLite in one constant
    statement, ids as the 32 hex digits it stores, without the statement compiler (this runs for
    every push that moves an order); on PostgreSQL with `= ANY(...)`."""
    if conn.dialect.name == "sqlite":
        doc = msgspec.json.encode([i.hex for i in ids]).decode()
        return list(
            conn.exec_driver_sql(sql.replace("{ids}", "IN (SELECT value FROM json_each(?))"), (doc,)).all()
        )
    return list(conn.execute(text(sql.replace("{ids}", "= ANY(:ids)")), {"ids": list(ids)}).all())


def ref_of(value: Any) -> str:
    """An order id as devices name it, from what the driver returned (hex text or a UUID)."""
    if isinstance(value, str):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)
