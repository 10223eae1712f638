"""The warehouse phones' pick tasks: an order is a task while it is allocated, picking or packed.

A task names its short picks (`short`: [[sku, bin, reason], ...], reason "" when the phone said
none), from the `short_pick` exceptions' evidence, so whoever looks at the task sees why."""

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
from server.db.bulk import in_values, uuid_order
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Warehouse
from server.orders.lifecycle import TASK_STATUSES

_ORDERS = "SELECT id, status, warehouse_id, external_id FROM orders WHERE id {ids}"
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
        shorts = _short_picks(conn, tasks)
        for oid, status, wh, external_id in orders:
            ref = ref_of(oid)
            wh_key = wh.hex if isinstance(wh, uuid.UUID) else wh  # SQLite answers in hex already
            if status in TASK_STATUSES and wh_key in wh_codes:
                value: dict[str, Any] = {
                    "status": status,
                    "lines": lines.get(ref, []),
                    "ext": external_id,  # the channel's order number, as the packer sees it on the slip
                }
                if ref in shorts:
                    value["short"] = shorts[ref]
                changes[(wh_scope(wh_codes[wh_key]), "task", ref)] = value
    for entity in logged_values(conn, ("task",), [order_ref(i) for i in ids]):
        changes.setdefault(entity, None)  # logged before, no longer a task: delete it
    return changes


def _short_picks(conn: Connection, order_ids: list[uuid.UUID]) -> dict[str, list[list[str]]]:
    """Order ref -> its short picks as [sku, bin, reason], oldest first."""
    if not order_ids:
        return {}
    rows = conn.execute(
        select(ExceptionRecord.order_id, ExceptionRecord.details)
        .where(ExceptionRecord.kind == "short_pick", in_values(conn, ExceptionRecord.order_id, order_ids))
        .order_by(ExceptionRecord.created_at, ExceptionRecord.id)
    ).all()
    out: dict[str, list[list[str]]] = defaultdict(list)
    for order_id, details in rows:
        d = details or {}
        out[str(order_id)].append([str(d.get("sku", "")), str(d.get("bin", "")), str(d.get("reason", ""))])
    return out
