"""SKUs, their barcodes, and bundles made of component SKUs."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, new_id, utcnow

BARCODE_KINDS = ("ean13", "upc", "code128", "internal")


class Sku(Base):
    __tablename__ = "skus"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the seller's own SKU code
    name: Mapped[str] = mapped_column(String(255))
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("weight_grams >= 0", name="weight_not_negative"),)


class Barcode(Base):
    """A scannable code for a SKU. A SKU may have several; a code belongs to one SKU only."""

    __tablename__ = "barcodes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BundleComponent(Base):
    """One component line of a bundle: selling the bundle takes `qty` of the component."""

    __tablename__ = "bundle_components"

    bundle_sku_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True
    )
    component_sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), primary_key=True, index=True)
    qty: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)
