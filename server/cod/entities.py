"""The riders' phones' stops: an order on an open run, with what the rider needs at the door."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from server.changes.entities import by_ids, chunks, ref_of
from server.changes.log import Changes, logged_values
from server.changes.scopes import order_ref, runs_scope
from server.db.bulk import uuid_order

_ORDERS = (
    "SELECT id, status, cod_amount, customer_name, phone, street, barangay, city, province "
    "FROM orders WHERE id {ids}"
)
_STOPS = (
    "SELECT s.order_id, s.run_id, s.position, s.waybill, u.username FROM run_stops s "
    "JOIN delivery_runs r ON r.id = s.run_id JOIN users u ON u.id = r.rider_id "
    "WHERE s.order_id {ids} AND r.status = 'open'"
)


def stop_entities(conn: Connection, order_ids: Iterable[uuid.UUID]) -> Changes:
    """Stop entities of these orders, with deletions for the ones no longer on an open run."""
    ids = sorted(set(order_ids), key=uuid_order)
    changes: Changes = {}
    if not ids:
        return changes
    for chunk in chunks(ids):
        stops: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in by_ids(conn, _STOPS, chunk):
            stops[ref_of(row[0])].append(tuple(row[1:]))
        if not stops:
            continue
        for oid, status, cod, name, phone, street, barangay, city, province in by_ids(
            conn, _ORDERS, [uuid.UUID(ref) for ref in stops]
        ):
            ref = ref_of(oid)
            address = ", ".join(p for p in (street, barangay, city, province) if p)
            for run_id, position, waybill, username in stops[ref]:
                changes[(runs_scope(username), "stop", ref)] = {
                    "run": ref_of(run_id),
                    "pos": int(position),
                    "waybill": waybill,
                    "name": name,
                    "phone": phone,
                    "address": address,
                    "cod": int(cod),
                    "status": status,
                }
    for entity in logged_values(conn, ("stop",), [order_ref(i) for i in ids]):
        changes.setdefault(entity, None)  # logged before, no longer on an open run: delete it
    return changes
