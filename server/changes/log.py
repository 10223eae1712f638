"""The change log: entity versions at positions, in commit order, compacted, with scope checksums.

Positions are taken at the end of the writing transaction under the lock of the single
`sync_log_head` row, held to commit (PROTOCOL.md §4.6): the next writer cannot take a position until
this one has committed or rolled back, so a reader that sees position p sees every position below
it. That is what lets a pull use a plain `position > cursor` scan on PostgreSQL, where sequences
hand out numbers in insert order but transactions commit in another.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import text, tuple_
from sqlalchemy.engine import Connection

from server.changes.models import SyncChange, SyncScopeSum
from server.db.bulk import in_values
from server.db.sql import is_sqlite, to_signed, to_unsigned, upsert_rows

EntityKey = tuple[str, str, str]  # (scope, kind, key)
Changes = dict[EntityKey, Any]  # the entity's new value; None deletes it

_SEP = b"\x1f"
_CANONICAL = msgspec.json.Encoder(order="sorted")


class Head(NamedTuple):
    epoch: str
    position: int
    horizon: int


class Row(NamedTuple):
    position: int
    scope: str
    kind: str
    key: str
    val: str | None  # canonical JSON


def canonical(value: Any) -> bytes:
    return _CANONICAL.encode(value)


def entity_term(kind: str, key: str, canonical_val: bytes) -> int:
    """The entity's 64-bit checksum term (PROTOCOL.md §4.4), from its canonical JSON."""
    digest = hashlib.sha256(kind.encode() + _SEP + key.encode() + _SEP + canonical_val).digest()
    return int.from_bytes(digest[:8], "big")


def new_epoch_id() -> str:
    return secrets.token_hex(4)


_SELECT_HEAD = "SELECT epoch, position, horizon FROM sync_log_head WHERE id = 1"


def read_head(conn: Connection) -> Head | None:
    row = (
        conn.exec_driver_sql(_SELECT_HEAD).first()
        if is_sqlite(conn)
        else conn.execute(text(_SELECT_HEAD)).first()
    )
    return None if row is None else Head(row[0], int(row[1]), int(row[2]))


def lock_head(conn: Connection) -> Head:
    """Lock the head row until commit.

    PostgreSQL: a row lock. SQLite: the database's write lock, which Bodega's writers take at BEGIN
    IMMEDIATE anyway; the no-op UPDATE takes it for a caller that began a deferred transaction, so
    nothing read below can change before this transaction commits.
    """
    if is_sqlite(conn):
        conn.execute(text("UPDATE sync_log_head SET position = position WHERE id = 1"))
        sql = _SELECT_HEAD
    else:
        sql = _SELECT_HEAD + " FOR UPDATE"
    row = conn.execute(text(sql)).first()
    if row is None:
        # A new database: its history starts here, with a fresh epoch.
        conn.execute(
            text(
                "INSERT INTO sync_log_head (id, epoch, position, horizon) VALUES (1, :epoch, 0, 0) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            {"epoch": new_epoch_id()},
        )
        row = conn.execute(text(sql)).first()
        assert row is not None
    return Head(row[0], int(row[1]), int(row[2]))


def start_new_epoch(conn: Connection) -> str:
    """Part of restoring a backup: the restored database is another history (PROTOCOL.md §4.5)."""
    lock_head(conn)
    epoch = new_epoch_id()
    conn.execute(text("UPDATE sync_log_head SET epoch = :epoch WHERE id = 1"), {"epoch": epoch})
    return epoch


def _old_terms(conn: Connection, keys: Sequence[EntityKey]) -> dict[EntityKey, tuple[int, bool]]:
    """(term, is_tombstone) of the logged rows for these entities."""
    if is_sqlite(conn):
        doc = msgspec.json.encode([[kind, key, scope] for scope, kind, key in keys]).decode()
        rows = conn.exec_driver_sql(
            "SELECT c.scope, c.kind, c.key, c.h, c.val IS NULL FROM json_each(?) j "
            "JOIN sync_changes c ON c.kind = j.value ->> 0 AND c.key = j.value ->> 1 "
            "AND c.scope = j.value ->> 2",
            (doc,),
        ).all()
    else:
        c = SyncChange.__table__.c
        rows = conn.execute(
            SyncChange.__table__.select()
            .with_only_columns(c.scope, c.kind, c.key, c.h, c.val.is_(None))
            .where(tuple_(c.kind, c.key, c.scope).in_([(k, key, s) for s, k, key in keys]))
        ).all()
    return {(r[0], r[1], r[2]): (to_unsigned(int(r[3])), bool(r[4])) for r in rows}


def emit(conn: Connection, changes: Mapping[EntityKey, Any]) -> Head:
    """Append changed entities to the log, compacting older rows of each, and update the sums.

    Must be the last write of its transaction: the head lock is held from here to commit.
    Entities whose value did not change are skipped. Returns the head after the append.
    """
    head = lock_head(conn)
    if not changes:
        return head
    keys = sorted(changes)
    old = _old_terms(conn, keys)
    rows: list[dict[str, Any]] = []
    deltas: dict[str, int] = defaultdict(int)
    position = head.position
    for scope, kind, key in keys:
        value = changes[(scope, kind, key)]
        before = old.get((scope, kind, key))
        if value is None:
            if before is None or before[1]:
                continue  # nothing there to delete
            val, term = None, 0
        else:
            encoded = canonical(value)
            term = entity_term(kind, key, encoded)
            if before is not None and not before[1] and before[0] == term:
                continue  # unchanged
            val = encoded.decode()
        position += 1
        rows.append(
            {"kind": kind, "key": key, "scope": scope, "position": position, "val": val, "h": to_signed(term)}
        )
        deltas[scope] += term - (before[0] if before is not None and not before[1] else 0)
    if not rows:
        return head
    upsert_rows(conn, SyncChange, ("kind", "key", "scope"), rows, update=("position", "val", "h"))
    conn.execute(text("UPDATE sync_log_head SET position = :p WHERE id = 1"), {"p": position})
    _add_to_sums(conn, deltas)
    return head._replace(position=position)


def _add_to_sums(conn: Connection, deltas: Mapping[str, int]) -> None:
    scopes = sorted(deltas)
    current = read_sums(conn, scopes)
    upsert_rows(
        conn,
        SyncScopeSum,
        ("scope",),
        [{"scope": s, "total": to_signed(current.get(s, 0) + deltas[s])} for s in scopes],
        update=("total",),
    )


def read_sums(conn: Connection, scopes: Iterable[str]) -> dict[str, int]:
    """Unsigned sums of these scopes (absent: empty scope)."""
    wanted = list(scopes)
    if not wanted:
        return {}
    if is_sqlite(conn):  # every pull's end marker reads this: skip the statement compiler
        rows = conn.exec_driver_sql(
            "SELECT scope, total FROM sync_scope_sums WHERE scope IN (SELECT value FROM json_each(?))",
            (msgspec.json.encode(wanted).decode(),),
        ).all()
    else:
        rows = conn.execute(
            SyncScopeSum.__table__.select().where(SyncScopeSum.__table__.c.scope.in_(wanted))
        ).all()
    return {r[0]: to_unsigned(int(r[1])) for r in rows}


def checksum_hex(total: int) -> str:
    return f"{to_unsigned(total):016x}"


_PAGE_SQLITE = (
    "SELECT position, kind, key, val FROM sync_changes "
    "WHERE scope = ? AND position > ? {live} ORDER BY position LIMIT ?"
)
_PAGE_PG = (
    "SELECT position, kind, key, val FROM sync_changes "
    "WHERE scope = :scope AND position > :after {live} ORDER BY position LIMIT :limit"
)


def read_page(conn: Connection, scopes: Sequence[str], after: int, limit: int, *, fresh: bool) -> list[Row]:
    """The first `limit`+1 rows after `after` in these scopes, by position.

    One index range scan per scope (scope, position), merged: a rider's few rows are found without
    walking the whole log. A fresh pull (no cursor) skips tombstones.
    """
    live = "AND val IS NOT NULL" if fresh else ""
    per_scope: list[list[Row]] = []
    for scope in scopes:
        if is_sqlite(conn):
            found = conn.exec_driver_sql(_PAGE_SQLITE.format(live=live), (scope, after, limit + 1)).all()
        else:
            found = conn.execute(
                text(_PAGE_PG.format(live=live)), {"scope": scope, "after": after, "limit": limit + 1}
            ).all()
        per_scope.append([Row(int(r[0]), scope, r[1], r[2], r[3]) for r in found])
    merged = heapq.merge(*per_scope, key=lambda r: r.position)
    out: list[Row] = []
    for row in merged:
        out.append(row)
        if len(out) > limit:
            break
    return out


def scope_entities(conn: Connection, scope: str) -> dict[tuple[str, str], Any]:
    """The server's view of a scope: every live entity (kind, key) -> value. For tests and verify."""
    rows = conn.execute(
        text("SELECT kind, key, val FROM sync_changes WHERE scope = :s AND val IS NOT NULL"), {"s": scope}
    ).all()
    return {(r[0], r[1]): msgspec.json.decode(r[2]) for r in rows}


def logged_values(conn: Connection, kinds: Sequence[str], keys: Sequence[str]) -> dict[EntityKey, Any]:
    """Live logged entities of these kinds and keys, in every scope (the projector diffs against them)."""
    if not keys:
        return {}
    c = SyncChange.__table__.c
    found: dict[EntityKey, Any] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        rows = conn.execute(
            SyncChange.__table__.select()
            .with_only_columns(c.scope, c.kind, c.key, c.val)
            .where(c.kind.in_(list(kinds)), in_values(conn, c.key, chunk), c.val.is_not(None))
        ).all()
        for r in rows:
            found[(r[0], r[1], r[2])] = msgspec.json.decode(r[3])
    return found


def purge_tombstones(conn: Connection, up_to: int) -> int:
    """Drop deletion tombstones at or below a position; older cursors then get cursor_expired."""
    head = lock_head(conn)
    up_to = min(up_to, head.position)
    result = conn.execute(text("DELETE FROM sync_changes WHERE val IS NULL AND position <= :p"), {"p": up_to})
    conn.execute(text("UPDATE sync_log_head SET horizon = :p WHERE id = 1 AND horizon < :p"), {"p": up_to})
    return int(result.rowcount or 0)
