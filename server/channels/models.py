"""Shops on the sales channels and the mapping of each channel listing to a SKU."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow
from server.db.encrypted import EncryptedText

CHANNELS = ("lazada", "shopee", "tiktok", "webstore")


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    # The channel's own id for the shop (Lazada seller id, Shopee shop_id, ...), if known.
    external_shop_id: Mapped[str | None] = mapped_column(String(64))
    # Tried first when allocating this shop's orders, before the warehouse priority order.
    default_warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    # The courier this shop's parcels are handed to (a courier code, "jnt"); "" = our own riders.
    # Waves grouped by courier put one courier's orders together, for one pickup.
    courier: Mapped[str] = mapped_column(String(32), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Listing(Base):
    """A channel's item/variation in one shop, and the SKU it sells."""

    __tablename__ = "listings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64), default="")  # variation; "" when none
    channel_sku: Mapped[str | None] = mapped_column(String(128))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "item_id", "model_id"),)


# ---------------------------------------------------------------------------------------------
# Orders in: the webhook inbox, signature failures, the status review queue and
# what each channel last said about each order.

PLATFORMS = ("lazada", "shopee", "tiktok", "shopify", "woocommerce")


class ChannelWebhook(Base):
    """A verified webhook, stored before it is acknowledged; processed later (`process_inbox`).

    state: new (to process), done, held (an unmapped listing: retried on every pass), review
    (an unknown status: retried once it is mapped), failed (unreadable; kept with the reason).
    """

    __tablename__ = "channel_webhooks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # The platform's event id, or the body's SHA-256: the same delivery twice is stored once.
    event_key: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("shop_id", "event_key"),
        Index("ix_channel_webhooks_state", "state", "id"),
    )


class SignatureFailure(Base):
    """A webhook refused for its signature: counted for the alert rules, never processed."""

    __tablename__ = "channel_signature_failures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    shop_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    body_sha256: Mapped[str] = mapped_column(String(64))
    remote: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class StatusMapping(Base):
    """A raw platform status someone mapped, or (canonical NULL) one waiting for review."""

    __tablename__ = "channel_status_map"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    raw_status: Mapped[str] = mapped_column(String(64), primary_key=True)
    canonical: Mapped[str | None] = mapped_column(String(24))
    seen: Mapped[int] = mapped_column(Integer, default=0)
    example_order: Mapped[str] = mapped_column(String(64), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mapped_by: Mapped[str | None] = mapped_column(String(64))
    mapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChannelOrderState(Base):
    """What the channel last said about an order: raw status, canonical status, flags, payload.

    `hold` is why it is not (yet) an order in Bodega: an unmapped listing or an unknown status.
    """

    __tablename__ = "channel_orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    raw_status: Mapped[str] = mapped_column(String(64), default="")
    canonical: Mapped[str | None] = mapped_column(String(24))
    flags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    payload: Mapped[str] = mapped_column(Text, default="")
    channel_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    hold: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)


class ShopConnection(Base):
    """Everything about how a shop's platform talks to Bodega and back, in one row per shop:

    - the API (orders pulled, stock pushed): the app's credentials, the seller's tokens and the
      base URL (configurable per shop, so tests and sandboxes point elsewhere; "" = no API
      connection yet: nothing is pulled or pushed);
    - the webhooks (orders in): the secret that signs them (Lazada/TikTok: the app secret, with
      `app_key`; Shopee: the partner key, with `callback_url`; Shopify/WooCommerce: the webhook
      secret), and Shopify's gateway names that mean Cash on Delivery.

    Written by one function only, `server.channels.connection.write_connection`, whichever
    endpoint sets which part (PUT .../connection, PUT .../channel-settings)."""

    __tablename__ = "shop_connections"

    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    # lazada | shopee | tiktok | shopify | woocommerce (tells Shopify from WooCommerce for a webstore)
    platform: Mapped[str] = mapped_column(String(16))
    base_url: Mapped[str] = mapped_column(String(255), default="")
    app_key: Mapped[str] = mapped_column(String(128), default="")  # partner id, consumer key ...
    # Encrypted at rest (server/db/encrypted.py); plain text to the code that reads them.
    app_secret: Mapped[str] = mapped_column(EncryptedText, default="")  # partner key, consumer secret ...
    access_token: Mapped[str] = mapped_column(EncryptedText, default="")
    refresh_token: Mapped[str] = mapped_column(EncryptedText, default="")
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Platform specifics: TikTok shop_cipher, Shopify location id, the warehouse ids to push to ...
    extra: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # The end of the last update-time window pulled (the poll resumes from here).
    pulled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    webhook_secret: Mapped[str] = mapped_column(EncryptedText, default="")  # AES-GCM at rest
    callback_url: Mapped[str] = mapped_column(String(512), default="")
    # Shopify gateway names that mean Cash on Delivery (lower case).
    cod_gateways: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockRule(Base):
    """How much of the sellable stock a listing shows: set for a whole shop (listing_id null) or
    for one listing (wins over the shop's). Buffer = fixed units, or a percentage (rounded up);
    `only_shop_below`: when fewer than that many are left, only `only_shop_id` sells it.
    `preorder_days` > 0: the listing also shows units arriving at an active warehouse within that
    many Manila days (server/inbound/preorder.py); 0 = free stock only."""

    __tablename__ = "stock_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    listing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    buffer_units: Mapped[int] = mapped_column(Integer, default=0)
    buffer_percent: Mapped[int] = mapped_column(Integer, default=0)
    only_shop_below: Mapped[int] = mapped_column(Integer, default=0)
    only_shop_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"))
    preorder_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shop_id", "listing_id"),)


class ListingStock(Base):
    """The stock side of one listing: what the marketplace has locked for a campaign, whether a push
    is due, and the last quantity pushed and when (the drift monitor compares it with what it should be)."""

    __tablename__ = "listing_stock"

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    campaign_locked: Mapped[int] = mapped_column(Integer, default=0)
    push_due: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counts the changes that made a push due: a push clears push_due only if none came meanwhile.
    due_seq: Mapped[int] = mapped_column(Integer, default=0)
    pushed_qty: Mapped[int | None] = mapped_column(Integer)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the availability change that made the push due happened (exposure measurement).
    due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_error: Mapped[str] = mapped_column(String(512), default="")

    __table_args__ = (Index("ix_listing_stock_due", "shop_id", "push_due"),)
