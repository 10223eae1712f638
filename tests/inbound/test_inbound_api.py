"""Inbound through the API on both databases: a PO shipped in a container, its milestones through
customs (a hold moves the date and raises an exception), duties and freight spread into a landed
cost per unit, dated incoming stock, a shipment past its date, and the report as CSV and PDF."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

import server.inbound.services as inbound_services
from tests.conftest import auth
from tests.kit.sync import seed

TODAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Manila


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The fake clock the inbound services read: tests move it by setting now[0]."""
    now = [TODAY]
    monkeypatch.setattr(inbound_services, "now", lambda: now[0])
    return now


def make_import(
    client: Any, headers: dict[str, str], code: str = "ASN-1", expected: str = "2026-12-10"
) -> dict[str, Any]:
    """Supplier in Guangzhou, a PO in yuan for S1 and S2, one container carrying it to W."""
    r = client.post(
        "/api/v1/inbound/suppliers",
        json={"code": "GZ-1", "name": "Guangzhou Cases Co.", "country": "CN", "currency": "CNY"},
        headers=headers,
    )
    assert r.status_code in (201, 409), r.text
    po = client.post(
        "/api/v1/inbound/purchase-orders",
        json={
            "number": f"PO-{code}",
            "supplier": "GZ-1",
            "warehouse": "W",
            "lines": [
                {"sku": "S1", "qty": 10, "unit_cost": 1250},
                {"sku": "S2", "qty": 4, "unit_cost": 9999},
            ],
        },
        headers=headers,
    )
    assert po.status_code == 201, po.text
    assert po.json()["currency"] == "CNY"
    ship = client.post(
        "/api/v1/inbound/shipments",
        json={
            "code": code,
            "warehouse": "W",
            "expected_on": expected,
            "container_no": "MSKU1234567",
            "bill_of_lading": "BL-778",
            "rate": "8.0125",
            "lines": [
                {"po": f"PO-{code}", "line_no": 1, "qty": 10},
                {"po": f"PO-{code}", "line_no": 2, "qty": 4},
            ],
        },
        headers=headers,
    )
    assert ship.status_code == 201, ship.text
    return ship.json()


def test_customs_hold_moves_the_date_raises_an_exception_and_landed_cost_adds_up(
    database_url: str, client: Any, tokens: dict[str, str], clock: list[datetime]
) -> None:
    seed(database_url)
    admin = auth(tokens["admin"])
    ship = make_import(client, admin)
    assert ship["status"] == "planned" and ship["rate"] == "8.0125"
    # Goods: 10 x 12.50 CNY = 125 CNY = 1,001.5625 PHP -> 100,156 centavos; 4 x 99.99 = 399.96 CNY
    # = 3,204.67950 PHP -> 320,468 centavos.
    assert [ln["goods_centavos"] for ln in ship["lines"]] == [100_156, 320_468]

    base = "/api/v1/inbound/shipments/ASN-1"
    assert (
        client.post(
            f"{base}/milestones", json={"milestone": "shipped", "actual_on": "2026-11-25"}, headers=admin
        ).json()["status"]
        == "in_transit"
    )
    future = client.post(
        f"{base}/milestones", json={"milestone": "arrived_at_port", "actual_on": "2026-12-02"}, headers=admin
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "actual_on"  # after today
    assert (
        client.post(
            f"{base}/milestones",
            json={"milestone": "arrived_at_port", "actual_on": "2026-12-01"},
            headers=admin,
        ).json()["status"]
        == "at_port"
    )
    no_reason = client.post(
        f"{base}/milestones", json={"milestone": "held", "actual_on": "2026-12-01"}, headers=admin
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "note"

    held = client.post(
        f"{base}/milestones",
        json={"milestone": "held", "actual_on": "2026-12-01", "note": "commercial invoice missing"},
        headers=admin,
    ).json()
    assert held["status"] == "held" and held["hold_reason"] == "commercial invoice missing"
    assert held["expected_on"] == "2026-12-17"  # a week later than planned
    exceptions = client.get("/api/v1/exceptions/?kind=inbound_customs_hold", headers=admin).json()
    assert exceptions["total"] == 1 and "ASN-1" in exceptions["items"][0]["message"]
    assert "2026-12-17" in exceptions["items"][0]["message"]
    # Dated availability follows the hold.
    incoming = client.get("/api/v1/inbound/incoming?sku=S1&warehouse=W", headers=admin).json()
    assert incoming == [
        {
            "sku": "S1",
            "warehouse": "W",
            "expected_on": "2026-12-17",
            "qty": 10,
            "shipment": "ASN-1",
            "status": "held",
        }
    ]
    released = client.post(
        f"{base}/milestones", json={"milestone": "released", "actual_on": "2026-12-01"}, headers=admin
    ).json()
    assert released["status"] == "released" and released["hold_reason"] == ""

    # Duties in pesos, brokerage in pesos, freight in dollars at 58.5.
    for cost in (
        {"kind": "duties", "amount": 50_000},
        {"kind": "brokerage", "amount": 35_001},
        {"kind": "freight", "amount": 10_000, "currency": "USD", "rate": "58.5"},
    ):
        assert client.post(f"{base}/costs", json=cost, headers=admin).status_code == 201
    bad = client.post(
        f"{base}/costs", json={"kind": "duties", "amount": 1, "currency": "PHP", "rate": "2"}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rate"
    out = client.get(base, headers=admin).json()
    assert out["costs_centavos"] == 50_000 + 35_001 + 585_000
    added = [ln["added_centavos"] for ln in out["lines"]]
    assert sum(added) == out["costs_centavos"]  # every centavo spread, none made up
    # 670,001 by value 100,156 : 320,468 -> 159,535.88 and 510,465.12: the odd centavo goes to
    # the larger remainder (0.88).
    assert added == [159_536, 510_465]
    assert out["lines"][0]["landed_unit_centavos"] == (100_156 + 159_536 + 5) // 10
    assert [m["milestone"] for m in out["milestones"]][:2] == ["shipped", "arrived_at_port"]

    csv_text = client.get("/api/v1/inbound/report.csv", headers=admin).text
    assert (
        "ASN-1,released,2026-12-17" in csv_text
        and ",PO-ASN-1,1,S1,10,0,1001.56,1595.36,2596.92,259.69" in csv_text
    )
    pdf = client.get("/api/v1/inbound/report.pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ASN-1" in text and "PHP 2,596.92" in text and "MSKU1234567" in text


def test_a_shipment_past_its_date_raises_one_exception_per_date(
    no_app_worker: None, database_url: str, client: Any, tokens: dict[str, str], clock: list[datetime]
) -> None:
    seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin, expected="2026-12-03")
    assert client.post("/api/v1/inbound/overdue-check", headers=admin).json() == []  # not late yet
    clock[0] = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    assert client.post("/api/v1/inbound/overdue-check", headers=admin).json() == ["ASN-1"]
    assert client.post("/api/v1/inbound/overdue-check", headers=admin).json() == []  # once per date
    late = client.get("/api/v1/exceptions/?kind=inbound_overdue", headers=admin).json()
    assert late["total"] == 1 and "1 day(s) late" in late["items"][0]["message"]
    # A new ETA that passes too raises again.
    client.post(
        "/api/v1/inbound/shipments/ASN-1/milestones",
        json={"milestone": "delivered_to_warehouse", "expected_on": "2026-12-05"},
        headers=admin,
    )
    clock[0] = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert client.post("/api/v1/inbound/overdue-check", headers=admin).json() == ["ASN-1"]
    # Delivered goods are not late: receiving takes over.
    client.post(
        "/api/v1/inbound/shipments/ASN-1/milestones",
        json={"milestone": "delivered_to_warehouse", "actual_on": "2026-12-06", "expected_on": "2026-12-09"},
        headers=admin,
    )
    clock[0] = datetime(2026, 12, 12, 2, 0, tzinfo=UTC)
    assert client.post("/api/v1/inbound/overdue-check", headers=admin).json() == []


def test_bad_input_is_a_problem_naming_the_field(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin)
    cases = [
        (
            "/api/v1/inbound/purchase-orders",
            {
                "number": "PO-X",
                "supplier": "NOPE",
                "warehouse": "W",
                "lines": [{"sku": "S1", "qty": 1, "unit_cost": 1}],
            },
            422,
            "supplier",
        ),
        (
            "/api/v1/inbound/purchase-orders",
            {
                "number": "PO-Y",
                "supplier": "GZ-1",
                "warehouse": "W",
                "lines": [{"sku": "ZZ", "qty": 1, "unit_cost": 1}],
            },
            422,
            "lines[0].sku",
        ),
        (
            "/api/v1/inbound/shipments",
            {
                "code": "ASN-2",
                "warehouse": "W",
                "expected_on": "2026-12-10",
                "lines": [{"po": "PO-ASN-1", "line_no": 1, "qty": 1}],
            },
            422,
            "lines[0].qty",
        ),
        (
            "/api/v1/inbound/shipments",
            {
                "code": "ASN-1",
                "warehouse": "W",
                "expected_on": "2026-12-10",
                "lines": [{"po": "PO-ASN-1", "line_no": 9, "qty": 1}],
            },
            409,
            "code",
        ),
        ("/api/v1/inbound/suppliers", {"code": "GZ-2", "name": "x\u0000y"}, 422, "name"),
        (
            "/api/v1/inbound/shipments",
            {
                "code": "ASN-3",
                "warehouse": "W",
                "expected_on": "2026-12-10",
                "rate": "0",
                "lines": [{"po": "PO-ASN-1", "line_no": 9, "qty": 1}],
            },
            422,
            "rate",
        ),
    ]
    for url, body, status, field in cases:
        r = client.post(url, json=body, headers=admin)
        assert r.status_code == status, (url, body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in [e["field"] for e in r.json()["errors"]], r.text
    page = client.get("/api/v1/inbound/shipments?limit=1", headers=admin).json()
    assert set(page) == {"items", "total", "limit", "offset"} and page["total"] == 1
    assert client.get("/api/v1/inbound/shipments/NOPE", headers=admin).status_code == 404
    assert client.get("/api/v1/inbound/incoming?warehouse=NOPE", headers=admin).status_code == 422
    assert client.get("/api/v1/inbound/shipments", headers=auth(tokens["warehouse"])).status_code == 403
    _ = date


def test_preorders_read_incoming_by_date_and_a_hold_takes_units_out(
    database_url: str, client: Any, tokens: dict[str, str], clock: list[datetime]
) -> None:
    from sqlalchemy import select

    from server.catalog.models import Sku
    from server.channels.sellable import preorderable
    from tests.kit.sync import connect

    seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin)  # 10 x S1, 4 x S2, expected 2026-12-10
    with connect(database_url) as conn:
        s1 = conn.execute(select(Sku.id).where(Sku.code == "S1")).scalar_one()
        free = preorderable(conn, [s1], date(2026, 12, 9))[s1]  # before the shipment: stock only
        assert preorderable(conn, [s1], date(2026, 12, 10))[s1] == free + 10
    client.post(
        "/api/v1/inbound/shipments/ASN-1/milestones",
        json={"milestone": "held", "actual_on": "2026-12-01", "note": "for examination"},
        headers=admin,
    )
    with connect(database_url) as conn:
        assert preorderable(conn, [s1], date(2026, 12, 10))[s1] == free  # the hold moved the date
        assert preorderable(conn, [s1], date(2026, 12, 17))[s1] == free + 10


@pytest.fixture
def no_app_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test app starts without its own jobs worker: the test's worker, on a fake clock, runs alone."""
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")


def test_the_overdue_job_runs_on_the_worker_with_its_clock(
    no_app_worker: None, database_url: str, client: Any, tokens: dict[str, str], clock: list[datetime]
) -> None:
    """A shipment asks for the periodic overdue check (server/inbound/jobs.py); the jobs worker runs
    it with its own clock and it raises the exception, then comes back in six hours."""
    from server.db import Database
    from server.inbound.jobs import OVERDUE
    from server.jobs import Worker
    from server.jobs.worker import handlers_registered
    from tests.conftest import run

    seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin, expected="2026-12-03")
    late = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)

    async def once() -> list[str]:
        db = Database(database_url)
        try:
            worker = Worker(db, {OVERDUE: handlers_registered()[OVERDUE]}, clock=lambda: late)
            return [outcome for _, outcome in await worker.run_once()]
        finally:
            await db.dispose()

    assert run(once()) == ["done"]
    found = client.get("/api/v1/exceptions/?kind=inbound_overdue", headers=admin).json()
    assert found["total"] == 1 and "2 day(s) late" in found["items"][0]["message"]
    assert run(once()) == []  # rearmed for later, not due again now


def test_a_receipt_after_the_shipment_closed_is_a_variance_not_a_reopen(
    database_url: str, client: Any, tokens: dict[str, str], clock: list[datetime]
) -> None:
    seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin)
    url = "/api/v1/inbound/shipments/ASN-1/receipts"
    lines = [{"sku": "S1", "qty": 10}, {"sku": "S2", "qty": 4}]
    assert (
        client.post(url, json={"key": "R1", "bin": "B1", "lines": lines}, headers=admin).json()["status"]
        == "closed"
    )
    late = client.post(
        url, json={"key": "R2", "bin": "B1", "lines": [{"sku": "S1", "qty": 1}]}, headers=admin
    ).json()
    assert late["status"] == "closed" and late["lines"][0]["received"] == 10
    assert [(v["kind"], v["qty"], v["status"]) for v in late["variances"]] == [("unexpected", 1, "open")]
