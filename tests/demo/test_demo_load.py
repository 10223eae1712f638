"""`bodega demo` loads a consistent seller once, and again changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.db import Database
from server.demo.load import load_demo
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


def test_demo_loads_once_and_balances(database_url: str) -> None:
    first = run(load_demo(database_url))
    assert "loaded the demo seller" in first
    assert "admin" in first
    orders, changes, statuses, ok = run(_counts(database_url))
    assert orders == 400
    assert ok, "the demo's balances must match its ledger"
    # A believable spread: most delivered, some in transit, some returned, some held or cancelled.
    for status in ("delivered", "shipped", "returned", "cancelled", "on_hold"):
        assert statuses.get(status, 0) > 0, statuses
    again = run(load_demo(database_url))
    assert "already loaded" in again
    assert run(_counts(database_url))[:2] == (orders, changes)


def test_demo_logins_work(client: Any, database_url: str) -> None:
    run(load_demo(database_url))
    r = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "demo-admin-2026", "device_name": "test"}
    )
    assert r.status_code == 200, r.text
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).status_code
        == 200
    )
