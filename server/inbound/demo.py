"""The demo seller's imports: one purchase order from a Guangzhou supplier split over three
shipments at three stages, so the demo walks an import from PO through customs to the bins:

- DEMO-ASN-SEA1 on the water (shipped, ETA in ten days);
- DEMO-ASN-SEA2 held at customs (arrived, lodged, held for a missing invoice: its date moved and an
  exception is open), with duties assessed and freight paid;
- DEMO-ASN-AIR1 delivered to the warehouse by air, waiting for the receiver's phone, with its
  duties, brokerage and freight recorded so its landed cost per unit shows.

Written through the inbound writers, as the console would (server/inbound/plans.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Connection

from server.inbound.plans import (
    create_purchase_order,
    create_shipment,
    create_supplier,
    record_cost,
    record_milestone,
)
from server.inbound.schemas import (
    CostIn,
    Milestone,
    MilestoneIn,
    Mode,
    PoLineIn,
    PurchaseOrderIn,
    ShipmentIn,
    ShipmentLineIn,
    SupplierIn,
)

ACTOR = "demo"
SHIPMENTS = ("DEMO-ASN-SEA1", "DEMO-ASN-SEA2", "DEMO-ASN-AIR1")


def seed_imports(conn: Connection, warehouse: str, skus: list[str], now: datetime, today: date) -> list[str]:
    """Supplier, PO and three shipments of `skus` (three or more plain SKUs) for `warehouse`."""
    create_supplier(conn, SupplierIn("GZ-TEXTILE", "Guangzhou Everbright Trading Co.", "CN", "CNY"), now)
    create_supplier(conn, SupplierIn("MNL-BROKER", "Manila Customs Brokerage", "PH", "PHP"), now)
    lines = [PoLineIn(sku, 60, cost) for sku, cost in zip(skus[:3], (1850, 4200, 990), strict=True)]
    create_purchase_order(conn, PurchaseOrderIn("DEMO-PO-0001", "GZ-TEXTILE", warehouse, lines), ACTOR, now)

    def ship(code: str, mode: Mode, eta: date, qty: int, **ids: str) -> None:
        shipment = ShipmentIn(
            code,
            warehouse,
            eta,
            [ShipmentLineIn("DEMO-PO-0001", n, qty) for n in (1, 2, 3)],
            mode=mode,
            rate="7.8125",
            **ids,
        )
        create_shipment(conn, shipment, now)

    def mark(code: str, milestone: Milestone, days_ago: int, note: str = "") -> None:
        happened = MilestoneIn(milestone, today - timedelta(days=days_ago), note=note)
        record_milestone(conn, code, happened, ACTOR, now, today)

    ship(
        "DEMO-ASN-SEA1",
        "sea",
        today + timedelta(days=10),
        20,
        container_no="MSCU7730412",
        bill_of_lading="MSC-GZ-55120",
    )
    mark("DEMO-ASN-SEA1", "shipped", 4)

    ship(
        "DEMO-ASN-SEA2",
        "sea",
        today + timedelta(days=2),
        20,
        container_no="OOLU1187736",
        bill_of_lading="OOL-GZ-88015",
    )
    at_sea2: list[tuple[Milestone, int]] = [("shipped", 16), ("arrived_at_port", 3), ("customs_lodged", 2)]
    at_sea2.append(("assessed", 1))
    for milestone, ago in at_sea2:
        mark("DEMO-ASN-SEA2", milestone, ago)
    mark("DEMO-ASN-SEA2", "held", 0, note="commercial invoice does not match the packing list")
    record_cost(conn, "DEMO-ASN-SEA2", CostIn("freight", 68_000, "USD", "58.25", "OOL-FRT-2231"), ACTOR, now)
    record_cost(conn, "DEMO-ASN-SEA2", CostIn("duties", 1_285_000, ref="BOC-ASSESS-7781"), ACTOR, now)

    ship("DEMO-ASN-AIR1", "air", today, 20, airway_bill="297-44118832")
    air1: list[tuple[Milestone, int]] = [
        ("shipped", 5),
        ("arrived_at_port", 3),
        ("customs_lodged", 3),
        ("assessed", 2),
        ("duties_paid", 2),
        ("released", 1),
        ("delivered_to_warehouse", 0),
    ]
    for milestone, ago in air1:
        mark("DEMO-ASN-AIR1", milestone, ago)
    record_cost(conn, "DEMO-ASN-AIR1", CostIn("duties", 1_150_050, ref="BOC-ASSESS-7702"), ACTOR, now)
    record_cost(conn, "DEMO-ASN-AIR1", CostIn("brokerage", 450_000, ref="MCB-INV-301"), ACTOR, now)
    record_cost(conn, "DEMO-ASN-AIR1", CostIn("freight", 52_500, "USD", "58.25", "PR-CARGO-7719"), ACTOR, now)
    return list(SHIPMENTS)
