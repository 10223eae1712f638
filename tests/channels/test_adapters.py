"""Each platform's order shape into the canonical order, over our own fixtures (fixtures/channels/):
lines grouped per SKU, COD the platform's way, exact money, UTC times, ids as strings, PSGC
addresses, statuses mapped (and unknown ones held for review), signature vectors."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from server.address.psgc import match
from server.channels.adapters import ADAPTERS
from server.channels.adapters.base import ChannelOrder, RawAddress, ShopSettings
from server.channels.signatures import Keys, expected, verify
from server.channels.values import loads
from server.intake.mapping import ShopContext, address, to_order
from server.intake.statuses import canonical, ingest_status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "channels"
SKUS = {"TUMBLER-BLK-500": "TUM", "STRAW-SET-4": "STR", "BRUSH-1": "BRU"}


def read(platform: str, name: str) -> Any:
    return loads((FIXTURES / platform / f"{name}.json").read_bytes())


def adapt(platform: str, name: str, settings: ShopSettings | None = None) -> ChannelOrder:
    return ADAPTERS[platform](read(platform, name), settings or ShopSettings())


def context(platform: str, **kw: Any) -> ShopContext:
    return ShopContext(
        uuid.uuid4(), f"{platform}-main", platform, ShopSettings(), by_channel_sku=dict(SKUS), **kw
    )


def lines(co: ChannelOrder, platform: str) -> list[tuple[str | None, int, str]]:
    mapped = to_order(co, context(platform))
    assert mapped.order is not None, mapped.hold
    return [(ln.sku, ln.qty, ln.unit_price) for ln in mapped.order.lines]


def test_lazada_units_grouped_cod_and_lazada_times() -> None:
    co = adapt("lazada", "order_cod")
    assert co.external_id == "501234567890123" and co.cod and co.raw_status == "pending"
    assert co.placed_at == datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)
    assert lines(co, "lazada") == [("TUM", 2, "399.00"), ("STR", 1, "354.00")]
    assert co.cod_amount == 399_00 * 2 + 354_00 + 45_00 and co.shipping_fee == 45_00
    order = to_order(co, context("lazada")).order
    assert order is not None
    assert (order.address.city, order.address.barangay, order.address.region) == (
        "City of Pasig",
        "Pinagbuhatan",
        "NCR",
    )
    assert order.address_flag == ""


def test_shopee_numbers_exact_and_cod_flag() -> None:
    co = adapt("shopee", "order_detail_cod")
    assert co.external_id == "2611110ABCDE12" and co.cod
    assert lines(co, "shopee") == [("TUM", 2, "399.00"), ("STR", 1, "354.50")]  # 354.5 as a JSON number
    assert co.cod_amount == 115250
    assert co.placed_at == datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)
    order = to_order(co, context("shopee")).order
    assert order is not None and order.address.city == "City of Cebu" and order.address.region == "VII"
    assert order.cod_amount == "1152.50" and order.payment_method == "cod"


def test_shopee_cod_rejected_is_a_failed_delivery_not_a_cancel() -> None:
    mapped = to_order(adapt("shopee", "order_detail_cod_rejected"), context("shopee"))
    assert mapped.status == "failed_delivery" and "failed_delivery" in mapped.flags
    assert mapped.order is not None and mapped.order.status == "pending"
    assert mapped.order.channel_status == "CANCELLED"  # the raw status is kept


def test_shopee_cancel_request_is_a_flag_not_a_state() -> None:
    mapped = to_order(adapt("shopee", "order_detail_in_cancel"), context("shopee"))
    assert mapped.status == "to_ship" and mapped.flags == ["cancel_requested"]
    assert mapped.order is not None and mapped.order.status == "pending"


def test_unknown_status_is_held_for_review_not_guessed() -> None:
    mapped = to_order(adapt("shopee", "order_detail_unknown_status"), context("shopee"))
    assert mapped.order is None and mapped.hold_kind == "unknown_status"
    assert "AWAITING_SOMETHING_NEW" in (mapped.hold or "")
    learned = {("shopee", "AWAITING_SOMETHING_NEW"): "to_ship"}
    remapped = to_order(adapt("shopee", "order_detail_unknown_status"), context("shopee", learned=learned))
    assert remapped.order is not None and remapped.status == "to_ship"


def test_tiktok_one_line_per_unit_big_ids() -> None:
    co = adapt("tiktok", "order_detail")
    assert co.external_id == "579123456789012345"  # > 2^53, exact
    assert int(co.external_id) > 2**53 and co.cod
    assert lines(co, "tiktok") == [("TUM", 3, "399.00")]
    assert co.cod_amount == 1247_00
    order = to_order(co, context("tiktok")).order
    assert order is not None and order.address.city == "City of Makati" and order.address.region == "NCR"


def test_shopify_cod_by_gateway_name_configurable() -> None:
    co = adapt("shopify", "order_cod")
    assert co.cod and co.cod_amount == 1247_00 and co.shipping_fee == 50_00
    assert co.external_id == "5801234567890" and co.placed_at == datetime(2026, 11, 10, 16, 9, 30, tzinfo=UTC)
    assert not adapt("shopify", "order_cod", ShopSettings(cod_gateways=("cash on pickup",))).cod
    order = to_order(co, context("shopify")).order
    assert (
        order is not None
        and order.address.barangay == "Loyola Heights"
        and order.address.city == "Quezon City"
    )


def test_woocommerce_cod_gmt_times_and_misspelt_barangay() -> None:
    co = adapt("woocommerce", "order_cod")
    assert co.cod and co.placed_at == datetime(2026, 11, 10, 16, 12, 44, tzinfo=UTC)
    assert lines(co, "woocommerce") == [("STR", 2, "354.00"), ("BRU", 1, "50.00")]
    order = to_order(co, context("woocommerce")).order
    assert order is not None
    # "Salitran 2" / "Dasmarinas City" as the buyer typed them -> the PSGC names
    assert (order.address.barangay, order.address.city, order.address.region) == (
        "Salitran II",
        "City of Dasmariñas",
        "IV-A",
    )


def test_unmapped_listing_holds_the_order_naming_it() -> None:
    ctx = context("tiktok")
    ctx.by_channel_sku.pop("TUMBLER-BLK-500")
    mapped = to_order(adapt("tiktok", "order_detail"), ctx)
    assert mapped.order is None and mapped.hold_kind == "unmapped_listing"
    assert "1731000000000000001/1732000000000000001" in (mapped.hold or "")
    ctx.by_listing[("1731000000000000001", "1732000000000000001")] = "TUM"
    assert to_order(adapt("tiktok", "order_detail"), ctx).order is not None


@pytest.mark.parametrize(
    ("platform", "raw", "expected"),
    [
        ("shopee", "READY_TO_SHIP", "to_ship"),
        ("shopee", "CANCELLED", "cancelled"),
        ("lazada", "canceled", "cancelled"),
        ("lazada", "failed", "failed_delivery"),
        ("tiktok", "AWAITING_COLLECTION", "to_ship"),
        ("tiktok", "140", "cancelled"),
        ("shopify", "fulfilled", "shipped"),
        ("woocommerce", "processing", "to_ship"),
        ("woocommerce", "on-hold", "unpaid"),
        ("tiktok", "SOMETHING_ELSE", None),
    ],
)
def test_status_table(platform: str, raw: str, expected: str | None) -> None:
    assert canonical(platform, raw) == expected


def test_only_a_real_cancel_cancels() -> None:
    assert ingest_status("cancelled") == "cancelled"
    assert {ingest_status(s) for s in ("failed_delivery", "returned", "shipped", "unpaid")} == {"pending"}


@pytest.mark.parametrize(
    ("written", "official"),
    [
        (("", "Metro Manila", "Makati City", "Poblacion", "1210"), ("NCR", "City of Makati", "Poblacion")),
        (("", "Cebu", "Cebu Cty", "Lahugg", "6000"), ("VII", "City of Cebu", "Lahug")),
        (("", "", "Quezon City", "Bagong Pagasa", "1105"), ("NCR", "Quezon City", "Bagong Pag-asa")),
        (("", "", "Mandaluyon", "Plainview", "1550"), ("NCR", "City of Mandaluyong", "Plainview")),
        (("", "Metro Manila", "Manila", "Brgy. 123", "1013"), ("NCR", "City of Manila", "Barangay 123")),
        (("", "Bohol", "Tagbilaran", "Cogon", "6300"), ("VII", "City of Tagbilaran", "Cogon")),
        (("", "Laguna", "San Pedro", "San Antonio", "4023"), ("IV-A", "City of San Pedro", "San Antonio")),
    ],
)
def test_real_barangays_matched_even_misspelt(written: tuple[str, ...], official: tuple[str, ...]) -> None:
    found = match(*written)
    assert found.problems == [] and (found.region, found.city, found.barangay) == official


def test_unmatchable_address_kept_as_written_and_flagged() -> None:
    raw = RawAddress("Lito", "09171112222", "12 Mabini", "San Roque", "Nowhere", "Springfield", "", "9999")
    kept, flag = address(raw)
    assert (kept.city, kept.barangay, kept.province) == ("Nowhere", "San Roque", "Springfield")
    assert "Nowhere" in flag
    ambiguous = match("", "", "San Isidro", "Poblacion", "")
    assert ambiguous.problems and "ambiguous" in ambiguous.problems[0]
    wrong_zip = match("", "", "Quezon City", "Bagong Pag-asa", "1300")
    assert wrong_zip.problems == ["ZIP 1300 does not belong to Quezon City"]


def test_masked_phone_flagged_not_refused() -> None:
    raw = RawAddress("P***n", "******64", "Ap***", "Lahug", "Cebu City", "Cebu", "", "6000")
    kept, flag = address(raw)
    assert kept.city == "City of Cebu" and "phone" in flag


VECTORS = json.loads((FIXTURES / "signature_vectors.json").read_text())["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=[f"{c['platform']}-{i}" for i, c in enumerate(VECTORS)])
def test_published_signature_vectors(case: dict[str, str]) -> None:
    keys = Keys(case["platform"], case["secret"], case.get("app_key", ""), case.get("callback_url", ""))
    body = case["body"].encode()
    assert expected(keys, body) == case["signature"]
    header = {"shopify": "x-shopify-hmac-sha256", "woocommerce": "x-wc-webhook-signature"}.get(
        case["platform"], "authorization"
    )
    assert verify(keys, body, {header: case["signature"]}) is None
    assert verify(keys, body + b" ", {header: case["signature"]}) == "signature does not match"
    assert verify(keys, body, {}) == "no signature header"


def test_tiktok_legacy_shape_numeric_status_and_money() -> None:
    co = adapt("tiktok", "order_detail_legacy")
    assert co.external_id == "579123456789099999" and co.raw_status == "111" and co.cod
    assert co.placed_at == datetime(2026, 11, 10, 16, 5, 30, tzinfo=UTC)  # milliseconds, as a string
    assert lines(co, "tiktok") == [("STR", 2, "354.50")]
    assert co.cod_amount == 754_00 and co.shipping_fee == 45_00
    order = to_order(co, context("tiktok")).order
    assert order is not None and order.address.city == "City of Cebu" and order.address.barangay == "Lahug"
    assert order.status == "pending" and order.channel_status == "111"


def test_shopee_v1_shape_string_amounts_with_separators() -> None:
    co = adapt("shopee", "order_v1_cod")
    assert co.external_id == "2611110V1COD01" and co.cod and co.cod_amount == 115200
    assert lines(co, "shopee") == [("TUM", 2, "399.00"), ("STR", 1, "354.00")]
    order = to_order(co, context("shopee")).order
    assert (
        order is not None and order.address.city == "City of Valenzuela" and order.address.zip_code == "1440"
    )
    assert order.address_flag == ""
