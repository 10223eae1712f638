"""Shipments past their expected date: one exception per shipment per expected date.

`raise_overdue` is a plain writer any scheduler may call (the alert job, `bodega` CLI, a test with
its own `today`): a shipment not yet delivered to the warehouse whose expected date has passed raises
`inbound_overdue` once; if the date is moved (a hold, a new ETA) and passes again, it raises again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.exceptions.raising import exception_row, raise_exceptions
from server.inbound.models import InboundShipment

# Past these the goods are at the warehouse: lateness is receiving's business, not the shipment's.
ARRIVED = ("delivered", "receiving", "closed")


def raise_overdue(conn: Connection, today: date, now: datetime) -> list[str]:
    """Raise the exceptions; returns the codes of the shipments that got one."""
    rows = conn.execute(
        select(
            InboundShipment.id,
            InboundShipment.code,
            InboundShipment.expected_on,
            InboundShipment.warehouse_id,
        )
        .where(
            InboundShipment.expected_on < today,
            InboundShipment.status.not_in(ARRIVED),
            (InboundShipment.overdue_for.is_(None))
            | (InboundShipment.overdue_for != InboundShipment.expected_on),
        )
        .order_by(InboundShipment.code)
        .with_for_update()
    ).all()
    exceptions = []
    for sid, code, expected, wh in rows:
        late = (today - expected).days
        exceptions.append(
            exception_row(
                "inbound_overdue",
                f"shipment {code} was expected at the warehouse on {expected} and is {late} day(s) late: "
                "ask the forwarder or broker for a new date",
                now=now,
                warehouse_id=wh,
                details={"shipment": code, "expected_on": expected.isoformat()},
            )
        )
        conn.execute(update(InboundShipment).where(InboundShipment.id == sid).values(overdue_for=expected))
    raise_exceptions(conn, exceptions)
    return [r[1] for r in rows]
