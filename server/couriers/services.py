"""The couriers' services: reads, and imports run as a series of write transactions.

A remittance import is started (the file read, the batch opened: `start_remittance`) and then run
chunk by chunk (`run_remittance`), so the API can answer with the batch id at once and keep going
in the background while a poller reads the batch's progress, and the CLI can draw a progress bar.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
import structlog
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.couriers.accounts import CourierTerms, load_courier
from server.couriers.models import Courier, CourierReject, RemittanceBatch, RemittanceFinding
from server.couriers.remittances import CHUNK, close_batch, fail_batch, open_batch, reconcile_chunk
from server.couriers.schemas import BatchOut, FindingOut, RejectOut
from server.couriers.sheets import RemittanceReader, Table, remittance_table
from server.db import Database
from server.db.orm import orm_session
from server.errors import FieldError, InvalidInput, NotFound
from server.pagination import Page, PageParams

log = structlog.get_logger("bodega.couriers")
Progress = Callable[[int, int], None]  # (rows done, rows in the file)


@dataclass
class Started:
    courier: CourierTerms
    batch_id: uuid.UUID
    status: str  # importing | done (the same file was imported before)
    table: Table  # the file's rows, read slice by slice as they are written

    @property
    def total(self) -> int:
        return len(self.table.rows)


def read_file(data: bytes, courier: CourierTerms) -> tuple[str, Table]:
    return hashlib.sha256(data).hexdigest(), remittance_table(data, courier.remittance_columns)


async def start_remittance(
    db: Database, code: str, data: bytes, filename: str, actor: str, *, in_thread: bool = True
) -> Started:
    """Split the file into rows (a 422 when it lacks the courier's columns) and open its batch."""
    courier = await db.run_read(load_courier, code)  # 404 first: no courier, no file to read
    if not data:
        raise InvalidInput("the file is empty", [FieldError("body", "send the CSV or XLSX file as the body")])
    if in_thread:  # a large file takes a while to split: not on the event loop
        sha, table = await anyio.to_thread.run_sync(read_file, data, courier)
    else:
        sha, table = read_file(data, courier)
    opened = await db.run_write(open_batch, courier, sha, filename, len(table.rows), actor)
    return Started(courier, opened.batch_id, opened.status, table)


async def run_remittance(db: Database, started: Started, progress: Progress | None = None) -> None:
    """Read and write the batch's rows slice by slice, reading the next slice (in a worker thread)
    while the writer stores this one, then close the batch (the not-remitted check)."""
    if started.status == "done":
        return
    reader = RemittanceReader(started.table)
    rows = started.table.rows
    slices = [rows[at : at + CHUNK] for at in range(0, len(rows), CHUNK)]
    done = 0
    try:
        ahead = asyncio.ensure_future(anyio.to_thread.run_sync(reader.read, slices[0])) if slices else None
        for n, part in enumerate(slices):
            assert ahead is not None
            sheet = await ahead
            if n + 1 < len(slices):
                ahead = asyncio.ensure_future(anyio.to_thread.run_sync(reader.read, slices[n + 1]))
            await db.run_write(reconcile_chunk, started.courier, started.batch_id, sheet.lines, sheet.rejects)
            done += len(part)
            if progress is not None:
                progress(done, started.total)
        await db.run_write(close_batch, started.courier, started.batch_id)
    except Exception as exc:
        log.exception("remittance_import_failed", batch=str(started.batch_id))
        await db.run_write(fail_batch, started.batch_id, f"{type(exc).__name__}: {exc}")
        raise


async def import_remittance(
    db: Database, code: str, data: bytes, filename: str, actor: str, progress: Progress | None = None
) -> uuid.UUID:
    """The whole import in one call (the CLI, tests, the benchmark): the batch id."""
    started = await start_remittance(db, code, data, filename, actor)
    await run_remittance(db, started, progress)
    return started.batch_id


def batch_page(conn: Connection, page: PageParams, courier: str | None) -> Page[BatchOut]:
    """Remittance batches, newest first (the console's list); each as `batch_out` reads it."""
    stmt = select(RemittanceBatch.id).join(Courier, Courier.id == RemittanceBatch.courier_id)
    if courier:
        stmt = stmt.where(Courier.code == courier)
    total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    ids = conn.execute(
        stmt.order_by(RemittanceBatch.created_at.desc(), RemittanceBatch.id)
        .limit(page.limit)
        .offset(page.offset)
    ).scalars()
    return page.of([batch_out(conn, i) for i in ids.all()], int(total))


def batch_out(conn: Connection, batch_id: uuid.UUID) -> BatchOut:
    """A batch with its progress (polled while importing) and totals."""
    with orm_session(conn) as session:
        row = session.execute(
            select(RemittanceBatch, Courier.code)
            .join(Courier, Courier.id == RemittanceBatch.courier_id)
            .where(RemittanceBatch.id == batch_id)
        ).first()
        if row is None:
            raise NotFound(f"no remittance batch {batch_id}")
        b, code = row
        by_kind = dict(
            session.execute(
                select(RemittanceFinding.kind, func.count())
                .where(RemittanceFinding.batch_id == batch_id)
                .group_by(RemittanceFinding.kind)
            ).all()
        )
        return BatchOut(
            id=b.id,
            courier=code,
            filename=b.filename,
            status=b.status,
            rows_total=b.rows_total,
            rows_done=b.rows_done,
            progress=min(1.0, round(b.rows_done / b.rows_total, 4)) if b.rows_total else 1.0,
            rows_new=b.rows_new,
            rows_rejected=b.rows_rejected,
            findings=b.findings,
            findings_by_kind={k: int(n) for k, n in by_kind.items()},
            expected_total=b.expected_total,
            collected_total=b.collected_total,
            fee_total=b.fee_total,
            allowed_fee_total=b.allowed_fee_total,
            remitted_total=b.remitted_total,
            created_at=b.created_at,
            finished_at=b.finished_at,
            error=b.error,
        )


def findings_of(conn: Connection, batch_id: uuid.UUID) -> list[FindingOut]:
    rows = conn.execute(
        select(
            RemittanceFinding.waybill,
            RemittanceFinding.kind,
            RemittanceFinding.amount,
            RemittanceFinding.message,
            RemittanceFinding.order_id,
            RemittanceFinding.exception_id,
        )
        .where(RemittanceFinding.batch_id == batch_id)
        .order_by(RemittanceFinding.id)
    )
    return [FindingOut(w, k, int(a), m, o, e) for w, k, a, m, o, e in rows]


def rejects_of(conn: Connection, batch_id: uuid.UUID) -> list[RejectOut]:
    rows = conn.execute(
        select(CourierReject.row_no, CourierReject.reason, CourierReject.raw)
        .where(CourierReject.batch_id == batch_id)
        .order_by(CourierReject.row_no)
    )
    return [RejectOut(n, r, dict(c or {})) for n, r, c in rows]
