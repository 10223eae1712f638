"""Seed data for the couriers' tests: the sample couriers (fixtures/couriers/couriers.json) and
orders in a given status, written straight into the database."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.channels.models import Shop
from server.db import Database
from server.db.orm import orm_session
from server.orders.models import Order
from tests.kit.world import PLACED, seed_world

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "couriers"
COURIERS: dict[str, Any] = json.loads((FIXTURES / "couriers.json").read_text())
SECRET = "jnt-webhook-secret-for-tests"


def write_orders(conn: Connection, specs: list[tuple[str, str, int]]) -> dict[str, uuid.UUID]:
    """Orders (external id, status, COD centavos) of the world's Shopee shop."""
    with orm_session(conn) as s:
        shop = s.scalars(select(Shop)).first()
        assert shop is not None
        made: dict[str, uuid.UUID] = {}
        for external_id, status, cod in specs:
            order = Order(
                shop_id=shop.id,
                channel="shopee",
                external_id=external_id,
                status=status,
                payment_method="cod" if cod else "prepaid",
                cod_amount=cod,
                total_amount=cod,
                customer_name="Juan dela Cruz",
                phone="+639171234567",
                street="12 Rizal St",
                barangay="Malinta",
                city="Valenzuela",
                province="Metro Manila",
                region="NCR",
                zip_code="1440",
                placed_at=PLACED,
                channel_updated_at=PLACED,
                payload_hash=external_id,
            )
            s.add(order)
            s.flush()
            made[external_id] = order.id
        return made


async def seed_orders(url: str, specs: list[tuple[str, str, int]]) -> dict[str, uuid.UUID]:
    await seed_world(url)
    db = Database(url)
    try:
        return await db.run_write(write_orders, specs)
    finally:
        await db.dispose()


def add_courier(admin: Any, code: str, **changes: Any) -> dict[str, Any]:
    body = {**COURIERS[code], **changes}
    answer = admin.put(f"/api/v1/couriers/{code}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def attach(admin: Any, code: str, parcels: dict[uuid.UUID, str]) -> None:
    body = {"parcels": [{"order": str(o), "waybill": w} for o, w in parcels.items()]}
    answer = admin.post(f"/api/v1/couriers/{code}/parcels", json=body)
    assert answer.status_code == 200, answer.text


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(client: Any, code: str, events: list[dict[str, Any]], secret: str = SECRET) -> Any:
    body = json.dumps({"events": events}).encode()
    headers = {"X-Courier-Signature": sign(body, secret), "Content-Type": "application/json"}
    return client.post(f"/api/v1/couriers/{code}/webhook", content=body, headers=headers)
