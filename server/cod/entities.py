"""The riders' phones' stops: an order on an open run, with what the rider needs at the door.

A stop entity (scope runs:<username>, kind "stop", key the order id) is:
    {"run": run id, "pos": route position from 1, "date": "YYYY-MM-DD" or "", "waybill": str,
     "name": recipient, "phone": "+63...", "address": "street, barangay, city, province",
     "barangay": str, "city": str, "province": str,
     "items": [[sku code, sku name, qty], ...], "cod": centavos to collect (0: prepaid),
     "notes": the supervisor's delivery notes, "status": the order's status}
"""

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
    "SELECT s.order_id, s.run_id, s.position, s.waybill, s.notes, r.run_date, u.username FROM run_stops s "
    "JOIN delivery_runs r ON r.id = s.run_id JOIN users u ON u.id = r.rider_id "
    "WHERE s.order_id {ids} AND r.status = 'open'"
)
_ITEMS = (
    "SELECT l.order_id, k.code, k.name, l.qty FROM order_lines l JOIN skus k ON k.id = l.sku_id "
    "WHERE l.order_id {ids} ORDER BY l.order_id, l.line_no"
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
        on_run = [uuid.UUID(ref) for ref in stops]
        items: dict[str, list[list[Any]]] = defaultdict(list)
        for oid, code, name, qty in by_ids(conn, _ITEMS, on_run):
            items[ref_of(oid)].append([code, name, int(qty)])
        for oid, status, cod, name, phone, street, barangay, city, province in by_ids(conn, _ORDERS, on_run):
            ref = ref_of(oid)
            address = ", ".join(p for p in (street, barangay, city, province) if p)
            for run_id, position, waybill, notes, run_date, username in stops[ref]:
                changes[(runs_scope(username), "stop", ref)] = {
                    "run": ref_of(run_id),
                    "pos": int(position),
                    "date": run_date or "",
                    "waybill": waybill,
                    "name": name,
                    "phone": phone,
                    "address": address,
                    "barangay": barangay,
                    "city": city,
                    "province": province,
                    "items": items.get(ref, []),
                    "cod": int(cod),
                    "notes": notes or "",
                    "status": status,
                }
    for entity in logged_values(conn, ("stop",), [order_ref(i) for i in ids]):
        changes.setdefault(entity, None)  # logged before, no longer on an open run: delete it
    return changes
