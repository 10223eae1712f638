"""Lazada Open Platform: GET/POST {base}/rest{path}, every call signed (signing.lazada_sign)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import httpx

from server.channels.clients.base import PlatformClient, ShopApi, StockPush, with_tokens
from server.channels.clients.signing import lazada_sign

PAGE = 100  # /orders/get's largest page


class LazadaClient(PlatformClient):
    platform = "lazada"
    rate_limit_codes = frozenset({"ApiCallLimit", "AppCallLimit", "SellerCallLimit"})
    auth_codes = frozenset({"IllegalAccessToken", "AccessTokenExpired"})
    max_push_batch = 50  # SKUs per /product/stock/sellable/update

    def _params(
        self, shop: ShopApi, path: str, params: dict[str, str], *, token: bool = True
    ) -> dict[str, str]:
        signed = {
            "app_key": shop.app_key,
            "timestamp": str(int(self.clock().timestamp() * 1000)),
            "sign_method": "sha256",
            **params,
        }
        if token:
            signed["access_token"] = shop.access_token
        signed["sign"] = lazada_sign(shop.app_secret, path, signed)
        return signed

    async def _get(self, shop: ShopApi, path: str, params: dict[str, str]) -> Any:
        url = shop.base_url.rstrip("/") + "/rest" + path

        async def send(s: ShopApi) -> httpx.Response:
            return await self.http.get(url, params=self._params(s, path, params))

        return await self.call(shop, send)

    async def _post(self, shop: ShopApi, path: str, params: dict[str, str]) -> Any:
        url = shop.base_url.rstrip("/") + "/rest" + path

        async def send(s: ShopApi) -> httpx.Response:
            return await self.http.post(url, data=self._params(s, path, params))

        return await self.call(shop, send)

    def error_of(self, body: Any, response: httpx.Response) -> tuple[str, str]:
        code = str(body.get("code", "0")) if isinstance(body, dict) else "0"
        return ("", "") if code == "0" else (code, str(body.get("message", "")))

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]:
        order = (await self._get(shop, "/order/get", {"order_id": order_id}))["data"]
        items = (await self._get(shop, "/order/items/get", {"order_id": order_id}))["data"]
        return {**order, "items": items}

    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        offset = 0
        while True:
            data = (
                await self._get(
                    shop,
                    "/orders/get",
                    {
                        "update_after": since.isoformat(),
                        "update_before": until.isoformat(),
                        "sort_by": "updated_at",
                        "offset": str(offset),
                        "limit": str(PAGE),
                    },
                )
            )["data"]
            page = list(data.get("orders") or [])
            orders.extend(page)
            offset += len(page)
            if len(page) < PAGE or offset >= int(data.get("countTotal") or offset):
                return orders

    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        skus = "".join(
            f"<Sku><ItemId>{escape(p.item_id)}</ItemId><SkuId>{escape(p.model_id)}</SkuId>"
            f"<SellerSku>{escape(p.channel_sku)}</SellerSku><SellableQuantity>{p.qty}</SellableQuantity></Sku>"
            for p in pushes
        )
        payload = f"<Request><Product><Skus>{skus}</Skus></Product></Request>"
        await self._post(shop, "/product/stock/sellable/update", {"payload": payload})

    async def refresh(self, shop: ShopApi) -> ShopApi:
        path = "/auth/token/refresh"
        url = shop.base_url.rstrip("/") + "/rest" + path
        params = self._params(shop, path, {"refresh_token": shop.refresh_token}, token=False)
        body = self.check(await self.http.post(url, data=params))
        return with_tokens(
            shop, body["access_token"], body.get("refresh_token", ""), float(body["expires_in"]), self.clock()
        )
