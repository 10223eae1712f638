"""Random sequences of orders, cancellations, receipts, shipments and returns keep the stock
invariants: balances equal the ledger, nothing is reserved beyond what is on hand, an allocated
order holds exactly its needs in one warehouse, and a held order holds nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.catalog.models import BundleComponent
from server.db import Database
from server.errors import BodegaError
from server.inventory.ledger import Movement
from server.inventory.models import Reservation, StockBalance
from server.inventory.stock import post_stock
from server.orders.ingest import ingest_batch
from server.orders.models import Order, OrderLine
from server.orders.schemas import OrderIn
from server.orders.transitions import change_status
from server.verify import verify
from tests.conftest import run
from tests.kit.world import World, order_payload, seed_world

SOAK = os.environ.get("BODEGA_SOAK") == "1"
SKUS = ["CASE-BLK", "CABLE-1M", "SOAP-KOJIC", "SET-STARTER"]
REGIONS = [("NCR", "Valenzuela", "1440"), ("VII", "Cebu City", "6000"), ("XI", "Davao City", "8000")]
BASE = datetime(2026, 11, 11, tzinfo=UTC)


def make_order(
    n: int, lines: list[tuple[str, int]], region: tuple[str, str, str], cancelled: bool, version: int
) -> OrderIn:
    payload = order_payload(f"P-{n}", lines, updated_at=(BASE + timedelta(minutes=version)).isoformat())
    payload["address"] |= {"region": region[0], "city": region[1], "zip_code": region[2]}
    if cancelled:
        payload["status"] = "cancelled"
    return msgspec.convert(payload, OrderIn, strict=False)


def check_invariants(conn: Connection) -> None:
    report = verify(conn)
    assert report.ok, (report.drift, report.orphan_reservations)
    for on_hand, reserved, buffer in conn.execute(
        select(StockBalance.on_hand, StockBalance.reserved, StockBalance.safety_buffer)
    ).all():
        assert reserved <= on_hand - buffer, "reserved beyond stock: oversold"
    held: dict[uuid.UUID, dict[tuple[uuid.UUID, uuid.UUID], int]] = defaultdict(lambda: defaultdict(int))
    for order_id, sku_id, wh, qty in conn.execute(
        select(Reservation.order_id, Reservation.sku_id, Reservation.warehouse_id, Reservation.qty).where(
            Reservation.status == "active"
        )
    ).all():
        held[order_id][(sku_id, wh)] += qty
    parts: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for bundle, component, qty in conn.execute(
        select(BundleComponent.bundle_sku_id, BundleComponent.component_sku_id, BundleComponent.qty)
    ).all():
        parts[bundle].append((component, qty))
    needs: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(lambda: defaultdict(int))
    for order_id, sku_id, qty in conn.execute(
        select(OrderLine.order_id, OrderLine.sku_id, OrderLine.qty)
    ).all():
        for component, each in parts.get(sku_id, [(sku_id, 1)]):
            needs[order_id][component] += qty * each
    for order_id, status, warehouse_id in conn.execute(
        select(Order.id, Order.status, Order.warehouse_id)
    ).all():
        mine = held.get(order_id, {})
        if status in ("allocated", "picking", "packed"):
            assert mine, f"{status} order holds nothing"
            assert {wh for _, wh in mine} == {warehouse_id}, "an order is reserved in one warehouse only"
            wanted = {sku: qty for (sku, _), qty in mine.items()}
            assert wanted == needs.get(order_id), "an order holds exactly what its current lines need"
        else:
            assert not mine, f"{status} order still holds stock"


class StockMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.url: str = ""
        self.db: Database | None = None
        self.world: World | None = None
        self.n = 0
        self.versions: dict[int, int] = {}

    @initialize()
    def start(self) -> None:
        self.url = StockMachine.url_factory()
        self.world = run(seed_world(self.url, {("CASE-BLK", "VAL"): 3, ("CABLE-1M", "CEB"): 4}))
        # One event loop for the whole example: asyncpg's pooled connections belong to the loop
        # that opened them.
        self.loop = asyncio.new_event_loop()
        self.db = Database(self.url)

    def write(self, fn: Any, *args: Any) -> Any:
        assert self.db is not None
        return self.loop.run_until_complete(self.db.run_write(fn, *args))

    @rule(
        lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3),
        region=st.sampled_from(REGIONS),
    )
    def new_order(self, lines: list[tuple[str, int]], region: tuple[str, str, str]) -> None:
        self.n += 1
        self.versions[self.n] = 0
        self.write(ingest_batch, [make_order(self.n, lines, region, False, 0)], "prop")

    @rule(
        versions=st.lists(
            st.tuples(
                st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3),
                st.booleans(),
            ),
            min_size=2,
            max_size=3,
        ),
        region=st.sampled_from(REGIONS),
        data=st.data(),
    )
    def versions_in_one_batch(
        self,
        versions: list[tuple[list[tuple[str, int]], bool]],
        region: tuple[str, str, str],
        data: st.DataObject,
    ) -> None:
        """A channel's webhooks for one order arriving together: created or changed, then changed
        again or cancelled, all in one transaction."""
        if self.versions and data.draw(st.booleans()):
            n = data.draw(st.sampled_from(sorted(self.versions)))
        else:
            self.n += 1
            n = self.n
            self.versions[n] = -1
        batch = []
        for lines, cancelled in versions:
            self.versions[n] += 1
            batch.append(make_order(n, lines, region, cancelled, self.versions[n]))
        self.write(ingest_batch, batch, "prop")

    @rule(data=st.data())
    def channel_cancels(self, data: st.DataObject) -> None:
        if not self.versions:
            return
        n = data.draw(st.sampled_from(sorted(self.versions)))
        self.versions[n] += 1
        # Same lines are irrelevant for a cancel: the newer version only carries the status.
        self.write(
            ingest_batch, [make_order(n, [("CASE-BLK", 1)], REGIONS[0], True, self.versions[n])], "prop"
        )

    @rule(sku=st.sampled_from(SKUS[:3]), warehouse=st.sampled_from(["VAL", "CEB"]), qty=st.integers(1, 5))
    def receive(self, sku: str, warehouse: str, qty: int) -> None:
        assert self.world is not None
        wh = self.world.val if warehouse == "VAL" else self.world.ceb
        move = Movement(self.world.skus[sku].id, wh.id, "receive", qty, actor="prop")
        self.write(post_stock, [move])

    @rule(
        data=st.data(),
        status=st.sampled_from(["picking", "packed", "shipped", "delivered", "cancelled", "returned"]),
    )
    def move_order(self, data: st.DataObject, status: str) -> None:
        assert self.db is not None
        ids = self.loop.run_until_complete(self._order_ids())
        if not ids:
            return
        order_id = data.draw(st.sampled_from(ids))
        # An illegal move is refused and must change nothing; the invariants check that it didn't.
        with contextlib.suppress(BodegaError):
            self.write(partial(change_status, actor="prop"), order_id, status)

    async def _order_ids(self) -> list[uuid.UUID]:
        assert self.db is not None
        async with self.db.reader.connect() as conn:
            return sorted(r[0] for r in (await conn.execute(select(Order.id))).all())

    @invariant()
    def stock_is_consistent(self) -> None:
        if self.db is not None:
            self.write(check_invariants)

    def teardown(self) -> None:
        if self.db is not None:
            self.loop.run_until_complete(self.db.dispose())
            self.loop.close()

    url_factory: Any = None


def test_stock_invariants_under_random_operations(database_url: str, tmp_path: Any) -> None:
    counter = iter(range(10_000))

    def fresh() -> str:
        # Each Hypothesis example needs an empty database: SQLite gets a new file copy, PostgreSQL
        # is truncated through the same fixture helpers.
        if database_url.startswith("sqlite"):
            import shutil
            from pathlib import Path

            source = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
            target = tmp_path / f"example-{next(counter)}.db"
            shutil.copy(source, target)
            return f"sqlite+aiosqlite:///{target}"
        from tests.conftest import _truncate_postgres

        _truncate_postgres(database_url)
        return database_url

    StockMachine.url_factory = staticmethod(fresh)
    StockMachine.TestCase.settings = settings(
        max_examples=200 if SOAK else 12,
        stateful_step_count=40 if SOAK else 15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    StockMachine.TestCase().runTest()
