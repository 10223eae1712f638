"""A phone's receipt (stock.received with a ref) meeting the shipments: the sync adapter calls
this from server/sync_api/effects.py inside the push transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.inbound.models import InboundShipment
from server.inbound.receiving import record_receipt

WORDS = {
    "over": "more than the shipment said: a supervisor decides",
    "unexpected": "not on the shipment: a supervisor decides",
}


def receive_from_phone(
    conn: Connection,
    ref: str,
    warehouse_id: uuid.UUID,
    sku_id: uuid.UUID,
    bin_id: uuid.UUID,
    qty: int,
    op_id: uuid.UUID,
    actor: str,
    now: datetime,
) -> list[tuple[str, str]]:
    """(kind, message) of each variance the receipt opened or grew, for the op's notes; [] when
    the ref names no shipment of this warehouse (a free-text delivery receipt, as before)."""
    shipment_id = conn.execute(
        select(InboundShipment.id).where(
            InboundShipment.code == ref.strip(), InboundShipment.warehouse_id == warehouse_id
        )
    ).scalar()
    if shipment_id is None:
        return []
    kinds = record_receipt(conn, shipment_id, sku_id, bin_id, qty, f"op:{op_id}", actor, now)
    return [("inbound_variance", f"shipment {ref}: {WORDS.get(k, k)}") for k in dict.fromkeys(kinds)]
