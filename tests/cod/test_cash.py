"""Cash custody: every collection an entry on the rider, cash in hand and its age (FIFO) on the
API and the phone, counted remittances matched to the collections with the shortage named by stop,
and the printable slip. Both databases."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from server.cod.models import CashLedgerEntry
from server.db.base import utcnow
from sync import CashCollected, RemittanceHandedIn
from tests.cod.home import RIDER, Home
from tests.conftest import auth, hot_path_fixtures
from tests.kit.pdf import bar_values
from tests.kit.sync import connect

# Remittances are a hot path at the end of the day: also through the SQLite writer process.
database_url, writer_process = hot_path_fixtures()


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


def _day(home: Home, n: int) -> list[tuple[str, int]]:
    """n parcels on the rider's run, each paid in full from the phone: (order, cod)."""
    orders = [home.shipped(f"S-{i}") for i in range(n)]
    home.run_of(*orders)
    paid: list[tuple[str, int]] = []
    for order in orders:
        cod = home.cod(order)
        assert home.push(CashCollected(order=order, amount=cod)).st == "applied"
        paid.append((order, cod))
    return paid


def _age(home: Home, order: str, days: float) -> None:
    with connect(home.url) as conn:
        conn.execute(
            update(CashLedgerEntry)
            .where(CashLedgerEntry.order_ref == order)
            .values(created_at=utcnow() - timedelta(days=days))
        )
        conn.commit()


def test_cash_in_hand_and_its_age_first_in_first_out(home: Home) -> None:
    (a, ca), (b, cb), (c, cc) = _day(home, 3)
    _age(home, a, 3)
    _age(home, b, 2)
    held = home.rest("GET", f"/api/v1/cod/cash/{RIDER}")
    assert held["amount"] == ca + cb + cc
    assert [s["order"] for s in held["stops"]] == [a, b, c]
    assert 2.99 < held["oldest_days"] < 3.01
    # A hand-in of the first collection and half the second: the oldest pesos go first.
    home.push(RemittanceHandedIn(amount=ca + cb // 2, to="cashier", ref="R-1"))
    held = home.rest("GET", f"/api/v1/cod/cash/{RIDER}")
    assert [(s["order"], s["amount"]) for s in held["stops"]] == [(b, cb - cb // 2), (c, cc)]
    assert 1.99 < held["oldest_days"] < 2.01
    # The phone's entity says the same (its `since` is the oldest peso still held).
    entity = home.pull()[("cash_held", RIDER)]
    assert entity["amount"] == cb - cb // 2 + cc
    assert [s[:2] for s in entity["stops"]] == [[b, cb - cb // 2], [c, cc]]
    assert home.pull()[("cash", RIDER)] == cb - cb // 2 + cc
    entries = home.rest("GET", f"/api/v1/cod/cash/{RIDER}/entries")
    assert [e["kind"] for e in entries] == ["remitted", "collected", "collected", "collected"]
    # A rider reads their own cash, not another's.
    home.rest("GET", f"/api/v1/cod/cash/{RIDER}", role="rider", ok=403)
    mine = home.http.get(f"/api/v1/cod/cash/{RIDER}", headers=auth(home.rider.token))
    assert mine.status_code == 200 and mine.json()["amount"] == cb - cb // 2 + cc


def test_a_counted_remittance_that_balances(home: Home) -> None:
    paid = _day(home, 2)
    total = sum(c for _, c in paid)
    pesos, centavos = divmod(total, 100)
    assert centavos in (0, 25, 50, 75), "the test's orders cost whole quarter pesos"
    counted = {"1000": pesos // 1000, "1": pesos % 1000, "0.25": centavos // 25}
    body = {"rider": RIDER, "amount": total, "denominations": counted, "ref": "SLIP-9"}
    remit = home.rest("POST", "/api/v1/cod/remittances", body, ok=201)
    assert (remit["expected"], remit["shortage"], remit["exceptions"]) == (total, 0, [])
    assert remit["received_by"] == "test-supervisor" and remit["cash_in_hand"] == 0
    assert [(m["order"], m["covered"]) for m in remit["matched"]] == paid
    assert home.rest("GET", "/api/v1/cod/cash/test-supervisor")["amount"] == total
    assert home.exceptions("remittance_short", "remittance_exceeds_cash") == []


def test_a_short_remittance_names_the_unpaid_stops_and_the_slip_shows_it(home: Home) -> None:
    (a, ca), (b, cb), (c, cc) = _day(home, 3)
    handed = ca + cb // 2
    body = {"rider": RIDER, "amount": handed, "received_by": "cashier", "ref": "SLIP-1"}
    remit = home.rest("POST", "/api/v1/cod/remittances", body, ok=201)
    assert remit["shortage"] == cb - cb // 2 + cc and remit["exceptions"] == ["remittance_short"]
    [short] = home.exceptions("remittance_short")
    assert short["details"]["stops"] == [[b, cb - cb // 2], [c, cc]]
    for order in (b, c):
        assert home.external(order) in short["message"]
    assert home.external(a) not in short["message"]
    # The shortage stays in the rider's hands until someone settles it.
    assert home.rest("GET", f"/api/v1/cod/cash/{RIDER}")["amount"] == cb - cb // 2 + cc
    slip = home.http.get(
        f"/api/v1/cod/remittances/{remit['id']}/slip.pdf", headers=auth(home.tokens["supervisor"])
    )
    assert slip.status_code == 200 and slip.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(slip.content)).pages)
    assert "REMITTANCE SLIP" in text and "SLIP-1" in text and "Rider: rider1" in text
    assert "SHORT: PHP" in text and home.external(a) in text and "UNPAID" in text
    # The rider's week by day, bars labelled with the amounts, drawn bottom up (today lowest):
    # today's collections and hand-in, nothing the six days before.
    assert f"{RIDER}: collected and remitted by day (PHP)" in text
    assert bar_values(slip.content) == [
        *[f"{(ca + cb + cc) / 100:,.2f}", *["0.00"] * 6],
        *[f"{handed / 100:,.2f}", *["0.00"] * 6],
    ]
    listed = home.rest("GET", f"/api/v1/cod/remittances?rider={RIDER}")
    assert [r["id"] for r in listed] == [remit["id"]]


def test_a_mid_run_drop_is_not_a_shortage_and_more_than_held_is_flagged(home: Home) -> None:
    (_, ca), (_, cb) = _day(home, 2)
    drop = {"rider": RIDER, "amount": ca, "received_by": "safe-1", "final": False}
    assert home.rest("POST", "/api/v1/cod/remittances", drop, ok=201)["exceptions"] == []
    over = {"rider": RIDER, "amount": cb + 500, "received_by": "cashier"}
    remit = home.rest("POST", "/api/v1/cod/remittances", over, ok=201)
    assert remit["shortage"] == -500 and remit["exceptions"] == ["remittance_exceeds_cash"]


def test_a_remittance_the_phone_already_sent_moves_the_cash_once(home: Home) -> None:
    (_, ca), (_, cb) = _day(home, 2)
    home.push(RemittanceHandedIn(amount=ca + cb, to="cashier", ref="SLIP-7"))
    body = {"rider": RIDER, "amount": ca + cb, "received_by": "cashier", "ref": "SLIP-7"}
    remit = home.rest("POST", "/api/v1/cod/remittances", body, ok=201)
    assert (remit["expected"], remit["shortage"], remit["cash_in_hand"]) == (ca + cb, 0, 0)
    assert home.rest("GET", "/api/v1/cod/cash/cashier")["amount"] == ca + cb


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 1000, "denominations": {"1000": 1}}, "denominations"),  # ₱1,000 is 100,000 centavos
        ({"amount": 100_000, "denominations": {"300": 1}}, "denominations.300"),
        ({"amount": 0}, "amount"),
        ({"amount": 100, "received_by": RIDER}, "received_by"),
    ],
)
def test_a_remittance_that_cannot_be_is_refused_naming_the_field(
    home: Home, body: dict[str, Any], field: str
) -> None:
    problem = home.rest("POST", "/api/v1/cod/remittances", {"rider": RIDER, **body}, ok=422)
    assert field in {e["field"] for e in problem["errors"]}
    assert home.rest("GET", f"/api/v1/cod/cash/{RIDER}")["amount"] == 0
    home.rest("GET", f"/api/v1/cod/remittances/{uuid.uuid4()}", ok=404)
