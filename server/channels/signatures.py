"""Webhook signatures, verified on the raw body bytes, each platform its own way.

Lazada and TikTok Shop: lower-case hex HMAC-SHA256(app secret, app key + body) in Authorization.
Shopee: hex HMAC-SHA256(partner key, callback URL + "|" + body) in Authorization.
Shopify: base64 HMAC-SHA256(webhook secret, body) in X-Shopify-Hmac-Sha256.
WooCommerce: base64 HMAC-SHA256(webhook secret, body) in X-WC-Webhook-Signature.
Every comparison is constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

HEADERS = {
    "lazada": "authorization",
    "tiktok": "authorization",
    "shopee": "authorization",
    "shopify": "x-shopify-hmac-sha256",
    "woocommerce": "x-wc-webhook-signature",
}


@dataclass(frozen=True)
class Keys:
    platform: str
    secret: str
    app_key: str = ""
    callback_url: str = ""


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def expected(keys: Keys, body: bytes) -> str:
    """The signature the platform would send for this body."""
    if keys.platform in ("lazada", "tiktok"):
        return _mac(keys.secret, keys.app_key.encode() + body).hex()
    if keys.platform == "shopee":
        return _mac(keys.secret, keys.callback_url.encode() + b"|" + body).hex()
    if keys.platform in ("shopify", "woocommerce"):
        return base64.b64encode(_mac(keys.secret, body)).decode()
    raise ValueError(f"unknown platform {keys.platform!r}")


def verify(keys: Keys, body: bytes, headers: Mapping[str, str]) -> str | None:
    """None when the body is signed right; otherwise why not (logged, never shown in detail)."""
    sent = headers.get(HEADERS[keys.platform], "").strip()
    if not sent:
        return "no signature header"
    if not keys.secret and keys.platform != "woocommerce":
        return "the shop has no webhook secret configured"
    want = expected(keys, body)
    if keys.platform in ("lazada", "tiktok", "shopee"):
        sent = sent.lower()
    if not hmac.compare_digest(sent.encode(), want.encode()):
        return "signature does not match"
    return None
