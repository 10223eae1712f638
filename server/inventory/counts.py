"""Cycle counts: the latest count of each SKU in each bin, by event key, that the count rule
orders the bin's movements against (sync/PROTOCOL.md R7). The movement a count produces goes
to the stock ledger like any other; this keeps what was counted, when and by which op.

It also keeps the counts held back: one beyond the seller's variance threshold is not applied; a
recount is asked for, and a recount still beyond it waits for a supervisor (server/sync_api/
count_reviews.py approves it by judging the journalled count again, or rejects it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.db.base import new_id
from server.db.bulk import upsert_rows
from server.db.touched import touched
from server.inventory.count_tasks import CountTaskIn, create_task
from server.inventory.models import BinCount, CountReview


def record_counts(conn: Connection, rows: Sequence[dict[str, Any]], warehouses: set[uuid.UUID]) -> None:
    """Keep the newest count per (bin, SKU); open count tasks of these warehouses may be complete."""
    upsert_rows(
        conn, BinCount, ("bin_id", "sku_id"), rows, update=("counted_at", "counted", "op_id", "updated_at")
    )
    touched(conn).counted_in.update(warehouses)
    if (
        rows
        and conn.execute(select(CountReview.id).where(CountReview.status.in_(OPEN_REVIEW)).limit(1)).first()
    ):
        settle_reviews(conn, [(r["bin_id"], r["sku_id"]) for r in rows], rows[0]["updated_at"])


# ---- counts held for a recount and a supervisor's approval ----------------------------------

OPEN_REVIEW = ("recount", "approval")


@dataclass(frozen=True)
class HeldCount:
    warehouse_id: uuid.UUID
    bin_id: uuid.UUID
    sku_id: uuid.UUID
    wh: str
    bin: str
    sku: str
    op_id: uuid.UUID
    counted: int
    believed: int


def hold_count(conn: Connection, held: HeldCount, actor: str, now: datetime) -> tuple[uuid.UUID, str]:
    """A count beyond the seller's threshold, not applied. The first asks for a recount (a count
    task for the bin and SKU); a recount still beyond it waits for a supervisor's approval.
    Returns (review id, what happened: "recount", "approval" when the recount just escalated it
    (the caller raises the supervisors' exception and notes it with `note_exception`), or
    "again" for another count while it already waits)."""
    stmt = select(CountReview.id, CountReview.status, CountReview.counts).where(
        CountReview.bin_id == held.bin_id,
        CountReview.sku_id == held.sku_id,
        CountReview.status.in_(OPEN_REVIEW),
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        review_id = new_id()
        task_id = create_task(
            conn,
            CountTaskIn(
                warehouse=held.wh,
                bin=held.bin,
                skus=[held.sku],
                title=f"Recount {held.sku} sa {held.bin}"[:120],
            ),
            actor,
        )
        conn.execute(
            insert(CountReview).values(
                id=review_id,
                warehouse_id=held.warehouse_id,
                bin_id=held.bin_id,
                sku_id=held.sku_id,
                status="recount",
                op_id=held.op_id,
                first_op_id=held.op_id,
                counted=held.counted,
                believed=held.believed,
                counts=1,
                task_id=task_id,
                created_at=now,
            )
        )
        return review_id, "recount"
    review_id, status, counts = row
    conn.execute(
        update(CountReview)
        .where(CountReview.id == review_id)
        .values(
            op_id=held.op_id,
            counted=held.counted,
            believed=held.believed,
            counts=counts + 1,
            status="approval",
        )
    )
    return review_id, "approval" if status == "recount" else "again"


def note_exception(conn: Connection, review_id: uuid.UUID, exception_id: uuid.UUID) -> None:
    """The exception raised for the supervisors about this review (resolved with the decision)."""
    conn.execute(update(CountReview).where(CountReview.id == review_id).values(exception_id=exception_id))


def settle_reviews(conn: Connection, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], now: datetime) -> None:
    """A count within the threshold was applied for these (bin, SKU): their open reviews are settled."""
    for bin_id, sku_id in sorted(set(pairs), key=lambda p: (p[0].int, p[1].int)):
        conn.execute(
            update(CountReview)
            .where(
                CountReview.bin_id == bin_id,
                CountReview.sku_id == sku_id,
                CountReview.status.in_(OPEN_REVIEW),
            )
            .values(status="settled", decided_by="recounted", decided_at=now)
        )
