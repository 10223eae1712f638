"""On SQLite exactly one connection writes, whatever path brought the write.

A server lifetime on SQLite (the app started and stopped) takes writes from every kind of path: a
login, console edits (catalog, warehouses, bins, users), a channel order, a refused order kept for
inspection, a receipt, and a phone's push. Every statement that writes must run on one
connection: with the writer process (the default), none runs in the server process at all; with
the writer thread, all run on one connection, the one that begins its transactions with BEGIN
IMMEDIATE.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import Connection

from server.app import create_app
from server.catalog.models import Sku
from server.inventory.models import Bin, StockMovement
from server.orders.models import Order, RejectedPayload
from server.settings import load_settings
from sync import HLCTimestamp, PushResponse, StockReceived, SyncRequest, decode, wall_clock_ms
from tests.conftest import _seed_role_users, auth, run
from tests.kit.sync import Phone, add_phone, connect, op_for, post
from tests.kit.world import order_payload, seed_world

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@dataclass
class Writers:
    """The connections that wrote in this process, and those that began a write transaction."""

    wrote: list[Any] = field(default_factory=list[Any])
    began_immediate: list[Any] = field(default_factory=list[Any])
    writes: int = 0

    def distinct(self, connections: list[Any]) -> int:
        return len({id(c) for c in connections})


@pytest.fixture
def writers() -> Iterator[Writers]:
    """Every statement any SQLAlchemy engine of this process runs, watched from here on."""
    seen = Writers()

    def watch(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.lstrip().upper()
        driver_conn = conn.connection.driver_connection
        if words.startswith("BEGIN IMMEDIATE"):
            seen.began_immediate.append(driver_conn)
        elif words.startswith(WRITES):
            seen.wrote.append(driver_conn)
            seen.writes += 1

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", watch)


def _serve_a_day(url: str, phone: Phone, *, writer_process: bool) -> None:
    """One server lifetime taking a write from every kind of path."""
    settings = load_settings(
        database_url=url, secret_key="test-secret", log_level="WARNING", writer_process=writer_process
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        login = http.post("/api/v1/auth/login", json={"username": "test-admin", "password": "admin-password"})
        assert login.status_code == 200, login.text
        http.headers.update(auth(login.json()["token"]))

        def ok(response: Any, status: int = 201) -> Any:
            assert response.status_code == status, response.text
            return response.json()

        ok(http.post("/api/v1/skus", json={"code": "MUG-WHT", "name": "Mug, white"}))
        ok(http.post("/api/v1/warehouses", json={"code": "DVO", "name": "Davao"}))
        ok(http.post("/api/v1/warehouses/DVO/bins", json={"code": "B-01"}))
        ok(http.patch("/api/v1/warehouses/DVO/bins/B-01", json={"zone": "B"}), 200)
        ok(http.post("/api/v1/users", json={"username": "ana", "password": "ana-password", "role": "rider"}))
        ok(http.post("/api/v1/orders", json=order_payload("ONE-1", [("CASE-BLK", 1)])))
        bad = order_payload("ONE-2", [("CASE-BLK", 1)], payment_method="barter")
        ok(http.post("/api/v1/orders", json=bad), 422)  # kept in rejected_payloads
        receipt = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": 3, "bin": "A-01-01"}]}
        ok(http.post("/api/v1/stock/receipts", json=receipt))

        hlc = HLCTimestamp(wall_clock_ms() + 1000, 0).encode()
        op = op_for(phone, 1, StockReceived(wh="VAL", bin="A-01-01", sku="CASE-BLK", qty=2), hlc=hlc)
        pushed = post(http, phone, SyncRequest(v=1, ops=[op], pull=False), endpoint="push")
        assert pushed.status_code == 200, pushed.text
        assert decode(pushed.content, PushResponse, "json").res[0].st == "applied"


def _val_id(conn: Connection) -> Any:
    from server.inventory.models import Warehouse

    return conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()


def _all_written(url: str) -> None:
    """What the day wrote is there, whichever connection wrote it."""
    with connect(url) as conn:
        assert conn.execute(select(Sku.id).where(Sku.code == "MUG-WHT")).first() is not None
        assert conn.execute(select(Bin.zone).where(Bin.code == "B-01")).scalar_one() == "B"
        assert (
            conn.execute(select(Order.status).where(Order.external_id == "ONE-1")).scalar_one() == "allocated"
        )
        assert conn.execute(select(func.count()).select_from(RejectedPayload)).scalar_one() == 1
        received = select(func.sum(StockMovement.qty)).where(StockMovement.kind == "receive")
        assert conn.execute(received).scalar_one() == 5 + 3 + 2  # seeded, the receipt, the push


@pytest.fixture
def seeded(sqlite_url: str) -> tuple[str, Phone]:
    """The world, its users and a warehouse phone, written before the server's lifetime is watched."""
    run(seed_world(sqlite_url, {("CASE-BLK", "VAL"): 5}))
    run(_seed_role_users(sqlite_url))
    with connect(sqlite_url) as conn:
        phone = add_phone(conn, "wh-one", "warehouse", _val_id(conn))
        conn.commit()
    return sqlite_url, phone


def test_with_the_writer_process_the_server_process_writes_nothing(
    seeded: tuple[str, Phone], writers: Writers
) -> None:
    url, phone = seeded
    _serve_a_day(url, phone, writer_process=True)
    assert writers.writes == 0, f"{writers.writes} write statements ran in the server process"
    assert writers.began_immediate == []
    _all_written(url)


def test_with_the_writer_thread_one_connection_writes_everything(
    seeded: tuple[str, Phone], writers: Writers
) -> None:
    url, phone = seeded
    _serve_a_day(url, phone, writer_process=False)
    assert writers.writes > 10
    assert writers.distinct(writers.began_immediate) == 1
    assert writers.distinct(writers.wrote) == 1
    assert writers.wrote[0] is writers.began_immediate[0]
    _all_written(url)
