"""GET /api/v1/orders/{id}/timeline: an order's whole story, under the orders' path and tag.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Any

from litestar import Controller, Request, get

from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.timeline.order import TimelineOut, order_timeline


class OrderTimelineController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @get(
        "/{order_id:uuid}/timeline",
        opt=MANAGERS,
        summary="An order's whole story: history, stock, parcel, attempts, proofs, cash, exceptions",
    )
    async def get_timeline(
        self, request: Request[Principal, Any, Any], db: Database, order_id: uuid.UUID
    ) -> TimelineOut:
        return await order_timeline(db, order_id, request.user)


timeline_routes: list[Any] = [OrderTimelineController]
