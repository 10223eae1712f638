"""The seller's alert settings: thresholds of the alert rules, who hears first, escalation, quiet
hours. One row (id 1); the document is checked by `AlertSettingsIn` before it is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, JSONDoc, UTCDateTime, utcnow


class AlertSettingsRow(Base):
    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
