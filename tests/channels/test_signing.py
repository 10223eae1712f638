"""Our request and webhook signatures against each platform's published test vectors
(fixtures/channels/signatures, copied from the platforms' docs and SDK tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.channels.clients.signing import (
    lazada_sign,
    same,
    shopee_sign,
    tiktok_sign,
    webhook_base64,
    webhook_hex,
)

HERE = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "signatures"


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text())


def test_lazada_api_sign_matches_the_published_example() -> None:
    vector = _load("lazada.json")["api"][0]
    assert lazada_sign(vector["app_secret"], vector["api_path"], vector["params"]) == vector["expected_sign"]
    assert vector["expected_sign"] == "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"


def test_lazada_push_signature() -> None:
    case = _load("lazada.json")["push"]["self_computed"]
    got = webhook_hex(case["app_secret"], case["app_key"].encode(), case["raw_body"].encode())
    assert same(got, case["expected_authorization"])


def test_shopee_api_and_push_signatures() -> None:
    vectors = _load("shopee.json")
    shop, principal, public = vectors["api"]
    assert shopee_sign("test_partner_key", "123456", "/api/v2/order/get_order_list", 1710000000,
                       "token_value", "654321") == shop["expected_sign"]  # fmt: skip
    assert shopee_sign("test_partner_key", "123456", "/api/v2/principal/get_shop_sales_performance_detail",
                       1710000000, "token_value", "123456") == principal["expected_sign"]  # fmt: skip
    assert (
        shopee_sign("test_partner_key", "123456", "/api/v2/auth/token/get", 1710000000)
        == public["expected_sign"]
    )
    push = vectors["push"]
    body = (HERE / "shopee_push_body.json").read_bytes()
    got = webhook_hex(push["partner_key"], push["callback_url"].encode() + b"|", body)
    assert got == push["expected_authorization"]


def test_tiktok_api_signs_match_the_doc_and_sdk_vectors() -> None:
    vectors = _load("tiktok.json")
    for case in vectors["api"]:
        body = case.get("body", "").encode()
        assert tiktok_sign(case["app_secret"], case["path"], case["query"], body) == case["expected_sign"]
    assert vectors["api"][0]["expected_sign"].startswith("b596b73e")
    hook = vectors["webhook"]
    body = (HERE / "tiktok_webhook_body.json").read_bytes()
    assert webhook_hex(hook["app_secret"], hook["app_key"].encode(), body) == hook["expected_authorization"]


def test_tiktok_sign_ignores_sign_and_access_token_params() -> None:
    base = {"app_key": "29a39d", "timestamp": "1623812664"}
    plain = tiktok_sign("e59af819cc", "/authorization/202309/shops", base)
    noisy = tiktok_sign(
        "e59af819cc", "/authorization/202309/shops", base | {"sign": "x", "access_token": "y"}
    )
    assert plain == noisy


def test_shopify_and_woocommerce_webhook_signatures() -> None:
    for case in _load("shopify.json")["cases"]:
        assert webhook_base64(case["secret"], case["raw_body"].encode()) == case["expected"]
    core, computed = _load("woocommerce.json")["cases"][:2]
    assert webhook_base64(core["secret"], core["raw_body"].encode()) == core["expected"]
    body = (HERE / "woocommerce_webhook_body.json").read_bytes()
    assert webhook_base64(computed["secret"], body) == computed["expected"]


def test_a_wrong_signature_does_not_compare_equal() -> None:
    assert not same("ab" * 32, "ab" * 31 + "ac")
