"""Each alert rule on both databases, with the time the test picks: it raises once (dedupe), again
only after the first was resolved, and nothing when there is nothing to say."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.alerts.rules import evaluate, ledger_drift
from server.alerts.settings import AlertSettings, write_settings
from server.auth.models import Device
from server.channels.models import SignatureFailure, StatusMapping
from server.cod.cash import cash_entry, lock_cash, post_cash
from server.cod.policy import Policy, write_policy
from server.db.base import new_id
from server.exceptions.actions import act
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.models import StockBalance
from server.orders.models import Order, OrderLine
from server.sync_api.models import SyncDevice
from tests.alerts.kit import write
from tests.conftest import _sync_url
from tests.kit.sync import connect, seed

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Manila


def _open(url: str, kind: str) -> list[Any]:
    with connect(url) as conn:
        return list(
            conn.execute(
                select(ExceptionRecord).where(ExceptionRecord.kind == kind, ExceptionRecord.status == "open")
            ).all()
        )


def _one(conn: Connection, now: datetime, rule: str) -> int:
    return evaluate(conn, now, [rule]).raised[rule]


def _remit(conn: Connection) -> None:
    at = NOW + timedelta(hours=20, minutes=30)
    balances = lock_cash(conn, ["rider1", "cashier"])
    balances["rider1"] -= 600_000
    balances["cashier"] += 600_000
    entries = [
        cash_entry("rider1", -600_000, "remitted", now=at),
        cash_entry("cashier", 600_000, "received", now=at),
    ]
    post_cash(conn, entries, balances, now=at)


def _pass(url: str, rule: str, now: datetime = NOW) -> int:
    return write(url, _one, now, rule)


def _act(conn: Connection, exception_id: uuid.UUID, action: str, note: str, params: dict[str, Any]) -> str:
    return act(conn, exception_id, action, note, params, "user:sup", now=NOW, via="console").outcome


def _collect(conn: Connection) -> None:
    balances = lock_cash(conn, ["rider1"])
    balances["rider1"] += 600_000
    post_cash(conn, [cash_entry("rider1", 600_000, "collected", now=NOW)], balances, now=NOW)
    write_policy(conn, Policy(cash_ceiling=500_000), "user:admin")


def test_low_stock_by_days_of_cover(database_url: str) -> None:
    world = seed(database_url, orders=3, status="delivered", runs=False)
    with connect(database_url) as conn:
        lines_before = conn.execute(select(func.count()).select_from(OrderLine)).scalar()
        from server.catalog.models import Sku
        from server.inventory.models import Warehouse

        s1 = conn.execute(select(Sku.id).where(Sku.code == "S1")).scalar_one()
        wid = conn.execute(select(Warehouse.id)).scalar_one()
        # 14 units of S1 sold in the last 14 days (1 a day); 2 free: 2 days of cover, below 3.
        conn.execute(update(Order).values(placed_at=NOW - timedelta(days=2)))
        conn.execute(
            insert(OrderLine),
            [
                {"id": new_id(), "order_id": oid, "line_no": 1, "sku_id": s1, "qty": q, "unit_price": 100}
                for oid, q in zip(world.orders.values(), (4, 5, 5), strict=True)
            ],
        )
        conn.execute(insert(StockBalance).values(sku_id=s1, warehouse_id=wid, on_hand=2, reserved=0))
        conn.commit()
    assert lines_before == 0  # no lines but this test's
    assert _pass(database_url, "low_stock") == 1
    assert _pass(database_url, "low_stock") == 0  # deduplicated while open
    (row,) = _open(database_url, "low_stock")
    assert (row.subject_kind, row.subject_id, row.severity) == ("sku", "S1", "info")
    assert row.details["free"] == 2
    with connect(database_url) as conn:
        conn.execute(update(StockBalance).values(on_hand=50))
        conn.commit()
    assert _pass(database_url, "low_stock") == 0  # 50 free is 50 days: no longer low
    with connect(database_url) as conn:
        settled = conn.execute(
            select(ExceptionRecord.status, ExceptionRecord.action, ExceptionRecord.resolved_by).where(
                ExceptionRecord.id == row.id
            )
        ).one()
    assert tuple(settled) == ("resolved", "cleared", "system")


def test_rider_cash_over_ceiling_and_unremitted(database_url: str) -> None:
    seed(database_url, orders=1)
    write(database_url, _collect)
    assert _pass(database_url, "rider_cash", NOW + timedelta(hours=1)) == 1  # over the ceiling only
    (over,) = _open(database_url, "rider_cash_over_ceiling")
    assert over.severity == "critical" and over.subject_id == "rider1"
    assert _pass(database_url, "rider_cash", NOW + timedelta(hours=13)) == 1  # now unremitted too
    assert len(_open(database_url, "rider_cash_unremitted")) == 1
    assert _pass(database_url, "rider_cash", NOW + timedelta(hours=20)) == 0
    write(database_url, _remit)  # all of it handed in: both clear on the next pass
    assert _pass(database_url, "rider_cash", NOW + timedelta(hours=21)) == 0
    assert _open(database_url, "rider_cash_over_ceiling") == []
    assert _open(database_url, "rider_cash_unremitted") == []


def test_device_silent_with_a_run_waiting(database_url: str) -> None:
    world = seed(database_url, orders=1)
    rider = uuid.UUID(world.phones["rider1"].device_id)
    wh = uuid.UUID(world.phones["wh1"].device_id)
    with connect(database_url) as conn:
        conn.execute(
            insert(SyncDevice),
            [{"device_id": d, "hwm": 3, "scopes": "", "updated_at": NOW} for d in (rider, wh)],
        )
        conn.commit()
    assert _pass(database_url, "device_silent", NOW + timedelta(hours=3)) == 0
    # The rider has an open run; the warehouse has nothing to pick (its orders are shipped).
    assert _pass(database_url, "device_silent", NOW + timedelta(hours=5)) == 1
    (row,) = _open(database_url, "device_silent")
    assert row.subject_id == str(rider) and "rider1" in row.message
    with connect(database_url) as conn:
        conn.execute(update(Device).where(Device.id == rider).values(revoked_at=NOW))
        conn.commit()


def test_webhook_failures_and_unmapped_status_mapped_from_the_exception(database_url: str) -> None:
    seed(database_url, orders=0)
    with connect(database_url) as conn:
        conn.execute(
            insert(SignatureFailure),
            [
                {"shop_code": "shop", "reason": "bad signature", "body_sha256": "0" * 64, "received_at": NOW}
                for _ in range(5)
            ],
        )
        conn.execute(
            insert(StatusMapping).values(
                platform="shopee",
                raw_status="IN_LIMBO",
                canonical=None,
                seen=3,
                example_order="X1",
                first_seen=NOW,
            )
        )
        conn.commit()
    assert _pass(database_url, "webhook_signature_failures", NOW + timedelta(minutes=5)) == 1
    assert _pass(database_url, "webhook_signature_failures", NOW + timedelta(minutes=6)) == 0
    # Out of the window: nothing raised, and the open one is cleared.
    assert _pass(database_url, "webhook_signature_failures", NOW + timedelta(hours=2)) == 0
    assert _open(database_url, "webhook_signature_failures") == []
    assert _pass(database_url, "unmapped_status") == 1
    (row,) = _open(database_url, "unmapped_status")
    assert write(database_url, _act, row.id, "map_status", "", {"status": "shipped"}) == "done"
    with connect(database_url) as conn:
        mapped = conn.execute(select(StatusMapping.canonical, StatusMapping.mapped_by)).one()
    assert tuple(mapped) == ("shipped", "user:sup")
    assert _pass(database_url, "unmapped_status") == 0


def test_ship_by_at_risk_through_its_own_writer(database_url: str) -> None:
    seed(database_url, orders=2, status="allocated", runs=False)
    assert _pass(database_url, "ship_by_at_risk") == 2  # placed 2026-11-11: long past its ship-by
    assert _pass(database_url, "ship_by_at_risk") == 0


def test_ledger_drift_from_verify(database_url: str) -> None:
    seed(database_url, orders=0)
    assert write(database_url, ledger_drift, NOW) == 0
    with connect(database_url) as conn:
        from server.catalog.models import Sku
        from server.inventory.models import Warehouse

        s1 = conn.execute(select(Sku.id).where(Sku.code == "S1")).scalar_one()
        wid = conn.execute(select(Warehouse.id)).scalar_one()
        conn.execute(insert(StockBalance).values(sku_id=s1, warehouse_id=wid, on_hand=7, reserved=0))
        conn.commit()
    assert write(database_url, ledger_drift, NOW) == 1
    assert write(database_url, ledger_drift, NOW) == 0
    (row,) = _open(database_url, "ledger_drift")
    assert row.severity == "critical" and "S1" in row.message


def test_settings_are_checked(database_url: str, client: Any, tokens: dict[str, str]) -> None:
    sup = {"Authorization": f"Bearer {tokens['supervisor']}"}
    got = client.get("/api/v1/alerts/settings", headers=sup)
    assert got.status_code == 200 and got.json()["low_stock_days_of_cover"] == 3
    bad_time = client.put("/api/v1/alerts/settings", json={"quiet_hours": "25:00-06:00"}, headers=sup)
    assert bad_time.status_code == 422 and "quiet_hours" in bad_time.text
    half = client.put("/api/v1/alerts/settings", json={"quiet_hours": "22:00"}, headers=sup)
    assert half.status_code == 422 and "quiet_hours" in half.text
    ghost = client.put("/api/v1/alerts/settings", json={"escalate_to": ["ghost"]}, headers=sup)
    assert ghost.status_code == 422 and ghost.json()["errors"][0]["field"] == "escalate_to[0]"
    too_big = client.put("/api/v1/alerts/settings", json={"device_silent_hours": 1000}, headers=sup)
    assert too_big.status_code == 422 and "device_silent_hours" in too_big.text
    ok = client.put(
        "/api/v1/alerts/settings",
        json={"escalate_to": ["test-admin"], "quiet_hours": "22:00-06:00"},
        headers=sup,
    )
    assert ok.status_code == 200, ok.text
    again = client.get("/api/v1/alerts/settings", headers=sup).json()
    assert again["escalate_to"] == ["test-admin"] and again["throttle_minutes"] == 15
    rider = {"Authorization": f"Bearer {tokens['rider']}"}
    assert client.get("/api/v1/alerts/settings", headers=rider).status_code == 403


@pytest.mark.postgres
def test_two_evaluations_at_once_raise_one_exception(request: pytest.FixtureRequest, tmp_path: Any) -> None:
    """Two workers evaluating the same rule at the same moment (PostgreSQL, real concurrent
    transactions): the dedupe key's unique index lets one row in."""
    from sqlalchemy import create_engine

    from tests.conftest import fresh_database

    url = fresh_database(request, tmp_path, "postgres")
    engine = create_engine(_sync_url(url))
    barrier = threading.Barrier(4)
    written: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with engine.begin() as conn:
                row = exception_row(
                    "webhook_signature_failures", "forged?", now=NOW, subject=("shop", "shop"), dedupe=True
                )
                barrier.wait(timeout=10)
                written.append(len(raise_exceptions(conn, [row])))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    engine.dispose()
    assert not errors, errors
    assert sorted(written) == [0, 0, 0, 1]
    assert len(_open(url, "webhook_signature_failures")) == 1


def test_settings_written_by_the_writer_are_read_back(database_url: str) -> None:
    seed(database_url, orders=0)
    write(database_url, write_settings, AlertSettings(low_stock_days_of_cover=9), "user:sup")
    from server.alerts.settings import read_settings

    assert write(database_url, read_settings).low_stock_days_of_cover == 9
