"""The inbound API's services: each write is one transaction through the one writer
(`Database.run_write`), then the answer is read back. `now` is the clock (tests replace it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from server.db import Database
from server.db.base import utcnow
from server.inbound import plans, receiving, views
from server.inbound.jobs import schedule_overdue
from server.inbound.overdue import raise_overdue
from server.inbound.schemas import (
    CostIn,
    DecisionIn,
    MilestoneIn,
    PurchaseOrderIn,
    PurchaseOrderOut,
    ShipmentIn,
    ShipmentOut,
    ShipmentReceiptIn,
    SupplierIn,
    SupplierOut,
    VarianceOut,
)

MANILA = ZoneInfo("Asia/Manila")


def now() -> datetime:
    return utcnow()


def today_of(at: datetime) -> date:
    """The business day is Asia/Manila's."""
    return at.astimezone(MANILA).date()


async def add_supplier(db: Database, data: SupplierIn) -> SupplierOut:
    await db.run_write(plans.create_supplier, data, now())
    return await db.run_read(views.supplier, data.code)


async def add_purchase_order(db: Database, data: PurchaseOrderIn, actor: str) -> PurchaseOrderOut:
    po_id = await db.run_write(plans.create_purchase_order, data, actor, now())
    return await db.run_read(views.purchase_order, po_id)


def _create_shipment(conn: Connection, data: ShipmentIn, at: datetime) -> uuid.UUID:
    sid = plans.create_shipment(conn, data, at)
    schedule_overdue(conn, at)
    return sid


async def add_shipment(db: Database, data: ShipmentIn) -> ShipmentOut:
    sid = await db.run_write(_create_shipment, data, now())
    return await db.run_read(views.shipment, sid)


async def shipment(db: Database, code: str) -> ShipmentOut:
    sid = await db.run_read(views.shipment_id_of, code)
    return await db.run_read(views.shipment, sid)


async def milestone(db: Database, code: str, data: MilestoneIn, actor: str) -> ShipmentOut:
    at = now()
    await db.run_write(plans.record_milestone, code, data, actor, at, today_of(at))
    return await shipment(db, code)


async def cost(db: Database, code: str, data: CostIn, actor: str) -> ShipmentOut:
    await db.run_write(plans.record_cost, code, data, actor, now())
    return await shipment(db, code)


async def receive(db: Database, code: str, data: ShipmentReceiptIn, actor: str) -> ShipmentOut:
    await db.run_write_reacting(receiving.receive_at_console, code, data, actor, now())
    return await shipment(db, code)


async def finish(db: Database, code: str) -> ShipmentOut:
    await db.run_write(receiving.finish_receiving, code, now())
    return await shipment(db, code)


async def decide(db: Database, variance_id: uuid.UUID, data: DecisionIn, actor: str) -> VarianceOut:
    await db.run_write(receiving.decide_variance, variance_id, data, actor, now())
    return await db.run_read(views.variance, variance_id)


def _overdue(conn: Connection, at: datetime) -> list[str]:
    return raise_overdue(conn, today_of(at), at)


async def check_overdue(db: Database) -> list[str]:
    return await db.run_write(_overdue, now())
