"""The warehouse phones' pick tasks: an order is a task while it is allocated, picking or packed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.changes.entities import by_ids, chunks, ref_of
from server.changes.log import Changes, logged_values
from server.changes.scopes import order_ref, wh_scope
from server.db.bulk import uuid_order
from server.inventory.models import Warehouse
from server.orders.lifecycle import TASK_STATUSES

_ORDERS = "SELECT id, status, warehouse_id FROM orders WHERE id {ids}"
_LINES = (
    "SELECT l.order_id, s.code, l.qty FROM order_lines l JOIN skus s ON s.id = l.sku_id "
    "WHERE l.order_id {ids} ORDER BY l.order_id, l.line_no"
)


def task_entities(conn: Connection, order_ids: Iterable[uuid.UUID]) -> Changes:
    """Task entities of these orders, with deletions for the ones that are no longer a task."""
    ids = sorted(set(order_ids), key=uuid_order)
    changes: Changes = {}
    if not ids:
        return changes
    wh_codes = {r[0].hex: r[1] for r in conn.execute(select(Warehouse.id, Warehouse.code)).all()}
    for chunk in chunks(ids):
        orders = by_ids(conn, _ORDERS, chunk)
        tasks = [uuid.UUID(ref_of(o[0])) for o in orders if o[1] in TASK_STATUSES]
        lines: dict[str, list[list[Any]]] = defaultdict(list)
        for oid, code, qty in by_ids(conn, _LINES, tasks) if tasks else []:
            lines[ref_of(oid)].append([code, int(qty)])
        for oid, status, wh in orders:
            ref = ref_of(oid)
            wh_key = wh.hex if isinstance(wh, uuid.UUID) else wh  # SQLite answers in hex already
            if status in TASK_STATUSES and wh_key in wh_codes:
                changes[(wh_scope(wh_codes[wh_key]), "task", ref)] = {
                    "status": status,
                    "lines": lines.get(ref, []),
                }
    for entity in logged_values(conn, ("task",), [order_ref(i) for i in ids]):
        changes.setdefault(entity, None)  # logged before, no longer a task: delete it
    return changes
