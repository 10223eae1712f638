"""A courier's status reports (webhook or CSV): recorded always, then mapped onto the order.

Each report is an append-only event, keyed by (courier, waybill, status word, time) so the same
report twice is one event. The courier's status word is read through its account's `status_map`;
a word nobody has mapped yet is kept with an empty `event`, waiting for a person to say what it
means (`map_status`), and is then applied: never guessed.

What each event does, through the domains' writers:
- picked_up: the order walks to shipped (the units leave with it) by the order transitions;
- delivered, failed (with the reason): a delivery attempt judged as a rider's is (R9), moving the
  order, raising double deliveries and the like, and recorded by the COD domain's writer
  (server/cod/deliveries.record_attempts);
- returning: the RTS lifecycle's "returning", by its one writer (server/cod/rts.mark_returning),
  which also walks the order to return_to_sender if the courier sends it back on its own;
- returned: the courier says it handed the parcel back. The order stays return_to_sender: the
  warehouse's returns intake is the fact that makes it returned and puts the units back.
The courier parcel keeps the last event and when it was delivered (for the remittance checks).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.cod.deliveries import record_attempts
from server.cod.models import DeliveryAttempt
from server.cod.rts import mark_returning
from server.couriers.accounts import EVENTS, CourierTerms, set_status_meaning, status_key
from server.couriers.models import CourierParcel, CourierReject, CourierStatusEvent
from server.couriers.sheets import STATUS_FIELDS, raw, read_table, text_of, when
from server.db.base import new_id, utcnow
from server.db.bulk import in_values, insert_rows
from server.errors import FieldError, InvalidInput
from server.exceptions.raising import exception_row, raise_exceptions
from server.orders.transitions import Transitions, lock_order, status_path

REASONS = (
    "refused",
    "refused_after_inspection",
    "wrong_address",
    "not_home",
    "unreachable",
    "rescheduled",
    "unsafe_area",
    "other",
)


@dataclass(frozen=True)
class StatusReport:
    waybill: str
    status: str  # the courier's own word
    at: datetime
    reason: str = ""


@dataclass
class StatusResult:
    received: int = 0
    duplicates: int = 0  # already recorded
    applied: int = 0
    queued: int = 0  # status words waiting for a person to map them
    unknown_waybills: int = 0
    rejected: int = 0  # CSV rows that could not be read (kept with their reason)


def signature_ok(secret: str, body: bytes, given: str) -> bool:
    """HMAC-SHA256 of the raw body with the courier's secret, hex, compared in constant time
    (with or without a `sha256=` prefix)."""
    if not secret or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    offered = given.strip().removeprefix("sha256=").lower().encode("ascii", errors="replace")
    return hmac.compare_digest(expected, offered)


def _reason_code(courier: CourierTerms, reason: str) -> str:
    """A failed attempt's reason code (R9): the courier's own word through its reason map; a word
    not in it is `other`, with the courier's text kept in the attempt's note."""
    key = status_key(reason)
    code = courier.reason_map.get(key) or key.lower()
    return code if code in REASONS else "other"


def _apply(conn: Connection, courier: CourierTerms, order_id: Any, report: StatusReport, event: str) -> str:
    """Move the order as the event says; what happened, in words, for the event's `outcome`."""
    actor = courier.actor
    where = f"{courier.name} waybill {report.waybill}, reported {report.at.isoformat(timespec='minutes')}"
    if event == "ignore":
        return "no lifecycle meaning"
    if event in ("delivered", "failed"):
        return _attempt(conn, courier, order_id, report, event, where)
    if event == "returning":
        before = lock_order(conn, order_id)
        if mark_returning(conn, order_id, actor, courier=where, waybill=report.waybill):
            return f"RTS parcel returning (the order was {before})"
        return f"order is {before}; already returning or not to be returned"
    status = lock_order(conn, order_id)
    target = "shipped" if event == "picked_up" else "return_to_sender"
    path = status_path(status, target)
    if not path:
        return f"order is {status}; left as it is"
    # Picked up: no handover fact moved the units, so they leave here. Returning: no stock moves.
    moves = Transitions(actor, stock_by_facts=event != "picked_up")
    moves.walk(
        order_id, status, target, reason=f"{event.replace('_', ' ')}: {where}", implied=f"implied by {where}"
    )
    moves.flush(conn)
    return f"order {status} -> {target}"


def _attempt(
    conn: Connection, courier: CourierTerms, order_id: Any, report: StatusReport, event: str, where: str
) -> str:
    """A delivery attempt the courier reports, judged as a rider's is (R9): recorded always, by the
    COD domain's writer (server/cod/deliveries.record_attempts); a first delivery moves the order to
    delivered, a failed attempt to failed_delivery unless it was delivered or cancelled; a second
    delivery counts for nothing and raises double_delivery; a delivery of a cancelled order raises."""
    actor = courier.actor
    status = lock_order(conn, order_id)
    now = utcnow()
    first = conn.execute(
        select(DeliveryAttempt.device)
        .where(DeliveryAttempt.waybill == report.waybill, DeliveryAttempt.outcome == "delivered")
        .where(DeliveryAttempt.counts.is_(True))
        .order_by(DeliveryAttempt.id)
        .limit(1)
    ).scalar()
    reason = _reason_code(courier, report.reason) if event == "failed" else ""
    # Delivered while the order still says packed: the implied shipped step takes the units off.
    moves = Transitions(actor, now=now, stock_by_facts=True)
    flags: list[dict[str, Any]] = []
    counts = True
    details = {"order": str(order_id), "by": actor, "waybill": report.waybill}
    if event == "failed":
        if status not in ("delivered", "cancelled") and first is None:
            status = moves.walk(
                order_id, status, "failed_delivery", reason=f"{reason}: {where}", implied=where
            )
    elif first is not None:
        counts = False
        message = (
            f"parcel {report.waybill} reported delivered again by {actor}; {first} had already delivered it"
        )
        flags.append(exception_row("double_delivery", message, now=now, order_id=order_id, details=details))
    elif status == "cancelled":
        message = f"parcel {report.waybill} delivered by {actor} for order {order_id}, which was cancelled"
        flags.append(
            exception_row(
                "delivery_for_cancelled_order", message, now=now, order_id=order_id, details=details
            )
        )
    else:
        status = moves.walk(order_id, status, "delivered", reason=f"delivered: {where}", implied=where)
    # The order's move first: the attempts' writer may act on the status it leaves (RTS policy).
    moves.flush(conn)
    record_attempts(
        conn,
        [
            {
                "op_id": new_id(),  # the attempt's own id: it came by no phone's op
                "order_ref": str(order_id),
                "order_id": order_id,
                "waybill": report.waybill,
                "outcome": event,
                "reason": reason,
                "note": f"{where}: {report.reason}"[:500],
                "device": actor[:64],
                "counts": counts,
                "at": "",
                "created_at": now,
            }
        ],
    )
    raise_exceptions(conn, flags)
    raised = f"; raised {', '.join(f['kind'] for f in flags)}" if flags else ""
    return f"attempt recorded ({event}); order is {lock_order(conn, order_id)}{raised}"


def _parcels(conn: Connection, courier: CourierTerms, waybills: Sequence[str]) -> dict[str, Any]:
    return dict(
        conn.execute(
            select(CourierParcel.waybill, CourierParcel.order_id).where(
                CourierParcel.courier_id == courier.id, in_values(conn, CourierParcel.waybill, waybills)
            )
        ).all()
    )


def _mark_parcel(conn: Connection, courier: CourierTerms, report: StatusReport, event: str) -> None:
    if event == "ignore":
        return
    values: dict[str, Any] = {"status": event, "status_at": report.at}
    if event == "delivered":
        values["delivered_at"] = report.at
    conn.execute(
        update(CourierParcel)
        .where(CourierParcel.courier_id == courier.id, CourierParcel.waybill == report.waybill)
        .values(values)
    )


def record_statuses(
    conn: Connection, courier: CourierTerms, reports: Sequence[StatusReport], source: str
) -> StatusResult:
    """The one writer of courier status events: record each new report, apply the mapped ones in
    the order they happened, queue the words nobody has mapped."""
    result = StatusResult(received=len(reports))
    waybills = sorted({r.waybill for r in reports})
    known = {
        (w, s, a)
        for w, s, a in conn.execute(
            select(
                CourierStatusEvent.waybill, CourierStatusEvent.raw_status, CourierStatusEvent.happened_at
            ).where(
                CourierStatusEvent.courier_id == courier.id,
                in_values(conn, CourierStatusEvent.waybill, waybills),
            )
        )
    }
    parcels = _parcels(conn, courier, waybills)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, datetime]] = set()
    for report in sorted(reports, key=lambda r: r.at):
        key = (report.waybill, report.status[:64], report.at)
        if key in known or key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        event = courier.status_map.get(status_key(report.status), "")
        order_id = parcels.get(report.waybill)
        applied_at = None
        if order_id is None:
            outcome = "no parcel of ours has this waybill"
            result.unknown_waybills += 1
        elif not event:
            outcome = "waiting: nobody has said what this status means"
            result.queued += 1
        else:
            outcome = _apply(conn, courier, order_id, report, event)
            _mark_parcel(conn, courier, report, event)
            applied_at = now
            result.applied += 1
        rows.append(
            {
                "courier_id": courier.id,
                "waybill": report.waybill,
                "raw_status": report.status[:64],
                "event": event,
                "reason": report.reason[:255],
                "happened_at": report.at,
                "source": source,
                "outcome": outcome[:255],
                "received_at": now,
                "applied_at": applied_at,
            }
        )
    insert_rows(conn, CourierStatusEvent, rows)
    return result


def map_status(conn: Connection, courier: CourierTerms, word: str, event: str) -> int:
    """A person says what the courier's status word means: it joins the map, and the events that
    waited for it are applied in the order they happened. Returns how many were applied."""
    if event not in EVENTS:
        raise InvalidInput(f"{event!r} is not an event", [FieldError("event", "one of " + ", ".join(EVENTS))])
    courier = set_status_meaning(conn, courier, word, event)
    key = status_key(word)
    waiting = conn.execute(
        select(
            CourierStatusEvent.id,
            CourierStatusEvent.waybill,
            CourierStatusEvent.raw_status,
            CourierStatusEvent.reason,
            CourierStatusEvent.happened_at,
        )
        .where(CourierStatusEvent.courier_id == courier.id, CourierStatusEvent.event == "")
        .order_by(CourierStatusEvent.happened_at, CourierStatusEvent.id)
    ).all()
    mine = [w for w in waiting if status_key(w.raw_status) == key]
    parcels = _parcels(conn, courier, sorted({w.waybill for w in mine}))
    now = utcnow()
    applied = 0
    for w in mine:
        order_id = parcels.get(w.waybill)
        report = StatusReport(w.waybill, w.raw_status, w.happened_at, w.reason)
        if order_id is None:
            outcome = "no parcel of ours has this waybill"
        else:
            outcome = _apply(conn, courier, order_id, report, event)
            _mark_parcel(conn, courier, report, event)
            applied += 1
        conn.execute(
            update(CourierStatusEvent)
            .where(CourierStatusEvent.id == w.id)
            .values(event=event, outcome=outcome[:255], applied_at=now if order_id is not None else None)
        )
    return applied


def waiting_statuses(
    conn: Connection, courier: CourierTerms
) -> list[tuple[str, int, datetime, datetime, str]]:
    """The status words waiting for a person: (word, events, first seen, last seen, a waybill)."""
    rows = conn.execute(
        select(CourierStatusEvent.raw_status, CourierStatusEvent.happened_at, CourierStatusEvent.waybill)
        .where(CourierStatusEvent.courier_id == courier.id, CourierStatusEvent.event == "")
        .order_by(CourierStatusEvent.happened_at)
    ).all()
    words: dict[str, list[Any]] = {}
    for word, at, waybill in rows:
        entry = words.setdefault(status_key(word), [word, 0, at, at, waybill])
        entry[1] += 1
        entry[3] = at
    return [(w[0], w[1], w[2], w[3], w[4]) for w in words.values()]


def read_status_file(
    data: bytes, courier: CourierTerms, now: datetime
) -> tuple[list[StatusReport], list[tuple[int, dict[str, Any], str]]]:
    """A courier's status CSV/XLSX under its `status_columns`: the reports and the rejected rows."""
    table = read_table(data, courier.status_columns, STATUS_FIELDS)
    reports: list[StatusReport] = []
    rejects: list[tuple[int, dict[str, Any], str]] = []
    for line, cells in table.rows:
        row = table.fields(cells)
        waybill, status = text_of(row.get("waybill")), text_of(row.get("status"))
        try:
            if not waybill or not status:
                raise ValueError("no waybill" if not waybill else "no status")
            if len(waybill) > 64 or len(status) > 64:
                raise ValueError("waybill or status longer than 64 characters")
            at = when(row.get("at"), now)
        except ValueError as exc:
            rejects.append((line, raw(row), str(exc)))
            continue
        reports.append(StatusReport(waybill, status, at, text_of(row.get("reason"))[:255]))
    return reports, rejects


def keep_rejects(
    conn: Connection, courier_id: Any, source: str, rejects: Sequence[tuple[int, dict[str, Any], str]]
) -> None:
    """Input from a courier that was refused, kept with its reason (never dropped)."""
    now = utcnow()
    insert_rows(
        conn,
        CourierReject,
        [
            {
                "courier_id": courier_id,
                "batch_id": None,
                "source": source,
                "row_no": line,
                "raw": row,
                "reason": reason[:500],
                "created_at": now,
            }
            for line, row, reason in rejects
        ],
    )


def import_statuses(
    conn: Connection,
    courier: CourierTerms,
    reports: Sequence[StatusReport],
    rejects: Sequence[tuple[int, dict[str, Any], str]],
) -> StatusResult:
    """A status file: its readable rows recorded, its unreadable ones kept."""
    keep_rejects(conn, courier.id, "status_csv", rejects)
    result = record_statuses(conn, courier, reports, "csv")
    result.rejected = len(rejects)
    return result
