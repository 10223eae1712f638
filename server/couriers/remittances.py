"""Reconciling a courier's COD remittance report: the one writer of remittance batches, rows and
findings.

A report (CSV or XLSX, the courier's own columns) is one batch, known by the file's SHA-256: the
same file again is the same batch, and a row already in the batch (batch + waybill) is not written
again, so an import cut short is finished by importing the file again. Rows go in by chunks, one
transaction each, the batch's `rows_done` moving as they do (the progress a CLI bar or a poller
shows). Each chunk is matched with a handful of set-wide statements (its waybills against our
parcels and against earlier batches) and bulk inserts, not a query per row.

Each row: what we expected to collect (the order's COD), what the courier says it collected, the
fee it kept (its column, or collected - remitted) and what it remitted. Findings, each a finding
row and an exception (server/exceptions/raising.py) for a person:
- unknown_waybill: no parcel of ours with this courier has the waybill;
- duplicate_across_batches: an earlier batch already had this waybill (money counted once);
- remitted_for_returned: money for a parcel we hold as returning/returned (RTS);
- fee_above_contract: the fee kept exceeds what the contract allows on the amount collected;
- short_remittance: remitted + the fee above contract falls short of our COD less its allowed fee
  (the courier collected less than due, or paid out less than its own statement);
- not_remitted: delivered, and nothing remitted by the cycle's due day plus the grace days
  (checked when a batch closes, and on demand).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.engine import Connection

from server.couriers.accounts import CourierTerms
from server.couriers.fees import FeeRule
from server.couriers.models import (
    CourierParcel,
    CourierReject,
    RemittanceBatch,
    RemittanceFinding,
    RemittanceRow,
)
from server.couriers.sheets import MANILA, Reject
from server.db.base import utcnow
from server.db.bulk import insert_rows, upsert_rows
from server.db.sql import is_sqlite
from server.errors import NotFound
from server.exceptions.raising import exception_row, raise_exceptions
from server.money import format_pesos as pesos
from server.orders.models import Order

CHUNK = 5_000
Line = tuple[int, str, int, int, int]  # (row number, waybill, collected, fee, remitted)
# Ours: (the order's id as the database gives it, COD due, order status, courier's last status).
Parcel = tuple[Any, int, str, str]
RETURNED_ORDER = frozenset({"return_to_sender", "returned"})
RETURNED_PARCEL = frozenset({"returning", "returned"})
KINDS = (
    "short_remittance",
    "fee_above_contract",
    "not_remitted",
    "unknown_waybill",
    "duplicate_across_batches",
    "remitted_for_returned",
)


@dataclass(frozen=True)
class Opened:
    batch_id: uuid.UUID
    status: str  # importing (rows to write) | done (this file was imported before)
    created: bool


def open_batch(
    conn: Connection, courier: CourierTerms, sha256: str, filename: str, rows: int, actor: str
) -> Opened:
    """The batch of this file: created, or the one already there (same courier, same file)."""
    row = conn.execute(
        select(RemittanceBatch.id, RemittanceBatch.status).where(
            RemittanceBatch.courier_id == courier.id, RemittanceBatch.file_sha256 == sha256
        )
    ).first()
    if row is not None:
        return Opened(row[0], row[1], False)
    batch_id = uuid.uuid4()
    insert_rows(
        conn,
        RemittanceBatch,
        [
            {
                "id": batch_id,
                "courier_id": courier.id,
                "file_sha256": sha256,
                "filename": filename[:255],
                "status": "importing",
                "rows_total": rows,
                "rows_done": 0,
                "rows_rejected": 0,
                "rows_new": 0,
                "findings": 0,
                "error": "",
                "expected_total": 0,
                "collected_total": 0,
                "fee_total": 0,
                "allowed_fee_total": 0,
                "remitted_total": 0,
                "created_by": actor[:64],
                "created_at": utcnow(),
                "finished_at": None,
            }
        ],
    )
    return Opened(batch_id, "importing", True)


def keep_rejects(
    conn: Connection, courier: CourierTerms, batch_id: uuid.UUID, rejects: Sequence[Reject]
) -> None:
    """The rows that could not be read, each with its reason; a row kept before is kept once."""
    now = utcnow()
    upsert_rows(
        conn,
        CourierReject,
        ("batch_id", "row_no"),
        [
            {
                "courier_id": courier.id,
                "batch_id": batch_id,
                "source": "remittance",
                "row_no": line,
                "raw": cells,
                "reason": reason[:500],
                "created_at": now,
            }
            for line, cells, reason in rejects
        ],
    )


def _finding(
    courier: CourierTerms,
    batch_id: uuid.UUID | None,
    kind: str,
    waybill: str,
    order_id: uuid.UUID | None,
    amount: int,
    message: str,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A finding and its exception."""
    details = {"courier": courier.code, "waybill": waybill, "batch": str(batch_id or ""), "amount": amount}
    exc = exception_row(f"courier_{kind}", message, now=now, order_id=order_id, details=details)
    finding = {
        "batch_id": batch_id,
        "courier_id": courier.id,
        "waybill": waybill,
        "order_id": order_id,
        "kind": kind,
        "amount": amount,
        "message": exc["message"],
        "exception_id": exc["id"],
        "created_at": now,
    }
    return finding, exc


def judge(
    courier: CourierTerms,
    line: Line,
    parcel: Parcel | None,
    earlier: bool,
    allowed: int,
) -> list[tuple[str, int, str]]:
    """The findings of one remittance row: (kind, centavos at issue, message). `parcel` is ours
    (order, COD due, order status, courier's last status), None when the waybill is not ours;
    `allowed` is the fee the contract allows on what was collected."""
    _, waybill, collected, fee, remitted = line
    name = courier.name
    if parcel is None:
        return [
            (
                "unknown_waybill",
                remitted,
                f"{name} remitted {pesos(remitted)} for waybill {waybill}, not ours",
            )
        ]
    if earlier:
        return [
            (
                "duplicate_across_batches",
                remitted,
                f"{name} waybill {waybill} is in an earlier remittance too; {pesos(remitted)} counted once",
            )
        ]
    _, due, order_status, parcel_status = parcel
    if order_status in RETURNED_ORDER or parcel_status in RETURNED_PARCEL:
        if remitted > 0 or collected > 0:
            held = parcel_status if parcel_status in RETURNED_PARCEL else order_status
            return [
                (
                    "remitted_for_returned",
                    remitted,
                    f"{name} remitted {pesos(remitted)} for waybill {waybill}, which we hold as {held}",
                )
            ]
        return []
    found: list[tuple[str, int, str]] = []
    excess = max(0, fee - allowed)
    if excess:
        found.append(
            (
                "fee_above_contract",
                excess,
                f"{name} kept {pesos(fee)} on waybill {waybill}; its contract allows {pesos(allowed)} "
                f"on {pesos(collected)}",
            )
        )
    owed = due - courier.rule.allowed(due)
    short = owed - remitted - excess
    if short > 0:
        found.append(
            (
                "short_remittance",
                short,
                f"{name} remitted {pesos(remitted)} for waybill {waybill}; COD {pesos(due)} less the "
                f"contract's fee is {pesos(owed)} (collected {pesos(collected)}): short {pesos(short)}",
            )
        )
    return found


def _match(
    conn: Connection, courier: CourierTerms, batch_id: uuid.UUID, waybills: list[str]
) -> tuple[set[str], dict[str, Parcel], set[str]]:
    """Set-wide, for a chunk's waybills: those already in this batch, our parcels among them, and
    those an earlier batch of this courier already had. On SQLite the ids stay the stored hex
    text (one constant statement each, no UUID objects for 5,000 rows); on PostgreSQL, UUIDs."""
    if is_sqlite(conn):
        doc = json.dumps(waybills)
        b, c = batch_id.hex, courier.id.hex
        present: set[str] = set()
        earlier: set[str] = set()
        for waybill, here in conn.exec_driver_sql(_REMITTED, (b, c, doc)).fetchall():
            (present if here else earlier).add(waybill)
        parcels = {
            r[0]: (r[1], int(r[2]), r[3], r[4]) for r in conn.exec_driver_sql(_PARCELS, (c, doc)).fetchall()
        }
        return present, parcels, earlier
    present, earlier = set[str](), set[str]()
    for waybill, in_batch in conn.execute(
        select(RemittanceRow.waybill, RemittanceRow.batch_id).where(
            RemittanceRow.courier_id == courier.id, RemittanceRow.waybill.in_(waybills)
        )
    ):
        (present if in_batch == batch_id else earlier).add(waybill)
    rows = conn.execute(
        select(
            CourierParcel.waybill,
            CourierParcel.order_id,
            Order.cod_amount,
            Order.status,
            CourierParcel.status,
        )
        .join(Order, Order.id == CourierParcel.order_id)
        .where(CourierParcel.courier_id == courier.id, CourierParcel.waybill.in_(waybills))
    ).all()
    return present, {w: (o, int(cod), st, ps) for w, o, cod, st, ps in rows}, earlier


# The chunk's waybills already remitted by this courier: in this batch (1), or an earlier one (0).
_REMITTED = (
    "SELECT waybill, batch_id = ? FROM remittance_rows WHERE courier_id = ? "
    "AND waybill IN (SELECT value FROM json_each(?))"
)
_PARCELS = (
    "SELECT p.waybill, p.order_id, o.cod_amount, o.status, p.status FROM courier_parcels p "
    "JOIN orders o ON o.id = p.order_id "
    "WHERE p.courier_id = ? AND p.waybill IN (SELECT value FROM json_each(?))"
)
_ROW_COLUMNS = (
    "batch_id",
    "courier_id",
    "waybill",
    "row_no",
    "order_id",
    "expected_cod",
    "collected",
    "fee",
    "allowed_fee",
    "remitted",
)
_INSERT_ROWS = (
    f"INSERT INTO remittance_rows ({', '.join(_ROW_COLUMNS)}) VALUES ({', '.join('?' * len(_ROW_COLUMNS))})"
)


_FEES: dict[FeeRule, dict[int, int]] = {}


def _fee_table(rule: FeeRule) -> dict[int, int]:
    """The contract's fee per amount collected, worked out once per amount: a report repeats the
    same prices (bounded, so a long-lived writer process does not grow without end)."""
    table = _FEES.get(rule)
    if table is None or len(table) > 200_000:
        if len(_FEES) > 64:
            _FEES.clear()
        table = _FEES[rule] = {}
    return table


def _uuid(key: Any) -> uuid.UUID:
    return key if isinstance(key, uuid.UUID) else uuid.UUID(hex=str(key))


def reconcile_chunk(
    conn: Connection,
    courier: CourierTerms,
    batch_id: uuid.UUID,
    lines: Sequence[Line],
    rejects: Sequence[Reject] = (),
) -> int:
    """Match a chunk of the batch's rows and write them with their findings, and keep the chunk's
    rejected rows; rows already in the batch are skipped (an import finished a second time).
    Returns the findings raised."""
    keep_rejects(conn, courier, batch_id, rejects)
    sqlite = is_sqlite(conn)
    present, parcels, earlier = _match(conn, courier, batch_id, [line[1] for line in lines])
    todo = [line for line in lines if line[1] not in present] if present else list(lines)
    now = utcnow()
    b, c = (batch_id.hex, courier.id.hex) if sqlite else (batch_id, courier.id)
    rows: list[tuple[Any, ...]] = []
    findings: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []
    expected_total = fee_total = allowed_total = collected_total = remitted_total = 0
    fees = _fee_table(courier.rule)
    rule_allowed = courier.rule.allowed
    for line in todo:
        row_no, waybill, collected, fee, remitted = line
        parcel = parcels.get(waybill)
        order_key, expected = (parcel[0], parcel[1]) if parcel is not None else (None, 0)
        allowed = fees.get(collected)
        if allowed is None:
            allowed = fees[collected] = rule_allowed(collected)
        rows.append((b, c, waybill, row_no, order_key, expected, collected, fee, allowed, remitted))
        expected_total += expected
        collected_total += collected
        fee_total += fee
        allowed_total += allowed
        remitted_total += remitted
        # Most rows are right: the cheap test first, the worded findings only for the rest.
        if (
            parcel is not None
            and waybill not in earlier
            and fee <= allowed
            and parcel[2] not in RETURNED_ORDER
            and parcel[3] not in RETURNED_PARCEL
            and remitted >= expected - (fees.get(expected) or rule_allowed(expected))
        ):
            continue  # nothing to say: the same test as `judge`, without its words
        order_id = _uuid(order_key) if order_key is not None else None
        for kind, amount, message in judge(courier, line, parcel, waybill in earlier, allowed):
            finding, exc = _finding(courier, batch_id, kind, waybill, order_id, amount, message, now)
            findings.append(finding)
            exceptions.append(exc)
    if sqlite:
        conn.exec_driver_sql(_INSERT_ROWS, rows)
    else:
        insert_rows(conn, RemittanceRow, [dict(zip(_ROW_COLUMNS, r, strict=True)) for r in rows])
    raise_exceptions(conn, exceptions)
    insert_rows(conn, RemittanceFinding, findings)
    conn.execute(
        update(RemittanceBatch)
        .where(RemittanceBatch.id == batch_id)
        .values(
            # Progress; an import finished a second time may overshoot, close_batch counts exactly.
            rows_done=RemittanceBatch.rows_done + len(todo) + len(rejects),
            rows_rejected=RemittanceBatch.rows_rejected + len(rejects),
            rows_new=RemittanceBatch.rows_new + len(todo),
            findings=RemittanceBatch.findings + len(findings),
            expected_total=RemittanceBatch.expected_total + expected_total,
            collected_total=RemittanceBatch.collected_total + collected_total,
            fee_total=RemittanceBatch.fee_total + fee_total,
            allowed_fee_total=RemittanceBatch.allowed_fee_total + allowed_total,
            remitted_total=RemittanceBatch.remitted_total + remitted_total,
        )
    )
    return len(findings)


def find_not_remitted(
    conn: Connection, courier: CourierTerms, batch_id: uuid.UUID | None, now: datetime
) -> int:
    """Parcels delivered and not remitted by the cycle's due day plus the grace days, each raised
    once. Candidates are found set-wide (delivered long enough ago, in no remittance row, not
    already raised); the cycle's due day is then worked out per parcel."""
    today = now.astimezone(MANILA).date()
    latest = now - timedelta(days=courier.grace_days + 1)
    remitted = exists().where(
        and_(
            RemittanceRow.courier_id == CourierParcel.courier_id,
            RemittanceRow.waybill == CourierParcel.waybill,
        )
    )
    raised = exists().where(
        and_(
            RemittanceFinding.courier_id == CourierParcel.courier_id,
            RemittanceFinding.waybill == CourierParcel.waybill,
            RemittanceFinding.kind == "not_remitted",
        )
    )
    candidates = conn.execute(
        select(CourierParcel.waybill, CourierParcel.order_id, CourierParcel.delivered_at, Order.cod_amount)
        .join(Order, Order.id == CourierParcel.order_id)
        .where(
            CourierParcel.courier_id == courier.id,
            CourierParcel.status == "delivered",
            CourierParcel.delivered_at <= latest,
            Order.cod_amount > 0,
            ~remitted,
            ~raised,
        )
    )
    findings: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []
    for waybill, order_id, delivered_at, cod in candidates:
        assert delivered_at is not None
        delivered: date = delivered_at.astimezone(MANILA).date()
        if not courier.cycle.overdue(delivered, today, courier.grace_days):
            continue
        due = courier.cycle.due(delivered)
        message = (
            f"{courier.name} delivered waybill {waybill} on {delivered:%Y-%m-%d} and has not remitted its "
            f"{pesos(int(cod))}; it was due {due:%Y-%m-%d} (+{courier.grace_days} days' grace)"
        )
        finding, exc = _finding(courier, batch_id, "not_remitted", waybill, order_id, int(cod), message, now)
        findings.append(finding)
        exceptions.append(exc)
    raise_exceptions(conn, exceptions)
    insert_rows(conn, RemittanceFinding, findings)
    return len(findings)


def close_batch(conn: Connection, courier: CourierTerms, batch_id: uuid.UUID) -> int:
    """Every row is in: look for parcels delivered and still not remitted, and mark the batch done."""
    now = utcnow()
    late = find_not_remitted(conn, courier, batch_id, now)
    written = conn.execute(
        select(func.count())
        .select_from(RemittanceRow)
        .where(RemittanceRow.courier_id == courier.id, RemittanceRow.batch_id == batch_id)
    ).scalar_one()
    rejected = conn.execute(
        select(func.count()).select_from(CourierReject).where(CourierReject.batch_id == batch_id)
    ).scalar_one()
    conn.execute(
        update(RemittanceBatch)
        .where(RemittanceBatch.id == batch_id)
        .values(
            status="done",
            finished_at=now,
            findings=RemittanceBatch.findings + late,
            rows_new=written,
            rows_rejected=rejected,
            rows_done=written + rejected,
        )
    )
    return late


def check_overdue(conn: Connection, courier: CourierTerms) -> int:
    """The not-remitted check on its own (a job, or a person asking), outside any batch."""
    return find_not_remitted(conn, courier, None, utcnow())


def fail_batch(conn: Connection, batch_id: uuid.UUID, error: str) -> None:
    conn.execute(
        update(RemittanceBatch)
        .where(RemittanceBatch.id == batch_id)
        .values(status="failed", error=error[:500])
    )


def batch_courier(conn: Connection, batch_id: uuid.UUID) -> uuid.UUID:
    courier_id = conn.execute(
        select(RemittanceBatch.courier_id).where(RemittanceBatch.id == batch_id)
    ).scalar()
    if courier_id is None:
        raise NotFound(f"no remittance batch {batch_id}")
    return courier_id
