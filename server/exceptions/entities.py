"""Open exceptions as the supervisors' phones hold them.

The value carries what the phone's inbox shows and filters on (kind, severity, subject, warehouse,
age, who took it) and the actions it may offer as buttons (server/exceptions/kinds.py); a phone
acts with the `exception.acted` op, which the server applies through the same action functions
as the console's button.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.changes.entities import chunks
from server.changes.log import Changes
from server.changes.scopes import EXCEPTIONS, order_ref
from server.db.bulk import in_values
from server.exceptions.kinds import actions_for
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Warehouse


def exception_value(row: Mapping[str, Any], warehouse: str | None) -> dict[str, Any]:
    """The entity of an open exception, from its row (a dict from `exception_row`, or a row read
    back: the same keys), and its warehouse's code."""
    details: Mapping[str, Any] = row.get("details") or {}
    order_id = row.get("order_id")
    order = str(details.get("order") or (order_ref(order_id) if order_id else ""))
    created: datetime | None = row.get("created_at")
    return {
        "kind": row["kind"],
        "message": row["message"],
        "order": order,
        "severity": row.get("severity") or "warning",
        "subject_kind": row.get("subject_kind") or "",
        "subject_id": row.get("subject_id") or "",
        "wh": warehouse or str(details.get("wh") or ""),
        "raised_at": created.isoformat() if created is not None else "",
        "ack_by": row.get("acknowledged_by") or "",
        "assigned_to": row.get("assigned_to") or "",
        "level": int(row.get("escalation_level") or 0),
        "actions": actions_for(row["kind"]),
    }


_COLUMNS = (
    ExceptionRecord.id,
    ExceptionRecord.kind,
    ExceptionRecord.message,
    ExceptionRecord.order_id,
    ExceptionRecord.status,
    ExceptionRecord.details,
    ExceptionRecord.severity,
    ExceptionRecord.subject_kind,
    ExceptionRecord.subject_id,
    ExceptionRecord.created_at,
    ExceptionRecord.acknowledged_by,
    ExceptionRecord.assigned_to,
    ExceptionRecord.escalation_level,
)


def exception_entities(conn: Connection, ids: Iterable[uuid.UUID]) -> Changes:
    """Open exceptions are in the supervisors' scope; a resolved one is deleted from it."""
    changes: Changes = {}
    for chunk in chunks(sorted(set(ids))):
        for row in conn.execute(
            select(*_COLUMNS, Warehouse.code)
            .outerjoin(Warehouse, Warehouse.id == ExceptionRecord.warehouse_id)
            .where(in_values(conn, ExceptionRecord.id, chunk))
        ).all():
            values = row._asdict()
            value = exception_value(values, row.code) if row.status == "open" else None
            changes[(EXCEPTIONS, "exception", str(row.id))] = value
    return changes
