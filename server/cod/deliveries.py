"""Delivery attempts and proofs of delivery: append-only, one row per fact reported.

The one writer of these facts, whichever path brings them (a rider's phone, a courier's status feed,
the console).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from server.cod.models import DeliveryAttempt, ProofLink
from server.db.bulk import insert_rows

OUTCOMES = ("delivered", "failed")


def record_attempts(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Delivery attempts (delivered or failed, with the reason); `counts` is false for a second
    delivery of a parcel already delivered by someone else."""
    insert_rows(conn, DeliveryAttempt, rows)


def link_proofs(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Photos and signatures linked to an order; the blob itself may arrive before or after."""
    insert_rows(conn, ProofLink, rows)
