"""Receiving against a shipment on both databases: the phone hears the expected lines, its
stock.received ops naming the shipment count against them (stock through the ledger), over-receipts
and unexpected SKUs become variances with exceptions, a supervisor decides (audited, stock out
through the ledger writer), short lines become variances when receiving is finished, and the
shipment closes when every line is settled. The console's receipt path uses the same writer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

import server.inbound.services as inbound_services
from server.audit.models import AuditEntry
from server.inbound.models import InboundReceipt
from sync import StockReceived
from tests.conftest import auth
from tests.inbound.test_inbound_api import make_import
from tests.kit.sync import bins_by_code, connect, ledger_ok, op_for, pull, push, results, seed


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_services, "now", lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


def _inbound(answer: Any) -> dict[str, Any]:
    return {c.key: c.val for c in answer.ch if c.kind == "inbound"}


def test_receiving_with_variances_decisions_and_close(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, skus=3)
    admin = auth(tokens["admin"])
    make_import(client, admin)  # ASN-1: 10 x S1, 4 x S2
    phone = world.phones["wh1"]
    first = pull(client, phone)
    assert _inbound(first)["ASN-1"] == {
        "status": "planned",
        "expected_on": "2026-12-10",
        "lines": [["S1", 10, 0], ["S2", 4, 0]],
    }

    # The phone received 6 of S1, then 5 more (one over), 4 of S2 and 2 of S3 (not on the shipment).
    ops = [
        op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=6, ref="ASN-1")),
        op_for(phone, 2, StockReceived(wh="W", bin="B1", sku="S1", qty=5, ref="ASN-1")),
        op_for(phone, 3, StockReceived(wh="W", bin="B2", sku="S2", qty=4, ref="ASN-1")),
        op_for(phone, 4, StockReceived(wh="W", bin="B2", sku="S3", qty=2, ref="ASN-1")),
        op_for(phone, 5, StockReceived(wh="W", bin="B3", sku="S1", qty=1, ref="DR-free-text")),
    ]
    answer = push(client, phone, *ops)
    assert results(answer) == [(1, "applied"), (2, "flagged"), (3, "applied"), (4, "flagged"), (5, "applied")]
    assert push(client, phone, ops[1]).res[0].st in ("duplicate", "flagged")  # a resend changes nothing
    with connect(database_url) as conn:
        bins = bins_by_code(conn)
        assert bins[("W", "B1", "S1")] == 11 and bins[("W", "B2", "S3")] == 2  # stock through the ledger
        assert conn.execute(select(func.count()).select_from(InboundReceipt)).scalar() == 4
        assert ledger_ok(conn) == []
    later = pull(client, phone, first.cur)
    assert _inbound(later)["ASN-1"]["lines"] == [["S1", 10, 11], ["S2", 4, 4], ["S3", 0, 2]]
    assert _inbound(later)["ASN-1"]["status"] == "receiving"

    shipment = client.get("/api/v1/inbound/shipments/ASN-1", headers=admin).json()
    found = {(v["sku"], v["kind"]): v for v in shipment["variances"]}
    assert set(found) == {("S1", "over"), ("S3", "unexpected")}
    assert found[("S1", "over")]["qty"] == 1 and found[("S3", "unexpected")]["qty"] == 2
    exceptions = client.get("/api/v1/exceptions/?kind=inbound_variance&status=open", headers=admin).json()
    assert exceptions["total"] == 2

    # The console receives nothing new for S2 under the same key twice: recorded once.
    body = {"key": "DR-55", "bin": "B2", "lines": [{"sku": "S2", "qty": 1}]}
    sup = auth(tokens["supervisor"])
    assert client.post("/api/v1/inbound/shipments/ASN-1/receipts", json=body, headers=sup).status_code == 201
    again = client.post("/api/v1/inbound/shipments/ASN-1/receipts", json=body, headers=sup).json()
    s2 = next(ln for ln in again["lines"] if ln["sku"] == "S2")
    assert s2["received"] == 5 and not s2["settled"]  # the console's unit is an over too
    with connect(database_url) as conn:
        assert bins_by_code(conn)[("W", "B2", "S2")] == 5
    over_s2 = next(v for v in again["variances"] if v["sku"] == "S2")

    decide = "/api/v1/inbound/variances/{}/decide"
    assert (
        client.post(
            decide.format(found[("S1", "over")]["id"]),
            json={"decision": "accept", "note": "keep it"},
            headers=sup,
        ).status_code
        == 201
    )
    twice = client.post(
        decide.format(found[("S1", "over")]["id"]), json={"decision": "reject", "note": "nope"}, headers=sup
    )
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "decision"
    r = client.post(
        decide.format(found[("S3", "unexpected")]["id"]),
        json={"decision": "return_to_supplier", "note": "wrong colour"},
        headers=sup,
    )
    assert r.status_code == 201 and r.json()["status"] == "return_to_supplier"
    r = client.post(
        decide.format(over_s2["id"]),
        json={"decision": "reject", "note": "miscounted at the console"},
        headers=sup,
    )
    assert r.status_code == 201
    with connect(database_url) as conn:
        bins = bins_by_code(conn)
        assert bins.get(("W", "B2", "S3"), 0) == 0 and bins[("W", "B2", "S2")] == 4  # out through the ledger
        assert ledger_ok(conn) == []
        audited = conn.execute(
            select(AuditEntry.details).where(AuditEntry.action == "inbound.variance_decided")
        ).all()
        assert len(audited) == 3
    closed = client.get("/api/v1/inbound/shipments/ASN-1", headers=admin).json()
    assert closed["status"] == "closed" and all(ln["settled"] for ln in closed["lines"])
    assert (
        client.get("/api/v1/exceptions/?kind=inbound_variance&status=open", headers=admin).json()["total"]
        == 0
    )
    gone = pull(client, phone, later.cur)
    assert _inbound(gone) == {"ASN-1": None}  # off the phones once closed
    assert client.get("/api/v1/inbound/incoming?sku=S1", headers=admin).json() == []


def test_partial_receipt_then_short_lines_become_variances(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url)
    admin = auth(tokens["admin"])
    make_import(client, admin)
    phone = world.phones["wh1"]
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=7, ref="ASN-1")))
    part = client.get("/api/v1/inbound/shipments/ASN-1", headers=admin).json()
    assert part["status"] == "receiving" and part["variances"] == []  # partial: not a variance yet
    incoming = client.get("/api/v1/inbound/incoming?sku=S1", headers=admin).json()
    assert [(i["qty"], i["expected_on"]) for i in incoming] == [(3, "2026-12-10")]
    done = client.post("/api/v1/inbound/shipments/ASN-1/finish-receiving", headers=admin).json()
    shorts = {v["sku"]: v for v in done["variances"]}
    assert {k: (v["kind"], v["qty"]) for k, v in shorts.items()} == {"S1": ("under", 3), "S2": ("under", 4)}
    bad = client.post(
        f"/api/v1/inbound/variances/{shorts['S1']['id']}/decide",
        json={"decision": "return_to_supplier", "note": "n/a"},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "decision"
    client.post(
        f"/api/v1/inbound/variances/{shorts['S1']['id']}/decide",
        json={"decision": "accept", "note": "supplier credits 3"},
        headers=admin,
    )
    client.post(
        f"/api/v1/inbound/variances/{shorts['S2']['id']}/decide",
        json={"decision": "reject", "note": "still owed"},
        headers=admin,
    )
    left = client.get("/api/v1/inbound/shipments/ASN-1", headers=admin).json()
    assert left["status"] == "receiving"  # S2 is still owed: the shipment stays open
    push(client, phone, op_for(phone, 2, StockReceived(wh="W", bin="B2", sku="S2", qty=4, ref="ASN-1")))
    assert client.get("/api/v1/inbound/shipments/ASN-1", headers=admin).json()["status"] == "closed"
