"""The demo generator: deterministic, internally consistent, and Philippine-shaped."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import msgspec
import phonenumbers
import pytest

from server.demo import DEMO_LOGINS, DemoData, generate
from server.demo.vocab import load_vocab
from server.orders.schemas import OrderBatchIn

# PSGC regions as Bodega stores them. (The 2024 Negros Island Region is deliberately absent.)
REGIONS = {
    "NCR",
    "CAR",
    "I",
    "II",
    "III",
    "IV-A",
    "IV-B",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "BARMM",
}

# Written out independently of fixtures/demo/places.json: the region each province belongs to.
PROVINCE_REGION = {
    "Metro Manila": "NCR",
    "Benguet": "CAR",
    "La Union": "I",
    "Pangasinan": "I",
    "Ilocos Norte": "I",
    "Ilocos Sur": "I",
    "Cagayan": "II",
    "Isabela": "II",
    "Pampanga": "III",
    "Bulacan": "III",
    "Tarlac": "III",
    "Zambales": "III",
    "Nueva Ecija": "III",
    "Cavite": "IV-A",
    "Laguna": "IV-A",
    "Rizal": "IV-A",
    "Batangas": "IV-A",
    "Quezon": "IV-A",
    "Palawan": "IV-B",
    "Oriental Mindoro": "IV-B",
    "Camarines Sur": "V",
    "Albay": "V",
    "Sorsogon": "V",
    "Iloilo": "VI",
    "Capiz": "VI",
    "Aklan": "VI",
    "Cebu": "VII",
    "Bohol": "VII",
    "Leyte": "VIII",
    "Samar": "VIII",
    "Zamboanga del Sur": "IX",
    "Zamboanga del Norte": "IX",
    "Misamis Oriental": "X",
    "Lanao del Norte": "X",
    "Bukidnon": "X",
    "Davao del Sur": "XI",
    "Davao del Norte": "XI",
    "South Cotabato": "XII",
    "Cotabato": "XII",
    "Sultan Kudarat": "XII",
    "Agusan del Norte": "XIII",
    "Agusan del Sur": "XIII",
    "Surigao del Norte": "XIII",
    "Maguindanao del Norte": "BARMM",
    "Lanao del Sur": "BARMM",
    "Basilan": "BARMM",
}

# The order state machine's moves that the demo story uses (server/orders/lifecycle.py).
NEXT = {
    "pending": {"allocated", "cancelled"},
    "allocated": {"picking", "cancelled"},
    "picking": {"packed", "cancelled"},
    "packed": {"shipped", "cancelled"},
    "shipped": {"delivered", "failed_delivery"},
    "failed_delivery": {"shipped", "return_to_sender"},
    "return_to_sender": {"returned"},
}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate()


def gtin_ok(code: str) -> bool:
    """Independent GS1 check: weights 3,1,3,... from the right, total a multiple of ten."""
    digits = [int(d) for d in reversed(code)]
    return sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0


def test_same_seed_same_data_other_seed_other_data(data: DemoData) -> None:
    again = generate(2026)
    assert again == data
    assert msgspec.json.encode(again) == msgspec.json.encode(data)
    assert generate(7) != data


def test_same_data_in_another_process(data: DemoData) -> None:
    # str hashing is salted per process; nothing in the generator may depend on it.
    script = "import hashlib,msgspec;from server.demo import generate;"
    script += "print(hashlib.sha256(msgspec.json.encode(generate())).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == hashlib.sha256(msgspec.json.encode(data)).hexdigest()


def test_counts_are_in_range(data: DemoData) -> None:
    goods = [s for s in data.skus if not s.is_bundle]
    bundles = [s for s in data.skus if s.is_bundle]
    assert 250 <= len(goods) <= 350
    assert 12 <= len(bundles) <= 20
    assert 350 <= len(data.orders) <= 450
    assert {w.code for w in data.warehouses} == {"VAL", "CEB"}
    for warehouse in data.warehouses:
        assert 50 <= len(warehouse.bins) <= 70
        assert all(re.fullmatch(r"[A-Z]-\d{2}-\d{2}", b.code) for b in warehouse.bins)
    shops = {s.code for s in data.shops}
    assert shops == {"lazada-main", "shopee-main", "shopee-outlet", "tiktok-main", "webstore"}
    assert len(data.listings) > len(goods)  # most SKUs are listed on several shops


def test_warehouses_split_the_country(data: DemoData) -> None:
    val, ceb = (next(w for w in data.warehouses if w.code == code) for code in ("VAL", "CEB"))
    assert (val.region, val.priority) == ("NCR", 10)
    assert (ceb.region, ceb.priority) == ("VII", 20)
    assert {"NCR", "III", "IV-A"} <= set(val.serves_regions)
    assert {"VII", "XI", "BARMM"} <= set(ceb.serves_regions)
    assert set(val.serves_regions) | set(ceb.serves_regions) == REGIONS
    assert not set(val.serves_regions) & set(ceb.serves_regions)


def test_sku_codes_and_barcodes_are_unique(data: DemoData) -> None:
    codes = [s.code for s in data.skus]
    assert len(codes) == len(set(codes))
    barcodes = [b.code for s in data.skus for b in s.barcodes]
    assert len(barcodes) == len(set(barcodes))
    assert all(1 <= len(s.barcodes) <= 2 for s in data.skus)


def test_barcodes_are_valid(data: DemoData) -> None:
    kinds = Counter(b.kind for s in data.skus for b in s.barcodes)
    assert kinds["ean13"] > 0 and kinds["upc"] > 0 and kinds["internal"] > 0
    for barcode in (b for s in data.skus for b in s.barcodes):
        if barcode.kind == "ean13":
            assert re.fullmatch(r"480\d{10}", barcode.code), barcode
            assert gtin_ok(barcode.code), barcode
        elif barcode.kind == "upc":
            assert re.fullmatch(r"\d{12}", barcode.code), barcode
            assert gtin_ok(barcode.code), barcode
        else:
            assert re.fullmatch(r"BDG-\d{6}", barcode.code), barcode


def test_skus_look_like_a_catalogue(data: DemoData) -> None:
    for sku in data.skus:
        assert re.fullmatch(r"[A-Z]{3}(-[A-Z0-9]+)+", sku.code), sku.code
        assert sku.weight_grams > 0
        assert re.fullmatch(r"\d+\.\d{2}", sku.list_price)
    assert next(s for s in data.skus if s.code == "PHC-CASE-IP16-BLK").name.startswith("Shockproof")


def test_bundles_are_made_of_plain_skus(data: DemoData) -> None:
    by_code = {s.code: s for s in data.skus}
    for bundle in (s for s in data.skus if s.is_bundle):
        assert bundle.components
        for part in bundle.components:
            assert part.sku in by_code and not by_code[part.sku].is_bundle
            assert part.qty > 0
        assert bundle.weight_grams == sum(by_code[p.sku].weight_grams * p.qty for p in bundle.components)
    assert all(not s.components for s in data.skus if not s.is_bundle)


def test_stock_is_consistent_and_leaves_gaps(data: DemoData) -> None:
    by_code = {s.code: s for s in data.skus}
    bins = {w.code: {b.code for b in w.bins} for w in data.warehouses}
    for row in data.stock:
        assert row.on_hand > 0
        assert not by_code[row.sku].is_bundle
        assert row.bin in bins[row.warehouse]
    stocked = {row.sku for row in data.stock}
    goods = {s.code for s in data.skus if not s.is_bundle}
    assert goods - stocked, "some SKUs should be sold out so their orders go on hold"
    assert len(stocked) >= 0.9 * len(goods)


def test_listings_point_at_real_skus_and_shops(data: DemoData) -> None:
    skus = {s.code for s in data.skus}
    shops = {s.code: s for s in data.shops}
    keys = [(listing.shop, listing.item_id, listing.model_id) for listing in data.listings]
    assert len(keys) == len(set(keys))
    for listing in data.listings:
        assert listing.sku in skus
        assert shops[listing.shop].channel != "webstore"
        assert listing.item_id.isdigit()
        assert listing.model_id == "" or listing.model_id.isdigit()


def test_every_order_line_resolves_to_a_sku(data: DemoData) -> None:
    skus = {s.code for s in data.skus}
    listings = {(li.shop, li.item_id, li.model_id) for li in data.listings}
    for demo in data.orders:
        order = demo.order
        assert 1 <= len(order.lines) <= 3
        for line in order.lines:
            if line.sku is not None:
                assert line.sku in skus
            else:
                assert (order.shop, line.item_id, line.model_id) in listings
            assert 1 <= line.qty <= 3
            assert re.fullmatch(r"\d+\.\d{2}", line.unit_price)


def test_orders_survive_the_ingestion_schema(data: DemoData) -> None:
    # Posted as JSON and decoded with the API's own types and constraints, nothing is lost.
    batch = OrderBatchIn(orders=[d.order for d in data.orders])
    assert msgspec.json.decode(msgspec.json.encode(batch), type=OrderBatchIn) == batch


def test_orders_look_like_channel_orders(data: DemoData) -> None:
    shops = {s.code: s.channel for s in data.shops}
    ids = [(d.order.shop, d.order.external_id) for d in data.orders]
    assert len(ids) == len(set(ids))
    for demo in data.orders:
        order = demo.order
        channel = shops[order.shop]
        if channel == "shopee":
            assert re.fullmatch(r"\d{6}[A-Z0-9]{8}", order.external_id)
        elif channel in ("lazada", "tiktok"):
            assert order.external_id.isdigit()
        assert data.now - timedelta(days=14) <= order.placed_at < data.now
        assert order.ship_by is not None and order.ship_by - order.placed_at >= timedelta(days=2)
        assert order.status in ("pending", "cancelled")
        assert order.channel_status
    cod = sum(d.order.payment_method == "cod" for d in data.orders) / len(data.orders)
    assert 0.65 <= cod <= 0.85
    cancelled = sum(d.order.status == "cancelled" for d in data.orders)
    assert 0 < cancelled < 0.1 * len(data.orders)


def test_addresses_are_well_formed(data: DemoData) -> None:
    for demo in data.orders:
        address = demo.order.address
        assert re.fullmatch(r"\d{4}", address.zip_code)
        number = phonenumbers.parse(address.phone, "PH")
        assert phonenumbers.is_valid_number(number), address.phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        assert re.fullmatch(r"\+639\d{9}", address.phone)
        assert address.region in REGIONS
        assert PROVINCE_REGION[address.province] == address.region
        assert address.name and address.street and address.barangay and address.city
    regions = Counter(d.order.address.region for d in data.orders)
    assert regions["NCR"] == max(regions.values())  # Metro Manila dominates
    assert len(regions) >= 10


def test_places_fixture_is_consistent() -> None:
    places = load_vocab().places
    assert set(places.regions) == REGIONS
    seen: set[tuple[str, str]] = set()
    for city in places.cities:
        assert city.region in REGIONS
        assert PROVINCE_REGION[city.province] == city.region, city.city
        assert (city.city, city.province) not in seen
        seen.add((city.city, city.province))
        assert city.barangays
        for zip_code, barangays in city.barangays.items():
            assert re.fullmatch(r"\d{4}", zip_code)
            assert barangays and len(set(barangays)) == len(barangays)
    ncr = [c for c in places.cities if c.region == "NCR"]
    assert len(ncr) >= 10


def test_lifecycles_follow_the_state_machine(data: DemoData) -> None:
    for demo in data.orders:
        if demo.order.status == "cancelled" or demo.expect_hold:
            assert demo.lifecycle == ()
            continue
        status, at = "pending", demo.order.placed_at
        for step in demo.lifecycle:
            assert step.status in NEXT[status], (status, step.status)
            assert at < step.at <= data.now
            status, at = step.status, step.at


def test_lifecycle_mix_is_believable(data: DemoData) -> None:
    finals = Counter(d.lifecycle[-1].status for d in data.orders if d.lifecycle)
    assert finals["delivered"] == max(finals.values())
    assert finals["shipped"] + finals["packed"] + finals["picking"] + finals["allocated"] > 0  # still moving
    cod = [d for d in data.orders if d.order.payment_method == "cod"]
    reached = [{s.status for s in d.lifecycle} for d in cod]
    returned = sum("return_to_sender" in r for r in reached)
    delivered = sum("delivered" in r for r in reached)
    assert 0.04 <= returned / (returned + delivered) <= 0.2
    held = sum(d.expect_hold for d in data.orders)
    assert 0 < held <= 0.2 * len(data.orders)


def test_demo_logins_cover_every_role() -> None:
    assert {u.role for u in DEMO_LOGINS} == {"admin", "supervisor", "warehouse", "rider"}
    by_name = {u.username: u for u in DEMO_LOGINS}
    assert set(by_name) >= {"admin", "supervisor", "bodega.val", "bodega.ceb", "rider.juan", "rider.ana"}
    assert by_name["bodega.val"].warehouse == "VAL" and by_name["bodega.ceb"].warehouse == "CEB"
    assert all(len(u.password) >= 8 for u in DEMO_LOGINS)
