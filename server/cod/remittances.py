"""Remittances: cash a rider hands in, as the cashier or supervisor counted it, matched to the
rider's collections first in, first out. The one writer of remittance rows; the cash itself moves
through the cash ledger (cash.py) as the op `remittance.handed_in` (R12) moves it.

Matching: the rider's cash in hand before the remittance is made of their latest collections
(`held_collections`); the amount handed in pays off the oldest of them first. What it does not
cover is the shortage, named stop by stop in a `remittance_short` exception. More than the rider
holds is R12's `remittance_exceeds_cash` (a collection may not have synced yet).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.cod.cash import Held
from server.cod.models import Remittance
from server.db.bulk import insert_rows
from server.errors import FieldError, InvalidInput
from server.exceptions.raising import exception_row, raise_exceptions
from server.money import format_pesos as pesos
from server.orders.models import Order

# Philippine notes and coins, in centavos (the 1,000 down to 1 peso, and 25 centavos).
DENOMINATIONS = (100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 100, 25)


def check_denominations(amount: int, counted: Mapping[str, int]) -> None:
    """A count by denomination ({"1000": 3, "500": 1}, pesos as keys) must add up to the amount."""
    errors: list[FieldError] = []
    total = 0
    for key, n in counted.items():
        try:
            value = round(float(key) * 100)
        except ValueError:
            value = -1
        if value not in DENOMINATIONS:
            errors.append(FieldError(f"denominations.{key}", "not a Philippine note or coin"))
        elif n < 0:
            errors.append(FieldError(f"denominations.{key}", "a count is 0 or more"))
        else:
            total += value * n
    if not errors and counted and total != amount:
        errors.append(FieldError("denominations", f"they add up to {pesos(total)}, not {pesos(amount)}"))
    if errors:
        raise InvalidInput("the count by denomination does not add up", errors)


def match_fifo(held: list[Held], amount: int) -> tuple[list[dict[str, Any]], list[Held]]:
    """Pay off the oldest collections first; returns the matched lines and the ones left short
    (the partly covered one with what is still missing of it)."""
    matched: list[dict[str, Any]] = []
    short: list[Held] = []
    left = amount
    for h in held:
        covered = min(h.amount, max(left, 0))
        left -= covered
        matched.append(
            {"order": h.order_ref, "held": h.amount, "covered": covered, "collected_at": h.at.isoformat()}
        )
        if covered < h.amount:
            short.append(Held(h.order_ref, h.amount - covered, h.collected, h.at))
    return matched, short


def record_remittance(
    conn: Connection,
    *,
    holder: str,
    received_by: str,
    amount: int,
    expected: int,
    held: list[Held],
    denominations: Mapping[str, int],
    ref: str,
    final: bool,
    actor: str,
    now: datetime,
) -> tuple[uuid.UUID, int, list[str]]:
    """Record a counted remittance against what the rider held (`expected`, made of `held`);
    raise `remittance_short` naming the stops it leaves unpaid when it closes the rider's day
    (`final`). Returns its id, the shortage (negative: over) and the kinds raised."""
    matched, short = match_fifo(held, amount)
    rid = uuid.uuid4()
    insert_rows(
        conn,
        Remittance,
        [
            {
                "id": rid,
                "holder": holder[:64],
                "received_by": received_by[:64],
                "amount": amount,
                "expected": expected,
                "denominations": dict(denominations),
                "matched": matched,
                "ref": ref[:64],
                "created_by": actor[:64],
                "created_at": now,
            }
        ],
    )
    shortage = expected - amount
    kinds: list[str] = []
    if final and shortage > 0:
        names = _external_ids(conn, [s.order_ref for s in short])
        stops = ", ".join(
            f"{names.get(s.order_ref, s.order_ref or 'no order')} {pesos(s.amount)}" for s in short
        )
        flag = exception_row(
            "remittance_short",
            f"{holder} handed in {pesos(amount)} of {pesos(expected)} in hand: {pesos(shortage)} short; "
            f"unpaid stops: {stops}"[:500],
            now=now,
            details={
                "holder": holder,
                "remittance": str(rid),
                "shortage": shortage,
                "stops": [[s.order_ref, s.amount] for s in short],
                "by": actor,
            },
        )
        raise_exceptions(conn, [flag])
        kinds.append("remittance_short")
    return rid, shortage, kinds


def _external_ids(conn: Connection, refs: list[str]) -> dict[str, str]:
    ids: list[uuid.UUID] = []
    for ref in refs:
        try:
            ids.append(uuid.UUID(ref))
        except ValueError:
            continue
    if not ids:
        return {}
    return {
        str(i): e for i, e in conn.execute(select(Order.id, Order.external_id).where(Order.id.in_(ids))).all()
    }
