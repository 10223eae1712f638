"""Counts that cannot zero a bin by accident: a 0 is a count only when the line is marked empty; a
count beyond the seller's threshold is held, a recount is asked for, and a recount still beyond it
changes stock only when a supervisor approves it (or never, when rejected)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from sync import StockCounted, StockReceived
from tests.conftest import auth
from tests.kit.sync import SyncWorld, connect, op_for, pull, push, results, seed


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> SyncWorld:
    monkeypatch.setenv("BODEGA_COUNT_REVIEW", "1")  # as `bodega serve` runs (tests/conftest.py turns it off)
    return seed(database_url, orders=0)


def bin_qty(world: SyncWorld, bin_code: str = "B1", sku: str = "S1") -> int:
    with connect(world.url) as conn:
        return int(
            conn.execute(
                text(
                    "SELECT COALESCE(SUM(m.qty), 0) FROM stock_movements m JOIN bins b ON b.id = m.bin_id "
                    "JOIN skus s ON s.id = m.sku_id WHERE b.code = :b AND s.code = :s"
                ),
                {"b": bin_code, "s": sku},
            ).scalar_one()
        )


def notes(answer: Any) -> list[str]:
    return [n.code for r in answer.res for n in r.notes]


def reviews(client: Any, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/count-reviews", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_unmarked_zero_is_not_a_count(world: SyncWorld, client: Any) -> None:
    phone = world.phones["wh1"]
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=33)))
    answer = push(client, phone, op_for(phone, 2, StockCounted(wh="W", bin="B1", sku="S1", counted=0)))
    assert results(answer) == [(2, "flagged")] and notes(answer) == ["count_zero_unmarked"]
    assert bin_qty(world) == 33
    bad = push(
        client, phone, op_for(phone, 3, StockCounted(wh="W", bin="B1", sku="S1", counted=2, empty=True))
    )
    assert results(bad) == [(3, "rejected")]  # a line marked empty cannot hold units
    assert bin_qty(world) == 33


def test_a_small_variance_applies_at_once(world: SyncWorld, client: Any) -> None:
    phone = world.phones["wh1"]
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=33)))
    answer = push(client, phone, op_for(phone, 2, StockCounted(wh="W", bin="B1", sku="S1", counted=31)))
    assert results(answer) == [(2, "applied")]
    assert bin_qty(world) == 31


def test_a_big_variance_needs_a_recount_then_a_supervisors_approval(
    world: SyncWorld, client: Any, tokens: dict[str, str]
) -> None:
    phone = world.phones["wh1"]
    supervisor = auth(tokens["supervisor"])
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=87)))
    first = pull(client, phone)
    empty = StockCounted(wh="W", bin="B1", sku="S1", counted=0, empty=True)
    answer = push(client, phone, op_for(phone, 2, empty))
    assert notes(answer) == ["count_variance"] and bin_qty(world) == 87  # held, not applied
    (review,) = reviews(client, supervisor)
    assert (review["status"], review["counted"], review["believed"]) == ("recount", 0, 87)
    tasks = [c.val for c in pull(client, phone, first.cur).ch if c.kind == "count_task" and c.val]
    assert tasks == [{"bin": "B1", "skus": ["S1"], "title": "Recount S1 sa B1", "status": "open"}]
    early = client.post(f"/api/v1/count-reviews/{review['id']}/approve", headers=supervisor)
    assert early.status_code == 409  # nobody approves before the recount
    push(client, phone, op_for(phone, 3, StockReceived(wh="W", bin="B1", sku="S1", qty=5)))  # after the count
    answer = push(client, phone, op_for(phone, 4, empty))
    assert "count_variance" in notes(answer) and bin_qty(world) == 92
    (review,) = reviews(client, supervisor, status="approval")
    exceptions = client.get("/api/v1/exceptions", params={"kind": "count_needs_approval"}, headers=supervisor)
    assert exceptions.json()["total"] == 1
    assert (
        client.post(f"/api/v1/count-reviews/{review['id']}/approve", headers=auth(phone.token)).status_code
        == 403
    )
    approved = client.post(f"/api/v1/count-reviews/{review['id']}/approve", headers=supervisor)
    assert approved.status_code == 200, approved.text
    assert bin_qty(world) == 0  # the recount said empty; nothing arrived after it
    assert [r["status"] for r in reviews(client, supervisor)] == ["approved"]
    still_open = client.get(
        "/api/v1/exceptions", params={"kind": "count_needs_approval", "status": "open"}, headers=supervisor
    )
    assert still_open.json()["total"] == 0


def test_a_rejected_count_leaves_the_bin_alone(world: SyncWorld, client: Any, tokens: dict[str, str]) -> None:
    phone = world.phones["wh1"]
    supervisor = auth(tokens["supervisor"])
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=40)))
    for seq in (2, 3):
        push(client, phone, op_for(phone, seq, StockCounted(wh="W", bin="B1", sku="S1", counted=4)))
    (review,) = reviews(client, supervisor, status="approval")
    assert client.post(f"/api/v1/count-reviews/{review['id']}/reject", headers=supervisor).status_code == 200
    assert bin_qty(world) == 40
    assert client.post(f"/api/v1/count-reviews/{review['id']}/approve", headers=supervisor).status_code == 409


def test_a_recount_that_agrees_with_the_ledger_settles_the_review(
    world: SyncWorld, client: Any, tokens: dict[str, str]
) -> None:
    phone = world.phones["wh1"]
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=40)))
    push(client, phone, op_for(phone, 2, StockCounted(wh="W", bin="B1", sku="S1", counted=4)))
    answer = push(client, phone, op_for(phone, 3, StockCounted(wh="W", bin="B1", sku="S1", counted=39)))
    assert results(answer) == [(3, "applied")]
    assert bin_qty(world) == 39
    assert [r["status"] for r in reviews(client, auth(tokens["supervisor"]))] == ["settled"]


def test_the_threshold_is_the_sellers_setting(
    world: SyncWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BODEGA_COUNT_VARIANCE_UNITS", "50")
    phone = world.phones["wh1"]
    push(client, phone, op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=40)))
    answer = push(
        client, phone, op_for(phone, 2, StockCounted(wh="W", bin="B1", sku="S1", counted=0, empty=True))
    )
    assert results(answer) == [(2, "applied")]
    assert bin_qty(world) == 0
