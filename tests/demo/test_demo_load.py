"""`bodega demo` loads a consistent seller once, and again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.db import Database
from server.demo.load import load_demo
from server.inbound.models import InboundShipment, ShipmentCost
from server.orders.models import Order, OrderStatusChange
from server.verify import verify
from tests.conftest import run


async def _counts(url: str) -> tuple[int, int, dict[str, int], bool]:
    db = Database(url)
    try:
        async with db.reader.connect() as conn:
            orders = (await conn.execute(select(func.count()).select_from(Order))).scalar_one()
            changes = (await conn.execute(select(func.count()).select_from(OrderStatusChange))).scalar_one()
            statuses = dict(
                (await conn.execute(select(Order.status, func.count()).group_by(Order.status))).all()
            )
            ok = (await conn.run_sync(verify)).ok
        return int(orders), int(changes), {str(k): int(v) for k, v in statuses.items()}, ok
    finally:
        await db.dispose()


async def _imports(url: str) -> dict[str, tuple[str, int]]:
    """Each demo shipment's status and how many costs it has recorded."""
    db = Database(url)
    try:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(InboundShipment.code, InboundShipment.status, func.count(ShipmentCost.id))
                .outerjoin(ShipmentCost, ShipmentCost.shipment_id == InboundShipment.id)
                .group_by(InboundShipment.code, InboundShipment.status)
            )
            return {r[0]: (r[1], int(r[2])) for r in rows}
    finally:
        await db.dispose()


def test_demo_loads_once_and_balances(database_url: str, tmp_path: Path) -> None:
    first = run(load_demo(database_url, files=tmp_path))
    assert "loaded the demo seller" in first
    assert "admin" in first
    orders, changes, statuses, ok = run(_counts(database_url))
    assert orders == 400
    assert ok, "the demo's balances must match its ledger"
    # A believable spread: most delivered, some in transit, some returned, some held or cancelled.
    for status in ("delivered", "shipped", "returned", "cancelled", "on_hold"):
        assert statuses.get(status, 0) > 0, statuses
    # An import at three stages, from the water to the warehouse's receiving (server/inbound/demo.py).
    assert run(_imports(database_url)) == {
        "DEMO-ASN-AIR1": ("delivered", 3),
        "DEMO-ASN-SEA1": ("in_transit", 0),
        "DEMO-ASN-SEA2": ("held", 2),
    }
    again = run(load_demo(database_url, files=tmp_path))
    assert "already loaded" in again
    assert run(_counts(database_url))[:2] == (orders, changes)


def test_demo_logins_work(client: Any, database_url: str, tmp_path: Path) -> None:
    run(load_demo(database_url, files=tmp_path))
    r = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "demo-admin-2026", "device_name": "test"}
    )
    assert r.status_code == 200, r.text
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).status_code
        == 200
    )


def test_the_demo_shows_cod_end_to_end(client: Any, database_url: str, tmp_path: Path) -> None:
    summary = run(load_demo(database_url, files=tmp_path))
    assert "jnt_remittance.csv" in summary and "rider.juan has a run of" in summary
    login = {"username": "admin", "password": "demo-admin-2026", "device_name": "test"}
    token = client.post("/api/v1/auth/login", json=login).json()["token"]
    admin = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/couriers/jnt", headers=admin).json()["name"] == "J&T Express"
    # rider.juan's run for today, with stops to deliver and cash to collect.
    runs = client.get("/api/v1/runs/", params={"rider": "rider.juan"}, headers=admin).json()
    runs = runs["items"] if isinstance(runs, dict) else runs
    assert len(runs) == 1 and runs[0]["stops"] > 0 and runs[0]["cod"] > 0
    # J&T's remittance report, ready to reconcile: one parcel remitted short; one delivered and
    # not in the report (not overdue yet: delivered two days ago), receivable all the same.
    data = (tmp_path / "jnt_remittance.csv").read_bytes()
    batch = client.post(
        "/api/v1/couriers/jnt/remittances?filename=jnt_remittance.csv", content=data, headers=admin
    )
    assert batch.status_code == 202, batch.text
    findings = client.get(f"/api/v1/remittances/{batch.json()['id']}/findings", headers=admin).json()
    assert [f["kind"] for f in findings] == ["short_remittance"] and findings[0]["amount"] == 5000
    owed = client.get("/api/v1/cod/kpis/receivables", headers=admin).json()
    [jnt] = owed["couriers"]
    assert jnt["holder"] == "jnt" and jnt["parcels"] == 1
