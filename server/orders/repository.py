"""Reading orders back: for the API, and the inputs allocation needs for orders already stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from server.catalog.models import BundleComponent, Sku
from server.channels.models import Shop
from server.inventory.models import Warehouse
from server.orders.models import Order, OrderLine, OrderStatusChange
from server.orders.schemas import HistoryEntryOut, OrderLineOut, OrderOut
from server.orders.validation import LineNeeds

# Any select, whatever its columns (SQLAlchemy 2.1 types a Select by its column tuple).
AnySelect = Select[*tuple[Any, ...]]


@dataclass
class AllocationInput:
    order_id: uuid.UUID
    external_id: str
    region: str
    placed_at: datetime
    default_warehouse_id: uuid.UUID | None
    lines: list[LineNeeds]
    backordered_at: datetime | None = None


def load_allocation_inputs(conn: Connection, order_ids: list[uuid.UUID]) -> list[AllocationInput]:
    orders = (
        conn.execute(
            select(
                Order.id,
                Order.external_id,
                Order.region,
                Order.placed_at,
                Shop.default_warehouse_id,
                Order.backordered_at,
            )
            .join(Shop, Shop.id == Order.shop_id)
            .where(Order.id.in_(order_ids))
        )
    ).all()
    lines = (
        conn.execute(
            select(
                OrderLine.order_id,
                OrderLine.id,
                OrderLine.line_no,
                OrderLine.sku_id,
                OrderLine.qty,
                OrderLine.unit_price,
                OrderLine.external_line_id,
                Sku.is_bundle,
            )
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        )
    ).all()
    bundle_ids = {row[3] for row in lines if row[7]}
    components: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
    if bundle_ids:
        rows = (
            conn.execute(
                select(
                    BundleComponent.bundle_sku_id, BundleComponent.component_sku_id, BundleComponent.qty
                ).where(BundleComponent.bundle_sku_id.in_(bundle_ids))
            )
        ).all()
        for bundle_id, component_id, qty in rows:
            components.setdefault(bundle_id, []).append((component_id, qty))
    by_order: dict[uuid.UUID, list[LineNeeds]] = {}
    for order_id, line_id, line_no, sku_id, qty, price, ext, is_bundle in lines:
        parts = {c: per * qty for c, per in components.get(sku_id, [])} if is_bundle else {sku_id: qty}
        by_order.setdefault(order_id, []).append(LineNeeds(line_id, line_no, sku_id, qty, price, ext, parts))
    return [AllocationInput(o[0], o[1], o[2], o[3], o[4], by_order.get(o[0], []), o[5]) for o in orders]


def order_query() -> Select[Order, str, str]:
    return (
        select(Order, Shop.code, Warehouse.code)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
    )


def to_out(order: Order, shop_code: str, warehouse_code: str | None, lines: list[OrderLineOut]) -> OrderOut:
    return OrderOut(
        id=order.id,
        shop=shop_code,
        channel=order.channel,
        external_id=order.external_id,
        status=order.status,
        channel_status=order.channel_status,
        payment_method=order.payment_method,
        cod_amount=order.cod_amount,
        total_amount=order.total_amount,
        warehouse=warehouse_code,
        hold_reason=order.hold_reason,
        address_flag=order.address_flag,
        placed_at=order.placed_at,
        ship_by=order.ship_by,
        customer_name=order.customer_name,
        phone=order.phone,
        street=order.street,
        barangay=order.barangay,
        city=order.city,
        province=order.province,
        region=order.region,
        zip_code=order.zip_code,
        lines=lines,
        backordered=order.status == "on_hold" and order.backordered_at is not None,
    )


async def order_lines(conn: Any, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[OrderLineOut]]:
    rows = (
        await conn.execute(
            select(OrderLine.order_id, OrderLine.line_no, Sku.code, OrderLine.qty, OrderLine.unit_price)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        )
    ).all()
    out: dict[uuid.UUID, list[OrderLineOut]] = {}
    for order_id, line_no, code, qty, price in rows:
        out.setdefault(order_id, []).append(
            OrderLineOut(line_no=line_no, sku=code, qty=qty, unit_price=price)
        )
    return out


async def history(conn: Any, order_id: uuid.UUID) -> list[HistoryEntryOut]:
    rows = (
        await conn.execute(
            select(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.id)
        )
    ).scalars()
    return [
        HistoryEntryOut(
            from_status=h.from_status, to_status=h.to_status, actor=h.actor, reason=h.reason, at=h.at
        )
        for h in rows
    ]
