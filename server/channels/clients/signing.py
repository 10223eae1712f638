"""Each platform's request signature, as pure functions (checked against the published vectors in
tests/channels/test_signing.py; the fake platforms in the tests verify them on every request)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def lazada_sign(app_secret: str, api_path: str, params: Mapping[str, str]) -> str:
    """Lazada Open Platform: HMAC-SHA256 of the API path followed by every parameter (but `sign`),
    sorted by name, as name+value; upper-case hex. Timestamps are epoch milliseconds."""
    text = api_path + "".join(k + str(params[k]) for k in sorted(params) if k != "sign")
    return _hmac_hex(app_secret, text.encode()).upper()


def shopee_sign(
    partner_key: str, partner_id: str, path: str, timestamp: int, access_token: str = "", shop_id: str = ""
) -> str:
    """Shopee Open Platform v2: HMAC-SHA256 of partner_id + path + timestamp (+ access_token +
    shop_id for shop APIs), lower-case hex."""
    return _hmac_hex(partner_key, f"{partner_id}{path}{timestamp}{access_token}{shop_id}".encode())


def tiktok_sign(app_secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> str:
    """TikTok Shop 202309+: the secret, the path, the query parameters (but sign and access_token)
    sorted as name+value, the raw body (if not multipart), the secret again; HMAC-SHA256 hex."""
    text = path + "".join(k + str(query[k]) for k in sorted(query) if k not in ("sign", "access_token"))
    message = app_secret.encode() + text.encode() + body + app_secret.encode()
    return _hmac_hex(app_secret, message)


def webhook_hex(secret: str, prefix: bytes, body: bytes) -> str:
    """Lazada / TikTok (prefix = app key) and Shopee (prefix = callback URL + b"|") pushes."""
    return _hmac_hex(secret, prefix + body)


def webhook_base64(secret: str, body: bytes) -> str:
    """Shopify (X-Shopify-Hmac-Sha256) and WooCommerce (X-WC-Webhook-Signature)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(a.encode(), b.encode())
