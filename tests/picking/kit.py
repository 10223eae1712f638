"""A warehouse with shelves, a picker, and allocated orders, for the picking tests."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pypdf
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.db import Database
from server.db.base import new_id
from server.exceptions.models import ExceptionRecord
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin, BinBalance, Warehouse
from tests.conftest import auth, run
from tests.kit.sync import Phone, add_phone, connect
from tests.kit.world import order_payload, seed_world

Shelves = dict[tuple[str, str, str], int]  # (warehouse, bin, SKU) -> units


def shelve(conn: Connection, shelves: Shelves) -> None:
    """Receive units into bins (created when new), as the console's receipt would."""
    for (wh, code, sku), qty in shelves.items():
        wid = conn.execute(select(Warehouse.id).where(Warehouse.code == wh)).scalar_one()
        bid = conn.execute(select(Bin.id).where(Bin.warehouse_id == wid, Bin.code == code)).scalar()
        if bid is None:
            bid = new_id()
            conn.execute(insert(Bin).values(id=bid, warehouse_id=wid, code=code, zone=code.split("-")[0]))
        sid = conn.execute(select(Sku.id).where(Sku.code == sku)).scalar_one()
        post_movements(conn, [Movement(sid, wid, "receive", qty, actor="test", bin_id=bid)])


@dataclass
class Floor:
    """The test client (admin token set), the picker's phone, and the orders by external id."""

    client: Any
    url: str
    picker: Phone
    orders: dict[str, str]

    def order(self, client: Any, external_id: str, lines: list[tuple[str, int]], **overrides: Any) -> str:
        body = client.post("/api/v1/orders", json=order_payload(external_id, lines, **overrides))
        assert body.status_code == 201, body.text
        assert body.json()["status"] == "allocated", body.json()
        self.orders[external_id] = body.json()["id"]
        return self.orders[external_id]


def open_floor(client: Any, tokens: dict[str, str], url: str, shelves: Shelves) -> Floor:
    run(seed_world(url))

    async def stock() -> None:
        db = Database(url)
        try:
            await db.run_write(shelve, shelves)
        finally:
            await db.dispose()

    run(stock())
    with connect(url) as conn:
        wid = conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()
        picker = add_phone(conn, "picker1", "warehouse", wid)
        conn.commit()
    client.headers.update(auth(tokens["admin"]))
    return Floor(client, url, picker, {})


def exceptions(url: str) -> list[tuple[str, str | None]]:
    """(kind, order id) of every exception, oldest first."""
    with connect(url) as conn:
        rows = conn.execute(
            select(ExceptionRecord.kind, ExceptionRecord.order_id).order_by(ExceptionRecord.created_at)
        ).all()
    return [(k, str(o) if o else None) for k, o in rows]


def bin_units(url: str) -> dict[tuple[str, str], int]:
    """(bin, SKU) -> units in VAL's bins, staging ("") included."""
    with connect(url) as conn:
        rows = conn.execute(
            select(Bin.code, Sku.code, BinBalance.qty)
            .join(Bin, Bin.id == BinBalance.bin_id)
            .join(Sku, Sku.id == BinBalance.sku_id)
            .join(Warehouse, Warehouse.id == Bin.warehouse_id)
            .where(Warehouse.code == "VAL", BinBalance.qty != 0)
        ).all()
    return {(b, s): int(q) for b, s, q in rows}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def new_uuid() -> str:
    return str(uuid.uuid4())
