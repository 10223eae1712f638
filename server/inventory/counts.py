"""Cycle counts: the latest count of each SKU in each bin, by event key, that the count rule
orders the bin's movements against (sync/PROTOCOL.md R7). The movement a count produces goes
to the stock ledger like any other; this keeps what was counted, when and by which op."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from server.db.bulk import upsert_rows
from server.db.touched import touched
from server.inventory.models import BinCount


def record_counts(conn: Connection, rows: Sequence[dict[str, Any]], warehouses: set[uuid.UUID]) -> None:
    """Keep the newest count per (bin, SKU); open count tasks of these warehouses may be complete."""
    upsert_rows(
        conn, BinCount, ("bin_id", "sku_id"), rows, update=("counted_at", "counted", "op_id", "updated_at")
    )
    touched(conn).counted_in.update(warehouses)
