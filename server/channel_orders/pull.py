"""Orders pulled from the platforms, through the durable jobs (server/jobs/): it sits above both
the channels (clients, shops) and the orders domain (ingestion), which already uses the channels.

- "channel.poll" (every POLL_EVERY_S): orders updated since the last window's end (minus an
  overlap, since platforms index updates late), up to now, through the platform's list API (Shopee
  cut into windows of at most 15 days), read by the platform's adapter and recorded exactly as a
  webhook's order is (server/channel_orders/mapping.py `record_pulled`: the intake's mapping and
  `record_orders`, so held orders, flags and unknown statuses behave the same). Idempotent:
  ingestion keeps the newest version of each order. Lazada lists order headers only: each listed
  order's items are fetched (its adapter needs them).
- "channel.lost_push" (Shopee, every LOST_PUSH_EVERY_S): pushes Shopee could not deliver, each
  order fetched afresh and ingested, then confirmed consumed.
- "channel.reconcile" (daily): the orders the platform lists as updated in the last day against
  ours; the missing ones raise an exception for the supervisors (server/exceptions/raising.py).

They are asked for by server/channels/jobs.py `schedule_shop` when a shop is connected.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.channel_orders.mapping import external_id, record_pulled
from server.channels.clients import PlatformClient, ShopApi
from server.channels.clients.shopee import ShopeeClient
from server.channels.jobs import LOST_PUSH, POLL, RECONCILE
from server.channels.models import ShopConnection
from server.channels.push import platform_client, shop_api
from server.db.bulk import in_values
from server.exceptions.raising import exception_row, raise_exceptions
from server.jobs import ClaimedJob, JobContext, handlers_registered, register
from server.orders.models import Order

log = structlog.get_logger("bodega.channel_orders")
POLL_EVERY_S = 300.0
LOST_PUSH_EVERY_S = 600.0
RECONCILE_EVERY_S = 86400.0
OVERLAP = timedelta(minutes=10)
FIRST_PULL = timedelta(days=3)
ACTOR = "channel-sync"


def _set_pulled(conn: Connection, shop_id: uuid.UUID, until: datetime) -> None:
    conn.execute(update(ShopConnection).where(ShopConnection.shop_id == shop_id).values(pulled_until=until))


def _pulled_until(conn: Connection, shop_id: uuid.UUID) -> datetime | None:
    return conn.execute(select(ShopConnection.pulled_until).where(ShopConnection.shop_id == shop_id)).scalar()


async def _ingest(ctx: JobContext, platform: str, shop: str, raws: list[dict[str, Any]]) -> int:
    for i in range(0, len(raws), 200):
        await ctx.db.run_write(record_pulled, shop, raws[i : i + 200], ACTOR)
    return len(raws)


async def _with_items(
    client: PlatformClient, api: ShopApi, raws: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Lazada's order list has no items: fetch each order whole (the others list whole orders)."""
    if api.platform != "lazada":
        return raws
    return [await client.fetch_order(client.current(api), external_id("lazada", raw)) for raw in raws]


async def poll_shop(ctx: JobContext, job: ClaimedJob) -> float | None:
    shop_id = uuid.UUID(job.payload["shop_id"])
    api = await ctx.db.run_read(shop_api, shop_id)
    if api is None:
        return None  # disconnected: the poll stops
    now = ctx.now()
    since = await ctx.db.run_read(_pulled_until, shop_id)
    since = (since - OVERLAP) if since is not None else now - FIRST_PULL
    client = platform_client(ctx, api.platform)
    raws = await _with_items(client, api, await client.list_orders(client.current(api), since, now))
    count = await _ingest(ctx, api.platform, api.shop_code, raws)
    await ctx.db.run_write(_set_pulled, shop_id, now)
    log.info("channel_polled", shop=api.shop_code, orders=count)
    return POLL_EVERY_S


async def recover_lost_pushes(ctx: JobContext, job: ClaimedJob) -> float | None:
    shop_id = uuid.UUID(job.payload["shop_id"])
    api = await ctx.db.run_read(shop_api, shop_id)
    if api is None or api.platform != "shopee":
        return None
    client = platform_client(ctx, "shopee")
    assert isinstance(client, ShopeeClient)
    messages, last = await client.lost_pushes(client.current(api))
    order_sns = sorted(
        {
            str(inner.get("ordersn"))
            for m in messages
            if isinstance(inner := (m.get("data") or {}).get("data") or m.get("data") or {}, dict)
            and inner.get("ordersn")
        }
    )
    raws = [await client.fetch_order(client.current(api), sn) for sn in order_sns]
    await _ingest(ctx, "shopee", api.shop_code, raws)
    if last is not None:
        await client.confirm_lost_pushes(client.current(api), last)
    return LOST_PUSH_EVERY_S


def _ours(conn: Connection, shop_id: uuid.UUID, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = conn.execute(
        select(Order.external_id).where(Order.shop_id == shop_id, in_values(conn, Order.external_id, ids))
    )
    return {str(r[0]) for r in rows}


def _flag_gap(
    conn: Connection, shop_id: uuid.UUID, shop: str, theirs: int, missing: list[str], now: datetime
) -> None:
    raise_exceptions(
        conn,
        [
            exception_row(
                "channel_orders_missing",
                f"{shop}: {len(missing)} of {theirs} orders on the platform are not in Bodega",
                now=now,
                details={"shop": shop, "missing": ", ".join(missing[:20]), "theirs": theirs},
            )
        ],
    )


async def reconcile_shop(ctx: JobContext, job: ClaimedJob) -> float | None:
    """Their orders updated in the last day against ours: the missing ones are flagged."""
    shop_id = uuid.UUID(job.payload["shop_id"])
    api = await ctx.db.run_read(shop_api, shop_id)
    if api is None:
        return None
    now = ctx.now()
    client = platform_client(ctx, api.platform)
    raws = await client.list_orders(client.current(api), now - timedelta(days=1), now)
    theirs = sorted({external_id(api.platform, raw) for raw in raws})
    ours = await ctx.db.run_read(_ours, shop_id, theirs)
    missing = [i for i in theirs if i not in ours]
    if missing:
        await ctx.db.run_write(_flag_gap, shop_id, api.shop_code, len(theirs), missing, now)
        log.warning("channel_orders_missing", shop=api.shop_code, missing=len(missing), theirs=len(theirs))
    return RECONCILE_EVERY_S


register(POLL, poll_shop)
register(LOST_PUSH, recover_lost_pushes)
register(RECONCILE, reconcile_shop)


def handlers() -> dict[str, Any]:
    """Every job kind's handler (the channels' pushes, drift round, polls, counts; and any
    registered by other domains imported before), for the app's worker."""
    return handlers_registered()
