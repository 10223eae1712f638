"""Exception actions settled by the COD domain's writers (server/exceptions/actions.py holds the
registry): of two reports that delivered one parcel, the supervisor keeps the real one."""

from __future__ import annotations

import uuid

from sqlalchemy import String, Uuid, column, select, table
from sqlalchemy.engine import Connection

from server.cod.deliveries import choose_delivery
from server.cod.models import DeliveryAttempt as D
from server.errors import Conflict, FieldError, InvalidInput
from server.exceptions.actions import Acting, action, order_of

# Who sent an op, from the sync journal (server/sync_api/models.py SyncOp): the one table read
# here, named, rather than importing the sync package, which stands above this one.
_OPS = table("sync_ops", column("op_id", Uuid), column("actor", String))


@action("pick_delivery")
def pick_delivery(conn: Connection, a: Acting) -> str:
    """Two reports delivered one parcel: the supervisor says which is real (params.keep: `first`,
    the delivery that counted, or `second`, the report that raised this exception)."""
    keep = a.params.get("keep")
    if keep not in ("first", "second"):
        raise InvalidInput("which delivery is the real one?", [FieldError("params.keep", "first or second")])
    order_id = order_of(a)
    delivered = select(D.id, D.op_id, D.counts).where(D.order_id == order_id, D.outcome == "delivered")
    first = conn.execute(delivered.where(D.counts.is_(True)).order_by(D.id).limit(1)).first()
    op = a.details.get("op")
    again = delivered.where(D.counts.is_(False))
    second = conn.execute(
        again.where(D.op_id == uuid.UUID(str(op))) if op else again.order_by(D.id.desc()).limit(1)
    ).first()
    if first is None or second is None:
        raise Conflict("this order has no two deliveries to choose from", [FieldError("action", "no pair")])
    real, other = (first, second) if keep == "first" else (second, first)

    # The voided report's rider holds the cash it recorded (a phone's op names them; a courier's
    # feed or the console journals no op, and moved no rider's cash).
    def rider(op_id: uuid.UUID) -> str | None:
        return conn.execute(select(_OPS.c.actor).where(_OPS.c.op_id == op_id)).scalar()

    ref = f"exception {str(a.exception_id)[:8]}"
    return choose_delivery(
        conn, order_id, real.id, other.id, rider(other.op_id), rider(real.op_id), now=a.now, ref=ref
    )
