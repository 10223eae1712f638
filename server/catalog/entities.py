"""The catalog as the warehouse phones hold it: a sku entity per active SKU, with its barcodes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.catalog.models import Barcode, Sku
from server.changes.entities import chunks
from server.changes.log import Changes
from server.changes.scopes import CATALOG
from server.db.bulk import in_values


def sku_entities(conn: Connection, sku_ids: Iterable[uuid.UUID]) -> Changes:
    ids = sorted(set(sku_ids))
    changes: Changes = {}
    for chunk in chunks(ids):
        barcodes: dict[uuid.UUID, list[str]] = defaultdict(list)
        for sku_id, code in conn.execute(
            select(Barcode.sku_id, Barcode.code).where(in_values(conn, Barcode.sku_id, chunk))
        ).all():
            barcodes[sku_id].append(code)
        for sku_id, code, name, active in conn.execute(
            select(Sku.id, Sku.code, Sku.name, Sku.active).where(in_values(conn, Sku.id, chunk))
        ).all():
            value = {"name": name, "barcodes": sorted(barcodes.get(sku_id, []))} if active else None
            changes[(CATALOG, "sku", code)] = value
    return changes
