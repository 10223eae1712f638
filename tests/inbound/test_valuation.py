"""The inventory valuation at cost: stock received from an inbound shipment is valued at its landed
cost per unit (goods plus duties, brokerage and freight), stock Bodega has no cost for at its latest
selling price, marked as such, and stock with neither at zero. CSV and the console's JSON alike."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from server.catalog.models import Sku
from server.db.base import new_id
from server.orders.models import OrderLine
from tests.conftest import auth
from tests.inbound.test_inbound_api import clock, make_import  # noqa: F401  # pyright: ignore[reportUnusedImport]
from tests.kit.sync import connect, seed


def test_stock_is_valued_at_landed_cost_else_selling_price(
    database_url: str,
    client: Any,
    tokens: dict[str, str],
    clock: list[datetime],  # noqa: F811
) -> None:
    world = seed(database_url, skus=3)
    admin = auth(tokens["admin"])
    make_import(client, admin)  # ASN-1: 10 x S1 at 12.50 CNY, 4 x S2
    base = "/api/v1/inbound/shipments/ASN-1"
    assert (
        client.post(f"{base}/costs", json={"kind": "duties", "amount": 50_000}, headers=admin).status_code
        == 201
    )
    body = {"key": "DR-1", "bin": "B1", "lines": [{"sku": "S1", "qty": 10}]}
    assert client.post(f"{base}/receipts", json=body, headers=admin).status_code == 201
    landed = client.get(base, headers=admin).json()["lines"][0]["landed_unit_centavos"]
    # 100,156 goods + 50,000 x 100,156 / 420,624 of the duties = 112,062 for 10 units.
    assert landed == 11_206
    # S3 came in without a shipment but sells at 450.00; S2 came in the same way and never sold.
    lines = [{"sku": "S3", "qty": 3, "bin": "B2"}, {"sku": "S2", "qty": 2, "bin": "B2"}]
    assert (
        client.post(
            "/api/v1/stock/receipts", json={"warehouse": "W", "lines": lines}, headers=admin
        ).status_code
        == 201
    )
    with connect(database_url) as conn:
        conn.execute(
            insert(OrderLine).values(
                id=new_id(),
                order_id=world.orders["O1"],
                line_no=1,
                sku_id=_sku(conn, "S3"),
                qty=1,
                unit_price=45_000,
            )
        )
        conn.commit()

    r = client.get("/api/v1/reports/inventory-valuation.csv", headers=admin)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    got = {row["sku"]: (row["on_hand"], row["unit_value"], row["basis"], row["value"]) for row in rows[:-3]}
    assert got == {
        "S1": ("10", "112.06", "landed_cost", "1120.60"),
        "S2": ("2", "0.00", "none", "0.00"),
        "S3": ("3", "450.00", "selling_price", "1350.00"),
    }
    totals = [(row["basis"], row["value"]) for row in rows[-3:]]
    assert totals == [("landed_cost", "1120.60"), ("selling_price", "1350.00"), ("", "2470.60")]

    page = client.get("/api/v1/reports/inventory-valuation", params={"warehouse": "W"}, headers=admin).json()
    assert page["total"] == 3
    assert [(i["sku"], i["basis"], i["unit_value"], i["value"]) for i in page["items"]] == [
        ("S1", "landed_cost", 11_206, 112_060),
        ("S2", "none", 0, 0),
        ("S3", "selling_price", 45_000, 135_000),
    ]


def _sku(conn: Any, code: str) -> Any:
    return conn.execute(select(Sku.id).where(Sku.code == code)).scalar_one()
