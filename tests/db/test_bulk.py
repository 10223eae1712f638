"""Rows written by the bulk helpers (server/db/bulk.py) read back through the ORM exactly as rows
written by the ORM do, on both databases: on SQLite the helpers encode values themselves (UUIDs as
hex, UTC times as text, JSON, booleans), so a mistake there would be silent until read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from server.db.base import new_id
from server.db.bulk import in_values, insert_rows, update_rows, upsert_rows
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, Warehouse
from tests.conftest import _sync_url

AT = datetime(2026, 11, 11, 1, 2, 3, 456789, tzinfo=UTC)


def _columns(row: Any, names: list[str]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def test_bulk_rows_read_back_as_orm_rows(database_url: str) -> None:
    engine = create_engine(_sync_url(database_url))
    try:
        wh = new_id()
        by_orm, by_bulk = new_id(), new_id()
        details: dict[str, Any] = {"op": str(uuid.uuid4()), "seq": 7, "note": "ñ ✓"}
        with Session(engine) as s, s.begin():
            s.add(Warehouse(id=wh, code="W", name="W", region="NCR"))
            s.flush()
            s.add(Bin(id=new_id(), warehouse_id=wh, code="ORM", zone="A", active=False, created_at=AT))
            s.add(
                ExceptionRecord(
                    id=by_orm, kind="k", message="m", warehouse_id=wh, details=details, created_at=AT
                )
            )
        with engine.begin() as conn:
            insert_rows(
                conn,
                Bin,
                [
                    {
                        "id": new_id(),
                        "warehouse_id": wh,
                        "code": "BULK",
                        "zone": "A",
                        "active": False,
                        "created_at": AT,
                    }
                ],
            )
            base = {"kind": "k", "status": "open", "message": "m", "order_id": None, "sku_id": None}
            row = base | {"id": by_bulk, "warehouse_id": wh, "details": details, "created_at": AT}
            insert_rows(conn, ExceptionRecord, [row | {"resolved_at": None, "resolved_by": None}])
            update_rows(
                conn, ExceptionRecord, ("id",), [{"id": by_bulk, "resolution": "done", "resolved_at": AT}]
            )
            upsert_rows(
                conn,
                ExceptionRecord,
                ("id",),
                [row | {"message": "upserted"}],
                update=("message",),
            )
            found = conn.execute(
                select(ExceptionRecord.id).where(in_values(conn, ExceptionRecord.id, [by_orm, by_bulk]))
            ).scalars()
            assert set(found) == {by_orm, by_bulk}
        with Session(engine) as s:
            bins = {b.code: b for b in s.scalars(select(Bin))}
            names = ["warehouse_id", "zone", "active", "created_at"]
            assert _columns(bins["BULK"], names) == _columns(bins["ORM"], names)
            orm, bulk = s.get(ExceptionRecord, by_orm), s.get(ExceptionRecord, by_bulk)
            assert orm is not None and bulk is not None
            names = ["kind", "warehouse_id", "details", "created_at"]
            assert _columns(bulk, names) == _columns(orm, names)
            assert (bulk.message, bulk.resolution, bulk.resolved_at) == ("upserted", "done", AT)
    finally:
        engine.dispose()
