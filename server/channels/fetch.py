"""A platform order fetched through its API, in the shape its adapter reads (server/channels/adapters/).

Both ways an order is fetched use this: a webhook that is only a hint (Lazada, Shopee, TikTok send an
order id; server/intake/inbox.py fetches the order through `ApiOrderSource`) and the periodic pull
(server/channel_orders/pull.py). The clients return what the platform sends; the one platform whose
API answer differs from what its adapter takes is Lazada: the client merges /order/get and
/order/items/get into one dict, the adapter takes {"order": ..., "items": ...} (the webhook-era shape
of its fixtures), so `adapter_payload` puts it back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.channels.models import Shop
from server.channels.push import platform_client, shop_api
from server.jobs import JobContext


def adapter_payload(platform: str, raw: dict[str, Any]) -> dict[str, Any]:
    """What the platform client returned -> what the platform's adapter reads."""
    if platform == "lazada" and "order" not in raw:
        return {"order": {k: v for k, v in raw.items() if k != "items"}, "items": raw.get("items") or []}
    return raw


def _shop_id(conn: Connection, code: str) -> Any:
    return conn.execute(select(Shop.id).where(Shop.code == code)).scalar()


class ApiOrderSource:
    """The `OrderSource` webhook processing calls: the order's current detail from its platform,
    through the shop's API connection (server/channels/models.py ShopConnection) and the job
    context's clients (tests point them at the fake platforms)."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx

    async def fetch_order(self, shop: str, order_id: str) -> dict[str, Any]:
        shop_id = await self.ctx.db.run_read(_shop_id, shop)
        api = await self.ctx.db.run_read(shop_api, shop_id) if shop_id is not None else None
        if api is None:
            # Retried by the next pass (inbox keeps it "new"): the shop may be connected later.
            raise LookupError(f"shop {shop} has no API connection to fetch order {order_id} from")
        client = platform_client(self.ctx, api.platform)
        return adapter_payload(api.platform, await client.fetch_order(client.current(api), order_id))
