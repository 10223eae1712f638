"""Turning an incoming order into a checked, resolved one, or a list of field errors.

Everything the ingest transaction needs to know about the catalog is read once per batch into a
CatalogView, so validating a thousand orders costs a handful of queries, not thousands.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection

from server.address import normalise_phone, region_code, valid_zip
from server.catalog.models import BundleComponent, Sku
from server.channels.models import Listing, Shop
from server.db.base import new_id
from server.db.bulk import in_values
from server.errors import FieldError, InvalidInput
from server.money import BadMoney, pesos_to_centavos
from server.orders.schemas import OrderIn

MAX_LINES = 200
MAX_QTY = 100_000


@dataclass(frozen=True)
class ShopInfo:
    id: uuid.UUID
    code: str
    channel: str
    default_warehouse_id: uuid.UUID | None
    active: bool


@dataclass(frozen=True)
class SkuInfo:
    id: uuid.UUID
    code: str
    active: bool
    is_bundle: bool


@dataclass
class CatalogView:
    shops: dict[str, ShopInfo] = field(default_factory=dict)
    skus_by_code: dict[str, SkuInfo] = field(default_factory=dict)
    skus_by_id: dict[uuid.UUID, SkuInfo] = field(default_factory=dict)
    listings: dict[tuple[uuid.UUID, str, str], uuid.UUID] = field(default_factory=dict)
    components: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = field(default_factory=dict)

    def code_of(self, sku_id: uuid.UUID) -> str:
        info = self.skus_by_id.get(sku_id)
        return info.code if info else str(sku_id)


def load_catalog_view(conn: Connection, orders: list[OrderIn]) -> CatalogView:
    view = CatalogView()
    shop_codes = {o.shop for o in orders}
    for row in (
        conn.execute(
            select(Shop.id, Shop.code, Shop.channel, Shop.default_warehouse_id, Shop.active).where(
                Shop.code.in_(shop_codes)
            )
        )
    ).all():
        view.shops[row[1]] = ShopInfo(*row)
    sku_codes = {line.sku for o in orders for line in o.lines if line.sku}
    listing_keys = {
        (view.shops[o.shop].id, line.item_id, line.model_id)
        for o in orders
        if o.shop in view.shops
        for line in o.lines
        if line.sku is None and line.item_id
    }
    sku_ids: set[uuid.UUID] = set()
    if listing_keys:
        stmt = select(Listing.shop_id, Listing.item_id, Listing.model_id, Listing.sku_id).where(
            tuple_(Listing.shop_id, Listing.item_id, Listing.model_id).in_(list(listing_keys)),
            Listing.active.is_(True),
        )
        for shop_id, item_id, model_id, sku_id in (conn.execute(stmt)).all():
            view.listings[(shop_id, item_id, model_id)] = sku_id
            sku_ids.add(sku_id)
    _load_skus(conn, view, in_values(conn, Sku.code, sku_codes) if sku_codes else None)
    _load_skus(conn, view, in_values(conn, Sku.id, sku_ids) if sku_ids else None)
    bundle_ids = [s.id for s in view.skus_by_id.values() if s.is_bundle]
    if bundle_ids:
        rows = (
            conn.execute(
                select(
                    BundleComponent.bundle_sku_id, BundleComponent.component_sku_id, BundleComponent.qty
                ).where(BundleComponent.bundle_sku_id.in_(bundle_ids))
            )
        ).all()
        for bundle_id, component_id, qty in rows:
            view.components.setdefault(bundle_id, []).append((component_id, qty))
        component_ids = {c for parts in view.components.values() for c, _ in parts} - view.skus_by_id.keys()
        _load_skus(conn, view, in_values(conn, Sku.id, component_ids) if component_ids else None)
    return view


def _load_skus(conn: Connection, view: CatalogView, where: object) -> None:
    if where is None:
        return
    rows = (conn.execute(select(Sku.id, Sku.code, Sku.active, Sku.is_bundle).where(where))).all()  # type: ignore[arg-type]
    for row in rows:
        info = SkuInfo(*row)
        view.skus_by_code[info.code] = info
        view.skus_by_id[info.id] = info


@dataclass
class LineNeeds:
    id: uuid.UUID
    line_no: int
    sku_id: uuid.UUID
    qty: int
    unit_price: int
    external_line_id: str
    # Units of each stocked SKU this line takes (a bundle expands into its components).
    parts: dict[uuid.UUID, int]


@dataclass
class ResolvedOrder:
    source: OrderIn
    shop: ShopInfo
    lines: list[LineNeeds]
    phone: str
    region: str
    zip_code: str
    cod_amount: int
    total_amount: int
    shipping_fee: int
    updated_at: datetime
    payload_hash: str

    @property
    def needs(self) -> dict[uuid.UUID, int]:
        total: dict[uuid.UUID, int] = {}
        for line in self.lines:
            for sku_id, qty in line.parts.items():
                total[sku_id] = total.get(sku_id, 0) + qty
        return total

    def line_signature(self) -> list[tuple[int, uuid.UUID, int, int]]:
        return [(ln.line_no, ln.sku_id, ln.qty, ln.unit_price) for ln in self.lines]


def payload_hash(order: OrderIn) -> str:
    return hashlib.sha256(msgspec.json.encode(order)).hexdigest()


def resolve_order(order: OrderIn, view: CatalogView) -> ResolvedOrder:
    """Check every field; raise InvalidInput listing all problems at once, each naming its field."""
    errors: list[FieldError] = []
    shop = view.shops.get(order.shop)
    if shop is None:
        errors.append(FieldError("shop", f"no shop with code {order.shop!r}"))
    elif not shop.active:
        errors.append(FieldError("shop", f"shop {order.shop!r} is deactivated"))
    if not order.external_id.strip() or len(order.external_id) > 64:
        errors.append(FieldError("external_id", "must be the channel's order number, 1 to 64 characters"))

    addr = order.address
    phone = normalise_phone(addr.phone)
    if phone is None:
        errors.append(FieldError("address.phone", f"{addr.phone!r} is not a valid Philippine phone number"))
    region = region_code(addr.region)
    if region is None:
        errors.append(
            FieldError(
                "address.region",
                f"{addr.region!r} is not a Philippine region (e.g. NCR, VII, Central Visayas)",
            )
        )
    if not valid_zip(addr.zip_code):
        errors.append(
            FieldError("address.zip_code", f"{addr.zip_code!r} is not a 4-digit Philippine ZIP code")
        )

    if not order.lines:
        errors.append(FieldError("lines", "an order needs at least one line"))
    if len(order.lines) > MAX_LINES:
        errors.append(FieldError("lines", f"at most {MAX_LINES} lines per order"))
    lines: list[LineNeeds] = []
    subtotal = 0
    for i, line in enumerate(order.lines):
        where = f"lines[{i}]"
        if not 0 < line.qty <= MAX_QTY:
            errors.append(FieldError(f"{where}.qty", f"must be between 1 and {MAX_QTY}, got {line.qty}"))
        try:
            price = pesos_to_centavos(line.unit_price)
        except BadMoney as exc:
            errors.append(FieldError(f"{where}.unit_price", str(exc)))
            price = 0
        sku = _line_sku(line.sku, line.item_id, line.model_id, shop, view, where, errors)
        if sku is None:
            continue
        if sku.is_bundle:
            parts_list = view.components.get(sku.id, [])
            if not parts_list:
                errors.append(FieldError(f"{where}.sku", f"bundle {sku.code!r} has no components"))
                continue
            parts = {component: per * line.qty for component, per in parts_list}
        else:
            parts = {sku.id: line.qty}
        subtotal += price * max(line.qty, 0)
        lines.append(LineNeeds(new_id(), i + 1, sku.id, line.qty, price, line.external_line_id, parts))

    shipping_fee = _money(order.shipping_fee, "shipping_fee", errors)
    total = subtotal + shipping_fee
    if order.cod_amount is None:
        cod = total if order.payment_method == "cod" else 0
    else:
        cod = _money(order.cod_amount, "cod_amount", errors)
        if order.payment_method == "prepaid" and cod != 0:
            errors.append(
                FieldError("cod_amount", "a prepaid order has nothing to collect; leave cod_amount out or 0")
            )
    if errors:
        raise InvalidInput(f"order {order.external_id!r} has {len(errors)} invalid field(s)", errors)
    assert shop is not None and phone is not None and region is not None
    return ResolvedOrder(
        source=order,
        shop=shop,
        lines=lines,
        phone=phone,
        region=region,
        zip_code=addr.zip_code.strip(),
        cod_amount=cod,
        total_amount=total,
        shipping_fee=shipping_fee,
        updated_at=order.updated_at or order.placed_at,
        payload_hash=payload_hash(order),
    )


def _money(value: str, name: str, errors: list[FieldError]) -> int:
    try:
        return pesos_to_centavos(value)
    except BadMoney as exc:
        errors.append(FieldError(name, str(exc)))
        return 0


def _line_sku(
    code: str | None,
    item_id: str | None,
    model_id: str,
    shop: ShopInfo | None,
    view: CatalogView,
    where: str,
    errors: list[FieldError],
) -> SkuInfo | None:
    if code:
        sku = view.skus_by_code.get(code)
        if sku is None:
            errors.append(FieldError(f"{where}.sku", f"unknown SKU {code!r}"))
            return None
    elif item_id:
        if shop is None:
            return None
        sku_id = view.listings.get((shop.id, item_id, model_id))
        sku = view.skus_by_id.get(sku_id) if sku_id else None
        if sku is None:
            errors.append(
                FieldError(
                    f"{where}.item_id",
                    f"listing {item_id}/{model_id or '-'} of shop {shop.code!r} is not mapped to a SKU",
                )
            )
            return None
    else:
        errors.append(FieldError(f"{where}.sku", "give the SKU code, or the channel item_id (and model_id)"))
        return None
    if not sku.active:
        errors.append(FieldError(f"{where}.sku", f"SKU {sku.code!r} is deactivated"))
        return None
    return sku
