"""Pushes checked against who may do what where (sync.AUTHORITY, PROTOCOL.md §7.1).

An op outside its device user's authority is journalled but not judged: it is answered `flagged`
with an `out_of_scope` exception for a supervisor, and writes nothing to the ledgers. The check
reads the raw payload, as `Wanted` does: a payload that does not decode is left to the judge, which
rejects it. The batch asks the database once: which of its riders' orders are stops on their runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import Principal
from server.cod.models import DeliveryRun, RunStop
from server.db.bulk import in_values
from server.sync_api.world import DbWorld, parse_order_ref
from sync import AUTHORITY, MANAGER_ROLES, Flag, Op


class Authorities:
    """The authority checks of one push transaction."""

    def __init__(self, conn: Connection, world: DbWorld) -> None:
        self.conn = conn
        self.world = world
        self._codes = {wid: code for code, wid in world.warehouses.items()}
        self._on_runs: set[tuple[uuid.UUID, uuid.UUID]] = set()  # (rider user id, order id)
        self._asked: set[tuple[uuid.UUID, uuid.UUID]] = set()

    def prefetch(self, ops: Iterable[tuple[Principal, Op]]) -> None:
        """Which of these riders' orders are on their runs: one query for the whole batch."""
        wanted: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for principal, op in ops:
            if principal.role != "rider":
                continue
            order = op.payload.get("order")
            oid = parse_order_ref(order) if isinstance(order, str) else None
            if oid is not None and (principal.user_id, oid) not in self._asked:
                wanted.add((principal.user_id, oid))
        if not wanted:
            return
        self._asked |= wanted
        orders = {oid for _, oid in wanted}
        riders = {uid for uid, _ in wanted}
        rows = self.conn.execute(
            select(DeliveryRun.rider_id, RunStop.order_id)
            .join(RunStop, RunStop.run_id == DeliveryRun.id)
            .where(
                in_values(self.conn, RunStop.order_id, orders),
                in_values(self.conn, DeliveryRun.rider_id, riders),
            )
        ).all()
        self._on_runs |= {(r[0], r[1]) for r in rows}

    def check(self, principal: Principal, op: Op) -> Flag | None:
        """None when the caller may record this fact here; otherwise the exception to raise."""
        name = op.type.partition("@")[0]
        authority = AUTHORITY.get(name)
        if authority is None or principal.role in MANAGER_ROLES:
            return None  # an unknown type is rejected by the judge
        who = f"{principal.username} ({principal.role})"
        if principal.role not in authority.roles:
            return _flag(f"{who} may not record {name}", op)
        if authority.scope == "warehouse":
            wh = op.payload.get("wh")
            own = self._codes.get(principal.warehouse_id) if principal.warehouse_id else None
            # A warehouse the server does not know is left to the rule (unknown_warehouse).
            if isinstance(wh, str) and wh != own and wh in self.world.warehouses:
                where = f"warehouse {own}" if own else "no warehouse"
                return _flag(f"{who} works in {where}, not {wh}: may not record {name} there", op)
        elif authority.scope == "run":
            # An order the server does not know is on nobody's run: the rule flags it unknown_order
            # (cash still goes into the rider's hands). A known order must be a stop of this rider.
            order = op.payload.get("order")
            state = self.world.order_state(order) if isinstance(order, str) else None
            if isinstance(order, str) and state is not None:
                self.prefetch([(principal, op)])
                if (principal.user_id, state.id) not in self._on_runs:
                    why = f"{who} may not record {name} for order {order[:64]}: not a stop on its runs"
                    return _flag(why, op)
        return None


def _flag(why: str, op: Op) -> Flag:
    wh = op.payload.get("wh")
    order = op.payload.get("order")
    return Flag(
        "out_of_scope",
        f"{why}. Kept in the op journal, not applied: a supervisor accepts or rejects it",
        order=order[:64] if isinstance(order, str) else "",
        wh=wh[:64] if isinstance(wh, str) else "",
    )
