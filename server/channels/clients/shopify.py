"""Shopify Admin REST: {base}/admin/api/{version}/..., the X-Shopify-Access-Token header,
cursor pagination in the Link header, 429 with Retry-After."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from server.channels.clients.base import PlatformClient, ShopApi, StockPush

VERSION = "2024-01"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ShopifyClient(PlatformClient):
    platform = "shopify"
    can_refresh = False
    calls_per_s = 2.0  # Shopify REST: a leaky bucket of 40 requests, 2 a second
    burst = 40.0
    max_push_batch = 1  # inventory_levels/set takes one item at one location

    def _url(self, shop: ShopApi, path: str) -> str:
        return f"{shop.base_url.rstrip('/')}/admin/api/{shop.extra.get('api_version', VERSION)}{path}"

    async def _request(self, shop: ShopApi, method: str, url: str, **kw: Any) -> tuple[Any, httpx.Response]:
        answer: dict[str, httpx.Response] = {}

        async def send(s: ShopApi) -> httpx.Response:
            response = await self.http.request(
                method, url, headers={"X-Shopify-Access-Token": s.access_token}, **kw
            )
            answer["r"] = response
            return response

        body = await self.call(shop, send)
        return body, answer["r"]

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]:
        body, _ = await self._request(shop, "GET", self._url(shop, f"/orders/{order_id}.json"))
        return body["order"]

    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        url: str | None = self._url(shop, "/orders.json")
        params: dict[str, str] | None = {
            "status": "any",
            "limit": "250",
            "updated_at_min": since.isoformat(),
            "updated_at_max": until.isoformat(),
        }
        while url:
            body, response = await self._request(shop, "GET", url, params=params)
            orders.extend(body.get("orders") or [])
            found = _NEXT.search(response.headers.get("Link", ""))
            url, params = (found.group(1), None) if found else (None, None)
        return orders

    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        """inventory_levels/set: the listing's model_id is the variant's inventory_item_id."""
        for push in pushes:
            await self._request(
                shop,
                "POST",
                self._url(shop, "/inventory_levels/set.json"),
                json={
                    "location_id": int(shop.extra["location_id"]),
                    "inventory_item_id": int(push.model_id or push.item_id),
                    "available": push.qty,
                },
            )

    async def refresh(self, shop: ShopApi) -> ShopApi:
        return shop  # offline access tokens do not expire
