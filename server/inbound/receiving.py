"""Receiving against a shipment: units counted in, variances, the supervisor's decisions, closing.

One writer, `record_receipt`, whichever path brought the fact: a phone's stock.received op whose
ref is the shipment's code (server/sync_api/effects.py) or a receipt at the console. The stock itself
moves through the stock ledger's writer in the same transaction (the op's own stock effect, or
`post_stock` for the console); this module never writes stock rows.

Variances, each raising an exception for a supervisor:
- over: a line received beyond what the shipment said (one open variance per line, its qty grows);
- unexpected: a SKU the shipment does not carry (one open variance per SKU);
- under: lines short when receiving is declared finished (`finish_receiving`);
- a receipt against a shipment already closed (every line settled) does not reopen it: its units
  are an unexpected variance.
Decisions: accept (keep the units / accept the shortfall), reject (an excess or unexpected unit is
taken back out of stock; a shortfall stays owed and the line stays open), return_to_supplier (an
excess or unexpected unit leaves stock back to the supplier). A line is settled when it has no open
variance and either received what was expected or had its variance decided (except a rejected
shortfall); the shipment closes when every line is settled and no variance is open.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.catalog.models import Sku
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.raising import exception_row, raise_exceptions
from server.exceptions.schemas import ResolveIn
from server.exceptions.services import resolve
from server.inbound.entities import publish
from server.inbound.models import InboundReceipt, InboundShipment, InboundVariance, ShipmentLine
from server.inbound.plans import shipment_by_code
from server.inbound.schemas import DecisionIn, ShipmentReceiptIn
from server.inventory.ledger import Movement
from server.inventory.models import Bin
from server.inventory.stock import post_stock

KIND = "inbound_variance"


def record_receipt(
    conn: Connection,
    shipment_id: uuid.UUID,
    sku_id: uuid.UUID,
    bin_id: uuid.UUID | None,
    qty: int,
    source_key: str,
    actor: str,
    now: datetime,
) -> list[str]:
    """Count `qty` units of a SKU in against the shipment. Returns the variance kinds it opened or
    grew ([] when the units were expected). A source key seen before changes nothing."""
    # The shipment's row lock first: receipts of one shipment are written one at a time, so the
    # seen-key check below cannot race a second delivery of the same receipt.
    head = conn.execute(
        select(InboundShipment.status, InboundShipment.code, InboundShipment.warehouse_id)
        .where(InboundShipment.id == shipment_id)
        .with_for_update()
    ).one()
    if conn.execute(select(InboundReceipt.id).where(InboundReceipt.source_key == source_key)).first():
        return []
    status, code, wh = head
    lines = conn.execute(
        select(ShipmentLine.id, ShipmentLine.expected_qty, ShipmentLine.received_qty)
        .where(ShipmentLine.shipment_id == shipment_id, ShipmentLine.sku_id == sku_id)
        .order_by(ShipmentLine.id)
    ).all()
    if status == "closed":
        lines = []  # a closed shipment takes no more: what still arrives is unexpected
    kinds: list[str] = []
    # Fill the SKU's lines in order; what is beyond all of them lands on the last one.
    left = qty
    first_line: uuid.UUID | None = None
    reached = False  # a line got all it expected: the shipment may now close
    for i, (line_id, expected, received) in enumerate(lines):
        take = left if i == len(lines) - 1 else min(left, max(expected - received, 0))
        if take <= 0:
            continue
        first_line = first_line or line_id
        conn.execute(
            update(ShipmentLine)
            .where(ShipmentLine.id == line_id)
            .values(received_qty=ShipmentLine.received_qty + take)
        )
        left -= take
        reached = reached or received + take >= expected
        if received + take > expected:
            _open_variance(conn, shipment_id, code, wh, line_id, sku_id, bin_id, "over", now)
            kinds.append("over")
    if not lines:
        _open_variance(conn, shipment_id, code, wh, None, sku_id, bin_id, "unexpected", now, add=qty)
        kinds.append("unexpected")
    conn.execute(
        insert(InboundReceipt).values(
            id=uuid.uuid4(),
            shipment_id=shipment_id,
            line_id=first_line if lines else None,
            sku_id=sku_id,
            bin_id=bin_id,
            qty=qty,
            source_key=source_key[:80],
            received_by=actor[:64],
            received_at=now,
        )
    )
    if status not in ("closed", "receiving"):
        conn.execute(
            update(InboundShipment).where(InboundShipment.id == shipment_id).values(status="receiving")
        )
    if reached or kinds:
        settle(conn, shipment_id, now)
    else:  # part of a line: nothing can settle, only the phones' counts move
        publish(conn, shipment_id)
    return kinds


def _open_variance(
    conn: Connection,
    shipment_id: uuid.UUID,
    code: str,
    wh: uuid.UUID,
    line_id: uuid.UUID | None,
    sku_id: uuid.UUID,
    bin_id: uuid.UUID | None,
    kind: str,
    now: datetime,
    add: int = 0,
) -> None:
    """Open the variance, or grow the open one; the exception is raised once, when it opens."""
    if kind == "unexpected":
        where = (InboundVariance.line_id.is_(None), InboundVariance.sku_id == sku_id)
    else:
        where = (InboundVariance.line_id == line_id,)
    qty = _excess(conn, line_id) if kind == "over" else None  # an over variance is what is over now
    open_row = conn.execute(
        select(InboundVariance.id, InboundVariance.qty).where(
            InboundVariance.shipment_id == shipment_id,
            InboundVariance.kind == kind,
            InboundVariance.status == "open",
            *where,
        )
    ).first()
    if open_row is not None:
        new_qty = open_row[1] + add if qty is None else qty
        values: dict[str, object] = {"qty": new_qty}
        if bin_id is not None:
            values["bin_id"] = bin_id
        conn.execute(update(InboundVariance).where(InboundVariance.id == open_row[0]).values(**values))
        return
    new_qty = add if qty is None else qty
    if new_qty <= 0:
        return
    sku = conn.execute(select(Sku.code).where(Sku.id == sku_id)).scalar_one()
    vid = uuid.uuid4()
    words = {
        "over": f"{new_qty} more {sku} than expected",
        "unexpected": f"{new_qty} of {sku}, which the shipment does not carry",
        "under": f"{new_qty} {sku} short",
    }[kind]
    exception = exception_row(
        KIND,
        f"shipment {code}: {words}. Decide: accept, reject or return to supplier",
        now=now,
        sku_id=sku_id,
        warehouse_id=wh,
        details={"shipment": code, "variance": str(vid), "kind": kind, "sku": sku},
    )
    raise_exceptions(conn, [exception])
    conn.execute(
        insert(InboundVariance).values(
            id=vid,
            shipment_id=shipment_id,
            line_id=line_id,
            sku_id=sku_id,
            bin_id=bin_id,
            kind=kind,
            qty=new_qty,
            status="open",
            exception_id=exception["id"],
            note="",
            created_at=now,
        )
    )


def _excess(conn: Connection, line_id: uuid.UUID | None) -> int:
    """Units over on the line not yet covered by a decided over-variance."""
    expected, received = conn.execute(
        select(ShipmentLine.expected_qty, ShipmentLine.received_qty).where(ShipmentLine.id == line_id)
    ).one()
    decided = conn.execute(
        select(func.coalesce(func.sum(InboundVariance.qty), 0)).where(
            InboundVariance.line_id == line_id,
            InboundVariance.kind == "over",
            InboundVariance.status != "open",
        )
    ).scalar_one()
    return int(received) - int(expected) - int(decided)


def settle(conn: Connection, shipment_id: uuid.UUID, now: datetime) -> bool:
    """Mark lines settled; close the shipment when all are and nothing is open. True when closed.

    A line is settled when no variance on it is open and it received at least what was expected
    (any excess was decided when its variance closed) or its shortfall was accepted."""
    variances = conn.execute(
        select(InboundVariance.line_id, InboundVariance.kind, InboundVariance.status).where(
            InboundVariance.shipment_id == shipment_id
        )
    ).all()
    open_lines = {v[0] for v in variances if v[2] == "open"}
    short_accepted = {v[0] for v in variances if v[1] == "under" and v[2] == "accept"}
    lines = conn.execute(
        select(
            ShipmentLine.id, ShipmentLine.expected_qty, ShipmentLine.received_qty, ShipmentLine.settled
        ).where(ShipmentLine.shipment_id == shipment_id)
    ).all()
    all_settled = True
    for line_id, expected, received, was in lines:
        settled = line_id not in open_lines and (received >= expected or line_id in short_accepted)
        if settled != bool(was):
            conn.execute(update(ShipmentLine).where(ShipmentLine.id == line_id).values(settled=settled))
        all_settled = all_settled and settled
    closing = all_settled and not open_lines and bool(lines)
    status = conn.execute(
        select(InboundShipment.status).where(InboundShipment.id == shipment_id)
    ).scalar_one()
    if closing and status != "closed":
        conn.execute(
            update(InboundShipment)
            .where(InboundShipment.id == shipment_id)
            .values(status="closed", closed_at=now)
        )
    publish(conn, shipment_id)
    return closing


def receive_at_console(
    conn: Connection, code: str, data: ShipmentReceiptIn, actor: str, now: datetime
) -> list[str]:
    """A receipt typed at the console: stock through the ledger's writer, then the same receipt
    writer as the phone's op."""
    ship = shipment_by_code(conn, code, lock=True)
    bin_id = conn.execute(
        select(Bin.id).where(Bin.warehouse_id == ship.warehouse_id, Bin.code == data.bin)
    ).scalar()
    if bin_id is None:
        raise InvalidInput(
            "unknown bin", [FieldError("bin", f"no bin {data.bin!r} in the shipment's warehouse")]
        )
    codes = {ln.sku for ln in data.lines}
    skus = dict(
        conn.execute(select(Sku.code, Sku.id).where(Sku.code.in_(codes), Sku.is_bundle.is_(False))).all()
    )
    errors = [
        FieldError(f"lines[{i}].sku", f"unknown SKU {ln.sku!r}")
        for i, ln in enumerate(data.lines)
        if ln.sku not in skus
    ]
    if len(codes) != len(data.lines):
        errors.append(FieldError("lines", "one line per SKU"))
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    if conn.execute(
        select(InboundReceipt.id).where(InboundReceipt.source_key.like(f"console:{data.key}:%"))
    ).first():
        return []  # this receipt was recorded already
    post_stock(
        conn,
        [
            Movement(
                skus[ln.sku],
                ship.warehouse_id,
                "receive",
                ln.qty,
                reason="received",
                ref_type="inbound",
                ref_id=code,
                actor=actor[:64],
                bin_id=bin_id,
            )
            for ln in data.lines
        ],
    )
    kinds: list[str] = []
    for ln in data.lines:
        kinds += record_receipt(
            conn, ship.id, skus[ln.sku], bin_id, ln.qty, f"console:{data.key}:{ln.sku}", actor, now
        )
    return kinds


def finish_receiving(conn: Connection, code: str, now: datetime) -> list[str]:
    """The receiver says nothing more is coming off this shipment: short lines become variances."""
    ship = shipment_by_code(conn, code, lock=True)
    if ship.status == "closed":
        raise Conflict(f"shipment {code} is closed", [FieldError("code", "already closed")])
    short = conn.execute(
        select(ShipmentLine.id, ShipmentLine.sku_id).where(
            ShipmentLine.shipment_id == ship.id, ShipmentLine.received_qty < ShipmentLine.expected_qty
        )
    ).all()
    for line_id, sku_id in short:
        if conn.execute(
            select(InboundVariance.id).where(
                InboundVariance.line_id == line_id,
                InboundVariance.kind == "under",
                InboundVariance.status.in_(("open", "accept")),
            )
        ).first():
            continue
        expected, received = conn.execute(
            select(ShipmentLine.expected_qty, ShipmentLine.received_qty).where(ShipmentLine.id == line_id)
        ).one()
        _open_variance(
            conn,
            ship.id,
            code,
            ship.warehouse_id,
            line_id,
            sku_id,
            None,
            "under",
            now,
            add=expected - received,
        )
    settle(conn, ship.id, now)
    return [str(line_id) for line_id, _ in short]


def decide_variance(
    conn: Connection, variance_id: uuid.UUID, data: DecisionIn, actor: str, now: datetime
) -> bool:
    """A supervisor's decision on a variance: written once, audited, its exception resolved, any
    units sent back out through the stock ledger's writer. True when it closed the shipment."""
    row = conn.execute(
        select(
            InboundVariance.shipment_id,
            InboundVariance.kind,
            InboundVariance.status,
            InboundVariance.qty,
            InboundVariance.sku_id,
            InboundVariance.bin_id,
            InboundVariance.exception_id,
        )
        .where(InboundVariance.id == variance_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no variance {variance_id}", [FieldError("variance_id", "unknown")])
    shipment_id, kind, status, qty, sku_id, bin_id, exception_id = row
    if status != "open":
        raise Conflict("this variance is already decided", [FieldError("decision", f"already {status}")])
    if kind == "under" and data.decision == "return_to_supplier":
        raise InvalidInput(
            "nothing to return", [FieldError("decision", "a shortfall is accepted or rejected")]
        )
    code, wh = conn.execute(
        select(InboundShipment.code, InboundShipment.warehouse_id).where(InboundShipment.id == shipment_id)
    ).one()
    if kind != "under" and data.decision != "accept":
        reason = "returned to supplier" if data.decision == "return_to_supplier" else "receipt rejected"
        post_stock(
            conn,
            [
                Movement(
                    sku_id,
                    wh,
                    "adjust",
                    -qty,
                    reason=reason,
                    ref_type="inbound",
                    ref_id=code,
                    actor=actor[:64],
                    bin_id=bin_id,
                )
            ],
        )
    conn.execute(
        update(InboundVariance)
        .where(InboundVariance.id == variance_id)
        .values(status=data.decision, note=data.note, decided_by=actor[:64], decided_at=now)
    )
    conn.execute(
        insert(AuditEntry).values(
            action="inbound.variance_decided",
            actor=actor[:64],
            details={"variance": str(variance_id), "shipment": code, "kind": kind, "qty": qty}
            | {"decision": data.decision, "note": data.note},
            at=now,
        )
    )
    if exception_id is not None:
        with contextlib.suppress(Conflict):  # resolved by hand already: the decision still stands
            resolve(conn, exception_id, ResolveIn(f"{data.decision}: {data.note}"[:500]), actor)
    return settle(conn, shipment_id, now)
