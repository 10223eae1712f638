"""The durable job table (server/jobs/__init__.py explains how it is used)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, JSONDoc, UTCDateTime, new_id, utcnow

JOB_STATES = ("ready", "done", "dead")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    # Dedupe key within the kind: enqueueing the same (kind, key) again does not add a second job.
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="ready")  # ready | done | dead
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    # Bumped when the job is asked for again while it runs: the run that started before does not
    # mark it done, so the change that came meanwhile is not lost.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_jobs_due", "state", "run_at"),
    )
