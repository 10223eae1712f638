"""Blobs (delivery photos, signatures): content-addressed, stored once, in the database so every
server process has them. Uploading the same bytes again is a no-op; an op never waits for one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.changes.log import emit, lock_head
from server.cod.models import ProofLink
from server.db.base import new_id, utcnow
from server.db.bulk import insert_rows
from server.db.sql import upsert_rows
from server.exceptions.entities import exception_entities
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import ask_to_notify
from server.sync_api.models import SyncBlob
from sync import ProtocolError, blob_hash, is_blob_id

MAX_BLOB_BYTES = 8 << 20  # a phone photo, compressed by the app before upload


def check_blob_id(blob_id: str) -> None:
    if not is_blob_id(blob_id):
        raise ProtocolError("blob-bad-id", f"{blob_id[:80]!r} is not a SHA-256 in lower-case hex")


def check_blob(blob_id: str, data: bytes) -> None:
    check_blob_id(blob_id)
    actual = blob_hash(data)
    if actual != blob_id:
        raise ProtocolError("blob-hash-mismatch", f"the bytes hash to {actual}, not {blob_id}")


def store_blob(conn: Connection, blob_id: str, data: bytes) -> bool:
    """Store it unless it is there. True if it was new."""
    if has_blob(conn, blob_id):
        return False
    upsert_rows(
        conn,
        SyncBlob,
        ("sha256",),
        [{"sha256": blob_id, "size": len(data), "data": data, "created_at": utcnow()}],
    )
    return True


def has_blob(conn: Connection, blob_id: str) -> bool:
    return conn.execute(select(SyncBlob.sha256).where(SyncBlob.sha256 == blob_id)).first() is not None


def load_blob(conn: Connection, blob_id: str) -> bytes | None:
    return conn.execute(select(SyncBlob.data).where(SyncBlob.sha256 == blob_id)).scalar()


# How long a proof link may wait for its blob before a person is told (PROTOCOL.md §8).
PROOF_GRACE = timedelta(days=1)


def chase_missing_proofs(
    conn: Connection, *, now: datetime | None = None, grace: timedelta = PROOF_GRACE
) -> int:
    """Raise `proof_missing` for photos and signatures linked long ago whose bytes never came (a
    phone lost them, or a restored server lost an upload). Once per link; returns how many."""
    now = now or utcnow()
    uploaded = select(SyncBlob.sha256)
    late = conn.execute(
        select(
            ProofLink.id,
            ProofLink.op_id,
            ProofLink.order_ref,
            ProofLink.order_id,
            ProofLink.blob,
            ProofLink.kind,
        )
        .where(
            ProofLink.chased_at.is_(None),
            ProofLink.created_at <= now - grace,
            ProofLink.blob.not_in(uploaded),
        )
        .order_by(ProofLink.id)
        .limit(1000)
    ).all()
    if not late:
        return 0
    ids = [new_id() for _ in late]
    rows = [
        {
            "id": exception_id,
            "kind": "proof_missing",
            "status": "open",
            "message": f"the {kind} for order {order_ref} (blob {blob[:12]}) never reached the server",
            "order_id": order_id,
            "sku_id": None,
            "warehouse_id": None,
            "details": {"op": str(op_id), "order": order_ref, "blob": blob},
            "created_at": now,
            "resolved_at": None,
            "resolved_by": None,
            "resolution": None,
            "updated_at": now,  # the notification round tells what changed since it last looked
        }
        for exception_id, (_, op_id, order_ref, order_id, blob, kind) in zip(ids, late, strict=True)
    ]
    insert_rows(conn, ExceptionRecord, rows)
    ask_to_notify(conn)  # the supervisors hear of it (web push, server/alerts/notify.py)
    conn.execute(update(ProofLink).where(ProofLink.id.in_([r[0] for r in late])).values(chased_at=now))
    lock_head(conn)
    emit(conn, exception_entities(conn, ids))
    return len(rows)


def chase_job(conn: Connection) -> int:
    """`chase_missing_proofs` as a job for the writer process."""
    return chase_missing_proofs(conn)
