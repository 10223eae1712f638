"""Picks entered at the console (a picker without a phone, a supervisor correcting one): the same
facts as a phone's `stock.picked` / `stock.short_picked`, judged by the same rules (sync/_rules.py,
PROTOCOL.md R3, R4) against the same view of the ledger and written by the same writers
(server/sync_api/effects.py): the stock ledger, the pick records, the order transitions, the
short-pick follow-up and the exceptions. Only the journal is the phone's own: a console fact is
not a device's op, its event key comes from the server's clock.

A short pick says why (`reason`, the phone's choices), which reaches the `short_pick` exception's
evidence as it does from a phone.

A mismatch (a wrong item, too many, a wrong bin) is recorded as it happened, with its exception,
as for a phone; the answer names the exceptions so the console can say so at once.

No `from __future__ import annotations`: Litestar resolves the controller's signatures at runtime.
"""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import STAFF, Principal, check_warehouse
from server.db import Database
from server.errors import FieldError, InvalidInput
from server.orders.models import Order
from server.sync_api.console_ops import record_fact
from sync import ShortReason

Qty = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Found = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class PickIn(msgspec.Struct, forbid_unknown_fields=True):
    warehouse: Code
    bin: Code
    sku: Code
    qty: Qty
    order: uuid.UUID


class ShortPickIn(msgspec.Struct, forbid_unknown_fields=True):
    warehouse: Code
    bin: Code
    sku: Code
    order: uuid.UUID
    wanted: Qty
    found: Found
    reason: ShortReason  # why, as the picker says it: the same choices as the phone's


class PickOut(msgspec.Struct):
    outcome: str  # applied | flagged
    status: str  # the order's status now
    exceptions: list[str]  # kinds raised for a person to look at


def record_console_pick(conn: Connection, op_type: str, payload: dict[str, Any], actor: str) -> PickOut:
    order_id = uuid.UUID(payload["order"])
    if conn.execute(select(Order.id).where(Order.id == order_id)).first() is None:
        raise InvalidInput(f"no order {order_id}", [FieldError("order", f"no order {order_id}")])
    outcome, notes = record_fact(conn, op_type, payload, actor)
    status = conn.execute(select(Order.status).where(Order.id == order_id)).scalar() or ""
    return PickOut(outcome, status, [n.code for n in notes])


class ConsolePickController(Controller):
    path = "/api/v1/picks"
    tags = ["fulfilment"]

    @post("/", opt=STAFF, summary="Record a pick: units of a SKU off a bin for an order (rule R3)")
    async def pick(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], data: JSONBody[PickIn]
    ) -> PickOut:
        check_warehouse(request.user, data.warehouse)
        payload = {
            "wh": data.warehouse,
            "bin": data.bin,
            "sku": data.sku,
            "qty": data.qty,
            "order": str(data.order),
        }
        return await db.run_write(record_console_pick, "stock.picked@v1", payload, request.user.username)

    @post(
        "/short", opt=STAFF, summary="Record a short pick: the bin had fewer than the order wants (rule R4)"
    )
    async def short(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        data: JSONBody[ShortPickIn],
    ) -> PickOut:
        check_warehouse(request.user, data.warehouse)
        if data.found >= data.wanted:
            raise InvalidInput(
                "a short pick finds fewer than wanted", [FieldError("found", "must be less than wanted")]
            )
        payload = {
            "wh": data.warehouse,
            "bin": data.bin,
            "sku": data.sku,
            "order": str(data.order),
            "wanted": data.wanted,
            "found": data.found,
            "reason": data.reason,
        }
        return await db.run_write(
            record_console_pick, "stock.short_picked@v2", payload, request.user.username
        )


console_pick_routes: list[Any] = [ConsolePickController]
