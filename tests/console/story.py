"""A small business for the console's browser tests, made through the API as the office and the
road would make it: a shop, two users more (a supervisor, a rider), and orders with a story. The
order `STORY` is allocated, picked, packed (its waybill), shipped, fails once (to be tried again
tomorrow), is delivered (to Lola Nena) with its cash collected, and is delivered a second time by
mistake (a double-delivery exception)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.bench import pwa
from server.cod.runs import MANILA

SUPERVISOR = ("sup.lorna", "supervisor-pass-2026")
RIDER = ("rider.ben", "rider-pass-2026")
WAREHOUSE_USER = pwa.RECEIVER
SHOP = "console-shop"
STORY = "2412-STORY-001"
COD = 39_800  # centavos: two shirts at 199.00
TRY_AGAIN = (datetime.now(MANILA).date() + timedelta(days=1)).isoformat()  # the failed attempt's day


@dataclass
class Story:
    order_id: str
    waybill: str
    others: list[str] = field(default_factory=list)  # external ids of the plain orders


def order_body(
    external_id: str, placed: datetime, *, phone: str = "0917 123 4567", qty: int = 2
) -> dict[str, Any]:
    return {
        "shop": SHOP,
        "external_id": external_id,
        "payment_method": "cod",
        "channel_status": "READY_TO_SHIP",
        "placed_at": placed.isoformat(),
        "ship_by": (placed + timedelta(days=2)).isoformat(),
        "address": {
            "name": "Maria Santos",
            "phone": phone,
            "street": "Blk 5 Lot 12 Sampaguita St.",
            "barangay": "Malinta",
            "city": "Valenzuela",
            "province": "Metro Manila",
            "region": "NCR",
            "zip_code": "1440",
        },
        "lines": [{"sku": "SKU-TSHIRT-M", "qty": qty, "unit_price": "199.00"}],
    }


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


def make_story(site: pwa.Site) -> Story:
    with httpx.Client(base_url=site.url, timeout=30) as api:
        api.headers["Authorization"] = f"Bearer {pwa.admin_token(site)}"
        for username, password, role in [(*SUPERVISOR, "supervisor"), (*RIDER, "rider")]:
            ok(api.post("/api/v1/users", json={"username": username, "password": password, "role": role}))
        ok(
            api.post(
                "/api/v1/shops",
                json={
                    "channel": "shopee",
                    "code": SHOP,
                    "name": "Console Shop",
                    "default_warehouse": pwa.WAREHOUSE,
                },
            )
        )
        # Enough shirts for every order below (the seed has 20 in VAL).
        receipt = {
            "warehouse": pwa.WAREHOUSE,
            "lines": [{"sku": "SKU-TSHIRT-M", "qty": 40, "bin": "A-01-01"}],
        }
        ok(api.post("/api/v1/stock/receipts", json=receipt))
        placed = datetime.now(UTC) - timedelta(hours=30)
        order = ok(api.post("/api/v1/orders", json=order_body(STORY, placed, phone="0918 765 4321")))
        oid = order["id"]
        others = []
        for i in range(1, 31):  # a second page of orders (25 a page), older than the story
            ext = f"2412-PLAIN-{i:03d}"
            ok(api.post("/api/v1/orders", json=order_body(ext, placed - timedelta(hours=i), qty=1)))
            others.append(ext)
        ok(api.post(f"/api/v1/orders/{oid}/status", json={"status": "picking", "reason": "wave 1"}))
        parcel = ok(
            api.post(
                "/api/v1/parcels",
                json={"order": oid, "lines": [{"sku": "SKU-TSHIRT-M", "qty": 2}], "weight_grams": 450},
            )
        )
        ok(api.post(f"/api/v1/orders/{oid}/status", json={"status": "shipped", "reason": "handed to rider"}))
        waybill = parcel["waybill"]
        run = {"rider": RIDER[0], "name": "Valenzuela AM", "stops": [{"order": oid, "waybill": waybill}]}
        ok(api.post("/api/v1/runs", json=run))
        attempt = {"order": oid, "waybill": waybill}
        failed = {"outcome": "failed", "reason": "not_home", "reschedule_on": TRY_AGAIN}
        ok(api.post("/api/v1/cod/attempts", json={**attempt, **failed}))
        ok(
            api.post(
                "/api/v1/cod/attempts", json={**attempt, "outcome": "delivered", "received_by": "Lola Nena"}
            )
        )
        ok(
            api.post(
                "/api/v1/cod/cash",
                json={"holder": RIDER[0], "amount": COD, "kind": "collected", "order": oid},
            )
        )
        ok(
            api.post(
                "/api/v1/cod/attempts", json={**attempt, "outcome": "delivered", "note": "scanned again"}
            )
        )
    return Story(order_id=oid, waybill=waybill, others=others)


def held_order_body(external_id: str) -> dict[str, Any]:
    """An order a test adds to the shared business: soap, of which no bin has any, so ingest holds
    it (never `allocated`), placed days before the story so the order list's first pages, its
    ship-by sort and its allocated filter stay the story's."""
    body = order_body(external_id, datetime.now(UTC) - timedelta(days=5))
    body["lines"] = [{"sku": "SKU-SOAP-135", "qty": 3, "unit_price": "45.00"}]
    return body
