"""One fact, two paths: the REST API and a phone's push must leave the same house behind.

Each test builds two worlds with the same start (warehouses, SKUs, stock, orders, users), sends one
fact to world A over the REST API and the same fact to world B as a phone op, and compares what
results, normalised so what is path-specific (ids, actors, bins, messages) does not matter: stock
balances per (SKU, warehouse), orders (status, warehouse) and their history (from -> to), open
exceptions (kind, order), cash in hand per holder, delivery attempts, and the change log entities
the phones read (pick tasks, rider stops, exceptions, cash). `bodega verify` must find no drift in
either world.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest
from litestar.testing import TestClient
from sqlalchemy import bindparam, func, select, text, update

from server.auth.models import User
from server.catalog.models import Sku
from server.cod.models import CashBalance, DeliveryAttempt
from server.cod.runs import MANILA
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, BinBalance, StockBalance, StockMovement, Warehouse
from server.orders.models import Order, OrderStatusChange
from server.sync_api.models import SyncOp
from server.sync_api.projector import refresh
from sync import (
    CashCollected,
    CountTaskCreated,
    DeliveryAttempted,
    FailureReason,
    HLCTimestamp,
    OpResult,
    ParcelHandedOver,
    ParcelLine,
    ParcelPacked,
    PushResponse,
    RemittanceHandedIn,
    ReturnReceived,
    StockCounted,
    StockPicked,
    StockPutBack,
    StockReceived,
    StockShortPicked,
    SyncRequest,
    decode,
    wall_clock_ms,
)
from tests.conftest import _seed_role_users, _truncate_postgres, auth, postgres_database, run
from tests.kit.sync import Phone, add_phone, connect, ledger_ok, op_for, post, put_on_run
from tests.kit.world import order_payload, seed_world

BIN = "A-01-01"
# The entities a fact moves: pick tasks, rider stops, exceptions, cash in hand, count tasks, put-backs.
FACT_ENTITIES = ("task", "stop", "exception", "cash", "count_task", "put_back")
HOLDER = "rider1"  # the rider: cash is held by people, named the same in both worlds


@dataclass(frozen=True)
class Outcome:
    """What a world holds after a fact, with nothing path-specific left in it."""

    balances: dict[tuple[str, str], tuple[int, int]]  # (sku, warehouse) -> (on hand, reserved)
    ledger: dict[tuple[str, str], int]  # (sku, warehouse) -> sum of movements
    orders: dict[str, tuple[str, str | None]]  # external id -> (status, warehouse)
    history: dict[str, list[tuple[str | None, str]]]  # external id -> [(from, to), ...]
    exceptions: list[tuple[str, str]]  # open: (kind, external id)
    cash: dict[str, int]  # holder -> centavos in hand
    # (order, waybill, outcome, reason, counts, received_by, reschedule_on, note)
    attempts: list[tuple[str, str, str, str, bool, str, str, str]]
    log: dict[tuple[str, str, str], Any]  # the phones' entities: (scope, kind, key) -> value


class World:
    """One database with its own app, its REST users and its phones."""

    def __init__(self, url: str, http: TestClient[Any]) -> None:
        self.url = url
        self.http = http
        self.tokens: dict[str, str] = {}
        self.phones: dict[str, Phone] = {}
        self.seq: dict[str, int] = defaultdict(int)

    # -- setting up the same start in both worlds ----------------------------------------------

    def seed(self, stock: dict[str, int]) -> None:
        """Warehouses VAL and CEB with bin A-01-01, the SKUs of tests/kit/world.py, users of every
        role, a warehouse phone (wh1, in VAL) and a rider's phone (rider1); `stock` is received
        over REST into VAL's bin, so the bin and the warehouse agree from the start."""
        world = run(seed_world(self.url))
        self.tokens = run(_seed_role_users(self.url))
        with connect(self.url) as conn:
            # The REST warehouse user works in VAL, as the phone's does (staff act in their own).
            conn.execute(
                update(User).where(User.username == "test-warehouse").values(warehouse_id=world.val.id)
            )
            self.phones["wh1"] = add_phone(conn, "wh1", "warehouse", world.val.id)
            self.phones[HOLDER] = add_phone(conn, HOLDER, "rider", None)
            self.phones["sup"] = add_phone(conn, "sup", "supervisor", None)
            conn.commit()
        if stock:
            lines = [{"sku": sku, "qty": qty, "bin": BIN} for sku, qty in stock.items()]
            self.rest("POST", "/api/v1/stock/receipts", {"warehouse": "VAL", "lines": lines})

    def order(self, external_id: str, lines: list[tuple[str, int]], **overrides: Any) -> str:
        """A channel order (ingested over REST); returns its status."""
        body = self.rest("POST", "/api/v1/orders", order_payload(external_id, lines, **overrides))
        return str(body["status"])

    def walk(self, external_id: str, *statuses: str) -> None:
        for status in statuses:
            self.status(external_id, status)

    # -- the two paths -----------------------------------------------------------------------------

    def rest(self, method: str, path: str, body: Any = None, *, role: str = "admin", ok: int = 201) -> Any:
        response = self.http.request(method, path, json=body, headers=auth(self.tokens[role]))
        assert response.status_code == ok, response.text
        return response.json()

    def status(self, external_id: str, status: str, reason: str = "test") -> Any:
        path = f"/api/v1/orders/{self.id_of(external_id)}/status"
        return self.rest("POST", path, {"status": status, "reason": reason})

    def push(self, phone: str, payload: msgspec.Struct) -> OpResult:
        """One op as this phone, stamped after everything the server did so far."""
        who = self.phones[phone]
        self.seq[phone] += 1
        hlc = HLCTimestamp(wall_clock_ms() + 1000, 0).encode()
        op = op_for(who, self.seq[phone], payload, hlc=hlc)
        response = post(self.http, who, SyncRequest(v=1, ops=[op], pull=False), endpoint="push")
        assert response.status_code == 200, response.text
        result = decode(response.content, PushResponse, "json").res[0]
        assert result.st in ("applied", "flagged"), result
        return result

    # -- reading the outcome back --------------------------------------------------------------

    def on_run(self, *external_ids: str) -> None:
        """These orders become stops of the rider's run: what lets the rider record facts about them
        (sync.AUTHORITY)."""
        with connect(self.url) as conn:
            put_on_run(conn, HOLDER, [self.id_of(e) for e in external_ids])
            # Logged now, in both worlds alike, not whenever the background projector looks.
            refresh(conn, full=True)
            conn.commit()

    def id_of(self, external_id: str) -> uuid.UUID:
        with connect(self.url) as conn:
            return conn.execute(select(Order.id).where(Order.external_id == external_id)).scalar_one()

    def outcome(self) -> Outcome:
        with connect(self.url) as conn:
            assert ledger_ok(conn) == []
            return _outcome(conn)


def _outcome(conn: Any) -> Outcome:
    skus = dict(conn.execute(select(Sku.id, Sku.code)).all())
    whs = dict(conn.execute(select(Warehouse.id, Warehouse.code)).all())
    orders = conn.execute(select(Order.id, Order.external_id, Order.status, Order.warehouse_id)).all()
    ext = {oid: name for oid, name, _, _ in orders}
    refs = {str(oid): name for oid, name in ext.items()}
    balances = {
        (skus[s], whs[w]): (int(on_hand), int(reserved))
        for s, w, on_hand, reserved in conn.execute(
            select(
                StockBalance.sku_id, StockBalance.warehouse_id, StockBalance.on_hand, StockBalance.reserved
            )
        ).all()
        if on_hand or reserved
    }
    ledger = {
        (skus[s], whs[w]): int(q)
        for s, w, q in conn.execute(
            select(StockMovement.sku_id, StockMovement.warehouse_id, func.sum(StockMovement.qty)).group_by(
                StockMovement.sku_id, StockMovement.warehouse_id
            )
        ).all()
        if q
    }
    history: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for oid, from_status, to_status in conn.execute(
        select(
            OrderStatusChange.order_id, OrderStatusChange.from_status, OrderStatusChange.to_status
        ).order_by(OrderStatusChange.id)
    ).all():
        history[ext[oid]].append((from_status, to_status))
    exceptions = sorted(
        (kind, ext.get(oid, "") if oid else "")
        for kind, oid in conn.execute(
            select(ExceptionRecord.kind, ExceptionRecord.order_id).where(ExceptionRecord.status == "open")
        ).all()
    )
    cash = {
        holder: int(amount)
        for holder, amount in conn.execute(select(CashBalance.holder, CashBalance.amount)).all()
        if amount
    }
    d = DeliveryAttempt
    attempts = sorted(
        (refs.get(order_ref, order_ref), waybill, outcome, reason, bool(counts), who, day, note)
        for order_ref, waybill, outcome, reason, counts, who, day, note in conn.execute(
            select(
                d.order_ref, d.waybill, d.outcome, d.reason, d.counts, d.received_by, d.reschedule_on, d.note
            )
        ).all()
    )
    return Outcome(
        balances=balances,
        ledger=ledger,
        orders={name: (status, whs.get(wh)) for _, name, status, wh in orders},
        history=dict(history),
        exceptions=exceptions,
        cash=cash,
        attempts=attempts,
        log=_phones_entities(conn, refs),
    )


def _phones_entities(conn: Any, refs: dict[str, str]) -> dict[tuple[str, str, str], Any]:
    """The live entities of the change log the phones read, keyed and valued without ids.

    Bins are left out: a phone's fact names its own bin (staging for a pick) where the console
    names the warehouse only; so are catalog and location entities, which the projector logs on
    its own schedule. Exceptions are keyed by (kind, order): their ids and wording are the path's
    own."""
    found: dict[tuple[str, str, str], Any] = {}
    rows = conn.execute(
        text(
            "SELECT scope, kind, key, val FROM sync_changes WHERE val IS NOT NULL AND kind IN :kinds"
        ).bindparams(bindparam("kinds", expanding=True)),
        {"kinds": list(FACT_ENTITIES)},
    ).all()
    for scope, kind, key, val in rows:
        value = msgspec.json.decode(val)
        if kind == "exception":
            order = refs.get(value["order"], value["order"])
            found[(scope, kind, f"{value['kind']}/{order}")] = order
        elif kind in ("task", "stop", "put_back"):
            if kind == "stop":
                value.pop("run", None)
            found[(scope, kind, refs.get(key) or key)] = value
        else:
            found[(scope, kind, key)] = value
    return found


@pytest.fixture(scope="session")
def postgres_twin_url() -> Iterator[str]:
    """A second PostgreSQL database for this run: world B lives beside world A."""
    yield from postgres_database()


@pytest.fixture
def twin_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second fresh database on the same backend as `database_url`."""
    if database_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "twin.db"
        path.write_bytes(template.read_bytes())
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_twin_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def worlds(database_url: str, twin_url: str) -> Iterator[tuple[World, World]]:
    """(by REST, by phone): two worlds on two fresh databases, each with its own app."""
    from server.app import create_app
    from server.settings import load_settings

    def app(url: str) -> Any:
        return create_app(load_settings(database_url=url, secret_key="test-secret", log_level="WARNING"))

    with (
        TestClient(app(database_url), raise_server_exceptions=False) as a,
        TestClient(app(twin_url), raise_server_exceptions=False) as b,
    ):
        yield World(database_url, a), World(twin_url, b)


def nothing_more(world: World) -> None:
    """A start with stock only."""


def same_start(
    worlds: tuple[World, World], stock: dict[str, int], setup: Callable[[World], None]
) -> tuple[World, World]:
    for world in worlds:
        world.seed(stock)
        setup(world)
    rest, phone = worlds
    assert_same(rest, phone, "the two worlds must start the same: ")
    return rest, phone


def assert_same(rest: World, phone: World, why: str = "") -> Outcome:
    """Both worlds hold the same outcome (the REST world's is returned for further checks)."""
    a, b = rest.outcome(), phone.outcome()
    for part in Outcome.__dataclass_fields__:
        by_rest, by_phone = getattr(a, part), getattr(b, part)
        assert by_rest == by_phone, f"{why}{part} differs: REST {by_rest}, phone {by_phone}"
    return a


# -- stock comes in: held orders get it, whichever path brought it -------------------------------


def _one_held(world: World) -> None:
    assert world.order("A-1", [("CASE-BLK", 3)]) == "allocated"
    assert world.order("H-1", [("CASE-BLK", 4)]) == "on_hold"  # 2 free of 5


def test_a_receipt_lets_a_held_order_through(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5}, _one_held)
    lines = [{"sku": "CASE-BLK", "qty": 2, "bin": BIN}]
    body = rest.rest("POST", "/api/v1/stock/receipts", {"warehouse": "VAL", "lines": lines}, role="warehouse")
    assert body["allocated_orders"] == [str(rest.id_of("H-1"))]
    assert phone.push("wh1", StockReceived(wh="VAL", bin=BIN, sku="CASE-BLK", qty=2)).st == "applied"
    out = assert_same(rest, phone)
    assert out.orders["H-1"] == ("allocated", "VAL")
    assert out.balances[("CASE-BLK", "VAL")] == (7, 7)
    assert ("wh:VAL", "task", "H-1") in out.log  # the held order reached the pickers' phones


def test_a_count_that_finds_more_lets_a_held_order_through(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5}, _one_held)
    lines = [{"sku": "CASE-BLK", "qty": 2, "bin": BIN}]
    rest.rest(
        "POST", "/api/v1/stock/adjustments", {"warehouse": "VAL", "reason": "counted 7", "lines": lines}
    )
    assert phone.push("wh1", StockCounted(wh="VAL", bin=BIN, sku="CASE-BLK", counted=7)).st == "applied"
    out = assert_same(rest, phone)
    assert out.orders["H-1"] == ("allocated", "VAL")
    assert out.balances[("CASE-BLK", "VAL")] == (7, 7)


def test_a_count_that_finds_less(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, nothing_more)
    lines = [{"sku": "CABLE-1M", "qty": -1, "bin": BIN}]
    rest.rest(
        "POST", "/api/v1/stock/adjustments", {"warehouse": "VAL", "reason": "counted 9", "lines": lines}
    )
    assert phone.push("wh1", StockCounted(wh="VAL", bin=BIN, sku="CABLE-1M", counted=9)).st == "applied"
    assert assert_same(rest, phone).balances[("CABLE-1M", "VAL")] == (9, 0)


# -- an order through the warehouse ---------------------------------------------------------------


def _allocated(world: World) -> None:
    assert world.order("A-1", [("CASE-BLK", 2), ("CABLE-1M", 1)]) == "allocated"


def _packed(world: World) -> None:
    _allocated(world)
    world.walk("A-1", "picking", "packed")


def test_a_pick(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _allocated)
    rest.status("A-1", "picking")
    order = str(phone.id_of("A-1"))
    phone.push("wh1", StockPicked(wh="VAL", bin=BIN, sku="CASE-BLK", qty=2, order=order))
    phone.push("wh1", StockPicked(wh="VAL", bin=BIN, sku="CABLE-1M", qty=1, order=order))
    out = assert_same(rest, phone)
    assert out.orders["A-1"] == ("picking", "VAL")
    assert out.log[("wh:VAL", "task", "A-1")]["status"] == "picking"


def test_a_short_pick_with_its_reason(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _allocated)
    order = str(phone.id_of("A-1"))
    body = {"warehouse": "VAL", "bin": BIN, "sku": "CASE-BLK", "order": order, "wanted": 2, "found": 1}
    rest.rest("POST", "/api/v1/picks/short", body | {"order": str(rest.id_of("A-1")), "reason": "damaged"})
    short = StockShortPicked(
        wh="VAL", bin=BIN, sku="CASE-BLK", order=order, wanted=2, found=1, reason="damaged"
    )
    assert [n.code for n in phone.push("wh1", short).notes] == ["short_pick"]
    out = assert_same(rest, phone)
    assert out.log[("wh:VAL", "task", "A-1")]["short"] == [["CASE-BLK", BIN, "damaged"]]
    for world in (rest, phone):
        with connect(world.url) as conn:
            details = conn.execute(
                select(ExceptionRecord.details).where(ExceptionRecord.kind == "short_pick")
            ).scalar_one()
        assert details["reason"] == "damaged"


def _picked_then_cancelled(world: World) -> None:
    """A-1's units picked into staging (the same console picks in both worlds), then the channel
    cancels it: its put-back is open."""
    _allocated(world)
    order = str(world.id_of("A-1"))
    for sku, qty in (("CASE-BLK", 2), ("CABLE-1M", 1)):
        body = {"warehouse": "VAL", "bin": BIN, "sku": sku, "qty": qty, "order": order}
        world.rest("POST", "/api/v1/picks", body)
    world.status("A-1", "cancelled")


def test_a_put_back(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _picked_then_cancelled)
    assert ("wh:VAL", "put_back", "A-1") in rest.outcome().log
    rest.rest("POST", f"/api/v1/put-backs/{rest.id_of('A-1')}/done", {"bin": BIN}, ok=200)
    order = str(phone.id_of("A-1"))
    for sku, qty in (("CASE-BLK", 2), ("CABLE-1M", 1)):
        result = phone.push("wh1", StockPutBack(wh="VAL", sku=sku, qty=qty, bin=BIN, order=order))
        assert result.st == "applied", result
    out = assert_same(rest, phone)
    assert ("wh:VAL", "put_back", "A-1") not in out.log  # done: the phones forget it
    for world in (rest, phone):
        done = world.rest("GET", "/api/v1/put-backs", role="admin", ok=200)
        assert [(p["status"], p["bin"], p["left"]) for p in done] == [("done", BIN, [])]
        with connect(world.url) as conn:
            shelves = conn.execute(
                select(Bin.code, Sku.code, BinBalance.qty)
                .join(Bin, Bin.id == BinBalance.bin_id)
                .join(Sku, Sku.id == BinBalance.sku_id)
                .where(BinBalance.qty != 0)
            ).all()
        assert sorted(shelves) == [(BIN, "CABLE-1M", 10), (BIN, "CASE-BLK", 5)]  # staging is empty again


def test_a_pack(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _allocated)
    rest.walk("A-1", "picking", "packed")
    phone.push("wh1", ParcelPacked(wh="VAL", order=str(phone.id_of("A-1")), waybill="WB-1"))
    out = assert_same(rest, phone)
    assert out.history["A-1"][-2:] == [("allocated", "picking"), ("picking", "packed")]
    assert out.balances[("CASE-BLK", "VAL")] == (5, 2)


def test_a_handover(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _packed)
    rest.status("A-1", "shipped", "handed over to rider1")
    lines = [ParcelLine("CASE-BLK", 2), ParcelLine("CABLE-1M", 1)]
    order = str(phone.id_of("A-1"))
    phone.push("wh1", ParcelHandedOver(wh="VAL", order=order, waybill="WB-1", to=HOLDER, lines=lines))
    out = assert_same(rest, phone)
    assert out.orders["A-1"][0] == "shipped"
    assert out.balances[("CASE-BLK", "VAL")] == (3, 0)
    assert ("wh:VAL", "task", "A-1") not in out.log  # no longer the pickers' work


def test_a_return(worlds: tuple[World, World]) -> None:
    def shipped_and_coming_back(world: World) -> None:
        assert world.order("A-1", [("CASE-BLK", 2)]) == "allocated"
        world.walk("A-1", "picking", "packed", "shipped", "failed_delivery", "return_to_sender")

    rest, phone = same_start(worlds, {"CASE-BLK": 5}, shipped_and_coming_back)
    rest.status("A-1", "returned", "resellable")
    order = str(phone.id_of("A-1"))
    phone.push("wh1", ReturnReceived(wh="VAL", bin=BIN, sku="CASE-BLK", qty=2, order=order))
    out = assert_same(rest, phone)
    assert out.orders["A-1"][0] == "returned"
    assert out.balances[("CASE-BLK", "VAL")] == (5, 0)


def test_a_return_lets_a_held_order_through(worlds: tuple[World, World]) -> None:
    def setup(world: World) -> None:
        assert world.order("A-1", [("CASE-BLK", 5)]) == "allocated"
        world.walk("A-1", "picking", "packed", "shipped", "return_to_sender")
        assert world.order("H-1", [("CASE-BLK", 2)]) == "on_hold"

    rest, phone = same_start(worlds, {"CASE-BLK": 5}, setup)
    rest.status("A-1", "returned")
    order = str(phone.id_of("A-1"))
    phone.push("wh1", ReturnReceived(wh="VAL", bin=BIN, sku="CASE-BLK", qty=5, order=order))
    out = assert_same(rest, phone)
    assert out.orders["H-1"] == ("allocated", "VAL")


# -- a cancellation frees stock for held orders (issue 8, point 3) ---------------------------------


def _all_taken(world: World) -> None:
    assert world.order("A-1", [("CASE-BLK", 5)]) == "allocated"
    assert world.order("H-1", [("CASE-BLK", 4)]) == "on_hold"


def test_cancelling_by_status_or_by_a_cancelled_version_lets_a_held_order_through(
    worlds: tuple[World, World],
) -> None:
    by_status, by_version = same_start(worlds, {"CASE-BLK": 5}, _all_taken)
    by_status.status("A-1", "cancelled", "buyer cancelled")
    later = "2026-11-12T08:00:00+00:00"
    body = order_payload("A-1", [("CASE-BLK", 5)], status="cancelled", updated_at=later)
    assert by_version.rest("POST", "/api/v1/orders", body, ok=200)["status"] == "cancelled"
    for world in (by_status, by_version):
        out = world.outcome()
        assert out.orders["A-1"] == ("cancelled", None)
        assert out.orders["H-1"] == ("allocated", "VAL")
        assert out.balances[("CASE-BLK", "VAL")] == (5, 4)
        assert ("wh:VAL", "task", "H-1") in out.log and ("wh:VAL", "task", "A-1") not in out.log


# -- on the road: delivery attempts and cash ------------------------------------------------------


def _shipped(world: World) -> None:
    _packed(world)
    world.status("A-1", "shipped")
    world.on_run("A-1")


def _attempt(
    rest: World,
    phone: World,
    outcome: Literal["delivered", "failed"],
    reason: FailureReason | None = None,
    waybill: str = "WB-1",
    **said: Any,
) -> Any:
    """The attempt by the console and by the rider's phone; `said`: note, received_by, reschedule_on."""
    body: dict[str, Any] = {"order": str(rest.id_of("A-1")), "waybill": waybill, "outcome": outcome}
    if reason:
        body["reason"] = reason
    day: date | None = said.pop("reschedule_on", None)
    body |= said | ({"reschedule_on": day.isoformat()} if day else {})
    answer = rest.rest("POST", "/api/v1/cod/attempts", body, role="supervisor")
    order = str(phone.id_of("A-1"))
    sent = DeliveryAttempted(
        order=order, waybill=waybill, outcome=outcome, reason=reason, reschedule_on=day, **said
    )
    phone.push(HOLDER, sent)
    return answer


def test_a_delivery(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _shipped)
    answer = _attempt(rest, phone, "delivered")
    assert (answer["status"], answer["counts"], answer["exceptions"]) == ("delivered", True, [])
    out = assert_same(rest, phone)
    assert out.orders["A-1"][0] == "delivered"
    assert out.attempts == [("A-1", "WB-1", "delivered", "", True, "", "", "")]


def test_the_recipient_and_the_day_to_try_again_by_both_paths(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _shipped)
    monday = datetime.now(MANILA).date() + timedelta(days=2)
    _attempt(rest, phone, "failed", "rescheduled", reschedule_on=monday, note="nasa trabaho")
    _attempt(rest, phone, "delivered", received_by="Lola Nena")
    out = assert_same(rest, phone)
    assert out.attempts == [
        ("A-1", "WB-1", "delivered", "", True, "Lola Nena", "", ""),
        ("A-1", "WB-1", "failed", "rescheduled", True, "", monday.isoformat(), "nasa trabaho"),
    ]
    timeline = rest.rest("GET", f"/api/v1/orders/{rest.id_of('A-1')}/timeline", ok=200)
    said = [(a["received_by"], a["reschedule_on"]) for a in timeline["cod"]["attempts"]]
    assert said == [("", monday.isoformat()), ("Lola Nena", "")]
    events = [e["summary"] for e in timeline["events"] if e["source"] == "attempt"]
    assert events == [
        f"delivery failed: rescheduled, try again on {monday.isoformat()}",
        "delivery delivered, received by Lola Nena",
    ]


def test_a_delivery_attempt_names_the_same_cash_holder_by_both_paths(worlds: tuple[World, World]) -> None:
    """Who holds a parcel's cash is its rider, whoever enters the attempt: the supervisor's console
    names the rider of the order's run, as the rider's phone push is journalled under the rider."""
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _shipped)
    answer = _attempt(rest, phone, "failed", "not_home")
    with connect(phone.url) as conn:
        attempts = select(SyncOp.actor).where(SyncOp.type.startswith("delivery.attempted@"))
        journalled = conn.execute(attempts).all()
    assert [a for (a,) in journalled] == [HOLDER]
    assert answer["holder"] == HOLDER  # not the supervisor who typed it in
    # A parcel on no run: the console names the person entering it, bare, as the cash ledger does.
    rest.order("N-1", [("CABLE-1M", 1)])
    rest.walk("N-1", "picking", "packed", "shipped")
    body = {"order": str(rest.id_of("N-1")), "waybill": "WB-N", "outcome": "failed", "reason": "not_home"}
    assert rest.rest("POST", "/api/v1/cod/attempts", body, role="supervisor")["holder"] == "test-supervisor"


def test_a_failed_attempt_then_a_delivery_then_a_second_delivery(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _shipped)
    _attempt(rest, phone, "failed", "not_home")
    out = assert_same(rest, phone)
    assert out.orders["A-1"][0] == "failed_delivery"
    _attempt(rest, phone, "delivered")
    again = _attempt(rest, phone, "delivered")
    assert (again["counts"], again["exceptions"]) == (False, ["double_delivery"])
    late = _attempt(rest, phone, "failed", "refused")  # a failed attempt never undoes a delivery
    assert late["status"] == "delivered"
    out = assert_same(rest, phone)
    assert out.history["A-1"][-2:] == [("shipped", "failed_delivery"), ("failed_delivery", "delivered")]
    assert out.exceptions == [("double_delivery", "A-1")]
    assert [a[2:5] for a in out.attempts] == [
        ("delivered", "", False),
        ("delivered", "", True),
        ("failed", "not_home", True),
        ("failed", "refused", True),
    ]


def test_a_delivery_of_a_packed_parcel_walks_it_through_shipped(worlds: tuple[World, World]) -> None:
    def setup(world: World) -> None:
        _packed(world)
        world.on_run("A-1")

    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, setup)
    _attempt(rest, phone, "delivered")
    out = assert_same(rest, phone)
    assert out.history["A-1"][-2:] == [("packed", "shipped"), ("shipped", "delivered")]
    # No handover was recorded, yet the parcel reached the buyer: its units left with it (a seller
    # must never sell the two cases again), at the warehouse, without a bin.
    assert out.balances[("CASE-BLK", "VAL")] == (3, 0)
    assert out.balances[("CABLE-1M", "VAL")] == (9, 0)


def test_cash_collected_and_remitted(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, _shipped)
    cod = int(rest.rest("GET", f"/api/v1/orders/{rest.id_of('A-1')}", ok=200)["cod_amount"])
    body = {"holder": HOLDER, "amount": cod, "kind": "collected", "order": str(rest.id_of("A-1"))}
    answer = rest.rest("POST", "/api/v1/cod/cash", body, role="supervisor")
    assert (answer["cash_in_hand"], answer["exceptions"]) == (cod, [])
    phone.push(HOLDER, CashCollected(order=str(phone.id_of("A-1")), amount=cod))
    assert assert_same(rest, phone).cash == {HOLDER: cod}
    body = {"holder": HOLDER, "amount": cod - 100, "kind": "remitted", "to": "cashier", "ref": "SLIP-1"}
    rest.rest("POST", "/api/v1/cod/cash", body, role="supervisor")
    phone.push(HOLDER, RemittanceHandedIn(amount=cod - 100, to="cashier", ref="SLIP-1"))
    assert assert_same(rest, phone).cash == {HOLDER: 100, "cashier": cod - 100}


def test_cash_that_does_not_match_or_comes_for_a_cancelled_order(worlds: tuple[World, World]) -> None:
    def setup(world: World) -> None:
        _shipped(world)
        assert world.order("C-1", [("CASE-BLK", 1)]) == "allocated"
        world.on_run("C-1")  # the buyer cancelled after the rider set out with it
        world.status("C-1", "cancelled")

    rest, phone = same_start(worlds, {"CASE-BLK": 5, "CABLE-1M": 10}, setup)
    for name, amount in (("A-1", 1), ("C-1", 5000)):
        body = {"holder": HOLDER, "amount": amount, "kind": "collected", "order": str(rest.id_of(name))}
        rest.rest("POST", "/api/v1/cod/cash", body, role="supervisor")
        phone.push(HOLDER, CashCollected(order=str(phone.id_of(name)), amount=amount))
    body = {"holder": HOLDER, "amount": 999_999, "kind": "remitted", "to": "cashier"}
    rest.rest("POST", "/api/v1/cod/cash", body, role="supervisor")
    phone.push(HOLDER, RemittanceHandedIn(amount=999_999, to="cashier"))
    out = assert_same(rest, phone)
    assert out.exceptions == [
        ("cash_for_cancelled_order", "C-1"),
        ("cod_amount_mismatch", "A-1"),
        ("remittance_exceeds_cash", ""),
    ]
    assert out.cash == {HOLDER: 5001 - 999_999, "cashier": 999_999}


def test_a_count_task_asked_for_offline_or_at_the_console(worlds: tuple[World, World]) -> None:
    rest, phone = same_start(worlds, {"CASE-BLK": 5}, nothing_more)
    task, other = str(uuid.uuid4()), str(uuid.uuid4())
    body = {"id": task, "warehouse": "VAL", "bin": BIN, "title": "after the spill"}
    by_skus = {"id": other, "warehouse": "VAL", "skus": ["CASE-BLK", "CABLE-1M"]}
    for _ in range(2):  # sent again (no answer reached the phone; a double click): opened once
        assert rest.rest("POST", "/api/v1/count-tasks", body, role="supervisor")["id"] == task
        assert (
            phone.push("sup", CountTaskCreated(task=task, wh="VAL", bin=BIN, title="after the spill")).st
            == "applied"
        )
    rest.rest("POST", "/api/v1/count-tasks", by_skus, role="supervisor")
    phone.push("sup", CountTaskCreated(task=other, wh="VAL", skus=["CASE-BLK", "CABLE-1M"]))
    out = assert_same(rest, phone)
    tasks = {k[2]: v for k, v in out.log.items() if k[1] == "count_task"}
    assert tasks == {
        task: {"skus": [], "title": "after the spill", "status": "open", "bin": BIN},
        other: {"skus": ["CASE-BLK", "CABLE-1M"], "title": "CASE-BLK, CABLE-1M", "status": "open"},
    }
    # One the writer refuses: the console is told which field, the phone's op is flagged for a person.
    wrong = {"id": str(uuid.uuid4()), "warehouse": "VAL", "bin": "NO-SUCH-BIN"}
    assert (
        rest.rest("POST", "/api/v1/count-tasks", wrong, role="supervisor", ok=422)["errors"][0]["field"]
        == "bin"
    )
    refused = phone.push("sup", CountTaskCreated(task=wrong["id"], wh="VAL", bin="NO-SUCH-BIN"))
    assert (refused.st, [n.code for n in refused.notes]) == ("flagged", ["count_task_refused"])
    # Only supervisors and admins ask for counts.
    assert (
        phone.push("wh1", CountTaskCreated(task=str(uuid.uuid4()), wh="VAL", bin=BIN)).notes[0].code
        == "out_of_scope"
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("attempts", {"waybill": "WB-1", "outcome": "failed", "reason": "not_home"}, "order"),
        ("attempts", {"order": "ORDER", "waybill": "WB-1", "outcome": "failed"}, "reason"),
        (
            "attempts",
            {"order": "ORDER", "waybill": "WB-1", "outcome": "delivered", "reason": "refused"},
            "reason",
        ),
        ("attempts", {"order": "ORDER", "waybill": "WB-1", "outcome": "failed", "reason": "lost"}, "reason"),
        ("attempts", {"order": "ORDER", "waybill": "", "outcome": "delivered"}, "waybill"),
        ("attempts", {"order": str(uuid.UUID(int=7)), "waybill": "WB-1", "outcome": "delivered"}, "order"),
        (
            "attempts",
            {"order": "ORDER", "waybill": "WB-1", "outcome": "delivered", "received_by": "A" * 81},
            "received_by",
        ),
        (
            "attempts",
            {
                "order": "ORDER",
                "waybill": "WB-1",
                "outcome": "failed",
                "reason": "refused",
                "received_by": "Ana",
            },
            "received_by",
        ),
        (
            "attempts",
            {"order": "ORDER", "waybill": "WB-1", "outcome": "delivered", "reschedule_on": "2099-01-01"},
            "reschedule_on",
        ),
        (
            "attempts",
            {
                "order": "ORDER",
                "waybill": "WB-1",
                "outcome": "failed",
                "reason": "rescheduled",
                "reschedule_on": "2020-01-01",
            },
            "reschedule_on",
        ),
        (
            "attempts",
            {
                "order": "ORDER",
                "waybill": "WB-1",
                "outcome": "failed",
                "reason": "rescheduled",
                "reschedule_on": "next week",
            },
            "reschedule_on",
        ),
        ("cash", {"holder": HOLDER, "amount": 100, "kind": "collected"}, "order"),
        ("cash", {"holder": HOLDER, "amount": 0, "kind": "collected", "order": "ORDER"}, "amount"),
        ("cash", {"holder": HOLDER, "amount": 1.5, "kind": "collected", "order": "ORDER"}, "amount"),
        ("cash", {"holder": HOLDER, "amount": 100, "kind": "remitted"}, "to"),
        ("cash", {"holder": HOLDER, "amount": 100, "kind": "stolen", "order": "ORDER"}, "kind"),
    ],
)
def test_console_facts_refuse_what_cannot_be_a_fact_naming_the_field(
    worlds: tuple[World, World], path: str, body: dict[str, Any], field: str
) -> None:
    rest, _ = worlds
    rest.seed({"CASE-BLK": 5, "CABLE-1M": 10})
    _allocated(rest)
    sent = {k: str(rest.id_of("A-1")) if v == "ORDER" else v for k, v in body.items()}
    problem = rest.rest("POST", f"/api/v1/cod/{path}", sent, role="supervisor", ok=422)
    assert field in {e["field"] for e in problem["errors"]}, problem
    before = rest.outcome()
    assert before.cash == {} and before.attempts == []


@pytest.mark.parametrize("role", ["warehouse", "rider"])
def test_only_supervisors_and_admins_enter_facts_from_the_road(
    worlds: tuple[World, World], role: str
) -> None:
    rest, _ = worlds
    rest.seed({})
    for path in ("attempts", "cash"):
        rest.rest("POST", f"/api/v1/cod/{path}", {}, role=role, ok=403)
