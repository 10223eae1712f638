"""The webhook inbox: a verified webhook is stored, acknowledged, and processed later.

Storing is one idempotent insert (the platform's event id, or the body's SHA-256: a redelivery is
stored once). `process_inbox` turns stored webhooks into orders: a webhook that carries only an
order id (Lazada, Shopee, TikTok) is a hint, so the order's current detail is fetched through an
`OrderSource` (the platform API clients); Shopify and WooCommerce send the whole order. The
orders then go through the one ingest path (server/orders/ingest.py) in the same transaction
that records what the channel said (channel_orders) and marks the webhooks done: duplicates and
out-of-order deliveries change nothing wrong (ingest ignores the same payload and older versions).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import and_, case, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.channels.adapters import ADAPTERS
from server.channels.models import ChannelOrderState, ChannelWebhook, Shop, SignatureFailure, StatusMapping
from server.channels.values import BadValue, ident, loads
from server.db import Database
from server.db.base import utcnow
from server.errors import BodegaError
from server.exceptions.raising import exception_row, raise_exceptions
from server.intake.mapping import Mapped, ShopContext, load_context, payload_text, to_order
from server.orders.ingest import ingest_batch
from server.orders.schemas import IngestResult

log = structlog.get_logger("bodega.channels.inbox")

ACTOR = "channels"
RETRY_STATES = ("new", "held", "review")
# Web store webhook topics that carry an order (their header); other topics are acknowledged only.
ORDER_TOPICS = {"shopify": "orders/", "woocommerce": "order."}

FLAG_MESSAGES = {
    "cancel_requested": "the buyer asked to cancel order {ext} on {shop}: confirm or refuse on the platform",
    "failed_delivery": "{shop} says order {ext} failed delivery (COD refused): expect the parcel back",
    "platform_on_hold": "{shop} holds order {ext}: do not ship until the platform releases it",
}


class OrderSource(Protocol):
    """Where the current detail of an order comes from (the platform API clients)."""

    async def fetch_order(self, shop: str, order_id: str) -> dict[str, Any]: ...


# ---- storing -----------------------------------------------------------------------------------


def event_key(platform: str, body: bytes, headers: dict[str, str], doc: Any) -> str:
    if platform == "shopify" and headers.get("x-shopify-webhook-id"):
        return f"id:{headers['x-shopify-webhook-id'][:120]}"
    if platform == "tiktok" and isinstance(doc, dict) and doc.get("tts_notification_id"):
        return f"id:{str(doc['tts_notification_id'])[:120]}"
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


def topic_of(platform: str, headers: dict[str, str], doc: Any) -> str:
    if platform == "shopify":
        return headers.get("x-shopify-topic", "")[:64]
    if platform == "woocommerce":
        return headers.get("x-wc-webhook-topic", "")[:64]
    if isinstance(doc, dict):
        for name in ("type", "message_type", "code"):
            if name in doc:
                return str(doc[name])[:64]
    return ""


def store_webhooks(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert verified webhooks; one already stored (same shop and event key) is left alone."""
    if not rows:
        return
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = maker(ChannelWebhook).on_conflict_do_nothing(index_elements=["shop_id", "event_key"])
    conn.execute(stmt, rows)


def record_signature_failure(conn: Connection, shop_code: str, reason: str, body: bytes, remote: str) -> None:
    conn.execute(
        insert(SignatureFailure).values(
            shop_code=shop_code[:64],
            reason=reason[:255],
            body_sha256=hashlib.sha256(body).hexdigest(),
            remote=remote[:64],
            received_at=utcnow(),
        )
    )


# ---- processing --------------------------------------------------------------------------------


@dataclass
class InboxReport:
    done: int = 0
    held: int = 0
    review: int = 0
    failed: int = 0
    ignored: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class Work:
    """One stored webhook on its way through processing."""

    webhook_id: int
    shop: str
    platform: str
    payload: dict[str, Any] | None = None
    state: str = ""
    note: str = ""


def order_id_of(platform: str, doc: dict[str, Any]) -> str | None:
    """The order a hint-only webhook is about, or None for a webhook about something else."""
    data = doc.get("data") or {}
    if platform == "lazada" and doc.get("message_type") == 0:
        return ident(data["trade_order_id"])
    if platform == "shopee" and doc.get("code") in (3, 4):
        return ident(data["ordersn"])
    if platform == "tiktok" and doc.get("type") in (1, 4, 11):
        return ident(data["order_id"])
    return None


async def process_inbox(db: Database, source: OrderSource | None, *, limit: int = 200) -> InboxReport:
    """Process stored webhooks (new ones, and held or in-review ones again) once each."""
    rows = await db.run_read(_pending, limit, source is not None)
    work: list[Work] = []
    for webhook_id, shop, platform, topic, body in rows:
        item = Work(webhook_id, shop, platform)
        work.append(item)
        try:
            if topic and not topic.startswith(ORDER_TOPICS.get(platform, "")):
                item.state, item.note = "done", f"topic {topic}: not about an order"
                continue
            doc = loads(body)
            if platform in ("shopify", "woocommerce"):
                item.payload = doc
                continue
            order_id = order_id_of(platform, doc)
            if order_id is None:
                item.state, item.note = "done", "not about an order: nothing to do"
                continue
            if source is None:
                item.state, item.note = "new", "no order source to fetch the order from"
                continue
            item.payload = await source.fetch_order(shop, order_id)
        except (ValueError, KeyError, TypeError, BadValue) as exc:
            item.state, item.note = "failed", f"unreadable: {exc}"[:500]
        except Exception as exc:  # the platform API failed: try again next pass
            log.warning("fetch_failed", shop=shop, webhook=webhook_id, error=str(exc)[:200])
            item.state, item.note = "new", f"fetch failed: {exc}"[:500]
    return await db.run_write(_apply, work)


def _pending(conn: Connection, limit: int, can_fetch: bool) -> list[tuple[int, str, str, str, str]]:
    """New webhooks first (held ones are retried after them, so they never starve new ones);
    without an OrderSource only the web stores', whose webhooks carry the whole order."""
    from server.channels.models import ShopConnection
    from server.intake.mapping import platform_of

    stmt = (
        select(
            ChannelWebhook.id,
            Shop.code,
            Shop.channel,
            ShopConnection.platform,
            ChannelWebhook.topic,
            ChannelWebhook.body,
        )
        .join(Shop, Shop.id == ChannelWebhook.shop_id)
        .outerjoin(ShopConnection, ShopConnection.shop_id == Shop.id)
        .where(ChannelWebhook.state.in_(RETRY_STATES))
        .order_by(case((ChannelWebhook.state == "new", 0), else_=1), ChannelWebhook.id)
        .limit(limit)
    )
    if not can_fetch:
        stmt = stmt.where(
            or_(
                ShopConnection.platform.in_(("shopify", "woocommerce")),
                and_(ShopConnection.platform.is_(None), Shop.channel == "webstore"),
            )
        )
    rows = conn.execute(stmt).all()
    return [(r[0], r[1], platform_of(r[2], r[3]), r[4], r[5]) for r in rows]


def _apply(conn: Connection, work: list[Work]) -> InboxReport:
    """One transaction: adapt, map, ingest, record what the channel said, mark the webhooks."""
    report = InboxReport()
    contexts: dict[str, ShopContext | None] = {}
    mapped: list[tuple[Work, Mapped, ShopContext]] = []
    for item in work:
        if item.payload is None:
            continue
        if item.shop not in contexts:
            contexts[item.shop] = load_context(conn, item.shop)
        ctx = contexts[item.shop]
        if ctx is None:
            item.state, item.note = "failed", "the shop is gone"
            continue
        try:
            channel_order = ADAPTERS[ctx.platform](item.payload, ctx.settings)
        except (ValueError, KeyError, TypeError, BadValue) as exc:
            item.state, item.note = "failed", f"unreadable order: {exc!r}"[:500]
            continue
        mapped.append((item, to_order(channel_order, ctx), ctx))
    results = record_orders(conn, [(m, ctx) for _, m, ctx in mapped], actor=ACTOR)
    for (item, m, _), result in zip(mapped, results, strict=True):
        if isinstance(result, BodegaError):
            item.state, item.note = "failed", f"{result.detail}: {[e.message for e in result.errors]}"[:500]
        elif result is None:
            item.state = "review" if m.hold_kind == "unknown_status" else "held"
            item.note = (m.hold or "")[:500]
        else:
            item.state, item.note = "done", result.outcome
            report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
    now = utcnow()
    for item in work:
        item.state = item.state or "failed"
        if item.state in ("done", "held", "review", "failed"):
            setattr(report, item.state, getattr(report, item.state) + 1)
        conn.execute(
            update(ChannelWebhook)
            .where(ChannelWebhook.id == item.webhook_id)
            .values(
                state=item.state,
                note=item.note[:500],
                attempts=ChannelWebhook.attempts + 1,
                processed_at=now if item.state == "done" else None,
            )
        )
    return report


def record_orders(
    conn: Connection,
    batch: list[tuple[Mapped, ShopContext]],
    *,
    actor: str,
    now: datetime | None = None,
    notable_only: bool = False,
) -> list[IngestResult | BodegaError | None]:
    """Ingest the mapped orders and record what the channel said about each (also the held ones).

    `notable_only` (a CSV import, whose payload is the file itself): channel_orders rows only for
    orders held, flagged, or already recorded there; the others keep their raw status on the order.

    Returns, per input, the ingest result, its refusal, or None for an order held back (an
    unmapped listing or an unknown status). Exceptions are raised for a newly held order and for
    each flag the order did not have before (a cancellation request, a failed delivery)."""
    now = now or utcnow()
    orders = [m.order for m, _ in batch if m.order is not None]
    ingested = iter(ingest_batch(conn, orders, actor) if orders else [])
    results: list[IngestResult | BodegaError | None] = [
        next(ingested) if m.order is not None else None for m, _ in batch
    ]
    keys = sorted({(ctx.shop_id, m.channel.external_id) for m, ctx in batch})
    known: dict[tuple[uuid.UUID, str], Any] = {}
    for shop_id in {k[0] for k in keys}:
        ids = [k[1] for k in keys if k[0] == shop_id]
        for i in range(0, len(ids), 500):
            for row in conn.execute(
                select(
                    ChannelOrderState.shop_id,
                    ChannelOrderState.external_id,
                    ChannelOrderState.flags,
                    ChannelOrderState.hold,
                    ChannelOrderState.channel_updated_at,
                    ChannelOrderState.order_id,
                ).where(
                    ChannelOrderState.shop_id == shop_id, ChannelOrderState.external_id.in_(ids[i : i + 500])
                )
            ).all():
                known[(row[0], row[1])] = row
    inserts: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    updates: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    exceptions: list[dict[str, Any]] = []
    unknown: dict[tuple[str, str], str] = {}
    for (m, ctx), result in zip(batch, results, strict=True):
        co = m.channel
        key = (ctx.shop_id, co.external_id)
        before = inserts.get(key) or updates.get(key) or known.get(key)
        before_flags: list[str] = []
        before_hold = None
        before_time = None
        if isinstance(before, dict):
            before_flags, before_hold, before_time = (
                before["flags"],
                before["hold"],
                before["channel_updated_at"],
            )
        elif before is not None:
            before_flags, before_hold, before_time = list(before[2] or []), before[3], before[4]
        before_order = before.get("order_id") if isinstance(before, dict) else (before[5] if before else None)
        if before_order is None:
            before_flags = []  # flags seen while the order was held were never raised on it: now
        if before_time is not None and co.updated_at < before_time:
            continue  # an older version arriving late: what we hold is newer
        order_id = result.id if isinstance(result, IngestResult) else None
        if notable_only and before is None and not m.hold and not m.flags:
            continue
        row = {
            "shop_id": ctx.shop_id,
            "external_id": co.external_id,
            "raw_status": co.raw_status[:64],
            "canonical": m.status,
            "flags": sorted(set(m.flags)),
            "payload": payload_text(co.payload),
            "channel_updated_at": co.updated_at,
            "hold": m.hold,
            "updated_at": now,
        }
        if order_id is not None:
            row["order_id"] = order_id
        if key in known or key in updates:
            start = updates.get(key) or {"order_id": known[key][5]}
            updates[key] = {**start, **row}
        else:
            inserts[key] = {"id": uuid.uuid4(), "order_id": None, **inserts.get(key, {}), **row}
        if m.hold and m.hold != before_hold:
            kind = m.hold_kind
            exceptions.append(
                exception_row(
                    kind,
                    f"Order {co.external_id} from {ctx.code} is held: {m.hold}",
                    now=now,
                    details={"shop": ctx.code, "order": co.external_id, "raw_status": co.raw_status},
                )
            )
        if m.hold_kind == "unknown_status":
            unknown[(ctx.platform, co.raw_status[:64])] = co.external_id
        if order_id is not None:
            for flag in sorted(set(m.flags) - set(before_flags)):
                message = FLAG_MESSAGES.get(flag, "{shop} flagged order {ext}: " + flag)
                exceptions.append(
                    exception_row(
                        flag,
                        message.format(shop=ctx.code, ext=co.external_id),
                        now=now,
                        order_id=order_id,
                        details={"raw_status": co.raw_status},
                    )
                )
    if inserts:
        conn.execute(insert(ChannelOrderState), list(inserts.values()))
    for (shop_id, external_id), values in updates.items():
        conn.execute(
            update(ChannelOrderState)
            .where(ChannelOrderState.shop_id == shop_id, ChannelOrderState.external_id == external_id)
            .values(**values)
        )
    _note_unknown(conn, unknown, now)
    raise_exceptions(conn, exceptions)
    return results


def _note_unknown(conn: Connection, unknown: dict[tuple[str, str], str], now: datetime) -> None:
    """Put unknown statuses in the review queue (or count them again)."""
    for (platform, raw), example in sorted(unknown.items()):
        seen = conn.execute(
            select(StatusMapping.seen).where(
                StatusMapping.platform == platform, StatusMapping.raw_status == raw
            )
        ).scalar()
        if seen is None:
            conn.execute(
                insert(StatusMapping).values(
                    platform=platform,
                    raw_status=raw,
                    canonical=None,
                    seen=1,
                    example_order=example,
                    first_seen=now,
                )
            )
        else:
            conn.execute(
                update(StatusMapping)
                .where(StatusMapping.platform == platform, StatusMapping.raw_status == raw)
                .values(seen=seen + 1, example_order=example)
            )
