"""Raising exceptions: the one place exception rows are built, whichever domain found the problem.

A raised exception is logged for the supervisors' phones by the reactions that end the transaction
(server/writes.py), from the value noted here; `logged_at` tells the sync projector not to look again.

Dedupe: a row built with `dedupe=True` carries "kind|subject" as its dedupe key, which a unique
index holds while the exception is open (resolving clears it). Raising it again while one is open
changes nothing, on both databases (INSERT .. ON CONFLICT DO NOTHING), even from two transactions
at once. The alert rules always dedupe; a fact that is evidence on its own (a second double
delivery of the same parcel) does not.

Each raise also asks for the notification job (server/alerts/notify.py), which tells people after
the transaction commits; it is durable, so a restart between the two loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.changes.scopes import EXCEPTIONS
from server.db.base import new_id
from server.db.bulk import insert_rows
from server.db.touched import touched
from server.exceptions.entities import exception_value
from server.exceptions.kinds import Severity, severity_of
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Warehouse

MESSAGE = 500
KIND = 48
SUBJECT = 64
NOTIFY_JOB = "exceptions.notify"
# Rounds of the notification job run at most about this often: a burst of writes that raise
# exceptions (held orders during ingestion) is told in a few rounds, not one round per write,
# and a lone exception is still told at once (the job has been idle).
NOTIFY_GAP_S = 0.5


def subject_of(
    order_id: uuid.UUID | None, sku_id: uuid.UUID | None, details: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """What an exception is about when its raiser did not say: the order, else the rider whose
    cash it is, the bin, the SKU, the courier batch, the shop."""
    if order_id is not None:
        return "order", str(order_id)
    if details.get("holder"):
        return "rider", str(details["holder"])
    if details.get("bin") and details.get("wh"):
        return "bin", f"{details['wh']}/{details['bin']}"
    if sku_id is not None:
        return "sku", str(sku_id)
    if details.get("batch"):
        return "courier_batch", str(details["batch"])
    if details.get("shop"):
        return "shop", str(details["shop"])
    return None, None


def exception_row(
    kind: str,
    message: str,
    *,
    now: datetime,
    order_id: uuid.UUID | None = None,
    sku_id: uuid.UUID | None = None,
    warehouse_id: uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
    subject: tuple[str, str] | None = None,
    raised_by: str = "system",
    dedupe: bool = False,
) -> dict[str, Any]:
    """A new open exception, ready for `raise_exceptions`. `details` carry the evidence (the op,
    the device, the codes the phone used); empty values are left out. `subject` (kind, id)
    defaults to what the ids and details name; `dedupe` keeps one open per kind and subject."""
    evidence = {k: v for k, v in (details or {}).items() if v not in (None, "")}
    subject_kind, subject_id = subject if subject is not None else subject_of(order_id, sku_id, evidence)
    if subject_id is not None:
        subject_id = subject_id[:SUBJECT]
    kind = kind[:KIND]
    return {
        "id": new_id(),
        "kind": kind,
        "status": "open",
        "message": message[:MESSAGE],
        "order_id": order_id,
        "sku_id": sku_id,
        "warehouse_id": warehouse_id,
        "details": evidence,
        "created_at": now,
        "resolved_at": None,
        "resolved_by": None,
        "resolution": None,
        "logged_at": now,
        "severity": severity or severity_of(kind),
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "raised_by": raised_by[:64],
        "acknowledged_at": None,
        "acknowledged_by": None,
        "assigned_to": None,
        "escalation_level": 0,
        "escalated_at": None,
        "dedupe_key": dedupe_key(kind, subject_kind, subject_id) if dedupe else None,
        "last_notified_at": None,
        "updated_at": now,
        "action": None,
    }


def dedupe_key(kind: str, subject_kind: str | None, subject_id: str | None) -> str:
    return f"{kind}|{subject_kind or ''}:{subject_id or ''}"[:200]


def raise_exceptions(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Write the exceptions and note their entities for the supervisors' phones. Returns the ids
    written (a deduplicated row whose twin is open is not)."""
    if not rows:
        return []
    plain = [r for r in rows if r["dedupe_key"] is None]
    insert_rows(conn, ExceptionRecord, plain)
    written = list(plain)
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    keyed = [r for r in rows if r["dedupe_key"] is not None]
    if keyed:
        # Most of a rule's findings are already open (it runs every minute): one read skips them;
        # the insert below still settles a race with another transaction.
        keys = [r["dedupe_key"] for r in keyed]
        open_ = set(
            conn.execute(
                select(ExceptionRecord.dedupe_key).where(ExceptionRecord.dedupe_key.in_(keys))
            ).scalars()
        )
        keyed = [r for r in keyed if r["dedupe_key"] not in open_]
    for row in keyed:
        stmt = (
            dialect_insert(ExceptionRecord)
            .values(row)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(ExceptionRecord.id)
        )
        if conn.execute(stmt).first() is not None:
            written.append(row)
    if not written:
        return []
    wh_ids = {r["warehouse_id"] for r in written if r["warehouse_id"] is not None}
    codes: dict[uuid.UUID, str] = {}
    if wh_ids:
        for wid, code in conn.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(wh_ids))):
            codes[wid] = code
    note = touched(conn)
    for row in written:
        wh = codes.get(row["warehouse_id"]) if row["warehouse_id"] is not None else None
        note.changes[(EXCEPTIONS, "exception", str(row["id"]))] = exception_value(row, wh)
    ask_to_notify(conn)
    return [r["id"] for r in written]


def ask_to_notify(conn: Connection) -> None:
    """Ask for the notification job: it finds what changed since it last told anyone. One
    statement per transaction, however many exceptions it raises or changes (the note is kept
    across a savepoint's rollback like the rest of it). When it is due at once, the reactions
    say so (`Reactions.notify_at`) and the app wakes its worker at commit."""
    from server.jobs.queue import enqueue  # the job table is a leaf; imported late to keep this module light

    note = touched(conn)
    if note.notify_at is None:
        note.notify_at = enqueue(conn, NOTIFY_JOB, "all", rearm=True, gap_s=NOTIFY_GAP_S)
