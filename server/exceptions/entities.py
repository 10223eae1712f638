"""Open exceptions as the supervisors' phones hold them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.changes.entities import chunks
from server.changes.log import Changes
from server.changes.scopes import EXCEPTIONS, order_ref
from server.db.bulk import in_values
from server.exceptions.models import ExceptionRecord


def exception_value(kind: str, message: str, order: str) -> dict[str, Any]:
    return {"kind": kind, "message": message, "order": order}


def exception_entities(conn: Connection, ids: Iterable[uuid.UUID]) -> Changes:
    """Open exceptions are in the supervisors' scope; a resolved one is deleted from it."""
    changes: Changes = {}
    for chunk in chunks(sorted(set(ids))):
        for row in conn.execute(
            select(
                ExceptionRecord.id,
                ExceptionRecord.kind,
                ExceptionRecord.message,
                ExceptionRecord.order_id,
                ExceptionRecord.status,
                ExceptionRecord.details,
            ).where(in_values(conn, ExceptionRecord.id, chunk))
        ).all():
            details: dict[str, Any] = row.details or {}
            order = str(details.get("order") or (order_ref(row.order_id) if row.order_id else ""))
            value = exception_value(row.kind, row.message, order) if row.status == "open" else None
            changes[(EXCEPTIONS, "exception", str(row.id))] = value
    return changes
