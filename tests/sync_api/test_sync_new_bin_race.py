"""Two pushes creating the same bin at once on PostgreSQL (PROTOCOL.md §3.1): the second takes the
row the first created instead of failing on the unique (warehouse, code) key and redoing its batch
carefully. The race is made deterministic: the bin is created by another transaction after this
push's world looked for it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select

from server.auth.principal import Principal
from server.db.base import new_id
from server.inventory.models import Bin, StockMovement, Warehouse
from server.sync_api import world as sync_world
from server.sync_api.push import PushJob, apply_batch
from sync import StockReceived
from tests.conftest import _truncate_postgres
from tests.kit.sync import engine_for, op_for, seed


# PostgreSQL only: on SQLite there is one writer, so two transactions never create a bin at once.
@pytest.fixture
def database_url(postgres_server_url: str) -> str:
    _truncate_postgres(postgres_server_url)
    return postgres_server_url


@pytest.mark.postgres
def test_a_bin_created_meanwhile_by_another_push_is_taken_not_a_failure(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = seed(database_url)
    phone = world.phones["wh1"]
    engine = engine_for(database_url)
    real_load = sync_world.DbWorld._load_bins

    def load_then_lose_the_race(self: Any, bins: Any) -> None:
        real_load(self, bins)  # finds no bin NEW ...
        with engine.begin() as other:  # ... which another push creates and commits right after
            wid = other.execute(select(Warehouse.id).where(Warehouse.code == "W")).scalar_one()
            other.execute(insert(Bin).values(id=new_id(), warehouse_id=wid, code="NEW"))

    monkeypatch.setattr(sync_world.DbWorld, "_load_bins", load_then_lose_the_race)
    with engine.connect() as conn:
        wh = conn.execute(select(Warehouse.id).where(Warehouse.code == "W")).scalar_one()
    principal = Principal(uuid.uuid4(), "wh1", "warehouse", uuid.UUID(phone.device_id), wh)
    op = op_for(phone, 1, StockReceived(wh="W", bin="NEW", sku="S1", qty=2))
    try:
        with engine.begin() as conn:
            outcome = apply_batch(conn, [PushJob(principal, [op])])
        assert outcome.jobs[0].results[0].st == "applied"
        with engine.connect() as conn:
            bins = conn.execute(select(Bin.id).where(Bin.code == "NEW")).scalars().all()
            moved = conn.execute(select(StockMovement.bin_id)).scalars().all()
        assert len(bins) == 1 and moved == bins
    finally:
        engine.dispose()
