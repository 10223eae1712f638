"""The KPIs' daily rollup: each closed day's numerators and denominators, so a month's page reads
a few thousand small rows instead of the month's whole order history (server/kpis/rollup.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, utcnow

DAY_MARK = "_day"  # a row with this kpi says the day was rolled up (even when it had no facts)


class KpiDay(Base):
    __tablename__ = "kpi_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, Manila
    kpi: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(32), primary_key=True)
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
