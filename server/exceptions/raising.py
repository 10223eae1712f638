"""Raising exceptions: the one place exception rows are built, whichever domain found the problem.

A raised exception is logged for the supervisors' phones by the reactions that end the transaction
(server/writes.py), from the value noted here; `logged_at` tells the sync projector not to look again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from server.changes.scopes import EXCEPTIONS, order_ref
from server.db.base import new_id
from server.db.bulk import insert_rows
from server.db.touched import touched
from server.exceptions.entities import exception_value
from server.exceptions.models import ExceptionRecord

MESSAGE = 500
KIND = 48


def exception_row(
    kind: str,
    message: str,
    *,
    now: datetime,
    order_id: uuid.UUID | None = None,
    sku_id: uuid.UUID | None = None,
    warehouse_id: uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A new open exception, ready for `raise_exceptions`. `details` carry the evidence (the op,
    the device, the codes the phone used); empty values are left out."""
    return {
        "id": new_id(),
        "kind": kind[:KIND],
        "status": "open",
        "message": message[:MESSAGE],
        "order_id": order_id,
        "sku_id": sku_id,
        "warehouse_id": warehouse_id,
        "details": {k: v for k, v in (details or {}).items() if v not in (None, "")},
        "created_at": now,
        "resolved_at": None,
        "resolved_by": None,
        "resolution": None,
        "logged_at": now,
    }


def raise_exceptions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Write the exceptions and note their entities for the supervisors' phones."""
    if not rows:
        return
    insert_rows(conn, ExceptionRecord, rows)
    note = touched(conn)
    for row in rows:
        order = str(row["details"].get("order") or (order_ref(row["order_id"]) if row["order_id"] else ""))
        note.changes[(EXCEPTIONS, "exception", str(row["id"]))] = exception_value(
            row["kind"], row["message"], order
        )
