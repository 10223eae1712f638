"""COD conflicts: each visible with its evidence (the op's device and time, attempts, proofs, cash)
and settled by an action that goes through the domains' writers, audited. Both databases."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from sync import CashCollected, DeliveryAttempted, ProofAttached
from tests.cod.home import RIDER, Home
from tests.conftest import hot_path_fixtures
from tests.kit.sync import connect

# Settling a conflict writes cash and audits: also through the SQLite writer process.
database_url, writer_process = hot_path_fixtures()


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


def _conflicts(home: Home, kind: str) -> list[dict[str, Any]]:
    return [c for c in home.rest("GET", "/api/v1/cod/conflicts") if c["kind"] == kind]


def _cash(home: Home, holder: str = RIDER) -> int:
    return int(home.rest("GET", f"/api/v1/cod/cash/{holder}")["amount"])


def _audit(home: Home) -> list[tuple[str, Any]]:
    with connect(home.url) as conn:
        rows = conn.execute(select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.id)).all()
    return [(r[0], r[1]) for r in rows if r[0].startswith("cod.conflict.")]


def test_cash_for_a_cancelled_order_is_shown_with_its_evidence_and_refunded(home: Home) -> None:
    order = home.order("S-1")
    home.walk(order, "picking", "packed")
    home.run_of(order)
    home.walk(order, "cancelled")  # the buyer cancelled before the rider reached the door
    cod = home.cod(order)
    blob = hashlib.sha256(b"photo").hexdigest()
    home.push(ProofAttached(order=order, blob=blob, kind="photo"))
    assert home.push(CashCollected(order=order, amount=cod)).st == "flagged"
    [c] = _conflicts(home, "cash_for_cancelled_order")
    assert c["order"] == order and c["external_id"] == "S-1" and c["cod_amount"] == cod
    assert c["op"]["device"] == home.rider.device_id and c["op"]["actor"] == RIDER
    assert c["op"]["type"] == "cash.collected@v2" and c["op"]["recorded_at"]
    assert [(p["blob"], p["url"]) for p in c["proofs"]] == [(blob, f"/sync/v1/blobs/{blob}")]
    assert [(x["holder"], x["amount"], x["kind"]) for x in c["cash"]] == [(RIDER, cod, "collected")]
    assert c["actions"] == ["accept", "refund", "write_off"]
    done = home.rest(
        "POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "refund", "note": "gave back"}
    )
    assert done["status"] == "resolved" and "refunded" in done["resolution"]
    assert _cash(home) == 0
    assert _audit(home)[-1][0] == "cod.conflict.refund" and _audit(home)[-1][1]["amount"] == -cod
    again = {"action": "accept"}
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", again, ok=409)


def test_an_amount_short_of_the_cod_is_charged_to_the_rider(home: Home) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    cod = home.cod(order)
    home.push(CashCollected(order=order, amount=cod - 2000))
    [c] = _conflicts(home, "cod_amount_mismatch")
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "refund"}, ok=422)
    bad = home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "reject"}, ok=422)
    assert bad["errors"][0]["field"] == "action"
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "charge_rider"})
    assert _cash(home) == cod  # what the rider must hand in now
    entries = home.rest("GET", f"/api/v1/cod/cash/{RIDER}/entries")
    assert [(e["kind"], e["amount"]) for e in entries] == [("charged", 2000), ("collected", cod - 2000)]


def test_two_deliveries_of_one_parcel_show_both_devices(home: Home) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    home.run_of(order, rider="rider2")
    waybill = "WB-1"
    home.push(DeliveryAttempted(order=order, waybill=waybill, outcome="delivered"))
    assert (
        home.push(DeliveryAttempted(order=order, waybill=waybill, outcome="delivered"), home.rider2).st
        == "flagged"
    )
    [c] = _conflicts(home, "double_delivery")
    assert [(a["device"], a["counts"]) for a in c["attempts"]] == [
        (home.rider.device_id, True),
        (home.rider2.device_id, False),
    ]
    assert c["op"]["device"] == home.rider2.device_id
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "accept", "note": "both went"})
    assert _conflicts(home, "double_delivery") == []
    assert _audit(home)[-1][1]["note"] == "both went"


def test_cash_for_a_stop_not_on_the_riders_run_is_accepted_or_rejected(home: Home) -> None:
    mine, theirs = home.shipped("S-1"), home.shipped("S-2")
    home.run_of(mine)
    home.run_of(theirs, rider="rider2")
    cod = home.cod(theirs)
    assert home.push(CashCollected(order=theirs, amount=cod)).st == "flagged"
    assert _cash(home) == 0  # outside the rider's authority: journalled, not in the ledger
    [c] = _conflicts(home, "out_of_scope")
    assert c["order"] == theirs and c["actions"] == ["accept", "reject"]
    assert c["op"]["payload"] == {"order": theirs, "amount": cod}
    done = home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "accept"})
    assert done["status"] == "resolved"
    assert _cash(home) == cod  # judged and written now, through the same rules
    home.push(CashCollected(order=theirs, amount=1))
    [c] = _conflicts(home, "out_of_scope")
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "reject"})
    assert _cash(home) == cod


def test_a_remittance_shortage_written_off(home: Home) -> None:
    order = home.shipped("S-1")
    home.run_of(order)
    cod = home.cod(order)
    home.push(CashCollected(order=order, amount=cod))
    home.rest(
        "POST",
        "/api/v1/cod/remittances",
        {"rider": RIDER, "amount": cod - 5000, "received_by": "cashier"},
        ok=201,
    )
    [c] = _conflicts(home, "remittance_short")
    assert c["actions"] == ["charge_rider", "write_off"]
    home.rest("POST", f"/api/v1/cod/conflicts/{c['id']}/resolve", {"action": "write_off"})
    assert _cash(home) == 0
    assert _audit(home)[-1][1]["amount"] == -5000
    home.rest("GET", "/api/v1/cod/conflicts", role="rider", ok=403)
