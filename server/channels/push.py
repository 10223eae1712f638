"""Stock out: push each listing's sellable quantity to its platform whenever availability changes.

1. Every write transaction ends with the reactions (server/writes.py). The ledger notes each SKU
   whose availability moved (server/db/touched.py `stock`); `mark_due` marks the listings selling
   it (and the bundles made of it) push-due and asks for one "channel.push" job per shop (rearmed,
   so a change during a running push makes it run again) — in the same transaction: a committed
   change always has its push asked for, and a restart loses nothing. An inbound shipment's change
   (created, date moved, received, closed) marks only the listings selling pre-orders of its SKUs.
2. The job (`push_shop`) reads the shop's due listings and their targets (server/channels/sellable.py),
   cuts them into the platform's batches (Lazada ≤ 50 SKUs a call, Shopee one item a call, TikTok
   one product with all its warehouses ...), sends absolute quantities (a repeat is harmless), and
   records per listing the quantity pushed and when. A listing whose stock changed again meanwhile
   stays due. A refused batch is recorded on its listings and the job retried with back-off.
3. The drift monitor (`drift`) compares what was last pushed with what it should be now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.channels.clients import PlatformClient, PlatformError, ShopApi, StockPush, batches, client_for
from server.channels.models import Listing, ListingStock, Shop, ShopConnection
from server.channels.sellable import listings_preordering, listings_selling, targets
from server.db.base import utcnow
from server.db.bulk import in_values
from server.jobs import ClaimedJob, JobContext, Retry, enqueue, register

log = structlog.get_logger("bodega.channels.push")
PUSH = "channel.push"


def mark_due(
    conn: Connection,
    sku_ids: set[uuid.UUID],
    now: datetime | None = None,
    *,
    incoming: set[uuid.UUID] | None = None,
) -> None:
    """The listings selling these SKUs need a push; one job per shop (with an API connection).
    `incoming`: SKUs whose incoming stock moved (an inbound shipment changed, server/writes.py),
    which only listings selling pre-orders show. Both are marked in one call, in key order."""
    affected = listings_selling(conn, sku_ids)
    if incoming:
        affected = sorted(set(affected) | set(listings_preordering(conn, incoming)))
    affected = connected_only(conn, affected)
    if affected:
        mark_listings_due(conn, affected, now or utcnow())


def connected_only(
    conn: Connection, listings: list[tuple[uuid.UUID, uuid.UUID]]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The (listing, shop) pairs whose shop has an API connection (others are never pushed), sorted."""
    if not listings:
        return []
    connected = set(
        conn.execute(
            select(ShopConnection.shop_id).where(
                in_values(conn, ShopConnection.shop_id, {s for _, s in listings}),
                ShopConnection.base_url != "",
            )
        ).scalars()
    )
    return sorted((lid, sid) for lid, sid in listings if sid in connected)


def mark_listings_due(conn: Connection, listings: list[tuple[uuid.UUID, uuid.UUID]], now: datetime) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ListingStock).values(
        [
            {
                "listing_id": listing_id,
                "shop_id": shop_id,
                "campaign_locked": 0,
                "push_due": True,
                "due_seq": 1,
                "due_since": now,
                "push_error": "",
            }
            for listing_id, shop_id in sorted(listings)  # key order: the same lock order everywhere
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["listing_id"],
        set_={
            "push_due": True,
            "due_seq": ListingStock.due_seq + 1,
            "due_since": _coalesce(ListingStock.due_since, stmt.excluded.due_since),
        },
    )
    conn.execute(stmt)
    for shop_id in sorted({s for _, s in listings}):
        enqueue(conn, PUSH, str(shop_id), {"shop_id": str(shop_id)}, rearm=True, run_at=now, max_attempts=20)


def _coalesce(a: Any, b: Any) -> Any:
    from sqlalchemy import func

    return func.coalesce(a, b)


@dataclass(frozen=True)
class DueListing:
    listing_id: uuid.UUID
    item_id: str
    model_id: str
    channel_sku: str
    due_seq: int
    qty: int


def shop_api(conn: Connection, shop_id: uuid.UUID) -> ShopApi | None:
    c = ShopConnection
    row = conn.execute(
        select(
            Shop.code,
            Shop.external_shop_id,
            c.platform,
            c.base_url,
            c.app_key,
            c.app_secret,
            c.access_token,
            c.refresh_token,
            c.token_expires_at,
            c.extra,
        )
        .join(c, c.shop_id == Shop.id)
        .where(Shop.id == shop_id, c.base_url != "")  # "" : webhooks only, no API connection
    ).first()
    if row is None:
        return None
    return ShopApi(
        shop_code=row[0],
        platform=row[2],
        base_url=row[3],
        app_key=row[4],
        app_secret=row[5],
        access_token=row[6],
        refresh_token=row[7],
        token_expires_at=row[8],
        external_shop_id=row[1] or "",
        extra=dict(row[9] or {}),
    )


def due_listings(conn: Connection, shop_id: uuid.UUID) -> tuple[ShopApi | None, list[DueListing]]:
    api = shop_api(conn, shop_id)
    rows = conn.execute(
        select(Listing.id, Listing.item_id, Listing.model_id, Listing.channel_sku, ListingStock.due_seq)
        .join(ListingStock, ListingStock.listing_id == Listing.id)
        .where(ListingStock.shop_id == shop_id, ListingStock.push_due.is_(True))
        .order_by(Listing.item_id, Listing.model_id)
    ).all()
    want = targets(conn, [r[0] for r in rows])
    return api, [DueListing(r[0], r[1], r[2], r[3] or "", int(r[4]), want[r[0]].qty) for r in rows]


def record_pushed(
    conn: Connection,
    done: list[tuple[uuid.UUID, int, int]],
    failed: list[tuple[uuid.UUID, str]],
    now: datetime,
) -> None:
    """(listing, due_seq read, qty pushed) landed; (listing, error) refused."""
    for listing_id, seq, qty in sorted(done):
        cleared = conn.execute(
            update(ListingStock)
            .where(ListingStock.listing_id == listing_id, ListingStock.due_seq == seq)
            .values(push_due=False, due_since=None, pushed_qty=qty, pushed_at=now, push_error="")
        ).rowcount
        if not cleared:  # changed again meanwhile: still due (the job was rearmed)
            conn.execute(
                update(ListingStock)
                .where(ListingStock.listing_id == listing_id)
                .values(pushed_qty=qty, pushed_at=now, push_error="")
            )
    for listing_id, error in sorted(failed):
        conn.execute(
            update(ListingStock).where(ListingStock.listing_id == listing_id).values(push_error=error[:512])
        )


def save_tokens(
    conn: Connection, shop_code: str, access: str, refresh: str, expires: datetime | None
) -> None:
    shop_id = conn.execute(select(Shop.id).where(Shop.code == shop_code)).scalar_one()
    conn.execute(
        update(ShopConnection)
        .where(ShopConnection.shop_id == shop_id)
        .values(access_token=access, refresh_token=refresh, token_expires_at=expires, updated_at=utcnow())
    )


def platform_client(ctx: JobContext, platform: str) -> PlatformClient:
    """The context's client for a platform (tests and the bench put theirs in `services`)."""
    clients: dict[str, PlatformClient] = ctx.services.setdefault("channel_clients", {})
    client = clients.get(platform)
    if client is None:

        async def save(shop: ShopApi) -> None:
            await ctx.db.run_write(
                save_tokens, shop.shop_code, shop.access_token, shop.refresh_token, shop.token_expires_at
            )

        client = clients[platform] = client_for(platform, save_tokens=save)
    return client


async def push_shop(ctx: JobContext, job: ClaimedJob) -> None:
    shop_id = uuid.UUID(job.payload["shop_id"])
    api, due = await ctx.db.run_read(due_listings, shop_id)
    if api is None or not due:
        return
    client = platform_client(ctx, api.platform)
    by_key = {(d.item_id, d.model_id): d for d in due}
    done: list[tuple[uuid.UUID, int, int]] = []
    failed: list[tuple[uuid.UUID, str]] = []
    retry: Retry | None = None
    for batch in batches(api.platform, [StockPush(d.item_id, d.model_id, d.channel_sku, d.qty) for d in due]):
        try:
            await client.update_stock(client.current(api), batch)
        except Retry as exc:  # rate limited past the client's own back-off: the job comes back
            retry = exc
            break
        except PlatformError as exc:
            log.warning("stock_push_refused", shop=api.shop_code, error=str(exc)[:200])
            failed.extend((by_key[(p.item_id, p.model_id)].listing_id, str(exc)) for p in batch)
            continue
        done.extend(
            (by_key[(p.item_id, p.model_id)].listing_id, by_key[(p.item_id, p.model_id)].due_seq, p.qty)
            for p in batch
        )
    await ctx.db.run_write(record_pushed, done, failed, ctx.now())
    if retry is not None:
        raise retry
    if failed:
        raise PlatformError(api.platform, "push_failed", f"{len(failed)} listings refused")


register(PUSH, push_shop)


@dataclass(frozen=True)
class Drift:
    listing_id: uuid.UUID
    should: int
    pushed: int | None
    clamped: bool  # the campaign lock is above what we can sell


def drift(conn: Connection, shop_id: uuid.UUID | None = None) -> list[Drift]:
    """Listings whose last pushed quantity is not what they should show now (and no push is
    under way for them), or whose campaign lock exceeds what we can sell."""
    stmt = select(ListingStock.listing_id, ListingStock.pushed_qty).where(ListingStock.push_due.is_(False))
    if shop_id is not None:
        stmt = stmt.where(ListingStock.shop_id == shop_id)
    pushed = {row[0]: row[1] for row in conn.execute(stmt)}
    want = targets(conn, pushed)
    return [
        Drift(lid, t.qty, pushed[lid], t.clamped)
        for lid, t in sorted(want.items())
        if pushed[lid] != t.qty or t.clamped
    ]
