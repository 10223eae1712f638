"""The stock API's services: receipts, adjustments, transfers and buffers each run one transaction
through the one writer (`Database.run_write`); balances and the ledger are read back for lists."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from server.catalog.models import Sku
from server.db import Database
from server.inventory.ledger import Movement
from server.inventory.models import Bin, StockBalance, StockMovement, Warehouse
from server.inventory.schemas import (
    AdjustmentIn,
    BalanceOut,
    MovementOut,
    PostedOut,
    ReceiptIn,
    TransferIn,
)
from server.inventory.stock import balance_out, balance_query, post_lines, posted, set_buffer, transfer
from server.pagination import Page, PageParams, count, require_known

# ---- writing ---------------------------------------------------------------------------------


async def receive(db: Database, data: ReceiptIn, actor: str) -> PostedOut:
    """Goods in: the ledger, the balances, and held orders the stock lets through."""
    post = partial(
        post_lines,
        warehouse=data.warehouse,
        lines=data.lines,
        kind="receive",
        signed=False,
        reason="received",
        ref_type="receipt",
        ref_id=data.reference[:64],
        actor=actor,
    )
    return await _posted(db, post)


async def adjust(db: Database, data: AdjustmentIn, actor: str) -> PostedOut:
    post = partial(
        post_lines,
        warehouse=data.warehouse,
        lines=data.lines,
        kind="adjust",
        signed=True,
        reason=data.reason,
        ref_type="adjustment",
        ref_id="",
        actor=actor,
    )
    return await _posted(db, post)


async def move_between(db: Database, data: TransferIn, actor: str) -> PostedOut:
    return await _posted(db, transfer, data, actor)


async def change_buffer(db: Database, warehouse: str, sku: str, safety_buffer: int, actor: str) -> BalanceOut:
    return await db.run_write(set_buffer, warehouse, sku, safety_buffer, actor)


async def _posted(db: Database, fn: Callable[..., list[Movement]], *args: Any) -> PostedOut:
    """Post, then answer with the balances as they stand after the reactions (held orders that
    the stock let through have taken theirs)."""
    moves, reactions = await db.run_write_reacting(fn, *args)
    return await db.run_read(posted, moves, reactions.allocated if reactions else [])


# ---- reading ---------------------------------------------------------------------------------


async def list_balances(
    db: Database, page: PageParams, *, warehouse: str | None, sku: str | None, q: str | None, low: bool
) -> Page[BalanceOut]:
    """Balances per SKU and warehouse, by SKU code; `low`: nothing left to sell."""
    stmt = balance_query()
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    if sku:
        stmt = stmt.where(Sku.code == sku)
    if q:
        stmt = stmt.where(Sku.code.contains(q) | Sku.name.contains(q))
    if low:
        stmt = stmt.where(
            StockBalance.on_hand
            - StockBalance.quarantined
            - StockBalance.reserved
            - StockBalance.safety_buffer
            <= 0
        )
    async with db.reader.connect() as conn:
        await require_known(conn, Warehouse.code, warehouse, "warehouse")
        total = await count(conn, stmt)
        rows = (
            await conn.execute(stmt.order_by(Sku.code, Warehouse.code).limit(page.limit).offset(page.offset))
        ).all()
    return page.of([balance_out(r) for r in rows], total)


async def list_movements(
    db: Database,
    page: PageParams,
    *,
    warehouse: str | None,
    sku: str | None,
    kind: str | None,
    ref_id: str | None,
) -> Page[MovementOut]:
    """The stock ledger, newest first."""
    bin_ = aliased(Bin)
    stmt = (
        select(StockMovement, Sku.code, Warehouse.code, bin_.code)
        .join(Sku, Sku.id == StockMovement.sku_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .outerjoin(bin_, bin_.id == StockMovement.bin_id)
    )
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    if sku:
        stmt = stmt.where(Sku.code == sku)
    if kind:
        stmt = stmt.where(StockMovement.kind == kind)
    if ref_id:
        stmt = stmt.where(StockMovement.ref_id == ref_id)
    async with db.read() as conn:
        await require_known(conn, Warehouse.code, warehouse, "warehouse")
        total = await count(conn, stmt)
        rows = (
            await conn.execute(stmt.order_by(StockMovement.id.desc()).limit(page.limit).offset(page.offset))
        ).all()
    items = [
        MovementOut(
            id=m.id,
            sku=s,
            warehouse=w,
            bin=b,
            kind=m.kind,
            qty=m.qty,
            reason=m.reason,
            ref_type=m.ref_type,
            ref_id=m.ref_id,
            actor=m.actor,
            created_at=m.created_at,
        )
        for m, s, w, b in rows
    ]
    return page.of(items, total)
