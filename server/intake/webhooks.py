"""POST /api/v1/channels/{shop}/webhook: verify, store, acknowledge. Nothing else on this path.

Public (no token): the platform's signature over the raw body is the only authentication. A bad
signature is refused with 401 Problem Details and counted (channel_signature_failures, for the
alert rules); the body is never processed. A verified webhook is stored durably before the 200
(group commit: a burst of deliveries shares one transaction), which also asks for the inbox job
(server/intake/jobs.py): the worker runs `server.intake.inbox.process_inbox` in the background,
in short transactions and after a lull in deliveries, so an acknowledgement never waits long.
Lazada wants an answer within 500 ms.
"""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from litestar import Request, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import PUBLIC
from server.channels.models import Shop, ShopConnection
from server.channels.signatures import HEADERS, Keys, verify
from server.channels.values import loads
from server.db import Database
from server.db.base import utcnow
from server.db.group_commit import GroupCommitter
from server.errors import BodegaError, FieldError, NotFound, Problem
from server.intake.inbox import event_key, record_signature_failure, store_webhooks, topic_of
from server.intake.jobs import ask_for_processing, deliveries
from server.intake.mapping import platform_of

KEYS_TTL = 5.0  # seconds a shop's webhook keys are cached (a changed secret applies within this)
MAX_BATCH = 500


class BadSignature(BodegaError):
    status = 401
    slug = "bad-signature"
    title = "The webhook signature is not valid"


class WebhookAck(msgspec.Struct):
    received: bool
    duplicate_safe: bool = True


@dataclass(frozen=True)
class ShopKeys:
    shop_id: uuid.UUID
    keys: Keys | None


_keys_cache: dict[str, tuple[float, ShopKeys | None]] = {}


def _read_keys(conn: Connection, code: str) -> ShopKeys | None:
    row = conn.execute(
        select(
            Shop.id,
            Shop.channel,
            ShopConnection.platform,
            ShopConnection.webhook_secret,
            ShopConnection.app_key,
            ShopConnection.callback_url,
        )
        .outerjoin(ShopConnection, ShopConnection.shop_id == Shop.id)
        .where(Shop.code == code, Shop.active.is_(True))
    ).first()
    if row is None:
        return None
    shop_id, channel, _, secret, app_key, url = row
    platform = cast("str | None", row[2])  # NULL when the shop has no settings (outer join)
    if platform is None or not secret:  # no row, or an API connection with no webhook secret yet
        return ShopKeys(shop_id, None)
    return ShopKeys(shop_id, Keys(platform_of(channel, platform), secret or "", app_key or "", url or ""))


async def shop_keys(db: Database, code: str) -> ShopKeys | None:
    now = time.monotonic()
    hit = _keys_cache.get(code)
    if hit is not None and now - hit[0] < KEYS_TTL:
        return hit[1]
    found = await db.run_read(_read_keys, code)
    _keys_cache[code] = (now, found)
    return found


def forget_keys(code: str | None = None) -> None:
    if code is None:
        _keys_cache.clear()
    else:
        _keys_cache.pop(code, None)


def _store(conn: Connection, rows: list[dict[str, Any]]) -> None:
    store_webhooks(conn, rows)
    ask_for_processing(conn)  # same transaction: a stored webhook always has its processing asked for


def _inbox(request: Request[Any, Any, Any], db: Database) -> GroupCommitter[dict[str, Any], None]:
    committer = getattr(request.app.state, "webhook_inbox", None)
    if committer is None:

        async def commit(rows: list[dict[str, Any]]) -> list[None]:
            await db.run_write(_store, rows)
            return [None] * len(rows)

        committer = GroupCommitter("webhooks", commit, size=lambda _: 1, max_size=MAX_BATCH)
        request.app.state.webhook_inbox = committer
    return committer


@post(
    "/api/v1/channels/{shop:str}/webhook",
    opt=PUBLIC,
    tags=["channels"],
    status_code=200,
    summary="Receive a platform webhook (signed; stored, then processed in the background)",
    description=(
        "Authenticated by the platform's signature over the raw body only: Lazada and TikTok Shop "
        "`Authorization` = hex HMAC-SHA256(app secret, app key + body); Shopee `Authorization` = hex "
        "HMAC-SHA256(partner key, callback URL + '|' + body); Shopify `X-Shopify-Hmac-Sha256` and "
        "WooCommerce `X-WC-Webhook-Signature` = base64 HMAC-SHA256(secret, body). WooCommerce's unsigned "
        "ping (`webhook_id=...`) is answered 200. Redeliveries are stored once."
    ),
    responses={
        401: ResponseSpec(
            Problem,
            description="Signature missing or wrong (counted, never processed)",
            media_type="application/problem+json",
            examples=[Example(value={"type": "https://bodega.ph/problems/bad-signature", "status": 401})],
        ),
        404: ResponseSpec(
            Problem, description="No active shop with this code", media_type="application/problem+json"
        ),
    },
)
async def receive_webhook(request: Request[Any, Any, Any], db: Database, shop: str) -> WebhookAck:
    body = await request.body()
    found = await shop_keys(db, shop)
    if found is None:
        raise NotFound(
            f"no active shop has the code {shop}", [FieldError("shop", "no active shop has this code")]
        )
    headers = {k.lower(): v for k, v in request.headers.items()}
    keys = found.keys
    remote = request.client.host if request.client else ""
    if keys is None:
        await db.run_write(
            record_signature_failure, shop, "webhooks are not set up for this shop", body, remote
        )
        raise BadSignature("webhooks are not set up for this shop", [FieldError("shop", "no webhook secret")])
    if (
        keys.platform == "woocommerce"
        and HEADERS["woocommerce"] not in headers
        and body.startswith(b"webhook_id=")
    ):
        return WebhookAck(received=True)  # WooCommerce's ping when the webhook is created
    why = verify(keys, body, headers)
    if why is not None:
        await db.run_write(record_signature_failure, shop, why, body, remote)
        header = HEADERS[keys.platform]
        raise BadSignature("the webhook signature is not valid", [FieldError(header, why)])
    doc = None
    if keys.platform in ("lazada", "shopee", "tiktok"):  # small bodies carrying their event id / type
        try:
            doc = loads(body)
        except ValueError:
            doc = None
    row = {
        "shop_id": found.shop_id,
        "event_key": event_key(keys.platform, body, headers, doc),
        "topic": topic_of(keys.platform, headers, doc),
        "body": body.decode("utf-8", "replace").replace("\x00", "\\u0000"),
        "state": "new",
        "attempts": 0,
        "note": "",
        "received_at": utcnow(),
    }
    with deliveries.store():  # the inbox job waits for a lull in these (server/intake/jobs.py)
        await _inbox(request, db).submit(row)
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        jobs.poke()  # the inbox job was just asked for: run it now, not at the worker's next poll
    return WebhookAck(received=True)
