"""WooCommerce REST v3: {base}/wp-json/wc/v3/..., the consumer key and secret as HTTP basic auth
(over HTTPS), page/per_page pagination with X-WP-TotalPages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from server.channels.clients.base import PlatformClient, ShopApi, StockPush

PAGE = 100


class WooCommerceClient(PlatformClient):
    platform = "woocommerce"
    can_refresh = False
    calls_per_s = 5.0  # a seller's own WordPress host: gently
    burst = 10.0
    max_push_batch = 100  # products/batch takes up to 100 updates

    def _url(self, shop: ShopApi, path: str) -> str:
        return f"{shop.base_url.rstrip('/')}/wp-json/wc/v3{path}"

    async def _request(self, shop: ShopApi, method: str, url: str, **kw: Any) -> tuple[Any, httpx.Response]:
        answer: dict[str, httpx.Response] = {}

        async def send(s: ShopApi) -> httpx.Response:
            answer["r"] = await self.http.request(method, url, auth=(s.app_key, s.app_secret), **kw)
            return answer["r"]

        body = await self.call(shop, send)
        return body, answer["r"]

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]:
        body, _ = await self._request(shop, "GET", self._url(shop, f"/orders/{order_id}"))
        return body

    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        page = 1
        while True:
            body, response = await self._request(
                shop,
                "GET",
                self._url(shop, "/orders"),
                params={
                    "modified_after": since.isoformat(),
                    "modified_before": until.isoformat(),
                    "per_page": str(PAGE),
                    "page": str(page),
                },
            )
            orders.extend(body or [])
            if page >= int(response.headers.get("X-WP-TotalPages", "1") or 1):
                return orders
            page += 1

    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        """Simple products through products/batch; a variation (model_id) through its product's
        variations/batch."""
        simple = [
            {"id": int(p.item_id), "manage_stock": True, "stock_quantity": p.qty}
            for p in pushes
            if not p.model_id
        ]
        if simple:
            await self._request(shop, "POST", self._url(shop, "/products/batch"), json={"update": simple})
        by_product: dict[str, list[dict[str, Any]]] = {}
        for p in pushes:
            if p.model_id:
                by_product.setdefault(p.item_id, []).append(
                    {"id": int(p.model_id), "manage_stock": True, "stock_quantity": p.qty}
                )
        for product_id, updates in by_product.items():
            url = self._url(shop, f"/products/{product_id}/variations/batch")
            await self._request(shop, "POST", url, json={"update": updates})

    async def refresh(self, shop: ShopApi) -> ShopApi:
        return shop  # consumer keys do not expire
