"""The status review queue (raw platform statuses nobody has mapped yet) and each shop's webhook
settings. Held webhooks are retried by every `process_inbox` pass, so a status mapped here lets
its orders in on the next pass."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.auth.principal import ADMIN, MANAGERS, Principal
from server.channels.connection import write_connection
from server.channels.models import Shop, StatusMapping
from server.db import Database
from server.db.base import utcnow
from server.errors import FieldError, InvalidInput, NotFound
from server.intake.statuses import BUILTIN

Platform = Literal["lazada", "shopee", "tiktok", "shopify", "woocommerce"]
CanonicalIn = Literal["unpaid", "to_ship", "shipped", "delivered", "cancelled", "failed_delivery", "returned"]
RawStatus = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class StatusReviewOut(msgspec.Struct):
    platform: str
    raw_status: str
    canonical: str | None
    seen: int
    example_order: str
    first_seen: datetime


class StatusMapIn(msgspec.Struct, forbid_unknown_fields=True):
    canonical: CanonicalIn


class ChannelSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    platform: Platform
    secret: Annotated[str, msgspec.Meta(max_length=255)] = ""
    app_key: Annotated[str, msgspec.Meta(max_length=128)] = ""
    callback_url: Annotated[str, msgspec.Meta(max_length=512)] = ""
    cod_gateways: list[Annotated[str, msgspec.Meta(max_length=128)]] = []


class ChannelSettingsOut(msgspec.Struct):
    shop: str
    platform: str
    app_key: str
    callback_url: str
    cod_gateways: list[str]
    has_secret: bool


def _review(conn: Connection, pending_only: bool) -> list[StatusReviewOut]:
    rows = conn.execute(
        select(
            StatusMapping.platform,
            StatusMapping.raw_status,
            StatusMapping.canonical,
            StatusMapping.seen,
            StatusMapping.example_order,
            StatusMapping.first_seen,
        )
        .where(StatusMapping.canonical.is_(None) if pending_only else StatusMapping.seen >= 0)
        .order_by(StatusMapping.platform, StatusMapping.raw_status)
    ).all()
    return [StatusReviewOut(*r) for r in rows]


def map_status(conn: Connection, platform: str, raw: str, canonical: str, actor: str) -> StatusReviewOut:
    if raw in BUILTIN.get(platform, {}):
        raise InvalidInput(
            f"{platform} status {raw!r} is already mapped by Bodega",
            [FieldError("raw_status", "built-in statuses cannot be remapped")],
        )
    now = utcnow()
    found = conn.execute(
        select(StatusMapping.seen).where(StatusMapping.platform == platform, StatusMapping.raw_status == raw)
    ).scalar()
    if found is None:
        conn.execute(
            insert(StatusMapping).values(
                platform=platform,
                raw_status=raw,
                canonical=canonical,
                seen=0,
                example_order="",
                first_seen=now,
                mapped_by=actor,
                mapped_at=now,
            )
        )
    else:
        conn.execute(
            update(StatusMapping)
            .where(StatusMapping.platform == platform, StatusMapping.raw_status == raw)
            .values(canonical=canonical, mapped_by=actor, mapped_at=now)
        )
    return next(r for r in _review(conn, False) if r.platform == platform and r.raw_status == raw)


def set_settings(conn: Connection, code: str, data: ChannelSettingsIn, actor: str) -> ChannelSettingsOut:
    shop_id = conn.execute(select(Shop.id).where(Shop.code == code)).scalar()
    if shop_id is None:
        raise NotFound(f"no shop has the code {code}", [FieldError("code", "no shop has this code")])
    write_connection(
        conn,
        shop_id,
        data.platform,
        {
            "webhook_secret": data.secret,
            "app_key": data.app_key,
            "callback_url": data.callback_url,
            "cod_gateways": [g.lower() for g in data.cod_gateways],
        },
        actor,
    )
    return ChannelSettingsOut(
        code, data.platform, data.app_key, data.callback_url, data.cod_gateways, bool(data.secret)
    )


@get(
    "/api/v1/channels/status-review",
    opt=MANAGERS,
    tags=["channels"],
    summary="Raw statuses waiting to be mapped",
)
async def list_status_review(db: Database, all: bool = False) -> list[StatusReviewOut]:
    return await db.run_read(_review, not all)


@put(
    "/api/v1/channels/status-review/{platform:str}/{raw_status:str}",
    opt=ADMIN,
    tags=["channels"],
    summary="Say what a platform's raw status means; its held orders go in on the next pass",
)
async def put_status_map(
    request: Request[Principal, Any, Any],
    db: Database,
    platform: FromPath[Platform],
    raw_status: FromPath[RawStatus],
    data: JSONBody[StatusMapIn],
) -> StatusReviewOut:
    return await db.run_write(map_status, platform, raw_status, data.canonical, request.user.username)


@put(
    "/api/v1/shops/{code:str}/channel-settings",
    opt=ADMIN,
    tags=["channels"],
    summary="Set how a shop's webhooks are verified (platform, secret, app key, callback URL, COD gateways)",
)
async def put_channel_settings(
    request: Request[Principal, Any, Any], db: Database, code: str, data: JSONBody[ChannelSettingsIn]
) -> ChannelSettingsOut:
    from server.intake.webhooks import forget_keys

    out = await db.run_write(set_settings, code, data, request.user.actor)
    forget_keys(code)
    return out
