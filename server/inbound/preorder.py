"""What open shipments bring by a date: the inbound side of what a pre-order may promise.

For the channels (server/channels/sellable.py, which stands above this package): a listing whose
stock rule (per shop or per listing) has `preorder_days` N > 0 shows free units plus
`incoming_units(conn, skus, today + N)`, i.e. `preorderable` there. Bundles are not pre-ordered
(their components' dates differ). Every change to a shipment is published
(server/inbound/entities.py); server/writes.py then marks the pre-order listings of
`shipment_skus` for a push.

Only shipments still open count, at their current expected date: a customs hold that moves the
date past `until` takes the units out of the promise at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.db.bulk import in_values
from server.inbound.models import InboundShipment, ShipmentLine
from server.inventory.models import Warehouse


def incoming_units(conn: Connection, sku_ids: Iterable[uuid.UUID], until: date) -> dict[uuid.UUID, int]:
    """Units of each SKU expected at any active warehouse on or before `until`, not yet received."""
    wanted = set(sku_ids)
    if not wanted:
        return {}
    rows = conn.execute(
        select(ShipmentLine.sku_id, func.sum(ShipmentLine.expected_qty - ShipmentLine.received_qty))
        .join(InboundShipment, InboundShipment.id == ShipmentLine.shipment_id)
        .join(Warehouse, Warehouse.id == InboundShipment.warehouse_id)
        .where(
            in_values(conn, ShipmentLine.sku_id, wanted),
            InboundShipment.status != "closed",
            InboundShipment.expected_on <= until,
            ShipmentLine.received_qty < ShipmentLine.expected_qty,
            Warehouse.active.is_(True),
        )
        .group_by(ShipmentLine.sku_id)
    ).all()
    return {sku: int(n) for sku, n in rows}


def shipment_skus(conn: Connection, shipment_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The SKUs these shipments carry: their incoming moved when the shipments changed."""
    ids = set(shipment_ids)
    if not ids:
        return set()
    return set(
        conn.execute(
            select(ShipmentLine.sku_id).where(in_values(conn, ShipmentLine.shipment_id, ids)).distinct()
        ).scalars()
    )
