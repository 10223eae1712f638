"""The count rule (PROTOCOL.md R7) gives one answer for every arrival order with the server's own
movements too: a console receipt keyed before a phone's count is absorbed by it whichever reached
the server first, one keyed after it survives it. Through the real server, on SQLite and
PostgreSQL; the pure property test over all arrival orders is in tests/sync/test_sync_rules.py."""

from __future__ import annotations

from typing import Any

import pytest

from server.inventory import ledger
from sync import HLCTimestamp, PushRequest, StockCounted, event_key, wall_clock_ms
from tests.kit.sync import SyncWorld, bins_by_code, connect, ledger_ok, op_for, post, seed


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


@pytest.mark.parametrize("receipt_first", [True, False], ids=["receipt-first", "count-first"])
@pytest.mark.parametrize(
    ("receipt_offset_ms", "expected"), [(-60_000, 50), (60_000, 57)], ids=["before", "after"]
)
def test_a_console_receipt_and_a_count_end_the_same_in_either_arrival_order(
    world: SyncWorld,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    receipt_first: bool,
    receipt_offset_ms: int,
    expected: int,
) -> None:
    counted_ms = wall_clock_ms()
    receipt_key = event_key(HLCTimestamp(counted_ms + receipt_offset_ms, 0).encode(), "server")
    monkeypatch.setattr(ledger, "server_event_key", lambda: receipt_key)
    phone, sup = world.phones["wh1"], world.phones["sup"]
    count = op_for(
        phone,
        1,
        StockCounted(wh="W", bin="B1", sku="S1", counted=50),
        hlc=HLCTimestamp(counted_ms, 0).encode(),
    )

    def push_count() -> None:
        assert post(client, phone, PushRequest(v=1, ops=[count]), endpoint="push").status_code == 200

    def receive() -> None:
        body = {"warehouse": "W", "lines": [{"sku": "S1", "qty": 7, "bin": "B1"}]}
        response = client.post(
            "/api/v1/stock/receipts", json=body, headers={"Authorization": f"Bearer {sup.token}"}
        )
        assert response.status_code in (200, 201), response.text

    for step in (receive, push_count) if receipt_first else (push_count, receive):
        step()
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): expected}
        assert ledger_ok(conn) == []
