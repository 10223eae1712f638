"""Shopee Open Platform v2: {base}/api/v2/..., common parameters signed (signing.shopee_sign)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from server.channels.clients.base import PlatformClient, ShopApi, StockPush, with_tokens
from server.channels.clients.signing import shopee_sign

WINDOW = timedelta(days=15)  # get_order_list refuses a wider time range
PAGE = 100
DETAIL_BATCH = 50  # order_sn_list limit of get_order_detail


def windows(since: datetime, until: datetime, width: timedelta = WINDOW) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into pieces Shopee accepts (at most 15 days each)."""
    out: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        end = min(start + width, until)
        out.append((start, end))
        start = end
    return out


class ShopeeClient(PlatformClient):
    platform = "shopee"
    rate_limit_codes = frozenset({"error_too_many_request", "error_rate_limit"})
    auth_codes = frozenset({"error_auth", "invalid_access_token", "invalid_acceess_token"})
    max_push_batch = 50  # one item per update_stock call, up to 50 of its models together

    def _common(self, shop: ShopApi, path: str, *, shop_level: bool = True) -> dict[str, str]:
        ts = self.now_s()
        params = {"partner_id": shop.app_key, "timestamp": str(ts)}
        if shop_level:
            params |= {"access_token": shop.access_token, "shop_id": shop.external_shop_id}
            params["sign"] = shopee_sign(
                shop.app_secret, shop.app_key, path, ts, shop.access_token, shop.external_shop_id
            )
        else:
            params["sign"] = shopee_sign(shop.app_secret, shop.app_key, path, ts)
        return params

    async def _get(self, shop: ShopApi, path: str, params: dict[str, str]) -> Any:
        url = shop.base_url.rstrip("/") + path

        async def send(s: ShopApi) -> httpx.Response:
            return await self.http.get(url, params={**self._common(s, path), **params})

        return (await self.call(shop, send)).get("response") or {}

    async def _post(self, shop: ShopApi, path: str, body: dict[str, Any]) -> Any:
        url = shop.base_url.rstrip("/") + path

        async def send(s: ShopApi) -> httpx.Response:
            return await self.http.post(url, params=self._common(s, path), json=body)

        return (await self.call(shop, send)).get("response") or {}

    def error_of(self, body: Any, response: httpx.Response) -> tuple[str, str]:
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        # The doc samples fill empty fields with "-": that is not an error.
        return ("", "") if error in ("", "-") else (error, str(body.get("message", "")))

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]:
        orders = await self._details(shop, [order_id])
        if not orders:
            raise LookupError(f"shopee has no order {order_id}")
        return orders[0]

    async def _details(self, shop: ShopApi, order_sns: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        fields = "buyer_user_id,item_list,recipient_address,total_amount,payment_method,cod,pay_time"
        for i in range(0, len(order_sns), DETAIL_BATCH):
            chunk = order_sns[i : i + DETAIL_BATCH]
            response = await self._get(
                shop,
                "/api/v2/order/get_order_detail",
                {"order_sn_list": ",".join(chunk), "response_optional_fields": fields},
            )
            out.extend(response.get("order_list") or [])
        return out

    async def order_sns(self, shop: ShopApi, since: datetime, until: datetime) -> list[str]:
        sns: list[str] = []
        for start, end in windows(since, until):
            cursor = ""
            while True:
                response = await self._get(
                    shop,
                    "/api/v2/order/get_order_list",
                    {
                        "time_range_field": "update_time",
                        "time_from": str(int(start.timestamp())),
                        "time_to": str(int(end.timestamp())),
                        "page_size": str(PAGE),
                        "cursor": cursor,
                    },
                )
                sns.extend(str(o["order_sn"]) for o in response.get("order_list") or [])
                if not response.get("more"):
                    break
                cursor = str(response.get("next_cursor") or "")
        return sns

    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        return await self._details(shop, await self.order_sns(shop, since, until))

    async def lost_pushes(self, shop: ShopApi) -> tuple[list[dict[str, Any]], int | None]:
        """Pushes Shopee could not deliver (get_lost_push_message: up to 100 per call, the last 3
        days), and the last message id to confirm once they are handled."""
        messages: list[dict[str, Any]] = []
        last: int | None = None
        while True:
            response = await self._get(shop, "/api/v2/push/get_lost_push_message", {})
            messages.extend(response.get("push_message_list") or [])
            if response.get("last_message_id") is not None:
                last = int(response["last_message_id"])
            if not response.get("has_next_page") or not response.get("push_message_list"):
                return messages, last

    async def confirm_lost_pushes(self, shop: ShopApi, last_message_id: int) -> None:
        await self._post(
            shop, "/api/v2/push/confirm_consumed_lost_push_message", {"last_message_id": last_message_id}
        )

    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        item_ids = {p.item_id for p in pushes}
        assert len(item_ids) == 1, "Shopee takes one item per update_stock call"
        body = {
            "item_id": int(pushes[0].item_id),
            "stock_list": [
                {"model_id": int(p.model_id or 0), "seller_stock": [{"stock": p.qty}]} for p in pushes
            ],
        }
        response = await self._post(shop, "/api/v2/product/update_stock", body)
        failed = [
            f for f in response.get("failure_list") or [] if f.get("failed_reason") not in (None, "", "-")
        ]
        if failed:
            from server.channels.clients.base import PlatformError

            raise PlatformError("shopee", "update_stock_failed", str(failed)[:300])

    async def refresh(self, shop: ShopApi) -> ShopApi:
        path = "/api/v2/auth/access_token/get"
        url = shop.base_url.rstrip("/") + path
        body = {
            "refresh_token": shop.refresh_token,
            "partner_id": int(shop.app_key),
            "shop_id": int(shop.external_shop_id),
        }
        answer = self.check(
            await self.http.post(url, params=self._common(shop, path, shop_level=False), json=body)
        )
        return with_tokens(
            shop,
            answer["access_token"],
            answer.get("refresh_token", ""),
            float(answer["expire_in"]),
            self.clock(),
        )
