"""The channels' periodic jobs (durable, server/jobs/): their kinds and schedule, and the drift round.

`schedule_shop(conn, shop_id, platform, now)` asks (idempotently) for a connected shop's periodic
jobs: "channel.poll", "channel.lost_push" (Shopee) and "channel.reconcile", whose handlers pull
orders and live above the orders domain (server/channel_orders/pull.py), and the "channel.drift"
round here: listings whose last push is not what they should show get pushed again.

"channel.preorder_window" runs at every Manila midnight (`schedule_preorder_window`, asked for at
start-up): a pre-order listing's window (server/channels/sellable.py) moves a day, so units on
shipments due on its new last day count from now; the pre-order listings whose quantity is no
longer the one last pushed are marked for a push. Compared with the last push rather than with
yesterday's window, so a midnight missed while the server was down is caught up on its next run.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.channels.models import ListingStock
from server.channels.push import connected_only, drift, mark_listings_due
from server.channels.sellable import MANILA, listings_preordering, targets
from server.db.bulk import in_values
from server.jobs import ClaimedJob, JobContext, enqueue, register

log = structlog.get_logger("bodega.channels.jobs")
POLL, LOST_PUSH, RECONCILE = "channel.poll", "channel.lost_push", "channel.reconcile"
DRIFT = "channel.drift"
DRIFT_EVERY_S = 900.0
PREORDER_WINDOW = "channel.preorder_window"


def schedule_shop(conn: Connection, shop_id: uuid.UUID, platform: str, now: datetime) -> None:
    payload = {"shop_id": str(shop_id)}
    enqueue(conn, POLL, str(shop_id), payload, run_at=now)
    enqueue(conn, RECONCILE, str(shop_id), payload, run_at=now + timedelta(hours=1))
    if platform == "shopee":
        enqueue(conn, LOST_PUSH, str(shop_id), payload, run_at=now)
    enqueue(conn, DRIFT, "all", {}, run_at=now + timedelta(seconds=DRIFT_EVERY_S))


def _listing_shops(conn: Connection, listing_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = conn.execute(
        select(ListingStock.listing_id, ListingStock.shop_id).where(
            in_values(conn, ListingStock.listing_id, listing_ids)
        )
    )
    return [(r[0], r[1]) for r in rows]


async def check_drift(ctx: JobContext, job: ClaimedJob) -> float | None:
    """The drift monitor's round: listings whose last push is not what they should show get pushed
    again (a push lost on the way, a rule changed outside Bodega's notes); campaign locks above
    what we can sell are logged (the listing API shows them as `clamped`)."""
    drifted = await ctx.db.run_read(drift)
    again = [d.listing_id for d in drifted if d.pushed != d.should]
    if again:
        listings = await ctx.db.run_read(_listing_shops, again)
        await ctx.db.run_write(mark_listings_due, listings, ctx.now())
    for d in drifted:
        if d.clamped:
            log.warning("campaign_lock_above_sellable", listing=str(d.listing_id), should=d.should)
    return DRIFT_EVERY_S


register(DRIFT, check_drift)


def next_manila_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(MANILA).date() + timedelta(days=1), time(0), MANILA)


def schedule_preorder_window(conn: Connection, now: datetime) -> None:
    """Ask for the midnight run (idempotent: one job, which keeps its time once asked for)."""
    enqueue(conn, PREORDER_WINDOW, "all", {}, run_at=next_manila_midnight(now), max_attempts=20)


def mark_moved_preorders(conn: Connection, now: datetime) -> list[uuid.UUID]:
    """The pre-order listings (of connected shops) whose quantity, with the window counted from
    today in Manila, is not the one last pushed: marked for a push. Returns them."""
    listings = connected_only(conn, listings_preordering(conn, None))
    if not listings:
        return []
    ids = [lid for lid, _ in listings]
    want = targets(conn, ids, now.astimezone(MANILA).date())
    pushed = dict(
        conn.execute(
            select(ListingStock.listing_id, ListingStock.pushed_qty).where(
                in_values(conn, ListingStock.listing_id, ids)
            )
        ).all()
    )
    moved = [(lid, sid) for lid, sid in listings if pushed.get(lid) != want[lid].qty]
    if moved:
        mark_listings_due(conn, moved, now)
    return [lid for lid, _ in moved]


async def move_preorder_window(ctx: JobContext, job: ClaimedJob) -> float | None:
    now = ctx.now()
    moved = await ctx.db.run_write(mark_moved_preorders, now)
    if moved:
        log.info("preorder_window_moved", listings=len(moved))
    return (next_manila_midnight(now) - now).total_seconds()


register(PREORDER_WINDOW, move_preorder_window)
