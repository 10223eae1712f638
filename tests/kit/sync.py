"""Helpers for testing the sync server: a small world (warehouse, bins, SKUs, COD orders, users
with device tokens), phones speaking HTTP to it, and readers of the server's ledgers.

Named like this (not helpers) because test module names are global.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from server.auth.models import User
from server.auth.principal import hash_token, new_token
from server.catalog.models import Sku
from server.changes.log import scope_entities
from server.channels.models import Shop
from server.cod.models import CashBalance, DeliveryRun, RunStop
from server.db.base import new_id
from server.inventory.models import Bin, StockMovement, Warehouse
from server.orders.models import Order
from server.sync_api.models import SyncOp
from server.verify import verify
from sync import HLC, Client, Op, PullResponse, PushResponse
from sync.http import HttpTransport
from tests.conftest import _sync_url

PLACED = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)


@dataclass
class Phone:
    username: str
    role: str
    device_id: str
    token: str


@dataclass
class SyncWorld:
    url: str
    warehouse: str  # code
    bins: list[str]
    skus: list[str]
    orders: dict[str, uuid.UUID]  # name -> id
    cod: dict[str, int]  # name -> centavos
    phones: dict[str, Phone] = field(default_factory=dict[str, Phone])

    def order(self, name: str) -> str:
        return str(self.orders[name])


def engine_for(url: str) -> Engine:
    return create_engine(_sync_url(url))


def seed(
    url: str,
    *,
    phones: dict[str, str] | None = None,
    orders: int = 5,
    status: str = "shipped",
    bins: int = 3,
    skus: int = 2,
    warehouse: str = "W",
    runs: bool = True,
) -> SyncWorld:
    """Warehouse `W` with bins B1.., SKUs S1.., COD orders O1.. (all `status`), and one user and
    device per phone name -> role (warehouse users work in W). With `runs`, each rider gets a run
    holding every order, so it may record deliveries and cash for them (sync.AUTHORITY)."""
    phones = phones or {"wh1": "warehouse", "rider1": "rider", "sup": "supervisor"}
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            wid = new_id()
            conn.execute(insert(Warehouse).values(id=wid, code=warehouse, name="Warehouse", region="NCR"))
            bin_codes = [f"B{i}" for i in range(1, bins + 1)]
            conn.execute(insert(Bin), [{"id": new_id(), "warehouse_id": wid, "code": c} for c in bin_codes])
            sku_codes = [f"S{i}" for i in range(1, skus + 1)]
            conn.execute(insert(Sku), [{"id": new_id(), "code": c, "name": f"Item {c}"} for c in sku_codes])
            shop = new_id()
            conn.execute(insert(Shop).values(id=shop, channel="shopee", code="shop", name="Shop"))
            order_ids: dict[str, uuid.UUID] = {}
            cod: dict[str, int] = {}
            rows: list[dict[str, Any]] = []
            for n in range(1, orders + 1):
                name = f"O{n}"
                order_ids[name] = new_id()
                cod[name] = 10_000 * n
                rows.append(_order_row(order_ids[name], shop, name, status, cod[name], wid))
            if rows:
                conn.execute(insert(Order), rows)
            world = SyncWorld(url, warehouse, bin_codes, sku_codes, order_ids, cod)
            for name, role in phones.items():
                world.phones[name] = add_phone(conn, name, role, wid if role == "warehouse" else None)
                if runs and role == "rider" and order_ids:
                    put_on_run(conn, name, list(order_ids.values()))
        return world
    finally:
        engine.dispose()


def _order_row(
    oid: uuid.UUID, shop: uuid.UUID, name: str, status: str, cod: int, wid: uuid.UUID
) -> dict[str, Any]:
    return {
        "id": oid,
        "shop_id": shop,
        "channel": "shopee",
        "external_id": name,
        "status": status,
        "payment_method": "cod",
        "cod_amount": cod,
        "total_amount": cod,
        "customer_name": f"Buyer {name}",
        "phone": "+639171234567",
        "street": "5 Mabini St.",
        "barangay": "Malinta",
        "city": "Valenzuela",
        "province": "Metro Manila",
        "region": "NCR",
        "zip_code": "1440",
        "placed_at": PLACED,
        "channel_updated_at": PLACED,
        "payload_hash": name,
        "warehouse_id": wid,
    }


def add_phone(conn: Connection, username: str, role: str, warehouse_id: uuid.UUID | None) -> Phone:
    from server.auth.models import Device

    user_id = conn.execute(select(User.id).where(User.username == username)).scalar()
    if user_id is None:
        user_id = new_id()
        conn.execute(
            insert(User).values(
                id=user_id, username=username, role=role, password_hash="x", warehouse_id=warehouse_id
            )
        )
    token = new_token()
    device_id = new_id()
    conn.execute(
        insert(Device).values(
            id=device_id, user_id=user_id, name=f"{username} phone", token_hash=hash_token(token)
        )
    )
    return Phone(username, role, str(device_id), token)


def put_on_run(conn: Connection, rider: str, orders: list[uuid.UUID]) -> uuid.UUID:
    """A run of this rider with these orders as its stops: what lets the rider record facts about
    them (sync.AUTHORITY)."""
    rider_id = conn.execute(select(User.id).where(User.username == rider)).scalar_one()
    run_id = new_id()
    conn.execute(insert(DeliveryRun).values(id=run_id, rider_id=rider_id, name=f"run of {rider}"))
    conn.execute(
        insert(RunStop),
        [{"run_id": run_id, "order_id": oid, "position": n} for n, oid in enumerate(orders, start=1)],
    )
    return run_id


def phone_client(
    http: httpx.Client, phone: Phone, *, fmt: Any = "msgpack", clock: HLC | None = None, **kw: Any
) -> Client:
    return Client(phone.device_id, HttpTransport(http, phone.token, fmt=fmt), clock=clock, **kw)


@contextlib.contextmanager
def connect(url: str) -> Iterator[Connection]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


# -- reading the server's ledgers back ----------------------------------------------------------


def bins_by_code(conn: Connection) -> dict[tuple[str, str, str], int]:
    """Units per (warehouse code, bin code, SKU code) from the stock ledger; zeros left out."""
    rows = conn.execute(
        select(Warehouse.code, Bin.code, Sku.code, func.sum(StockMovement.qty))
        .join(Bin, Bin.id == StockMovement.bin_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .join(Sku, Sku.id == StockMovement.sku_id)
        .group_by(Warehouse.code, Bin.code, Sku.code)
    ).all()
    return {(r[0], r[1], r[2]): int(r[3]) for r in rows if int(r[3])}


def cash_by_holder(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(CashBalance.holder, CashBalance.amount)).all()
    return {r[0]: int(r[1]) for r in rows if int(r[1])}


def delivered_waybills(conn: Connection) -> set[str]:
    rows = conn.execute(
        text("SELECT DISTINCT waybill FROM delivery_attempts WHERE outcome = 'delivered' AND counts")
    ).all()
    return {r[0] for r in rows}


def journal(conn: Connection) -> dict[uuid.UUID, tuple[str, str]]:
    """op id -> (type, status) for every journalled op."""
    rows = conn.execute(select(SyncOp.op_id, SyncOp.type, SyncOp.status)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def journal_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(SyncOp)).scalar_one())


def server_scope(conn: Connection, scope: str) -> dict[tuple[str, str], Any]:
    return scope_entities(conn, scope)


def ledger_ok(conn: Connection) -> list[str]:
    """What `bodega verify` reports, as lines (empty: no drift)."""
    report = verify(conn)
    return (
        [str(d) for d in report.drift] + list(report.orphan_reservations) + list(getattr(report, "sync", []))
    )


# -- raw HTTP ----------------------------------------------------------------------------------------


def post(
    http: httpx.Client,
    phone: Phone,
    body: Any,
    *,
    endpoint: str = "sync",
    fmt: str = "json",
    gzip_it: bool = False,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a message (or raw bytes) to /sync/v1/<endpoint> as this phone."""
    from sync import encode, gzip_body

    data = body if isinstance(body, bytes) else encode(body, fmt)  # type: ignore[arg-type]
    sent = {"Authorization": f"Bearer {phone.token}", "Content-Type": f"application/{fmt}"}
    if gzip_it:
        data = gzip_body(data)
        sent["Content-Encoding"] = "gzip"
    sent.update(headers or {})
    return http.post(f"/sync/v1/{endpoint}", content=data, headers=sent)


def push(http: httpx.Client, phone: Phone, *ops: Op) -> PushResponse:
    """One push as this phone (JSON), which must be answered 200."""
    from sync import PushRequest, decode

    response = post(http, phone, PushRequest(v=1, ops=list(ops)), endpoint="push")
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, "json")


def results(answer: PushResponse) -> list[tuple[int, str]]:
    """(seq, status) of each op's result."""
    return [(r.seq, r.st) for r in answer.res]


def pull(http: httpx.Client, phone: Phone, cur: str | None = None, lim: int = 0) -> PullResponse:
    """One pull page as this phone (JSON), which must be answered 200."""
    from sync import PullRequest, decode

    response = post(http, phone, PullRequest(v=1, cur=cur, lim=lim), endpoint="pull")
    assert response.status_code == 200, response.text
    return decode(response.content, PullResponse, "json")


# A Philippine address for orders posted in these tests.
ADDRESS = {
    "name": "Juan dela Cruz",
    "phone": "09171234567",
    "street": "12 Rizal St.",
    "barangay": "Malinta",
    "city": "Valenzuela",
    "province": "Metro Manila",
    "region": "NCR",
    "zip_code": "1440",
}


def op_for(
    phone: Phone, seq: int, payload: Any, *, hlc: str | None = None, op_id: uuid.UUID | None = None
) -> Op:
    """An op as a phone would record it (type and payload from a payload struct)."""
    from sync import HLCTimestamp, op_type_of

    stamp = hlc or HLCTimestamp(1_767_225_600_000 + seq * 1000, 0).encode()
    return Op(
        op_id or uuid.uuid4(),
        phone.device_id,
        seq,
        1_767_225_600_000,
        stamp,
        op_type_of(payload),
        msgspec.to_builtins(payload),
    )
