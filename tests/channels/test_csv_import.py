"""Seller Center exports (CSV) imported through the batch ingest path, on SQLite and PostgreSQL:
idempotent by order id, unreadable rows and refused orders kept with their reasons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.channels.models import Listing, Shop
from server.cli import main
from server.db import Database
from server.db.orm import orm_session
from server.exceptions.models import ExceptionRecord
from server.intake.csv_import import ImportReport, import_orders
from server.orders.models import RejectedPayload
from server.writes import finish
from tests.conftest import run
from tests.kit.world import seed_world

FIXTURES = Path(__file__).parents[2] / "fixtures" / "channels"


def _seed(conn: Connection) -> None:
    with orm_session(conn) as s:
        skus = {code: Sku(code=code, name=code) for code in ("TUM", "STR")}
        s.add_all(skus.values())
        lazada = Shop(channel="lazada", code="lazada-ph", name="Lazada PH")
        s.add(lazada)
        s.flush()
        shopee = s.scalar(select(Shop).where(Shop.code == "shopee-main"))
        assert shopee is not None
        for shop in (shopee, lazada):
            for channel_sku, sku in (("TUMBLER-BLK-500", "TUM"), ("STRAW-SET-4", "STR")):
                s.add(
                    Listing(
                        shop_id=shop.id, item_id=f"seed-{sku}", channel_sku=channel_sku, sku_id=skus[sku].id
                    )
                )
        s.flush()


@pytest.fixture
def world(database_url: str) -> str:
    run(seed_world(database_url))

    async def seed(db: Database) -> None:
        await db.run_write(_seed)

    run(with_db(database_url, seed))
    return database_url


async def with_db(url: str, fn: Callable[[Database], Awaitable[Any]]) -> Any:
    db = Database(url, finish=finish)
    try:
        return await fn(db)
    finally:
        await db.dispose()


def importing(url: str, shop: str, platform: str) -> ImportReport:
    text = (FIXTURES / platform / "seller_center_export.csv").read_text()

    async def go(db: Database) -> ImportReport:
        return await import_orders(db, shop, text)

    return run(with_db(url, go))


def _counts(conn: Connection) -> tuple[int, int, list[str]]:
    rejected = conn.execute(select(func.count()).select_from(RejectedPayload)).scalar_one()
    kinds = sorted(r[0] for r in conn.execute(select(ExceptionRecord.kind)).all())
    from server.orders.models import Order

    orders = conn.execute(select(func.count()).select_from(Order)).scalar_one()
    return orders, rejected, kinds


def counts(url: str) -> tuple[int, int, list[str]]:
    async def go(db: Database) -> tuple[int, int, list[str]]:
        return await db.run_read(_counts)

    return run(with_db(url, go))


def test_shopee_export_imported_once_with_rejects_kept(admin: Any, world: str) -> None:
    first = importing(world, "shopee-main", "shopee")
    assert (first.rows, first.orders, first.outcomes, first.held, first.rejected_rows) == (
        7,
        4,
        {"created": 3},
        1,
        2,
    )
    orders, rejected, kinds = counts(world)
    assert (orders, rejected) == (3, 2)
    assert kinds.count("unmapped_listing") == 1
    cebu = admin.get("/api/v1/orders", params={"external_id": "2611110ABCDE12"}).json()["items"][0]
    assert [(ln["sku"], ln["qty"], ln["unit_price"]) for ln in cebu["lines"]] == [
        ("TUM", 2, 39900),
        ("STR", 1, 35450),
    ]
    assert cebu["cod_amount"] == 119050 and cebu["city"] == "City of Cebu" and cebu["region"] == "VII"
    misspelt = admin.get("/api/v1/orders", params={"external_id": "2611110FGHIJ34"}).json()["items"][0]
    assert misspelt["city"] == "City of Mandaluyong" and misspelt["barangay"] == "Plainview"
    cancelled = admin.get("/api/v1/orders", params={"external_id": "2611110KLMNO56"}).json()["items"][0]
    assert cancelled["status"] == "cancelled" and cancelled["payment_method"] == "prepaid"

    again = importing(world, "shopee-main", "shopee")
    assert (again.outcomes, again.held) == ({"unchanged": 3}, 1)
    orders, _, kinds = counts(world)
    assert orders == 3 and kinds.count("unmapped_listing") == 1  # the same hold is not raised twice


def test_lazada_export_units_grouped(admin: Any, world: str) -> None:
    report = importing(world, "lazada-ph", "lazada")
    assert (report.rows, report.outcomes, report.rejected_rows) == (4, {"created": 2}, 0)
    pasig = admin.get("/api/v1/orders", params={"external_id": "501234567890123"}).json()["items"][0]
    assert [(ln["sku"], ln["qty"]) for ln in pasig["lines"]] == [("TUM", 2), ("STR", 1)]
    assert pasig["cod_amount"] == 115200 + 4500  # items + the shipping shares of the unit rows
    laguna = admin.get("/api/v1/orders", params={"external_id": "501234567890456"}).json()["items"][0]
    assert laguna["payment_method"] == "prepaid" and laguna["lines"][0]["unit_price"] == 115200


def test_cli_import_with_progress(world: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not world.startswith("sqlite"):
        return  # the command itself is database-agnostic; its ingest is covered on both above
    monkeypatch.setenv("BODEGA_DATABASE_URL", world)
    path = str(FIXTURES / "lazada" / "seller_center_export.csv")
    result = CliRunner().invoke(main, ["channels", "import-orders", path, "--shop", "lazada-ph"])
    assert result.exit_code == 0, result.output
    assert "4 rows, 2 orders: 2 created" in result.output
    result = CliRunner().invoke(main, ["channels", "import-orders", path, "--shop", "lazada-ph"])
    assert "2 unchanged" in result.output


def test_a_plain_order_reaches_the_writer_with_what_record_orders_reads() -> None:
    """The import sends a plain order to the writer as a tuple (cheaper to unpickle); unpacked
    there it has the fields `record_orders` reads. Held or flagged orders travel whole."""
    import pickle
    import uuid
    from datetime import UTC, datetime

    from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings
    from server.intake import csv_import
    from server.intake.mapping import ShopContext, to_order

    ctx = ShopContext(
        uuid.uuid4(), "shopee-ph", "shopee", ShopSettings(), by_channel_sku={"CABLE": "CABLE-1M"}
    )
    at = datetime(2026, 11, 10, 16, 5, tzinfo=UTC)
    order = ChannelOrder(
        "SO-1", "To ship", True, at, at, [ChannelLine("", "", "CABLE", 2, 19900)], RawAddress(name="Ana")
    )
    mapped = to_order(order, ctx)
    sent = csv_import._plain(mapped)
    assert isinstance(sent, tuple) and csv_import._external_id(sent) == "SO-1"
    got = csv_import._unpacked(pickle.loads(pickle.dumps(sent)))
    assert got.order == mapped.order and (got.status, got.hold, got.flags) == (mapped.status, None, [])
    co = got.channel
    assert (co.external_id, co.raw_status, co.updated_at, co.payload) == ("SO-1", "To ship", at, {})
    unmapped = ChannelOrder(
        "SO-2", "To ship", True, at, at, [ChannelLine("", "", "NOPE", 1, 100)], RawAddress()
    )
    held = to_order(unmapped, ctx)
    assert held.hold and csv_import._plain(held) is held and csv_import._external_id(held) == "SO-2"
