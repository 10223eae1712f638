"""A phone clock far ahead cannot freeze a bin (PROTOCOL.md §6): an op stamped more than the bound
ahead of the server's time is journalled as sent, judged as of its arrival, and its device is
flagged once. Through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.exceptions.models import ExceptionRecord
from server.sync_api.models import SyncOp
from sync import HLCTimestamp, StockCounted, StockReceived, wall_clock_ms
from tests.kit.sync import SyncWorld, bins_by_code, connect, op_for, push, seed

YEAR_MS = 365 * 86_400_000


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def stamp(ms: int) -> str:
    return HLCTimestamp(ms, 0).encode()


def test_a_count_stamped_a_year_ahead_does_not_cancel_later_receipts(world: SyncWorld, client: Any) -> None:
    ahead, honest = world.phones["wh1"], world.phones["wh1"]
    now = wall_clock_ms()
    count = op_for(ahead, 1, StockCounted(wh="W", bin="B1", sku="S1", counted=50), hlc=stamp(now + YEAR_MS))
    answer = push(client, ahead, count)
    assert answer.res[0].st == "flagged"
    assert "device_clock_ahead" in [n.code for n in answer.res[0].notes]
    # A receipt recorded after the count (by the server's time) is not absorbed by it.
    later = op_for(
        honest, 2, StockReceived(wh="W", bin="B1", sku="S1", qty=7), hlc=stamp(wall_clock_ms() + 1000)
    )
    assert push(client, honest, later).res[0].st == "applied"
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 57}
        # Journalled as the phone sent it.
        assert conn.execute(select(SyncOp.hlc).where(SyncOp.op_id == count.id)).scalar_one() == count.hlc


def test_the_device_is_flagged_once_while_its_exception_is_open(world: SyncWorld, client: Any) -> None:
    phone = world.phones["wh1"]
    far = wall_clock_ms() + YEAR_MS
    ops = [
        op_for(phone, n, StockReceived(wh="W", bin="B1", sku="S1", qty=1), hlc=stamp(far + n))
        for n in (1, 2, 3)
    ]
    first = push(client, phone, *ops[:2])
    assert [r.st for r in first.res] == ["flagged", "applied"]
    assert push(client, phone, ops[2]).res[0].st == "applied"
    with connect(world.url) as conn:
        kinds = conn.execute(select(ExceptionRecord.kind, ExceptionRecord.details)).all()
        assert [(k, d["device"]) for k, d in kinds] == [("device_clock_ahead", phone.device_id)]


def test_a_clock_within_the_bound_is_taken_as_it_is(world: SyncWorld, client: Any) -> None:
    phone = world.phones["wh1"]
    op = op_for(
        phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=1), hlc=stamp(wall_clock_ms() + 60_000)
    )
    assert push(client, phone, op).res[0].st == "applied"
