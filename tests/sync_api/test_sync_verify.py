"""`bodega verify` covers what sync writes: bin balances, rider cash and the change log are
recomputed from their ledgers and any drift is named. And photos that never arrive are chased."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from server.cli import main as cli
from server.db.base import utcnow
from server.sync_api.blobs import chase_missing_proofs
from server.sync_api.verify import check_sync, log_matches_bins
from sync import CashCollected, ProofAttached, StockReceived, SyncRequest
from tests.kit.sync import SyncWorld, engine_for, op_for, post, seed


@pytest.fixture
def world(database_url: str, client: Any) -> SyncWorld:
    world = seed(database_url)
    wh, rider = world.phones["wh1"], world.phones["rider1"]
    ops = [op_for(wh, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=5))]
    assert post(client, wh, SyncRequest(v=1, ops=ops, pull=False), endpoint="push").status_code == 200
    cash = [op_for(rider, 1, CashCollected(order=world.order("O1"), amount=world.cod["O1"]))]
    assert post(client, rider, SyncRequest(v=1, ops=cash, pull=False), endpoint="push").status_code == 200
    return world


def problems(url: str) -> list[str]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return check_sync(conn) + log_matches_bins(conn)
    finally:
        engine.dispose()


def tamper(url: str, sql: str) -> None:
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_a_clean_ledger_verifies(world: SyncWorld) -> None:
    assert problems(world.url) == []


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("UPDATE bin_balances SET qty = qty + 1", "in bin balances but 5 by the ledger"),
        ("UPDATE cash_balances SET amount = amount - 1", "by the ledger"),
        ("UPDATE sync_changes SET val = '99' WHERE kind = 'bin'", "checksum"),
        ("UPDATE sync_scope_sums SET total = total + 1", "checksum of scope"),
    ],
)
def test_drift_is_found_and_named(world: SyncWorld, sql: str, says: str) -> None:
    tamper(world.url, sql)
    found = problems(world.url)
    assert found and any(says in line for line in found), found


def test_the_cli_reports_sync_drift(world: SyncWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODEGA_DATABASE_URL", world.url)
    assert CliRunner().invoke(cli, ["verify"]).exit_code == 0
    tamper(world.url, "UPDATE cash_balances SET amount = amount + 100")
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1 and "DRIFT cash of rider1" in result.output


def test_photos_that_never_arrive_are_chased_once(world: SyncWorld, client: Any) -> None:
    rider = world.phones["rider1"]
    photo = b"a signature"
    arrived = hashlib.sha256(photo).hexdigest()
    lost = hashlib.sha256(b"never uploaded").hexdigest()
    headers = {"Authorization": f"Bearer {rider.token}"}
    assert client.put(f"/sync/v1/blobs/{arrived}", content=photo, headers=headers).status_code == 201
    proofs = [
        op_for(rider, 2, ProofAttached(order=world.order("O1"), blob=arrived, kind="signature")),
        op_for(rider, 3, ProofAttached(order=world.order("O2"), blob=lost)),
    ]
    assert post(client, rider, SyncRequest(v=1, ops=proofs, pull=False), endpoint="push").status_code == 200
    engine = engine_for(world.url)
    with engine.begin() as conn:
        assert chase_missing_proofs(conn) == 0  # not yet: the phone may still be uploading it
        assert chase_missing_proofs(conn, now=utcnow() + timedelta(days=2)) == 1
        assert chase_missing_proofs(conn, now=utcnow() + timedelta(days=3)) == 0  # once
        raised = conn.execute(
            text("SELECT message FROM exceptions WHERE kind = 'proof_missing'")
        ).scalar_one()
        logged = conn.execute(
            text("SELECT COUNT(*) FROM sync_changes WHERE scope = 'exceptions'")
        ).scalar_one()
    engine.dispose()
    assert lost[:12] in raised and world.order("O2") in raised
    assert logged == 1  # supervisors' phones hear of it
