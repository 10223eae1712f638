"""generate(): the whole demo seller, the same every time for the same seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from server.demo.addresses import AddressBook
from server.demo.catalog import build_catalogue
from server.demo.channels import build_listings
from server.demo.orders import Catalog, build_orders
from server.demo.records import DemoData
from server.demo.sites import DEMO_LOGINS, SHOPS, WAREHOUSES
from server.demo.stock import opening_stock
from server.demo.vocab import load_vocab

# The demo's "today". Fixed, so the data never depends on when it is generated.
DEMO_NOW = datetime(2026, 11, 20, tzinfo=UTC)


def generate(seed: int = 2026, now: datetime = DEMO_NOW, fixtures: Path | None = None) -> DemoData:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    vocab = load_vocab(fixtures)

    def stream(part: str) -> random.Random:
        # One independent stream per part, all from the one seed: editing the catalogue fixture
        # then leaves the customers' names and addresses as they were, and the other way round.
        return random.Random(f"bodega-demo:{seed}:{part}")

    skus = build_catalogue(vocab.catalogue, stream("catalogue"))
    stock = opening_stock(skus, WAREHOUSES, stream("stock"))
    listings = build_listings(SHOPS, skus, stream("listings"))
    catalog = Catalog(
        skus=skus,
        shops=SHOPS,
        listings=listings,
        warehouses=WAREHOUSES,
        stock=stock,
        family_weights={f.code: f.weight for f in vocab.catalogue.families},
    )
    addresses = AddressBook(vocab.places, vocab.people, vocab.streets, stream("addresses"))
    orders = build_orders(catalog, addresses, now, stream("orders"), stream("lifecycle"))
    return DemoData(
        seed=seed,
        now=now,
        skus=skus,
        warehouses=WAREHOUSES,
        stock=stock,
        shops=SHOPS,
        listings=listings,
        users=DEMO_LOGINS,
        orders=orders,
    )
