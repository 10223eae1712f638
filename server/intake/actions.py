"""Exception actions settled by the intake's writers (server/exceptions/actions.py holds the
registry): a channel's unknown raw status mapped to one of Bodega's, through the status review
queue."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from server.errors import Conflict, FieldError, InvalidInput
from server.exceptions.actions import Acting, action
from server.intake.mapping import load_context
from server.intake.review import map_status
from server.intake.statuses import CANONICAL


@action("map_status")
def map_unknown_status(conn: Connection, a: Acting) -> str:
    status = a.params.get("status")
    if status not in CANONICAL:
        raise InvalidInput(
            "map it to one of Bodega's statuses",
            [FieldError("params.status", f"one of: {', '.join(CANONICAL)}")],
        )
    raw = str(a.details.get("raw_status") or "")
    platform = a.details.get("platform")  # an unmapped-status alert names it; an order's hold names the shop
    if not platform:
        ctx = load_context(conn, str(a.details.get("shop") or ""))
        platform = ctx.platform if ctx is not None else None
    if not raw or not platform:
        raise Conflict(
            "this exception names no shop and raw status", [FieldError("action", "nothing to map")]
        )
    map_status(conn, str(platform), raw, str(status), a.actor)
    return f"{platform} status {raw!r} mapped to {status}"
