"""Put-backs finished at the console (staff without a phone): every unit of a cancelled order still
to go back is on one bin. The same facts a phone records with `stock.put_back` (one per SKU),
judged by the same rules (sync/_rules.py) and written by the same writers
(server/sync_api/effects.py): the shipping package lists the put-backs, this one records the facts
(console_ops.py), as for console picks (console_picks.py).

No `from __future__ import annotations`: Litestar resolves the controller's signatures at runtime.
"""

import uuid
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import STAFF, Principal, check_warehouse
from server.db import Database
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Bin, Warehouse
from server.shipping.models import PutBack
from server.shipping.put_backs import put_back_left
from server.shipping.schemas import PutBackDoneIn, PutBackOut
from server.shipping.services import list_put_backs
from server.sync_api.console_ops import record_fact
from sync import STAGING


def put_back_done(conn: Connection, order_id: uuid.UUID, bin_code: str, caller: Principal) -> None:
    """Every unit still to go back is on `bin_code`: the same facts a phone records with
    `stock.put_back` (one per SKU), judged and written by the same rules and writers."""
    wh = conn.execute(
        select(Warehouse.code)
        .join(PutBack, PutBack.warehouse_id == Warehouse.id)
        .where(PutBack.order_id == order_id)
    ).scalar()
    if wh is None:
        raise NotFound(f"no put-back for order {order_id}", [FieldError("order_id", "unknown")])
    check_warehouse(caller, wh, "order_id")
    open_ = put_back_left(conn, order_id)
    if open_ is None:
        raise Conflict("this put-back is already done", [FieldError("status", "done")])
    left = open_[1]
    shelf = select(Bin.id).join(Warehouse, Warehouse.id == Bin.warehouse_id)
    if (
        bin_code == STAGING
        or conn.execute(shelf.where(Warehouse.code == wh, Bin.code == bin_code)).first() is None
    ):
        raise InvalidInput(f"{bin_code} is not a bin of {wh}", [FieldError("bin", "unknown bin")])
    for sku, qty in sorted(left.items()):
        payload = {"wh": wh, "sku": sku, "qty": qty, "bin": bin_code, "order": str(order_id)}
        record_fact(conn, "stock.put_back@v1", payload, caller.username)


class ConsolePutBackController(Controller):
    path = "/api/v1/put-backs"
    tags = ["shipping"]

    @post(
        "/{order_id:uuid}/done",
        opt=STAFF,
        status_code=200,
        summary="The cancelled order's units are back on a shelf: staging -> the bin",
    )
    async def done(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        order_id: FromPath[uuid.UUID],
        data: JSONBody[PutBackDoneIn],
    ) -> list[PutBackOut]:
        await db.run_write(put_back_done, order_id, data.bin, request.user)
        async with db.reader.connect() as conn:
            return await conn.run_sync(list_put_backs, None, None)


console_put_back_routes: list[Any] = [ConsolePutBackController]
