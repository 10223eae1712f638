"""Stock as the warehouse phones hold it: units per bin and SKU, and the warehouse's bins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.changes.entities import chunks
from server.changes.log import Changes
from server.changes.scopes import bin_key, wh_scope
from server.db.bulk import in_values, uuid_order
from server.inventory.models import Bin, BinBalance, Warehouse
from sync import STAGING


def bin_entities(conn: Connection, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> Changes:
    """Units per bin and SKU, from the bin balances (0: the entity is deleted)."""
    wanted = sorted(set(pairs))
    changes: Changes = {}
    for chunk in chunks(wanted):
        bin_ids = sorted({b for b, _ in chunk})
        sku_ids = sorted({s for _, s in chunk})
        keep = set(chunk)
        sums = {
            (r[0], r[1]): int(r[2])
            for r in conn.execute(
                select(BinBalance.bin_id, BinBalance.sku_id, BinBalance.qty).where(
                    in_values(conn, BinBalance.bin_id, bin_ids), in_values(conn, BinBalance.sku_id, sku_ids)
                )
            ).all()
        }
        bins = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                select(Bin.id, Bin.code, Warehouse.code)
                .join(Warehouse, Warehouse.id == Bin.warehouse_id)
                .where(in_values(conn, Bin.id, bin_ids))
            ).all()
        }
        skus = dict(conn.execute(select(Sku.id, Sku.code).where(in_values(conn, Sku.id, sku_ids))).all())
        for bin_id, sku_id in chunk:
            if (bin_id, sku_id) not in keep or bin_id not in bins or sku_id not in skus:
                continue
            bin_code, wh_code = bins[bin_id]
            qty = sums.get((bin_id, sku_id), 0)
            changes[(wh_scope(wh_code), "bin", bin_key(bin_code, skus[sku_id]))] = qty or None
    return changes


def location_entities(conn: Connection, bin_ids: Iterable[uuid.UUID]) -> Changes:
    """Every active bin of a warehouse, empty or not, so a phone can tell a mistyped label from a
    bin nobody has stocked yet; an inactive one is deleted. The staging area is not a shelf."""
    changes: Changes = {}
    for chunk in chunks(sorted(set(bin_ids), key=uuid_order)):
        for code, zone, active, wh_code in conn.execute(
            select(Bin.code, Bin.zone, Bin.active, Warehouse.code)
            .join(Warehouse, Warehouse.id == Bin.warehouse_id)
            .where(in_values(conn, Bin.id, chunk), Bin.code != STAGING)
        ).all():
            changes[(wh_scope(wh_code), "location", code)] = {"zone": zone} if active else None
    return changes
