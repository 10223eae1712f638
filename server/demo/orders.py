"""Two weeks of orders across the shops, as the channel integrations would post them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.demo.addresses import AddressBook
from server.demo.catalog import charm_price
from server.demo.channels import CHANNEL_STATUS, OrderNumbers
from server.demo.lifecycle import MANILA, add_working_days, plan_lifecycle
from server.demo.records import DemoListing, DemoOrder, DemoShop, DemoSku, DemoStock, DemoWarehouse
from server.orders.schemas import AddressIn, OrderIn, OrderLineIn

ORDER_COUNT = 400
WINDOW = timedelta(days=14)
SHOP_MIX = {"shopee-main": 38, "lazada-main": 25, "tiktok-main": 20, "shopee-outlet": 7, "webstore": 10}
# Webstore buyers mostly pay by GCash or card up front; marketplace buyers overwhelmingly pick COD.
COD_SHARE = {"shopee": 0.78, "lazada": 0.75, "tiktok": 0.8, "webstore": 0.55}
PRICE_FACTOR = {"shopee-outlet": 0.85, "tiktok-main": 0.95}  # clearance prices, live-selling promos
CANCELLED_AT_CHANNEL = 0.04  # cancelled by the buyer before we ever saw the order as open
SKU_CODE_LINES = 0.15  # marketplace lines whose adapter sent the seller SKU rather than the ids
BUNDLE_SHARE = 8  # weight of bundles among order lines, next to the families' weights
# Orders per Manila hour: quiet overnight, a lunch-break bump, the evening scroll after work.
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 12, 11, 9, 8, 8, 9, 10, 12, 14, 14, 11, 6)
LINE_COUNTS = ((1, 2, 3), (60, 28, 12))
QUANTITIES = ((1, 2, 3), (75, 18, 7))
NEAR_LUZON = frozenset({"NCR", "III", "IV-A"})
LUZON = frozenset({"NCR", "CAR", "I", "II", "III", "IV-A", "IV-B", "V"})


@dataclass(frozen=True)
class Catalog:
    """What the order generator needs to know about everything generated before it."""

    skus: Sequence[DemoSku]
    shops: Sequence[DemoShop]
    listings: Sequence[DemoListing]
    warehouses: Sequence[DemoWarehouse]
    stock: Sequence[DemoStock]
    family_weights: dict[str, int]


def build_orders(
    catalog: Catalog, addresses: AddressBook, now: datetime, rng: random.Random, story_rng: random.Random
) -> tuple[DemoOrder, ...]:
    shops = {s.code: s for s in catalog.shops}
    # Within a family a few bestsellers carry most sales: a long-tailed (lognormal) popularity,
    # drawn once so a bestseller is the same bestseller on every shop.
    popularity = {sku.code: rng.lognormvariate(0, 0.9) for sku in catalog.skus}
    menus = {code: _Menu(catalog, shop, popularity, rng) for code, shop in shops.items()}
    numbers = OrderNumbers(rng)
    allocator = _Allocator(catalog)
    shop_codes = [code for code in SHOP_MIX if code in shops]
    orders: list[DemoOrder] = []
    for placed_at in sorted(_placed_times(now, rng)):
        shop = shops[rng.choices(shop_codes, weights=[SHOP_MIX[c] for c in shop_codes])[0]]
        address = addresses.draw()
        payment = "cod" if rng.random() < COD_SHARE.get(shop.channel, 0.75) else "prepaid"
        picked = menus[shop.code].pick(rng.choices(*LINE_COUNTS)[0])
        lines = [_line(sku, listing, shop, numbers, rng) for sku, listing in picked]
        cancelled = rng.random() < CANCELLED_AT_CHANNEL
        open_status, cancelled_status = CHANNEL_STATUS[shop.channel]
        order = OrderIn(
            shop=shop.code,
            external_id=numbers.order(shop.channel, placed_at.astimezone(MANILA)),
            payment_method=payment,
            address=address,
            lines=lines,
            placed_at=placed_at,
            status="cancelled" if cancelled else "pending",
            channel_status=cancelled_status if cancelled else open_status,
            shipping_fee=_shipping_fee(address, rng),
            ship_by=add_working_days(placed_at, 2),
            updated_at=min(placed_at + timedelta(hours=rng.uniform(0.5, 20)), now) if cancelled else None,
        )
        if cancelled:
            orders.append(DemoOrder(order=order, lifecycle=()))
            continue
        warehouse = allocator.allocate(
            shop, address.region, [(sku, line.qty) for (sku, _), line in zip(picked, lines, strict=True)]
        )
        if warehouse is None:
            orders.append(DemoOrder(order=order, lifecycle=(), expect_hold=True))
            continue
        story = plan_lifecycle(placed_at, payment, address.region, warehouse, now, story_rng)
        orders.append(DemoOrder(order=order, lifecycle=story))
    return tuple(orders)


def _placed_times(now: datetime, rng: random.Random) -> list[datetime]:
    """Order times over the last two weeks, in Manila's day rhythm, busier on sale days."""
    start = now - WINDOW
    first = start.astimezone(MANILA).date()
    days = [first + timedelta(days=n) for n in range((now.astimezone(MANILA).date() - first).days + 1)]
    # Double-day sales (11.11, 12.12) dwarf ordinary days; the 15th and 30th are paydays.
    weights = [3.0 if d.month == d.day else 1.5 if d.day in (15, 30) else 1.0 for d in days]
    times: list[datetime] = []
    while len(times) < ORDER_COUNT:
        day = rng.choices(days, weights=weights)[0]
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=MANILA
        )
        moment = local.astimezone(now.tzinfo)
        if start <= moment < now:  # the window's first and last days are only partly inside it
            times.append(moment)
    return times


class _Menu:
    """What a shop sells (a marketplace only what it lists) and how popular each thing is."""

    def __init__(
        self, catalog: Catalog, shop: DemoShop, popularity: dict[str, float], rng: random.Random
    ) -> None:
        self._rng = rng
        offers: list[tuple[DemoSku, DemoListing | None]]
        if shop.channel == "webstore":
            offers = [(sku, None) for sku in catalog.skus]
        else:
            by_code = {s.code: s for s in catalog.skus}
            offers = [
                (by_code[listing.sku], listing) for listing in catalog.listings if listing.shop == shop.code
            ]
        family_sizes: dict[str, int] = {}
        for sku, _ in offers:
            family_sizes[sku.family] = family_sizes.get(sku.family, 0) + 1
        self._offers = offers
        # A family's share of lines follows its weight, however many variants it has.
        self._weights = [
            catalog.family_weights.get(sku.family, BUNDLE_SHARE)
            / family_sizes[sku.family]
            * popularity[sku.code]
            for sku, _ in offers
        ]

    def pick(self, count: int) -> list[tuple[DemoSku, DemoListing | None]]:
        chosen: dict[str, tuple[DemoSku, DemoListing | None]] = {}
        for _ in range(count * 10):  # distinct SKUs; give up quietly on a tiny menu
            sku, listing = self._rng.choices(self._offers, weights=self._weights)[0]
            chosen.setdefault(sku.code, (sku, listing))
            if len(chosen) == count:
                break
        return list(chosen.values())


def _line(
    sku: DemoSku, listing: DemoListing | None, shop: DemoShop, numbers: OrderNumbers, rng: random.Random
) -> OrderLineIn:
    qty = 1 if sku.is_bundle else rng.choices(*QUANTITIES)[0]
    pesos = int(sku.list_price.split(".")[0])
    factor = PRICE_FACTOR.get(shop.code, 1.0)
    price = f"{charm_price(pesos * factor) if factor != 1.0 else pesos}.00"
    line_id = numbers.line(shop.channel)
    if listing is None or rng.random() < SKU_CODE_LINES:
        return OrderLineIn(qty=qty, unit_price=price, sku=sku.code, external_line_id=line_id)
    return OrderLineIn(
        qty=qty,
        unit_price=price,
        item_id=listing.item_id,
        model_id=listing.model_id,
        external_line_id=line_id,
    )


def _shipping_fee(address: AddressIn, rng: random.Random) -> str:
    if rng.random() < 0.45:  # free-shipping vouchers
        return "0"
    if address.region in NEAR_LUZON:
        fee = rng.choice((38, 45, 50, 58))
    elif address.region in LUZON:
        fee = rng.choice((70, 85, 95))
    else:
        fee = rng.choice((85, 100, 120))
    return f"{fee}.00"


class _Allocator:
    """A replay of the allocation rules (server/orders/allocation.py) on the opening stock: the
    shop's default warehouse, then those serving the buyer's region, then by priority; one
    warehouse must fill the whole order. Lets the generator know which orders will be held."""

    def __init__(self, catalog: Catalog) -> None:
        self._warehouses = catalog.warehouses
        self._free = {(row.sku, row.warehouse): row.on_hand for row in catalog.stock}

    def allocate(self, shop: DemoShop, region: str, lines: list[tuple[DemoSku, int]]) -> DemoWarehouse | None:
        needs: dict[str, int] = {}
        for sku, qty in lines:
            parts = [(c.sku, c.qty) for c in sku.components] if sku.is_bundle else [(sku.code, 1)]
            for code, per_unit in parts:
                needs[code] = needs.get(code, 0) + per_unit * qty
        ranked = sorted(
            self._warehouses,
            key=lambda w: (
                w.code != shop.default_warehouse,
                region not in w.serves_regions,
                w.priority,
                w.code,
            ),
        )
        for warehouse in ranked:
            if all(self._free.get((code, warehouse.code), 0) >= qty for code, qty in needs.items()):
                for code, qty in needs.items():
                    self._free[(code, warehouse.code)] -= qty
                return warehouse
        return None
