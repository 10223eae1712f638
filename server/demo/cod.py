"""Cash on delivery in the demo: a courier account, a rider's run, and a courier's remittance file.

So `make demo` shows COD end to end (README quick start):
- J&T Express as a courier account, its terms from fixtures/couriers/couriers.json, through the
  courier accounts' writer (the same one PUT /api/v1/couriers/{code} uses);
- a few of Valenzuela's COD parcels out for delivery handed to J&T under waybills, and J&T's
  status report saying it delivered them (the couriers' status writer moves the orders and
  records the attempts, as a real report would);
- J&T's remittance report for them, written as a file to import (POST
  /api/v1/couriers/jnt/remittances): one parcel remitted short and one not in the report at all,
  so the reconciliation has findings to show;
- a run for rider.juan of the next parcels out of Valenzuela (the runs' writer, as POST
  /api/v1/runs/build does), so his phone has stops to deliver.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.cod.runs import BuildIn, build_run, ready_parcels
from server.couriers.accounts import Handed, attach_waybills
from server.couriers.controllers import save_account
from server.couriers.schemas import CourierIn
from server.couriers.statuses import StatusReport, record_statuses
from server.inventory.models import Warehouse
from server.orders.models import Order

COURIERS = Path(__file__).resolve().parents[2] / "fixtures" / "couriers" / "couriers.json"
RIDER = "rider.juan"
HUB = "VAL"
COURIER_PARCELS = 6
RUN_STOPS = 8
RUN_CASH_LIMIT = 1_500_000  # centavos: under the riders' default cash ceiling
ACTOR = "demo"
MANILA = "+08:00"


def _cod_out_for_delivery(conn: Connection) -> list[tuple[Any, str, int]]:
    """Valenzuela's COD parcels shipped and not delivered yet: (order id, external id, COD due)."""
    rows = conn.execute(
        select(Order.id, Order.external_id, Order.cod_amount)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(
            Warehouse.code == HUB,
            Order.status == "shipped",
            Order.payment_method == "cod",
            Order.cod_amount > 0,
        )
        .order_by(Order.placed_at, Order.id)
    ).all()
    return [(r[0], r[1], int(r[2])) for r in rows]


def _pesos(centavos: int) -> str:
    return f"{centavos // 100:,}.{centavos % 100:02d}"


def write_cod_demo(conn: Connection, now: datetime) -> dict[str, Any]:
    """The courier, its parcels, delivered; the rider's run. Returns the remittance file's text."""
    terms = json.loads(COURIERS.read_text())["jnt"]
    courier = save_account(conn, "jnt", msgspec.convert(terms, CourierIn))
    out = _cod_out_for_delivery(conn)
    to_courier = out[:COURIER_PARCELS]
    handed = [Handed(order_id, f"JT{900000000 + n:010d}") for n, (order_id, _, _) in enumerate(to_courier)]
    attach_waybills(conn, courier, handed, ACTOR)
    delivered_at = now - timedelta(days=2)
    reports = [
        StatusReport(h.waybill, "DELIVERED", delivered_at + timedelta(minutes=17 * n))
        for n, h in enumerate(handed)
    ]
    record_statuses(conn, courier, reports, "csv")
    # The report J&T sends: every delivered parcel but the last, the second remitted ₱50 short.
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(
        [
            ["J&T Express COD Remittance Report"],
            ["Remittance ID", f"JT-RMT-{now:%Y%m%d}-DEMO"],
            ["Shipper", "Bodega Demo Seller"],
            ["", "", "", "", "", ""],
            ["Waybill No.", "Delivered Date", "COD Amount", "COD Fee", "Net Remittance", "Remarks"],
        ]
    )
    for n, (h, (_, _, cod)) in enumerate(zip(handed, to_courier, strict=True)):
        if n == len(handed) - 1:
            break  # delivered, not remitted: the reconciliation says so once it is overdue
        fee = courier.rule.allowed(cod)  # what its contract allows, no more
        remitted = cod - fee - (5000 if n == 1 else 0)
        w.writerow([h.waybill, f"{delivered_at:%Y-%m-%d}", _pesos(cod), _pesos(fee), _pesos(remitted), ""])
    # The rider's run: the next COD parcels out of Valenzuela, up to what a rider may carry.
    stops: list[Any] = []
    carried = 0
    ready = {r.id: r for r in ready_parcels(conn, HUB)}
    for order_id, _, cod in out[COURIER_PARCELS:]:
        if order_id in ready and carried + cod <= RUN_CASH_LIMIT and len(stops) < RUN_STOPS:
            stops.append(order_id)
            carried += cod
    run = (
        build_run(conn, BuildIn(rider=RIDER, orders=stops, name="Demo: Valenzuela COD"), ACTOR)
        if stops
        else None
    )
    return {
        "courier_parcels": len(handed),
        "run_stops": run.stops if run is not None else 0,
        "remittance_csv": buf.getvalue(),
    }
