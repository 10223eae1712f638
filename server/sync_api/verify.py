"""What `bodega verify` checks for sync: every cache kept beside an append-only ledger, recomputed.

- bin balances = the sum of each bin's movements (the stock ledger);
- cash balances = the sum of each holder's cash entries, and the change log says the same (only
  sync moves cash, so the log is never behind it);
- each change-log row's checksum term matches its value, each scope's sum matches its rows, and
  the head is at or past every position.

`log_matches_bins` also compares the bins the log shows the phones with the ledger; it is not part
of `verify` because stock received at the console reaches the log a few seconds later (projector).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.changes.log import entity_term, read_head
from server.changes.models import SyncChange, SyncScopeSum
from server.changes.scopes import bin_key, cash_scope, wh_scope
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.sql import to_unsigned
from server.inventory.models import Bin, BinBalance, StockMovement, Warehouse


def check_sync(conn: Connection) -> list[str]:
    return [*_bins(conn), *_cash(conn), *_log(conn)]


def log_matches_bins(conn: Connection) -> list[str]:
    """Every bin entity in the change log equals its bin balance, and every non-zero balance is there."""
    cached = {
        (r[0], r[1]): int(r[2])
        for r in conn.execute(select(BinBalance.bin_id, BinBalance.sku_id, BinBalance.qty)).all()
    }
    names = _bin_names(conn)
    logged = _logged(conn, "bin")
    problems: list[str] = []
    for key, qty in cached.items():
        scope, entity = names[key]
        value = logged.pop((scope, entity), None)
        if value != (qty or None):
            problems.append(f"bin {scope} {entity}: the change log says {value}, the ledger {qty}")
    problems += [
        f"bin {scope} {entity}: the change log says {v}, no such bin" for (scope, entity), v in logged.items()
    ]
    return problems


def _bins(conn: Connection) -> list[str]:
    ledger: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for bin_id, sku_id, qty in conn.execute(
        select(StockMovement.bin_id, StockMovement.sku_id, func.sum(StockMovement.qty))
        .where(StockMovement.bin_id.is_not(None))
        .group_by(StockMovement.bin_id, StockMovement.sku_id)
    ).all():
        if bin_id is not None:
            ledger[(bin_id, sku_id)] = int(qty)
    cached = {
        (r[0], r[1]): int(r[2])
        for r in conn.execute(select(BinBalance.bin_id, BinBalance.sku_id, BinBalance.qty)).all()
    }
    names = _bin_names(conn)
    problems: list[str] = []
    for key in sorted(set(ledger) | set(cached), key=lambda k: (k[0].int, k[1].int)):
        if ledger.get(key, 0) != cached.get(key, 0):
            problems.append(
                f"bin {names.get(key, key)}: {cached.get(key, 0)} in bin balances but "
                f"{ledger.get(key, 0)} by the ledger"
            )
    return problems


def _bin_names(conn: Connection) -> dict[tuple[object, object], tuple[str, str]]:
    rows = conn.execute(
        select(BinBalance.bin_id, BinBalance.sku_id, Warehouse.code, Bin.code, Sku.code)
        .join(Bin, Bin.id == BinBalance.bin_id)
        .join(Warehouse, Warehouse.id == Bin.warehouse_id)
        .join(Sku, Sku.id == BinBalance.sku_id)
    ).all()
    return {(r[0], r[1]): (wh_scope(r[2]), bin_key(r[3], r[4])) for r in rows}


def _logged(conn: Connection, kind: str) -> dict[tuple[str, str], object]:
    rows = conn.execute(
        select(SyncChange.scope, SyncChange.key, SyncChange.val).where(
            SyncChange.kind == kind, SyncChange.val.is_not(None)
        )
    ).all()
    return {(r[0], r[1]): msgspec.json.decode(r[2] or "null") for r in rows}


def _cash(conn: Connection) -> list[str]:
    ledger = {
        r[0]: int(r[1])
        for r in conn.execute(
            select(CashLedgerEntry.holder, func.sum(CashLedgerEntry.amount)).group_by(CashLedgerEntry.holder)
        ).all()
    }
    cached = {r[0]: int(r[1]) for r in conn.execute(select(CashBalance.holder, CashBalance.amount)).all()}
    problems = [
        f"cash of {holder}: {cached.get(holder, 0)} in cash balances, {ledger.get(holder, 0)} by the ledger"
        for holder in sorted(set(ledger) | set(cached))
        if ledger.get(holder, 0) != cached.get(holder, 0)
    ]
    logged = _logged(conn, "cash")
    for holder, amount in cached.items():
        value = logged.pop((cash_scope(holder), holder), None)
        if value != (amount or None):
            problems.append(f"cash of {holder}: the change log says {value}, the ledger {amount}")
    problems += [f"cash {scope}: the change log says {v}, no such holder" for (scope, _), v in logged.items()]
    return problems


def _log(conn: Connection) -> list[str]:
    problems: list[str] = []
    sums: dict[str, int] = defaultdict(int)
    top = 0
    for kind, key, scope, position, val, h in conn.execute(
        select(
            SyncChange.kind,
            SyncChange.key,
            SyncChange.scope,
            SyncChange.position,
            SyncChange.val,
            SyncChange.h,
        )
    ).all():
        top = max(top, int(position))
        if val is None:
            continue
        term = entity_term(kind, key, val.encode())
        if term != to_unsigned(int(h)):
            problems.append(f"change log {scope} {kind} {key}: stored checksum term does not match its value")
        sums[scope] += term
    stored = {
        r[0]: to_unsigned(int(r[1])) for r in conn.execute(select(SyncScopeSum.scope, SyncScopeSum.total))
    }
    for scope in sorted(set(sums) | set(stored)):
        if to_unsigned(sums.get(scope, 0)) != stored.get(scope, 0):
            problems.append(f"checksum of scope {scope} does not match its entities")
    head = read_head(conn)
    if head is not None and head.position < top:
        problems.append(f"change log head {head.position} is behind position {top}")
    duplicates = conn.execute(
        text("SELECT position FROM sync_changes GROUP BY position HAVING COUNT(*) > 1 LIMIT 5")
    ).all()
    problems += [f"change log position {r[0]} is used twice" for r in duplicates]
    return problems
