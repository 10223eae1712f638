"""Turning an incoming order into a checked, resolved one, or a list of field errors.

Everything the ingest transaction needs to know about the catalog is read once per batch into a
CatalogView, so validating a thousand orders costs a handful of queries, not thousands.
"""

from __future__ import annotations

import hashlib
import json
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
from server.db.bulk import in_values, to_uuid
from server.errors import FieldError, InvalidInput
from server.money import BadMoney, pesos_to_centavos
from server.orders.schemas import OrderIn

MAX_LINES = 200
MAX_QTY = 100_000
# The longest text each stored field holds (its column). Checked here, per order, so a batch keeps
# its other orders: PostgreSQL refuses a longer value with an error that failed the whole batch.
# server/openapi.py documents the same limits.
ADDRESS_LIMITS = {"name": 255, "street": 255, "barangay": 128, "city": 128, "province": 128}
LINE_LIMITS = {"sku": 64, "item_id": 64, "model_id": 64, "external_line_id": 64}


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


# Every batch reads its shops and SKUs by code: on SQLite one constant statement each, the codes
# as one JSON parameter, with no SQLAlchemy statement to build per batch (that cost more than the
# read). tests/orders/ ingest on both databases, so both paths answer the same.
_SQLITE_SHOPS_BY_CODE = (
    "SELECT id, code, channel, default_warehouse_id, active FROM shops "
    "WHERE code IN (SELECT value FROM json_each(?))"
)
_SQLITE_SKUS_BY_CODE = (
    "SELECT id, code, active, is_bundle FROM skus WHERE code IN (SELECT value FROM json_each(?))"
)


def load_catalog_view(conn: Connection, orders: list[OrderIn]) -> CatalogView:
    view = CatalogView()
    shop_codes = {o.shop for o in orders}
    if conn.dialect.name == "sqlite":
        for shop_id, code, channel, warehouse_id, active in conn.exec_driver_sql(
            _SQLITE_SHOPS_BY_CODE, (json.dumps(sorted(shop_codes)),)
        ).all():
            warehouse = to_uuid(warehouse_id) if warehouse_id else None
            view.shops[code] = ShopInfo(to_uuid(shop_id), code, channel, warehouse, bool(active))
    else:
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
    _load_skus_by_code(conn, view, sku_codes)
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
        _add_sku(view, SkuInfo(*row))


def _load_skus_by_code(conn: Connection, view: CatalogView, codes: set[str]) -> None:
    if not codes:
        return
    if conn.dialect.name != "sqlite":
        _load_skus(conn, view, Sku.code.in_(codes))
        return
    for sku_id, code, active, is_bundle in conn.exec_driver_sql(
        _SQLITE_SKUS_BY_CODE, (json.dumps(sorted(codes)),)
    ).all():
        _add_sku(view, SkuInfo(to_uuid(sku_id), code, bool(active), bool(is_bundle)))


def _add_sku(view: CatalogView, info: SkuInfo) -> None:
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
    for name, limit in ADDRESS_LIMITS.items():
        if len(getattr(addr, name)) > limit:
            errors.append(FieldError(f"address.{name}", f"at most {limit} characters"))
    phone = normalise_phone(addr.phone)
    region = region_code(addr.region)
    zip_ok = valid_zip(addr.zip_code)
    if order.address_flag:
        # A channel address that could not be matched: kept as written and flagged, never refused.
        phone = phone or addr.phone[:20]
        region = region or ""
    else:
        if phone is None:
            errors.append(
                FieldError("address.phone", f"{addr.phone!r} is not a valid Philippine phone number")
            )
        if region is None:
            errors.append(
                FieldError(
                    "address.region",
                    f"{addr.region!r} is not a Philippine region (e.g. NCR, VII, Central Visayas)",
                )
            )
        if not zip_ok:
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
        too_long = [n for n, limit in LINE_LIMITS.items() if len(getattr(line, n) or "") > limit]
        if too_long:
            errors.extend(
                FieldError(f"{where}.{n}", f"at most {LINE_LIMITS[n]} characters") for n in too_long
            )
            continue
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
        zip_code=addr.zip_code.strip() if zip_ok else "",
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
