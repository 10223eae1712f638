"""Packing verification at the console (REST): only a complete, correct order is packed; it gets its
waybill, weight and boxes; the label, slip and manifest PDFs carry what the parcel needs."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp

from tests.conftest import run
from tests.kit.world import order_payload, seed_world, stock_of, verify_report


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 20, ("CABLE-1M", "VAL"): 30}))


def order(
    admin: Any, external_id: str, lines: list[tuple[str, int]], status: str = "picking", **kw: Any
) -> str:
    r = admin.post("/api/v1/orders", json=order_payload(external_id, lines, **kw))
    assert r.status_code == 201, r.text
    order_id = str(r.json()["id"])
    if status == "picking":
        assert admin.post(f"/api/v1/orders/{order_id}/status", json={"status": "picking"}).status_code == 201
    return order_id


def pack(admin: Any, order_id: str, lines: list[tuple[str, int]], **kw: Any) -> Any:
    body = {"order": order_id, "lines": [{"sku": s, "qty": q} for s, q in lines], "weight_grams": 450} | kw
    return admin.post("/api/v1/parcels", json=body)


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def barcodes(content: bytes, page: int = 0) -> dict[str, str]:
    """Decode the barcodes of a rendered page: {format name: text}."""
    image = pypdfium2.PdfDocument(content)[page].render(scale=3).to_pil()
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def test_complete_order_is_packed_with_a_courier_waybill(admin: Any, world: Any, database_url: str) -> None:
    order_id = order(admin, "P-1", [("SET-STARTER", 1), ("CASE-BLK", 1)])
    r = pack(admin, order_id, [("CASE-BLK", 2), ("CABLE-1M", 2)], courier="jnt", parcels=2)
    assert r.status_code == 201, r.text
    parcel = r.json()
    assert parcel["waybill"] == "JT0000000001"
    assert (parcel["weight_grams"], parcel["parcels"], parcel["order_status"]) == (450, 2, "packed")
    second = order(admin, "P-2", [("CABLE-1M", 1)])
    assert pack(admin, second, [("CABLE-1M", 1)], courier="jnt").json()["waybill"] == "JT0000000002"
    third = order(admin, "P-3", [("CABLE-1M", 1)])
    assert pack(admin, third, [("CABLE-1M", 1)]).json()["waybill"] == "BDG0000000001"  # own riders
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 2  # packed still holds its stock
    assert run(verify_report(database_url)).ok


def test_missing_or_extra_items_refuse_the_pack(admin: Any, world: Any) -> None:
    order_id = order(admin, "P-4", [("CASE-BLK", 2), ("CABLE-1M", 1)])
    check = admin.post(
        "/api/v1/parcels/check", json={"order": order_id, "lines": [{"sku": "CASE-BLK", "qty": 1}]}
    )
    assert check.status_code == 200
    assert check.json()["missing"] == {"CASE-BLK": 1, "CABLE-1M": 1}
    assert check.json()["complete"] is False
    r = pack(admin, order_id, [("CASE-BLK", 1), ("CABLE-1M", 1)])
    assert r.status_code == 409
    assert r.json()["type"].endswith("/pack-mismatch")
    assert {"field": "lines", "message": "missing 1 x CASE-BLK"} in r.json()["errors"]
    r = pack(admin, order_id, [("CASE-BLK", 2), ("CABLE-1M", 1), ("SOAP-KOJIC", 1)])
    assert r.status_code == 409
    assert "extra 1 x SOAP-KOJIC" in r.json()["detail"]
    assert admin.get(f"/api/v1/orders/{order_id}").json()["status"] == "picking"
    assert pack(admin, order_id, [("CASE-BLK", 2), ("CABLE-1M", 1)]).status_code == 201
    again = pack(admin, order_id, [("CASE-BLK", 2), ("CABLE-1M", 1)])
    assert again.status_code == 409 and again.json()["type"].endswith("/already-packed")


def test_cancelled_order_is_not_packed(admin: Any, world: Any) -> None:
    order_id = order(admin, "P-5", [("CASE-BLK", 1)])
    assert admin.post(f"/api/v1/orders/{order_id}/status", json={"status": "cancelled"}).status_code == 201
    r = pack(admin, order_id, [("CASE-BLK", 1)])
    assert r.status_code == 409 and r.json()["type"].endswith("/order-cancelled")


def test_label_carries_waybill_barcode_qr_cod_and_address(admin: Any, world: Any) -> None:
    order_id = order(admin, "P-6", [("CASE-BLK", 1)])
    waybill = pack(admin, order_id, [("CASE-BLK", 1)], courier="flash", parcels=2).json()["waybill"]
    r = admin.get(f"/api/v1/parcels/{order_id}/label.pdf")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/pdf")
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 2  # one label per box
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [288.0, 432.0]  # 4 x 6 inches
    text = pdf_text(r.content)
    for expected in (
        waybill,
        "Flash Express",
        "COLLECT (COD)",
        "Maria Santos",
        "Brgy. Malinta, Valenzuela",
        "Metro Manila 1440",
        "Box 2/2",
    ):
        assert expected in text
    cod = admin.get(f"/api/v1/orders/{order_id}").json()["cod_amount"]
    assert f"PHP {int(cod) // 100:,}.{int(cod) % 100:02d}" in text
    assert barcodes(r.content) == {"Code128": waybill, "QRCode": waybill}
    assert barcodes(r.content, 1) == {"Code128": waybill, "QRCode": waybill}


def test_prepaid_label_says_prepaid_and_slip_lists_the_lines(admin: Any, world: Any) -> None:
    order_id = order(admin, "P-7", [("CABLE-1M", 3)], payment_method="prepaid")
    waybill = pack(admin, order_id, [("CABLE-1M", 3)]).json()["waybill"]
    text = pdf_text(admin.get(f"/api/v1/parcels/{order_id}/label.pdf").content)
    assert "PREPAID" in text and "COD" not in text
    slip = admin.get(f"/api/v1/parcels/{order_id}/slip.pdf")
    assert slip.status_code == 200
    text = pdf_text(slip.content)
    assert "Packing slip" in text and "P-7" in text and waybill in text
    assert "CABLE-1M" in text and "USB-C cable 1 m" in text


def test_warehouse_user_packs_only_in_own_warehouse(
    client: Any, admin: Any, world: Any, database_url: str
) -> None:
    from server.db import Database
    from tests.conftest import add_users, auth

    async def users() -> list[str]:
        db = Database(database_url)
        try:
            return await db.run_write(add_users, [("ceb-packer", "pw-123456", "warehouse", "CEB")])
        finally:
            await db.dispose()

    (token,) = run(users())
    order_id = order(admin, "P-8", [("CASE-BLK", 1)])  # allocated to VAL
    r = client.post(
        "/api/v1/parcels",
        json={"order": order_id, "lines": [{"sku": "CASE-BLK", "qty": 1}], "weight_grams": 100},
        headers=auth(token),
    )
    assert r.status_code == 403
