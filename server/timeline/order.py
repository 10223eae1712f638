"""An order's whole story on one page, for the console: the order itself, then every fact other
domains recorded about it, merged oldest first. Nothing is written here and no fact is copied:
each part is read through the owning domain's own read function, so the timeline can never say
something the ledgers do not."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from server.auth.principal import Principal
from server.cod.order_record import CodRecord, order_record
from server.db import Database
from server.errors import NotFound
from server.exceptions.schemas import ExceptionOut
from server.exceptions.services import Filters, list_exceptions
from server.inventory.schemas import MovementOut
from server.inventory.services import list_movements
from server.orders.schemas import HistoryEntryOut, OrderOut
from server.orders.services import get_order, order_history
from server.pagination import MAX_LIMIT, PageParams
from server.shipping.schemas import ParcelOut
from server.shipping.services import parcel_out


class TimelineEvent(msgspec.Struct):
    at: datetime
    source: str  # history | movement | parcel | attempt | proof | cash | exception
    summary: str  # one line a person reads
    actor: str


class TimelineOut(msgspec.Struct):
    order: OrderOut
    history: list[HistoryEntryOut]
    movements: list[MovementOut]
    parcel: ParcelOut | None
    cod: CodRecord
    exceptions: list[ExceptionOut]
    events: list[TimelineEvent]  # all of the above, oldest first


def _peso(centavos: int) -> str:
    return f"₱{centavos / 100:,.2f}"


async def order_timeline(db: Database, order_id: uuid.UUID, caller: Principal) -> TimelineOut:
    order = await get_order(db, order_id, caller)  # 404 for an unknown order, like the others
    everything = PageParams(limit=MAX_LIMIT, offset=0)
    history = (await order_history(db, order_id, caller, everything)).items
    movements = (
        await list_movements(db, everything, warehouse=None, sku=None, kind=None, ref_id=str(order_id))
    ).items
    exceptions = (await list_exceptions(db, everything, Filters(order_id=order_id))).items
    async with db.reader.connect() as conn:
        cod = await conn.run_sync(order_record, order_id)
        try:
            parcel: ParcelOut | None = await conn.run_sync(parcel_out, order_id, caller)
        except NotFound:
            parcel = None  # not packed yet
    return TimelineOut(
        order,
        history,
        movements,
        parcel,
        cod,
        exceptions,
        _events(order, history, movements, parcel, cod, exceptions),
    )


def _events(
    order: OrderOut,
    history: list[HistoryEntryOut],
    movements: list[MovementOut],
    parcel: ParcelOut | None,
    cod: CodRecord,
    exceptions: list[ExceptionOut],
) -> list[TimelineEvent]:
    out: list[TimelineEvent] = [TimelineEvent(order.placed_at, "history", f"placed on {order.channel}", "")]
    for h in history:
        move = f"{h.from_status} → {h.to_status}" if h.from_status else h.to_status
        out.append(TimelineEvent(h.at, "history", move + (f" ({h.reason})" if h.reason else ""), h.actor))
    for m in movements:
        where = f"{m.warehouse}/{m.bin}" if m.bin else m.warehouse
        out.append(
            TimelineEvent(m.created_at, "movement", f"{m.kind} {m.qty:+d} {m.sku} at {where}", m.actor)
        )
    if parcel is not None:
        courier = parcel.courier or "own rider"
        out.append(
            TimelineEvent(
                parcel.packed_at, "parcel", f"packed, waybill {parcel.waybill} ({courier})", parcel.packed_by
            )
        )
        if parcel.handed_over_at is not None:
            out.append(TimelineEvent(parcel.handed_over_at, "parcel", "handed over to the carrier", ""))
    for a in cod.attempts:
        why = f": {a.reason}" if a.reason else ""
        void = "" if a.counts else " (voided)"
        who = f", received by {a.received_by}" if a.received_by else ""
        again = f", try again on {a.reschedule_on}" if a.reschedule_on else ""
        out.append(TimelineEvent(a.at, "attempt", f"delivery {a.outcome}{why}{who}{again}{void}", a.device))
    for p in cod.proofs:
        out.append(TimelineEvent(p.at, "proof", f"{p.kind} received", ""))
    for c in cod.cash:
        out.append(TimelineEvent(c.at, "cash", f"cash {c.kind} {_peso(c.amount)}", c.holder))
    for e in exceptions:
        out.append(TimelineEvent(e.created_at, "exception", f"{e.kind}: {e.message}", ""))
        if e.resolved_at is not None:
            out.append(
                TimelineEvent(
                    e.resolved_at, "exception", f"resolved: {e.resolution or ''}", e.resolved_by or ""
                )
            )
    return sorted(out, key=_when)


def _when(event: TimelineEvent) -> Any:
    return event.at
