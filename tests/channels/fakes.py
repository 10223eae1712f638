"""Fake Lazada, Shopee, TikTok Shop, Shopify and WooCommerce servers on loopback, for the tests.

One threading HTTP server on 127.0.0.1 answers all five by path (each shop's base URL points at
it). Each speaks its platform's wire format (responses copied from fixtures/channels/responses)
and CHECKS our request signature the way the platform does, refusing a wrong one with the
platform's own error. Tests can make it answer 429 for a while, expire tokens, and hold stock
pushes at a gate (the multi-channel race) — no sleeps: a threading.Event.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from server.channels.clients.signing import lazada_sign, same, shopee_sign, tiktok_sign

RESPONSES = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "responses"
SECRET = "fake-secret"
KEY = "100200"
TOKEN = "token-1"


def response(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


@dataclass
class Push:
    platform: str
    item_id: str
    model_id: str
    qty: int
    at: float  # time.monotonic() when the platform took it


@dataclass
class FakeState:
    token: str = TOKEN
    refresh_token: str = "refresh-1"
    # orders per platform: dicts with "id" and "update_time" (epoch s) plus the platform's fields
    orders: dict[str, list[dict[str, Any]]] = field(default_factory=dict[str, list[dict[str, Any]]])
    stock: dict[tuple[str, str, str], int] = field(default_factory=dict[tuple[str, str, str], int])
    pushes: list[Push] = field(default_factory=list[Push])
    calls: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])  # (platform, path)
    rate_limited: int = 0  # answer this many calls with the platform's rate-limit error first
    bad_signatures: int = 0
    gate: threading.Event = field(default_factory=threading.Event)  # stock pushes wait for it
    lost_push_served: bool = False
    confirmed_lost: list[int] = field(default_factory=list[int])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def record_push(self, platform: str, item_id: str, model_id: str, qty: int) -> None:
        with self.lock:
            self.stock[(platform, item_id, model_id)] = qty
            self.pushes.append(Push(platform, item_id, model_id, qty, time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    state: FakeState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = split.path
        platform = (
            "lazada" if path.startswith("/rest/") else
            "shopee" if path.startswith("/api/v2/") and "token/refresh" not in path else
            "shopify" if path.startswith("/admin/") else
            "woocommerce" if path.startswith("/wp-json/") else "tiktok"
        )  # fmt: skip
        s = self.state
        with s.lock:
            s.calls.append((platform, path))
            limited = s.rate_limited > 0
            if limited:
                s.rate_limited -= 1
        if limited:
            self._rate_limit(platform)
            return
        handler = getattr(self, f"_{platform}")
        status, answer, headers = handler(method, path, query, body)
        self._send(status, answer, headers)

    def _send(self, status: int, answer: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _rate_limit(self, platform: str) -> None:
        if platform == "lazada":
            self._send(200, {"code": "ApiCallLimit", "message": "too many calls"})
        elif platform == "shopee":
            self._send(429, {"error": "error_too_many_request", "message": "slow down"}, {"Retry-After": "0"})
        else:
            self._send(429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "0"})

    def _bad_sign(self) -> None:
        with self.state.lock:
            self.state.bad_signatures += 1

    # -- Lazada ----------------------------------------------------------------------------------
    def _lazada(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        params = query if method == "GET" else dict(parse_qsl(body.decode(), keep_blank_values=True))
        api = path[len("/rest") :]
        if not same(params.get("sign", ""), lazada_sign(SECRET, api, params)):
            self._bad_sign()
            return (
                200,
                {"code": "IncompleteSignature", "message": "The request signature does not conform"},
                None,
            )
        if api == "/auth/token/refresh":
            if params.get("refresh_token") != self.state.refresh_token:
                return 200, {"code": "IllegalRefreshToken", "message": "bad refresh token"}, None
            self.state.token = "token-2"
            return (
                200,
                {"code": "0", "access_token": "token-2", "refresh_token": "refresh-2", "expires_in": 604800},
                None,
            )
        if params.get("access_token") != self.state.token:
            return (
                200,
                {"code": "IllegalAccessToken", "message": "The specified access token is invalid or expired"},
                None,
            )
        orders = self.state.orders.get("lazada", [])
        if api == "/order/get":
            found = [o for o in orders if o["order_id"] == params["order_id"]]
            return 200, {"code": "0", "data": found[0] if found else {}}, None
        if api == "/order/items/get":
            found = [o for o in orders if o["order_id"] == params["order_id"]]
            return 200, {"code": "0", "data": found[0].get("_items", []) if found else []}, None
        if api == "/orders/get":
            since, until = params["update_after"], params["update_before"]
            from datetime import datetime

            lo, hi = datetime.fromisoformat(since).timestamp(), datetime.fromisoformat(until).timestamp()
            hits = [o for o in orders if lo <= o["update_time"] < hi]
            offset, limit = int(params.get("offset", "0")), int(params.get("limit", "100"))
            page = hits[offset : offset + limit]
            data = {"count": str(len(page)), "countTotal": str(len(hits)), "orders": page}
            return 200, {"code": "0", "data": data}, None
        if api == "/product/stock/sellable/update":
            self.state.gate.wait()
            skus = ET.fromstring(params["payload"]).findall("./Product/Skus/Sku")
            if len(skus) > 50:
                return 200, {"code": "InvalidParameter", "message": "at most 50 SKUs"}, None
            for sku in skus:
                qty = int(sku.findtext("SellableQuantity") or "0")
                self.state.record_push(
                    "lazada", sku.findtext("ItemId") or "", sku.findtext("SkuId") or "", qty
                )
            return 200, response("lazada_update_stock.json"), None
        return 404, {"code": "InvalidApiPath", "message": api}, None

    # -- Shopee ----------------------------------------------------------------------------------
    def _shopee(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        ts = int(query.get("timestamp", "0"))
        public = path.startswith("/api/v2/auth/")
        want = (
            shopee_sign(SECRET, KEY, path, ts)
            if public
            else shopee_sign(SECRET, KEY, path, ts, query.get("access_token", ""), query.get("shop_id", ""))
        )
        if query.get("partner_id") != KEY or not same(query.get("sign", ""), want):
            self._bad_sign()
            return 403, {"error": "error_sign", "message": "Wrong sign."}, None
        if path == "/api/v2/auth/access_token/get":
            sent = json.loads(body)
            if sent.get("refresh_token") != self.state.refresh_token:
                return 400, {"error": "error_param", "message": "refresh token invalid"}, None
            self.state.token = "token-2"
            return (
                200,
                {"error": "", "access_token": "token-2", "refresh_token": "refresh-2", "expire_in": 14400},
                None,
            )
        if query.get("access_token") != self.state.token:
            return 403, {"error": "invalid_acceess_token", "message": "Invalid access_token."}, None
        orders = self.state.orders.get("shopee", [])
        if path == "/api/v2/order/get_order_list":
            lo, hi = int(query["time_from"]), int(query["time_to"])
            if hi - lo > 15 * 86400:
                return 400, {"error": "error_param", "message": "time range must not exceed 15 days"}, None
            hits = [o for o in orders if lo <= o["update_time"] < hi]
            start = int(query.get("cursor") or 0)
            size = int(query["page_size"])
            page = hits[start : start + size]
            more = start + size < len(hits)
            answer = {
                "more": more,
                "next_cursor": str(start + size) if more else "",
                "order_list": [{"order_sn": o["order_sn"]} for o in page],
            }
            return 200, {"error": "", "message": "", "response": answer, "request_id": "r"}, None
        if path == "/api/v2/order/get_order_detail":
            wanted = query["order_sn_list"].split(",")
            if len(wanted) > 50:
                return 400, {"error": "error_param", "message": "at most 50 orders"}, None
            found = [o for o in orders if o["order_sn"] in wanted]
            return 200, {"error": "", "message": "", "response": {"order_list": found}}, None
        if path == "/api/v2/push/get_lost_push_message":
            if self.state.lost_push_served:
                empty = {"push_message_list": [], "has_next_page": False, "last_message_id": None}
                return 200, {"error": "", "response": empty}, None
            self.state.lost_push_served = True
            return 200, response("shopee_get_lost_push_message.json"), None
        if path == "/api/v2/push/confirm_consumed_lost_push_message":
            self.state.confirmed_lost.append(int(json.loads(body)["last_message_id"]))
            return 200, {"error": "", "message": "", "response": {}}, None
        if path == "/api/v2/product/update_stock":
            self.state.gate.wait()
            sent = json.loads(body)
            for model in sent["stock_list"]:
                qty = int(model["seller_stock"][0]["stock"])
                self.state.record_push("shopee", str(sent["item_id"]), str(model["model_id"] or ""), qty)
            answer = response("shopee_update_stock.json")
            answer["error"] = ""
            answer["response"]["failure_list"] = []
            return 200, answer, None
        return 404, {"error": "error_not_found", "message": path}, None

    # -- TikTok Shop -----------------------------------------------------------------------------
    def _tiktok(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        if path == "/api/v2/token/refresh":
            if query.get("refresh_token") != self.state.refresh_token or query.get("app_secret") != SECRET:
                return 200, {"code": 36004004, "message": "invalid refresh token"}, None
            self.state.token = "token-2"
            data = {
                "access_token": "token-2",
                "refresh_token": "refresh-2",
                "access_token_expire_in": 4102444800,
            }
            return 200, {"code": 0, "message": "success", "data": data}, None
        if not same(query.get("sign", ""), tiktok_sign(SECRET, path, query, body)):
            self._bad_sign()
            return 200, {"code": 106001, "message": "Invalid signature"}, None
        if self.headers.get("x-tts-access-token") != self.state.token:
            return 200, {"code": 105002, "message": "Expired credentials"}, None
        orders = self.state.orders.get("tiktok", [])
        if path == "/order/202309/orders":
            wanted = query["ids"].split(",")
            return (
                200,
                {
                    "code": 0,
                    "message": "Success",
                    "data": {"orders": [o for o in orders if o["id"] in wanted]},
                },
                None,
            )
        if path == "/order/202309/orders/search":
            sent = json.loads(body)
            hits = [o for o in orders if sent["update_time_ge"] <= o["update_time"] < sent["update_time_lt"]]
            start = int(query.get("page_token") or 0)
            size = int(query["page_size"])
            nxt = str(start + size) if start + size < len(hits) else ""
            data = {"orders": hits[start : start + size], "next_page_token": nxt, "total_count": len(hits)}
            return 200, {"code": 0, "message": "Success", "data": data}, None
        if path.startswith("/product/202309/products/") and path.endswith("/inventory/update"):
            self.state.gate.wait()
            product_id = path.split("/")[4]
            for sku in json.loads(body)["skus"]:
                self.state.record_push(
                    "tiktok", product_id, sku["id"], sum(int(w["quantity"]) for w in sku["inventory"])
                )
            return 200, {"code": 0, "message": "Success", "data": {}, "request_id": "r"}, None
        return 200, {"code": 40006, "message": f"no such path {path}"}, None

    # -- Shopify ---------------------------------------------------------------------------------
    def _shopify(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        if self.headers.get("X-Shopify-Access-Token") != self.state.token:
            self._bad_sign()
            return 401, {"errors": "[API] Invalid API key or access token"}, None
        orders = self.state.orders.get("shopify", [])
        rest = path.split("/", 4)[4]  # after /admin/api/{version}/
        if rest == "orders.json":
            from datetime import datetime

            page = int(query.get("page_info") or 0)
            if not query.get("page_info"):
                lo = datetime.fromisoformat(query["updated_at_min"]).timestamp()
                hi = datetime.fromisoformat(query["updated_at_max"]).timestamp()
                self.server.shopify_hits = [o for o in orders if lo <= o["update_time"] < hi]  # type: ignore[attr-defined]
            hits: list[dict[str, Any]] = self.server.shopify_hits  # type: ignore[attr-defined]
            size = 2  # small pages so the Link header is exercised
            headers = {}
            if page + size < len(hits):
                host = self.headers.get("Host")
                headers["Link"] = f'<http://{host}{path}?limit=250&page_info={page + size}>; rel="next"'
            return 200, {"orders": hits[page : page + size]}, headers
        if rest.startswith("orders/"):
            order_id = rest[len("orders/") : -len(".json")]
            return 200, {"order": next(o for o in orders if str(o["id"]) == order_id)}, None
        if rest == "inventory_levels/set.json":
            self.state.gate.wait()
            sent = json.loads(body)
            self.state.record_push("shopify", str(sent["inventory_item_id"]), "", int(sent["available"]))
            answer = response("shopify_inventory_level_set.json")
            answer["inventory_level"].update(sent)
            return 200, answer, None
        return 404, {"errors": "Not Found"}, None

    # -- WooCommerce -----------------------------------------------------------------------------
    def _woocommerce(self, method: str, path: str, query: dict[str, str], body: bytes) -> Any:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._bad_sign()
            return (
                401,
                {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."},
                None,
            )
        orders = self.state.orders.get("woocommerce", [])
        rest = path[len("/wp-json/wc/v3") :]
        if rest == "/orders":
            from datetime import datetime

            lo = datetime.fromisoformat(query["modified_after"]).timestamp()
            hi = datetime.fromisoformat(query["modified_before"]).timestamp()
            hits = [o for o in orders if lo <= o["update_time"] < hi]
            per, page = int(query["per_page"]), int(query["page"])
            pages = max(1, -(-len(hits) // per))
            return 200, hits[(page - 1) * per : page * per], {"X-WP-TotalPages": str(pages)}
        if rest.startswith("/orders/"):
            return 200, next(o for o in orders if str(o["id"]) == rest[len("/orders/") :]), None
        if rest == "/products/batch" or rest.endswith("/variations/batch"):
            self.state.gate.wait()
            sent = json.loads(body)["update"]
            if len(sent) > 100:
                return (
                    400,
                    {"code": "woocommerce_rest_request_entity_too_large", "message": "100 at most"},
                    None,
                )
            parent = rest.split("/")[2] if rest.endswith("/variations/batch") else ""
            for u in sent:
                item, model = (parent, str(u["id"])) if parent else (str(u["id"]), "")
                self.state.record_push("woocommerce", item, model, int(u["stock_quantity"]))
            return 200, {"update": sent}, None
        return 404, {"code": "rest_no_route", "message": rest}, None


@contextmanager
def fake_platforms() -> Generator[tuple[str, FakeState]]:
    """(base URL, state) of the fake platforms, on an ephemeral loopback port."""
    state = FakeState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        state.gate.set()
        server.shutdown()
        server.server_close()
