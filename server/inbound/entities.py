"""Shipments as the warehouse phones hold them: entity `inbound` in the warehouse's scope, keyed by
the shipment's code (what the receiver scans or types), while it is not closed.

Value: {"status", "expected_on", "lines": [[sku, expected, received], ...]} (expected 0: a SKU
received that the shipment does not carry) — enough for the
receiving screen's "3 / 10" offline; the phone adds its own unsynced receipts on top.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.changes.log import Changes
from server.changes.scopes import wh_scope
from server.db.touched import touched
from server.inbound.models import InboundReceipt, InboundShipment, ShipmentLine
from server.inventory.models import Warehouse

KIND = "inbound"


def shipment_value(conn: Connection, shipment_id: uuid.UUID) -> tuple[tuple[str, str, str], Any] | None:
    head = conn.execute(
        select(InboundShipment.code, InboundShipment.status, InboundShipment.expected_on, Warehouse.code)
        .join(Warehouse, Warehouse.id == InboundShipment.warehouse_id)
        .where(InboundShipment.id == shipment_id)
    ).first()
    if head is None:
        return None
    key = (wh_scope(head[3]), KIND, head[0])
    if head[1] == "closed":
        return key, None
    # One row per SKU: two POs' lines of one SKU are one line to the person receiving.
    lines: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sku, expected, received in conn.execute(
        select(Sku.code, ShipmentLine.expected_qty, ShipmentLine.received_qty)
        .join(Sku, Sku.id == ShipmentLine.sku_id)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(Sku.code)
    ).all():
        lines[sku][0] += int(expected)
        lines[sku][1] += int(received)
    # Units of SKUs the shipment does not carry stay on the screen as "2 / 0" after they sync.
    for sku, received in conn.execute(
        select(Sku.code, func.sum(InboundReceipt.qty))
        .join(Sku, Sku.id == InboundReceipt.sku_id)
        .where(InboundReceipt.shipment_id == shipment_id, InboundReceipt.line_id.is_(None))
        .group_by(Sku.code)
    ).all():
        lines[sku][1] += int(received)
    value = {
        "status": head[1],
        "expected_on": head[2].isoformat(),
        "lines": [[sku, e, r] for sku, (e, r) in sorted(lines.items())],
    }
    return key, value


def publish(conn: Connection, shipment_id: uuid.UUID) -> None:
    """Note that the shipment changed: its entity is computed once when the transaction ends
    (server/writes.py), however many receipts of one push touched it."""
    touched(conn).shipments.add(shipment_id)


def shipment_entities(conn: Connection, shipment_ids: Iterable[uuid.UUID]) -> Changes:
    changes: Changes = {}
    for sid in sorted(shipment_ids):
        found = shipment_value(conn, sid)
        if found is not None:
            changes[found[0]] = found[1]
    return changes
