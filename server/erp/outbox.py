"""The outbox: business facts for the accounting system (ERP), recorded in the same transaction as
the fact itself, so a committed fact always has its event and a rolled-back one never does.

The domains' writers note a fact (`note_fact`, server/facts.py, into the transaction's Touched
note) where they write it: the order history (server/orders/transitions.py: created, status
changes, shipped, delivered, returned, cancelled), a new version of an order (server/orders/
ingest.py), the cash ledger (server/cod/cash.py: collected, remitted ...) and the stock ledger
(server/inventory/ledger.py: moved). `record` runs last in the reactions (server/writes.py),
takes sequence numbers under the single `erp_head` row's lock (held to commit: commit order), and
inserts the events.
Delivery to webhooks is server/erp/deliver.py; pull is GET /api/v1/events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.channels.models import Shop
from server.db.base import new_id
from server.db.bulk import in_values, insert_rows
from server.erp.models import ErpEvent
from server.inventory.models import Warehouse
from server.orders.models import Order


def take_seqs(conn: Connection, count: int) -> int:
    """Reserve `count` sequence numbers; returns the first. Locks the head row to commit."""
    last = conn.execute(
        # An upsert: the row is there after migration, but a wiped database starts it again.
        text(
            "INSERT INTO erp_head (id, seq) VALUES (1, :n) "
            "ON CONFLICT (id) DO UPDATE SET seq = erp_head.seq + excluded.seq RETURNING seq"
        ),
        {"n": count},
    ).scalar_one()
    return int(last) - count + 1


def record(conn: Connection, facts: Sequence[dict[str, Any]]) -> None:
    """Insert the transaction's facts as events, in the order they were noted."""
    if not facts:
        return
    _enrich(conn, facts)
    first = take_seqs(conn, len(facts))
    insert_rows(
        conn,
        ErpEvent,
        [
            {
                "seq": first + i,
                "id": new_id(),
                "type": f["type"],
                "key": f["key"],
                "order_id": f["order_id"],
                "occurred_at": f["occurred_at"],
                "data": f["data"],
            }
            for i, f in enumerate(facts)
        ],
    )


def _enrich(conn: Connection, facts: Sequence[dict[str, Any]]) -> None:
    """Name things as the accounting system knows them: the order's shop and external id, SKU and
    warehouse codes (ids stay too)."""
    order_ids = {f["order_id"] for f in facts if f["order_id"] is not None}
    orders: dict[uuid.UUID, dict[str, Any]] = {}
    if order_ids:
        for oid, ext, channel, shop, method, cod, total in conn.execute(
            select(
                Order.id,
                Order.external_id,
                Order.channel,
                Shop.code,
                Order.payment_method,
                Order.cod_amount,
                Order.total_amount,
            )
            .join(Shop, Shop.id == Order.shop_id)
            .where(in_values(conn, Order.id, list(order_ids)))
        ).all():
            orders[oid] = {
                "external_id": ext,
                "channel": channel,
                "shop": shop,
                "payment_method": method,
                "cod_amount": int(cod),
                "total_amount": int(total),
            }
    skus = {f["data"]["sku_id"] for f in facts if "sku_id" in f["data"]}
    whs = {f["data"]["warehouse_id"] for f in facts if "warehouse_id" in f["data"]}
    sku_codes: dict[str, str] = {}
    wh_codes: dict[str, str] = {}
    if skus:
        sku_codes = {
            str(i): c
            for i, c in conn.execute(
                select(Sku.id, Sku.code).where(in_values(conn, Sku.id, [uuid.UUID(s) for s in skus]))
            ).all()
        }
    if whs:
        wh_codes = {str(i): c for i, c in conn.execute(select(Warehouse.id, Warehouse.code)).all()}
    for f in facts:
        d = f["data"]
        if f["order_id"] is not None:
            d["order_id"] = str(f["order_id"])
            d.update(orders.get(f["order_id"], {}))
        if "sku_id" in d:
            d["sku"] = sku_codes.get(d["sku_id"], "")
        if "warehouse_id" in d:
            d["warehouse"] = wh_codes.get(d["warehouse_id"], "")
