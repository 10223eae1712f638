"""A believable Philippine online seller for demos: catalogue, stock, shops, users and two weeks
of orders, generated deterministically from a seed. Plain values only; no database code.

    from server.demo import generate, DEMO_LOGINS
    data = generate(seed=2026)
"""

from server.demo.generate import DEMO_NOW, generate
from server.demo.records import (
    DemoBarcode,
    DemoBin,
    DemoComponent,
    DemoData,
    DemoListing,
    DemoOrder,
    DemoShop,
    DemoSku,
    DemoStock,
    DemoUser,
    DemoWarehouse,
    LifecycleStep,
)
from server.demo.sites import DEMO_LOGINS

__all__ = [
    "DEMO_LOGINS",
    "DEMO_NOW",
    "DemoBarcode",
    "DemoBin",
    "DemoComponent",
    "DemoData",
    "DemoListing",
    "DemoOrder",
    "DemoShop",
    "DemoSku",
    "DemoStock",
    "DemoUser",
    "DemoWarehouse",
    "LifecycleStep",
    "generate",
]
