"""The seller's fulfilment settings (ship-by rules, priority rules) and declared closures: what the
ship-by clock (server/orders/ship_by.py) reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, JSONDoc, UTCDateTime, new_id, utcnow


class FulfilmentSetting(Base):
    """One named settings document a seller can change over the API ("ship_by", "priority")."""

    __tablename__ = "fulfilment_settings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Closure(Base):
    """A day the seller does not ship (a stock-taking day, a typhoon): not a working day for ship-by.
    With no warehouse, every warehouse is closed."""

    __tablename__ = "closures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    day: Mapped[date] = mapped_column(Date, index=True)
    warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
