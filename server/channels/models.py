"""Shops on the sales channels and the mapping of each channel listing to a SKU."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, new_id, utcnow

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
