"""Receipts and decisions raced through real server processes (two on PostgreSQL): the same receipt
sent twice at once is recorded once, different receipts all count, two supervisors deciding one
variance at once write one decision; no 5xx, and the stock ledger still balances."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from server.bench.harness import running_server
from tests.conftest import run
from tests.kit.world import seed_world, totals

KEYS = 6


def test_parallel_receipts_and_decisions_write_each_fact_once(
    database_url: str, tokens: dict[str, str]
) -> None:
    workers = 1 if database_url.startswith("sqlite") else 2
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 5}))
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    _, on_hand_before, _, _ = run(totals(database_url))
    with running_server(database_url, workers=workers) as server:
        http = httpx.Client(base_url=server.url, headers=headers, timeout=60)
        http.post("/api/v1/inbound/suppliers", json={"code": "SUP", "name": "Supplier"})
        po = {"number": "PO-R", "supplier": "SUP", "warehouse": "VAL"}
        po["lines"] = [{"sku": "CASE-BLK", "qty": 10, "unit_cost": 100}]  # type: ignore[assignment]
        assert http.post("/api/v1/inbound/purchase-orders", json=po).status_code == 201
        ship = {"code": "ASN-R", "warehouse": "VAL", "expected_on": "2026-12-10"}
        ship["lines"] = [{"po": "PO-R", "line_no": 1, "qty": 10}]  # type: ignore[assignment]
        assert http.post("/api/v1/inbound/shipments", json=ship).status_code == 201

        def receive(i: int) -> int:
            body = {"key": f"DR-{i % KEYS}", "bin": "A-01-01", "lines": [{"sku": "CASE-BLK", "qty": 1}]}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as c:
                return c.post("/api/v1/inbound/shipments/ASN-R/receipts", json=body).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(receive, range(2 * KEYS)))
        assert statuses == [201] * (2 * KEYS)
        out = http.get("/api/v1/inbound/shipments/ASN-R").json()
        assert out["lines"][0]["received"] == KEYS and out["variances"] == []  # each receipt once
        # A SKU the shipment does not carry: a variance for the supervisors to race over.
        body = {"key": "DR-X", "bin": "A-01-01", "lines": [{"sku": "CABLE-1M", "qty": 2}]}
        assert http.post("/api/v1/inbound/shipments/ASN-R/receipts", json=body).status_code == 201
        over = http.get("/api/v1/inbound/shipments/ASN-R").json()["variances"]
        assert [(v["kind"], v["qty"]) for v in over] == [("unexpected", 2)]

        def decide(i: int) -> int:
            body = {"decision": "return_to_supplier" if i % 2 else "accept", "note": f"supervisor {i}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as c:
                return c.post(f"/api/v1/inbound/variances/{over[0]['id']}/decide", json=body).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            decided = sorted(pool.map(decide, range(4)))
        assert decided == [201, 409, 409, 409]
        final = http.get("/api/v1/inbound/shipments/ASN-R").json()
        assert final["status"] == "receiving"  # 6 of 10 in: still open
        returned = 2 if final["variances"][0]["status"] == "return_to_supplier" else 0
        http.close()
    _, on_hand, _, ok = run(totals(database_url))
    assert ok, "the stock ledger and its balances disagree"
    assert on_hand == on_hand_before + KEYS + 2 - returned
