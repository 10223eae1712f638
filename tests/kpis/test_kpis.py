"""Every KPI against a hand-computed fixture, both databases. Two business days in Manila,
D1 = 2026-11-10 and D2 = 2026-11-11; orders A..E with known times (hand figures in comments).

    order  channel  placed    ship-by   shipped   delivered  rts       COD (due / collected)
    A      shopee   D1 09:00  D1 15:00  D1 14:00  D2 10:00             50,000 / 50,000
    B      shopee   D1 10:00  D1 15:00  D1 16:00  D2 12:00             30,000 / 20,000
    C      lazada   D1 11:00  D1 17:00  cancelled, never shipped
    D      lazada   D1 12:00  D2 15:00  D2 09:00             D2 18:00  prepaid
    E      shopee   D2 08:00  D2 15:00  not shipped (allocated)

Exceptions: B raised D1 17:00 resolved D2 11:00 (18 h); E raised D2 16:00 resolved D2 20:00 (4 h);
C raised D1 18:00, open. Bin counts on D1: three, one of which produced a -2 count adjustment.
Rider cash: rider1 collected A's 50,000 (D2 11:00) and B's 20,000 (D2 13:00), handed in 50,000:
B's 20,000 (collected D2 13:00) is what it still holds."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from server.catalog.models import Sku
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.base import utcnow
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, BinCount, StockMovement, Warehouse
from server.kpis.compute import manila_day
from server.kpis.rollup import roll_up
from server.orders.models import Order, OrderStatusChange
from tests.cod.home import Home
from tests.conftest import auth
from tests.kit.sync import connect


def d(day: int, hour: int) -> datetime:
    """November 2026 (D1 = 10, D2 = 11), Manila time, as UTC."""
    return datetime(2026, 11, day, hour, tzinfo=UTC) - timedelta(hours=8)


D1, D2 = 10, 11
HELD_AT = d(D2, 13)


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


@pytest.fixture
def fixture(home: Home) -> dict[str, uuid.UUID]:
    ids = {n: uuid.UUID(home.order(f"KPI-{n}")) for n in "ABCDE"}
    orders = {  # name: (channel, placed, ship_by, status, cod)
        "A": ("shopee", d(D1, 9), d(D1, 15), "delivered", 50_000),
        "B": ("shopee", d(D1, 10), d(D1, 15), "delivered", 30_000),
        "C": ("lazada", d(D1, 11), d(D1, 17), "cancelled", 10_000),
        "D": ("lazada", d(D1, 12), d(D2, 15), "return_to_sender", 0),
        "E": ("shopee", d(D2, 8), d(D2, 15), "allocated", 40_000),
    }
    history = [
        ("A", "shipped", d(D1, 14)),
        ("A", "delivered", d(D2, 10)),
        ("B", "shipped", d(D1, 16)),
        ("B", "delivered", d(D2, 12)),
        ("C", "cancelled", d(D1, 13)),
        ("D", "shipped", d(D2, 9)),
        ("D", "return_to_sender", d(D2, 18)),
    ]
    with connect(home.url) as conn:
        wid = conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()
        conn.execute(delete(ExceptionRecord))
        for name, (channel, placed, ship_by, status, cod) in orders.items():
            conn.execute(
                update(Order)
                .where(Order.id == ids[name])
                .values(
                    channel=channel,
                    placed_at=placed,
                    ship_by=ship_by,
                    status=status,
                    cod_amount=cod,
                    payment_method="prepaid" if name == "D" else "cod",
                    warehouse_id=wid,
                )
            )
        conn.execute(
            insert(OrderStatusChange),
            [
                {
                    "order_id": ids[o],
                    "from_status": "x",
                    "to_status": s,
                    "actor": "t",
                    "reason": "t",
                    "at": at,
                }
                for o, s, at in history
            ],
        )
        conn.execute(
            insert(ExceptionRecord),
            [
                {
                    "id": uuid.uuid4(),
                    "kind": "t",
                    "status": "resolved",
                    "message": "t",
                    "order_id": ids["B"],
                    "details": {},
                    "created_at": d(D1, 17),
                    "resolved_at": d(D2, 11),
                },
                {
                    "id": uuid.uuid4(),
                    "kind": "t",
                    "status": "resolved",
                    "message": "t",
                    "order_id": ids["E"],
                    "details": {},
                    "created_at": d(D2, 16),
                    "resolved_at": d(D2, 20),
                },
                {
                    "id": uuid.uuid4(),
                    "kind": "t",
                    "status": "open",
                    "message": "t",
                    "order_id": ids["C"],
                    "details": {},
                    "created_at": d(D1, 18),
                    "resolved_at": None,
                },
            ],
        )
        bin_id = uuid.uuid4()
        conn.execute(insert(Bin).values(id=bin_id, warehouse_id=wid, code="KPI-BIN"))
        sku_ids = list(conn.execute(select(Sku.id).order_by(Sku.code).limit(3)).scalars())
        ops = [uuid.uuid4() for _ in sku_ids]
        conn.execute(
            insert(BinCount),
            [
                {
                    "bin_id": bin_id,
                    "sku_id": s,
                    "counted_at": f"c{i}",
                    "counted": 5,
                    "op_id": op,
                    "updated_at": d(D1, 10),
                }
                for i, (s, op) in enumerate(zip(sku_ids, ops, strict=True))
            ],
        )
        conn.execute(
            insert(StockMovement).values(
                sku_id=sku_ids[0],
                warehouse_id=wid,
                bin_id=bin_id,
                kind="count",
                qty=-2,
                reason="count",
                ref_type="op",
                ref_id=str(ops[0]),
                actor="t",
                created_at=d(D1, 10),
                at="x",
            )
        )
        conn.execute(
            insert(CashLedgerEntry),
            [
                {
                    "holder": "rider1",
                    "amount": 50_000,
                    "kind": "collected",
                    "order_ref": str(ids["A"]),
                    "ref": "",
                    "created_at": d(D2, 11),
                },
                {
                    "holder": "rider1",
                    "amount": 20_000,
                    "kind": "collected",
                    "order_ref": str(ids["B"]),
                    "ref": "",
                    "created_at": HELD_AT,
                },
                {
                    "holder": "rider1",
                    "amount": -50_000,
                    "kind": "remitted",
                    "order_ref": "",
                    "ref": "R1",
                    "created_at": d(D2, 19),
                },
            ],
        )
        conn.execute(delete(CashBalance).where(CashBalance.holder == "rider1"))
        conn.execute(insert(CashBalance).values(holder="rider1", amount=20_000, updated_at=utcnow()))
        conn.commit()
    return ids


def kpis(home: Home, by: str, **params: str) -> dict[str, Any]:
    r = home.http.get(
        "/api/v1/kpis",
        params={"from": "2026-11-10", "to": "2026-11-11", "by": by, **params},
        headers=auth(home.tokens["supervisor"]),
    )
    assert r.status_code == 200, r.text
    return {k["key"]: k for k in r.json()["kpis"]}


def series(kpi: dict[str, Any]) -> dict[str, tuple[Any, float, float]]:
    return {p["bucket"]: (p["value"], p["numerator"], p["denominator"]) for p in kpi["series"]}


def test_each_kpi_by_day_matches_the_hand_figures(home: Home, fixture: dict[str, uuid.UUID]) -> None:
    before = utcnow()
    k = kpis(home, "day")
    after = utcnow()
    # SLA: D1 A made, B missed (C cancelled: out); D2 D made, E missed (deadline passed).
    assert series(k["sla"]) == {"2026-11-10": (50.0, 1, 2), "2026-11-11": (50.0, 1, 2)}
    assert k["sla"]["total"] == 50.0
    # COD collection: delivered D2: A 50,000 of 50,000, B 20,000 of 30,000 -> 70,000 / 80,000.
    assert series(k["cod_collection"]) == {"2026-11-10": (None, 0, 0), "2026-11-11": (87.5, 70_000, 80_000)}
    # Inventory accuracy: D1 three counts, one adjusted -> 2 / 3.
    assert series(k["inventory_accuracy"])["2026-11-10"] == (66.67, 2, 3)
    # Exception rate: placed D1 A B C D (B, C had one) -> 2/4; D2 E (had one) -> 1/1; all 3/5.
    assert series(k["exception_rate"]) == {"2026-11-10": (50.0, 2, 4), "2026-11-11": (100.0, 1, 1)}
    assert k["exception_rate"]["total"] == 60.0
    # Time to resolve: resolved D2: B 18 h, E 4 h -> 11 h.
    assert series(k["exception_resolve_hours"])["2026-11-11"] == (11.0, 22.0, 2)
    # Lead time: A 25 h, B 26 h -> 51 h / 2 = 1.0625 days.
    assert series(k["lead_time_days"])["2026-11-11"] == (1.062, 2.125, 2)
    # RTS: shipped D1 A B (none back) -> 0/2; shipped D2 D (back) -> 1/1; all 1/3.
    assert series(k["rts_rate"]) == {"2026-11-10": (0.0, 0, 2), "2026-11-11": (100.0, 1, 1)}
    assert k["rts_rate"]["total"] == 33.33
    # Rider cash: B's 20,000 collected D2 13:00, still held: its age now.
    value, _num, den = series(k["rider_cash_age_days"])["2026-11-11"]
    assert den == 20_000
    low, high = ((t - HELD_AT).total_seconds() / 86_400 for t in (before, after))
    assert low - 0.001 <= value <= high + 0.001
    assert series(k["rider_cash_age_days"])["2026-11-10"] == (None, 0, 0)


def test_by_channel_and_filters_add_up(home: Home, fixture: dict[str, uuid.UUID]) -> None:
    k = kpis(home, "channel")
    # SLA: shopee A made, B missed, E missed -> 1/3; lazada D made -> 1/1.
    assert series(k["sla"]) == {"lazada": (100.0, 1, 1), "shopee": (33.33, 1, 3)}
    assert series(k["rts_rate"]) == {"lazada": (100.0, 1, 1), "shopee": (0.0, 0, 2)}
    assert series(k["inventory_accuracy"]) == {"none": (66.67, 2, 3)}  # counts have no channel
    only = kpis(home, "warehouse", channel="lazada")
    assert series(only["sla"]) == {"VAL": (100.0, 1, 1)}
    assert series(only["exception_rate"]) == {"VAL": (50.0, 1, 2)}  # C had one, D not


def test_rollup_gives_the_same_figures_as_live(home: Home, fixture: dict[str, uuid.UUID]) -> None:
    live = kpis(home, "day")
    with connect(home.url) as conn:
        roll_up(conn, [datetime(2026, 11, 10).date(), datetime(2026, 11, 11).date()], utcnow())
        conn.commit()
    rolled = kpis(home, "day")
    for key in live:
        if key != "rider_cash_age_days":  # read live both times, at two different nows
            assert rolled[key] == live[key], key
    assert manila_day(utcnow()) > datetime(2026, 11, 11).date()


def test_csv_has_the_same_numbers(home: Home, fixture: dict[str, uuid.UUID]) -> None:
    r = home.http.get(
        "/api/v1/kpis.csv",
        params={"from": "2026-11-10", "to": "2026-11-11"},
        headers=auth(home.tokens["admin"]),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {(row["kpi"], row["bucket"]): row for row in csv.DictReader(io.StringIO(r.text))}
    assert rows[("sla", "total")]["value"] == "50.0"
    assert rows[("cod_collection", "2026-11-11")]["numerator"] == "70000.0"


def test_odd_periods_are_answered_not_refused(home: Home) -> None:
    h = auth(home.tokens["admin"])
    r = home.http.get("/api/v1/kpis", params={"from": "2026-11-12", "to": "2026-11-10"}, headers=h)
    assert r.status_code == 200 and all(k["series"] == [] and k["total"] is None for k in r.json()["kpis"])
    r = home.http.get("/api/v1/kpis", params={"from": "2026-01-01", "to": "2026-11-10"}, headers=h)
    assert r.status_code == 200 and r.json()["from"] == "2026-08-11"  # cut to the last 92 days
    assert len(r.json()["kpis"][0]["series"]) == 92
    r = home.http.get("/api/v1/kpis", params={"by": "province"}, headers=h)
    assert r.status_code == 422 and "by" in r.text
