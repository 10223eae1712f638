"""Attempts and return to sender: the attempts limit, reasons that send a parcel straight back,
the RTS lifecycle up to the returns intake, and overdue RTS parcels. Both databases, both paths
(the rider's phone and the console)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from server.cli import main
from server.cod.models import RtsParcel
from server.db.base import utcnow
from sync import DeliveryAttempted, FailureReason, ReturnReceived
from tests.cod.home import Home
from tests.kit.sync import add_phone, connect


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


def _fail(home: Home, order: str, reason: FailureReason, *, by_phone: bool = True) -> None:
    if by_phone:
        result = home.push(
            DeliveryAttempted(order=order, waybill=f"WB-{order[:8]}", outcome="failed", reason=reason)
        )
        assert result.st in ("applied", "flagged"), result
    else:
        body = {"order": order, "waybill": f"WB-{order[:8]}", "outcome": "failed", "reason": reason}
        home.rest("POST", "/api/v1/cod/attempts", body, ok=201)


def _rts(home: Home, status: str | None = None) -> dict[str, str]:
    path = "/api/v1/cod/rts" + (f"?status={status}" if status else "")
    return {r["order"]: r["status"] for r in home.rest("GET", path)}


@pytest.mark.parametrize("by_phone", [True, False], ids=["phone", "console"])
def test_the_last_failed_attempt_sends_the_parcel_back(home: Home, by_phone: bool) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    for n in range(2):
        _fail(home, order, "not_home", by_phone=by_phone)
        assert home.status(order) == "failed_delivery", n
        assert _rts(home) == {}
        home.walk(order, "shipped")  # out again the next day
    _fail(home, order, "unreachable", by_phone=by_phone)
    assert home.status(order) == "return_to_sender"
    assert _rts(home) == {order: "expected"}
    history = home.rest("GET", f"/api/v1/orders/{order}/history")
    last = history[-1] if isinstance(history, list) else history["items"][-1]
    assert "3 failed attempts" in last["reason"]


def test_a_refusal_goes_straight_back_and_the_policy_decides(home: Home) -> None:
    refused, other = home.shipped("S-1"), home.shipped("S-2")
    home.run_of(refused, other)
    _fail(home, refused, "refused")
    assert home.status(refused) == "return_to_sender"
    # The seller changes the rules: one attempt only, refusals get another chance.
    home.rest("PUT", "/api/v1/cod/policy", {"max_attempts": 1, "straight_to_rts": [], "rts_overdue_days": 7})
    _fail(home, other, "not_home")
    assert home.status(other) == "return_to_sender"
    assert _rts(home) == {refused: "expected", other: "expected"}
    bad = home.rest("PUT", "/api/v1/cod/policy", {"max_attempts": 0}, ok=422)
    assert bad["errors"][0]["field"] == "max_attempts"


def test_a_late_failed_attempt_never_sends_back_a_delivered_parcel(home: Home) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    home.push(DeliveryAttempted(order=order, waybill=f"WB-{order[:8]}", outcome="delivered"))
    _fail(home, order, "refused")
    assert home.status(order) == "delivered" and _rts(home) == {}


@pytest.mark.parametrize(("condition", "final"), [("resellable", "restocked"), ("damaged", "damaged")])
def test_the_rts_lifecycle_ends_at_the_returns_intake(home: Home, condition: str, final: str) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    _fail(home, order, "refused")
    home.rest("POST", f"/api/v1/cod/rts/{order}/returning")
    assert _rts(home, "returning") == {order: "returning"}
    home.rest("POST", f"/api/v1/cod/rts/{order}/returning", ok=409)  # already on its way
    with connect(home.url) as conn:
        from sqlalchemy import select

        from server.inventory.models import Warehouse

        val = conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()
        clerk = add_phone(conn, "clerk1", "warehouse", val)
        conn.commit()
    back = ReturnReceived(wh="VAL", bin="A-01-01", sku="CASE-BLK", qty=1, order=order, condition=condition)  # type: ignore[arg-type]
    assert home.push(back, clerk).st == "applied"
    assert home.status(order) == "returned"
    assert _rts(home) == {order: final}
    home.rest("POST", f"/api/v1/cod/rts/{order}/returning", ok=409)


def test_an_rts_parcel_not_back_in_time_raises_an_exception_once(home: Home) -> None:
    late, fresh = home.shipped("S-1"), home.shipped("S-2")
    home.run_of(late, fresh)
    _fail(home, late, "refused")
    _fail(home, fresh, "refused")

    with connect(home.url) as conn:
        conn.execute(
            update(RtsParcel)
            .where(RtsParcel.order_id == uuid.UUID(late))
            .values(opened_at=utcnow() - timedelta(days=8))
        )
        conn.commit()
    assert home.rest("POST", "/api/v1/cod/rts/overdue") == {"raised": [late]}
    assert [x["order_id"] for x in home.exceptions("rts_overdue")] == [late]
    # Once: the job (or the CLI) running again raises nothing more.
    result = CliRunner().invoke(main, ["cod", "rts-overdue"], env={"BODEGA_DATABASE_URL": home.url})
    assert result.exit_code == 0, result.output
    assert "for 0 parcel(s)" in result.output
    assert len(home.exceptions("rts_overdue")) == 1
    rows = {r["order"]: r["overdue"] for r in home.rest("GET", "/api/v1/cod/rts")}
    assert rows == {late: True, fresh: False}
    assert home.status(late) == "return_to_sender"
