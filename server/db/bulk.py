"""Bulk statements for the hot write paths, cheap on SQLite.

SQLAlchemy's per-row parameter processing costs more than SQLite itself when a group commit
writes hundreds of rows. On SQLite these helpers encode values exactly as SQLAlchemy's column
types would store them (UUID as 32 hex digits, UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff',
JSON text, booleans as 0/1) and hand the rows to the driver's executemany with one constant
statement. On PostgreSQL they are ordinary SQLAlchemy Core statements. tests/db/test_bulk.py checks
that rows written here read back through the ORM exactly as rows written by the ORM do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Boolean, String, Table, Uuid, bindparam, func, literal_column, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from server.db.base import Base, UTCDateTime

Encoder = Callable[[Any], Any]


def _uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


@lru_cache(maxsize=1024)
def _time(value: datetime | None) -> str | None:
    # Cached: a batch stamps hundreds of rows with the same few times.
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given; Bodega stores aware UTC times only")
    # Always six decimals, as SQLAlchemy writes them, so the text sorts and compares as time does.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _same(value: Any) -> Any:
    return value


def _encoder(column_type: Any) -> Encoder:
    if isinstance(column_type, Uuid):
        return _uuid
    if isinstance(column_type, UTCDateTime):
        return _time
    if isinstance(column_type, JSON):
        return _json
    if isinstance(column_type, Boolean):
        return _bool
    return _same


def _row_encoder(table: Table, columns: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function turning a row dict into the driver's parameter list, in `columns` order."""
    pick = itemgetter(*columns)
    convert = [
        (i, enc) for i, name in enumerate(columns) if (enc := _encoder(table.c[name].type)) is not _same
    ]
    single = len(columns) == 1

    def encode(row: dict[str, Any]) -> tuple[Any, ...]:
        values = [pick(row)] if single else list(pick(row))
        for i, enc in convert:
            values[i] = enc(values[i])
        return tuple(values)

    return encode


@cache
def _insert_plan(
    table: Table, columns: tuple[str, ...]
) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]:
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    return sql, _row_encoder(table, columns)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def insert_rows(conn: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all rows carry the same keys)."""
    if not rows:
        return
    table = _table(model)
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), list(rows))
        return
    sql, encode = _insert_plan(table, tuple(rows[0]))
    conn.exec_driver_sql(sql, [encode(row) for row in rows])


def update_rows(
    conn: Connection,
    model: type[Base],
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    add: Iterable[str] = (),
) -> None:
    """UPDATE one row per dict, found by the `key` columns; columns in `add` are incremented."""
    if not rows:
        return
    table = _table(model)
    increments = set(add)
    columns = [c for c in rows[0] if c not in key]
    if conn.dialect.name != "sqlite":
        stmt = update(table)
        for name in key:
            stmt = stmt.where(table.c[name] == bindparam(f"k_{name}"))
        stmt = stmt.values(
            {
                c: (table.c[c] + bindparam(f"v_{c}")) if c in increments else bindparam(f"v_{c}")
                for c in columns
            }
        )
        params = [{**{f"k_{k}": r[k] for k in key}, **{f"v_{c}": r[c] for c in columns}} for r in rows]
        conn.execute(stmt, params)
        return
    sets = ", ".join(f"{c} = {c} + ?" if c in increments else f"{c} = ?" for c in columns)
    where = " AND ".join(f"{k} = ?" for k in key)
    encode = _row_encoder(table, [*columns, *key])
    conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {where}", [encode(r) for r in rows])


@cache
def _upsert_sql(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], sets: tuple[str, ...], add: frozenset[str]
) -> str:
    action = "DO NOTHING"
    if sets:
        action = "DO UPDATE SET " + ", ".join(
            f"{c} = {table.name}.{c} + excluded.{c}" if c in add else f"{c} = excluded.{c}" for c in sets
        )
    placeholders = ", ".join("?" * len(columns))
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(key)}) {action}"
    )


def upsert_rows(
    conn: Connection,
    model: type[Base],
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    update: Sequence[str] = (),
    add: Iterable[str] = (),
) -> None:
    """INSERT rows (all with the same keys); where `key` exists, set the `update` columns to the
    new values, or add them for columns also in `add`; with no `update`, leave the row alone."""
    if not rows:
        return
    table = _table(model)
    increments = frozenset(add)
    if conn.dialect.name != "sqlite":
        stmt = postgresql.insert(table)
        if update:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(key),
                set_={
                    c: (table.c[c] + stmt.excluded[c]) if c in increments else stmt.excluded[c]
                    for c in update
                },
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
        conn.execute(stmt, list(rows))
        return
    columns = tuple(rows[0])
    sql = _upsert_sql(table, columns, tuple(key), tuple(update), increments)
    encode = _row_encoder(table, columns)
    conn.exec_driver_sql(sql, [encode(r) for r in rows])


def in_values(conn: Connection, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values` that compiles to one constant statement on SQLite whatever the count.

    SQLAlchemy renders a plain IN with one placeholder per value, so every batch size is a new
    statement to compile and prepare; json_each takes the whole list as one parameter.
    """
    items = list(values)
    if conn.dialect.name != "sqlite":
        return column.in_(items)
    encode = _encoder(column.type)
    doc = json.dumps([encode(v) for v in items])
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam(None, doc, type_=String)))
    )


def uuid_list_param(conn: Connection, ids: Iterable[uuid.UUID]) -> Any:
    """The value for a `column IN (SELECT value FROM json_each(?))` test on SQLite (one constant
    statement whatever the list's length), or a plain list for PostgreSQL's `= ANY(...)`."""
    if conn.dialect.name == "sqlite":
        return json.dumps([i.hex for i in ids])
    return list(ids)


def uuid_order(key: Any) -> Any:
    """Sort key for UUIDs and tuples holding them: the integers. uuid.UUID compares in Python code,
    so sorting a few thousand keys by UUID (lock order) costs milliseconds; by int, microseconds."""
    if isinstance(key, tuple):
        return tuple(k.int if isinstance(k, uuid.UUID) else k for k in cast(tuple[Any, ...], key))
    return key.int if isinstance(key, uuid.UUID) else key


def to_uuid(value: Any) -> uuid.UUID:
    """A UUID from what a raw SQLite row holds (hex text) or what asyncpg returns (a UUID)."""
    return value if isinstance(value, uuid.UUID) else _uuid_of_hex(value)


def sqlite_time(value: Any) -> datetime:
    """An aware UTC time from what a raw SQLite row holds ('YYYY-MM-DD HH:MM:SS.ffffff', UTC, as
    `_time` and SQLAlchemy write it), the same value SQLAlchemy's UTCDateTime reads back."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


@lru_cache(maxsize=65536)
def _uuid_of_hex(value: str) -> uuid.UUID:
    # Cached: the same SKU and warehouse ids come back in every transaction's balance reads, and
    # building a UUID from text costs several times a cache hit.
    return uuid.UUID(hex=value)
