"""TikTok Shop 202309+: {base}/{module}/202309/..., signed (signing.tiktok_sign), token in the
x-tts-access-token header, the shop chosen by shop_cipher."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from server.channels.clients.base import PlatformClient, ShopApi, StockPush, with_tokens
from server.channels.clients.signing import tiktok_sign

PAGE = 100


class TikTokClient(PlatformClient):
    platform = "tiktok"
    rate_limit_codes = frozenset({"36009004", "429"})
    auth_codes = frozenset({"105002", "36004004"})
    max_push_batch = 100  # all SKUs of one product, with all their warehouses, per call

    async def _send(
        self, shop: ShopApi, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> Any:
        url = shop.base_url.rstrip("/") + path
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""

        async def send(s: ShopApi) -> httpx.Response:
            params = {"app_key": s.app_key, "timestamp": str(self.now_s()), **query}
            if s.extra.get("shop_cipher"):
                params["shop_cipher"] = str(s.extra["shop_cipher"])
            params["sign"] = tiktok_sign(s.app_secret, path, params, raw)
            headers = {"x-tts-access-token": s.access_token, "content-type": "application/json"}
            return await self.http.request(method, url, params=params, content=raw or None, headers=headers)

        return (await self.call(shop, send)).get("data") or {}

    def error_of(self, body: Any, response: httpx.Response) -> tuple[str, str]:
        code = str(body.get("code", 0)) if isinstance(body, dict) else "0"
        return ("", "") if code == "0" else (code, str(body.get("message", "")))

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]:
        data = await self._send(shop, "GET", "/order/202309/orders", {"ids": order_id}, None)
        orders = data.get("orders") or []
        if not orders:
            raise LookupError(f"tiktok has no order {order_id}")
        return orders[0]

    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        token = ""
        body = {"update_time_ge": int(since.timestamp()), "update_time_lt": int(until.timestamp())}
        while True:
            query = {"page_size": str(PAGE)}
            if token:
                query["page_token"] = token
            data = await self._send(shop, "POST", "/order/202309/orders/search", query, body)
            orders.extend(data.get("orders") or [])
            token = str(data.get("next_page_token") or "")
            if not token:
                return orders

    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        """One product: each SKU with its quantity in every warehouse of the shop (extra
        "warehouse_ids"; all of it in the first, the others 0, since the ledger's availability is
        what we sell and TikTok sums them)."""
        product_ids = {p.item_id for p in pushes}
        assert len(product_ids) == 1, "TikTok updates one product per call"
        warehouses = [str(w) for w in shop.extra.get("warehouse_ids") or []] or [""]
        skus = [
            {
                "id": p.model_id,
                "inventory": [
                    {"warehouse_id": w, "quantity": p.qty if i == 0 else 0}
                    for i, w in enumerate(warehouses)
                    if w
                ]
                or [{"quantity": p.qty}],
            }
            for p in pushes
        ]
        path = f"/product/202309/products/{pushes[0].item_id}/inventory/update"
        data = await self._send(shop, "POST", path, {}, {"skus": skus})
        if data.get("errors"):
            from server.channels.clients.base import PlatformError

            raise PlatformError("tiktok", "inventory_update_failed", str(data["errors"])[:300])

    async def refresh(self, shop: ShopApi) -> ShopApi:
        url = shop.base_url.rstrip("/") + "/api/v2/token/refresh"
        params = {
            "app_key": shop.app_key,
            "app_secret": shop.app_secret,
            "refresh_token": shop.refresh_token,
            "grant_type": "refresh_token",
        }
        data = self.check(await self.http.get(url, params=params)).get("data") or {}
        expires_at = datetime.fromtimestamp(int(data["access_token_expire_in"]), tz=self.clock().tzinfo)
        fresh = with_tokens(shop, data["access_token"], data.get("refresh_token", ""), 0, self.clock())
        from dataclasses import replace

        return replace(fresh, token_expires_at=expires_at)
