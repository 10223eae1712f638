"""COD KPIs against a hand-computed fixture: orders with a known history, cash entries at known
times. Both databases. The figures in the comments are worked out by hand from the rows below."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from server.cod.models import CashBalance, CashLedgerEntry
from server.db.base import utcnow
from server.orders.models import Order, OrderStatusChange
from tests.cod.home import RIDER, Home
from tests.kit.sync import connect, put_on_run

MANILA = 8  # hours ahead of UTC


def manila(day: int, hour: int) -> datetime:
    """December 2026, Manila time, as UTC."""
    return datetime(2026, 12, day, hour, tzinfo=UTC) - timedelta(hours=MANILA)


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


@pytest.fixture
def fixture(home: Home) -> dict[str, str]:
    """O1..O9 (ids by name). COD amounts in centavos; history and cash at known times."""
    ids = {name: home.order(name) for name in ("O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8", "O9")}
    cod = {"O1": 50_000, "O2": 30_000, "O3": 10_000, "O4": 0, "O5": 40_000, "O6": 20_000, "O7": 25_000}
    history = [  # (order, to, when)
        ("O1", "shipped", manila(1, 8)),
        ("O1", "delivered", manila(1, 10)),
        ("O2", "shipped", manila(1, 8)),
        ("O2", "delivered", manila(1, 11)),
        ("O3", "shipped", manila(1, 8)),
        ("O3", "delivered", manila(2, 9)),
        ("O4", "shipped", manila(1, 8)),  # prepaid
        ("O4", "delivered", manila(1, 15)),
        ("O5", "shipped", manila(24, 8) - timedelta(days=30)),  # November: outside the period
        ("O5", "delivered", manila(25, 8) - timedelta(days=30)),
        ("O6", "shipped", manila(1, 8)),
        ("O6", "failed_delivery", manila(1, 14)),
        ("O6", "return_to_sender", manila(3, 9)),
        ("O7", "shipped", manila(2, 8)),
        ("O7", "return_to_sender", manila(4, 9)),
    ]
    now = utcnow()
    cash = [  # (order, amount, when): O1 in full, O2 short by 10,000, O3 nothing; remitted 70,000
        ("O1", 50_000, "collected", manila(1, 12)),
        ("O2", 20_000, "collected", manila(1, 13)),
        ("", -70_000, "remitted", manila(2, 18)),
        ("O8", 15_000, "collected", now - timedelta(days=2)),
        ("O9", 10_000, "collected", now - timedelta(days=1)),
    ]
    with connect(home.url) as conn:
        for name, amount in cod.items():
            values: dict[str, Any] = {"cod_amount": amount}
            if name == "O4":
                values["payment_method"] = "prepaid"
            if name == "O7":
                values.update(channel="lazada", province="Cebu")
            conn.execute(update(Order).where(Order.id == uuid.UUID(ids[name])).values(**values))
        conn.execute(
            insert(OrderStatusChange),
            [
                {
                    "order_id": uuid.UUID(ids[o]),
                    "from_status": None,
                    "to_status": to,
                    "actor": "t",
                    "at": at,
                    "reason": "handed over to JNT" if (o, to) == ("O7", "shipped") else "test",
                }
                for o, to, at in history
            ],
        )
        conn.execute(
            insert(CashLedgerEntry),
            [
                {
                    "holder": RIDER,
                    "amount": amount,
                    "kind": kind,
                    "order_ref": ids[o] if o else "",
                    "created_at": at,
                }
                for o, amount, kind, at in cash
            ],
        )
        conn.execute(insert(CashBalance).values(holder=RIDER, amount=25_000, updated_at=now))
        put_on_run(conn, RIDER, [uuid.UUID(ids[o]) for o in ("O1", "O2", "O3", "O6")])
        conn.commit()
    return ids


PERIOD = "start=2026-12-01&end=2026-12-02"


def test_cod_collection_rate(home: Home, fixture: dict[str, str]) -> None:
    # Delivered in the period, COD: O1 (50,000), O2 (30,000), O3 (10,000); O4 is prepaid, O5 in
    # November. Collected up to what was due: 50,000 + 20,000 + 0 = 70,000 of 90,000.
    got = home.rest("GET", f"/api/v1/cod/kpis/collection-rate?{PERIOD}")
    assert got == {
        "start": "2026-12-01",
        "end": "2026-12-02",
        "delivered_orders": 3,
        "fully_collected_orders": 1,
        "due": 90_000,
        "collected": 70_000,
        "rate": 0.7778,
    }
    # One day: O1 and O2 only (O3 was delivered on the 2nd, Manila time).
    one = home.rest("GET", "/api/v1/cod/kpis/collection-rate?start=2026-12-01&end=2026-12-01")
    assert (one["due"], one["collected"], one["rate"]) == (80_000, 70_000, 0.875)


def test_rts_rate_by_channel_courier_and_province(home: Home, fixture: dict[str, str]) -> None:
    # Shipped in the period: O1, O2, O3, O4, O6, O7 (6); back to sender: O6, O7 (2).
    by = {
        d: home.rest("GET", f"/api/v1/cod/kpis/rts-rate?by={d}&{PERIOD}")
        for d in ("channel", "courier", "province")
    }
    for got in by.values():
        assert (got["shipped"], got["rts"], got["rate"]) == (6, 2, 0.3333)
    groups = {
        d: [(g["key"], g["shipped"], g["rts"], g["rate"]) for g in got["groups"]] for d, got in by.items()
    }
    assert groups["channel"] == [("lazada", 1, 1, 1.0), ("shopee", 5, 1, 0.2)]
    assert groups["province"] == [("Cebu", 1, 1, 1.0), ("Metro Manila", 5, 1, 0.2)]
    # O1, O2, O3, O6 went out on our riders' run; O7 to J&T; O4's carrier is not recorded.
    assert groups["courier"] == [("JNT", 1, 1, 1.0), ("own_riders", 4, 1, 0.25), ("unknown", 1, 0, 0.0)]
    home.rest("GET", "/api/v1/cod/kpis/rts-rate?by=colour", ok=422)


def test_days_from_delivery_to_remittance(home: Home, fixture: dict[str, str]) -> None:
    # The 70,000 handed in on the 2nd at 18:00 paid O1's 50,000 (delivered the 1st 10:00: 32 h)
    # and O2's 20,000 (delivered the 1st 11:00: 31 h), first in first out.
    got = home.rest("GET", f"/api/v1/cod/kpis/remittance-days?{PERIOD}")
    assert got == {
        "start": "2026-12-01",
        "end": "2026-12-02",
        "collections": 2,
        "mean_days": round((32 + 31) / 2 / 24, 3),
        "median_days": round((32 + 31) / 2 / 24, 3),
        "max_days": round(32 / 24, 3),
    }


def test_rider_cash_held_and_its_age(home: Home, fixture: dict[str, str]) -> None:
    # Left in hand: O8's 15,000 (2 days old) and O9's 10,000 (1 day): oldest 2 days, weighted
    # (15,000 x 2 + 10,000 x 1) / 25,000 = 1.6 days.
    got = home.rest("GET", "/api/v1/cod/kpis/rider-cash")
    [rider] = got["riders"]
    assert (rider["holder"], rider["amount"], got["total"]) == (RIDER, 25_000, 25_000)
    assert 1.999 < rider["oldest_days"] < 2.001
    assert 1.599 < rider["weighted_days"] < 1.601
    home.rest("GET", "/api/v1/cod/kpis/rider-cash", role="warehouse", ok=403)
    bad = home.rest("GET", "/api/v1/cod/kpis/collection-rate?start=2026-12-05&end=2026-12-01", ok=422)
    assert bad["errors"][0]["field"] == "start"


def test_cod_receivables_by_courier_and_rider_with_ageing(home: Home, fixture: dict[str, str]) -> None:
    from server.couriers.models import Courier, CourierParcel, RemittanceBatch, RemittanceRow

    now = utcnow()
    with connect(home.url) as conn:
        jnt, flash, batch = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        conn.execute(
            insert(Courier),
            [{"id": jnt, "code": "jnt", "name": "J&T"}, {"id": flash, "code": "flash", "name": "Flash"}],
        )
        parcels = [  # (courier, order, waybill, status, delivered days ago)
            (jnt, "O1", "JT-1", "delivered", 40),  # 50,000: over 30 days
            (jnt, "O2", "JT-2", "delivered", 10),  # 30,000: 8-14 days
            (jnt, "O3", "JT-3", "delivered", 3),  # 10,000 but remitted: not owed
            (flash, "O4", "FL-4", "delivered", 2),  # prepaid: nothing owed
            (flash, "O6", "FL-6", "failed", None),  # 20,000 not delivered: not owed
            (flash, "O7", "FL-7", "delivered", 20),  # 25,000: 15-30 days
        ]
        conn.execute(
            insert(CourierParcel),
            [
                {
                    "courier_id": c,
                    "waybill": w,
                    "order_id": uuid.UUID(fixture[o]),
                    "status": st,
                    "delivered_at": now - timedelta(days=d) if d is not None else None,
                    "attached_at": now,
                }
                for c, o, w, st, d in parcels
            ],
        )
        conn.execute(insert(RemittanceBatch).values(id=batch, courier_id=jnt, file_sha256="x" * 64))
        conn.execute(
            insert(RemittanceRow).values(
                batch_id=batch,
                courier_id=jnt,
                waybill="JT-3",
                row_no=1,
                collected=10_000,
                fee=0,
                allowed_fee=0,
                remitted=10_000,
            )
        )
        conn.commit()
    got = home.rest("GET", "/api/v1/cod/kpis/receivables")
    couriers = {c["holder"]: c for c in got["couriers"]}
    assert set(couriers) == {"flash", "jnt"}
    assert (couriers["jnt"]["amount"], couriers["jnt"]["parcels"]) == (80_000, 2)
    assert couriers["jnt"]["ageing"] == {
        "days_0_7": 0,
        "days_8_14": 30_000,
        "days_15_30": 0,
        "over_30": 50_000,
    }
    assert 39.99 < couriers["jnt"]["oldest_days"] < 40.01
    assert (couriers["flash"]["amount"], couriers["flash"]["ageing"]["days_15_30"]) == (25_000, 25_000)
    [rider] = got["riders"]  # O8's 15,000 (2 days) and O9's 10,000 (1 day) still in hand
    assert (rider["holder"], rider["amount"], rider["parcels"]) == (RIDER, 25_000, 2)
    assert rider["ageing"]["days_0_7"] == 25_000
    assert got["total"] == 80_000 + 25_000 + 25_000
    home.rest("GET", "/api/v1/cod/kpis/receivables", role="warehouse", ok=403)
