"""The fixed cast of the demo: two warehouses with their bins, five shops, and one login per role."""

from __future__ import annotations

from server.demo.records import DemoBin, DemoShop, DemoUser, DemoWarehouse

LUZON = ("NCR", "CAR", "I", "II", "III", "IV-A", "IV-B", "V")
VISAYAS_MINDANAO = ("VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "BARMM")

# A bin code is zone-aisle-level. Two zones (A: small and fast movers, B: bulky) of five aisles
# with six shelf levels gives 60 bins, about what a seller's rented warehouse space holds.
ZONES = ("A", "B")
AISLES = 5
LEVELS = 6


def _bins() -> tuple[DemoBin, ...]:
    return tuple(
        DemoBin(code=f"{zone}-{aisle:02d}-{level:02d}", zone=zone)
        for zone in ZONES
        for aisle in range(1, AISLES + 1)
        for level in range(1, LEVELS + 1)
    )


# Valenzuela is where Metro Manila sellers rent space (north of the city, on NLEX); Mandaue is the
# logistics hub for Cebu and the gateway to the rest of the Visayas and Mindanao.
WAREHOUSES = (
    DemoWarehouse(
        code="VAL",
        name="Valenzuela Warehouse",
        city="Valenzuela City",
        province="Metro Manila",
        region="NCR",
        priority=10,
        serves_regions=LUZON,
        bins=_bins(),
    ),
    DemoWarehouse(
        code="CEB",
        name="Mandaue Warehouse",
        city="Mandaue City",
        province="Cebu",
        region="VII",
        priority=20,
        serves_regions=VISAYAS_MINDANAO,
        bins=_bins(),
    ),
)

SHOPS = (
    DemoShop(
        code="lazada-main", channel="lazada", name="Kalye Supply PH (Lazada)", external_shop_id="500172634"
    ),
    DemoShop(
        code="shopee-main", channel="shopee", name="Kalye Supply PH (Shopee)", external_shop_id="372915840"
    ),
    # The outlet sells seconds and clearance stock, all of which is kept in Valenzuela.
    DemoShop(
        code="shopee-outlet",
        channel="shopee",
        name="Kalye Supply Outlet (Shopee)",
        external_shop_id="1034568812",
        default_warehouse="VAL",
    ),
    DemoShop(
        code="tiktok-main",
        channel="tiktok",
        name="Kalye Supply PH (TikTok Shop)",
        external_shop_id="7494017263548291073",
    ),
    DemoShop(code="webstore", channel="webstore", name="Kalye Supply Webstore", external_shop_id=None),
)

# Printed by the README so whoever runs the demo can log in. Demo only: never reuse these.
DEMO_LOGINS = (
    DemoUser(username="admin", full_name="Liza Tan", role="admin", password="demo-admin-2026"),
    DemoUser(
        username="supervisor", full_name="Ramon Dizon", role="supervisor", password="demo-supervisor-2026"
    ),
    DemoUser(
        username="bodega.val",
        full_name="Jomar Reyes",
        role="warehouse",
        password="demo-val-2026",
        warehouse="VAL",
    ),
    DemoUser(
        username="bodega.ceb",
        full_name="Kristine Abellana",
        role="warehouse",
        password="demo-ceb-2026",
        warehouse="CEB",
    ),
    # One rider per hub for the seller's own COD deliveries around Metro Manila and Metro Cebu.
    DemoUser(
        username="rider.juan",
        full_name="Juan Dela Cruz",
        role="rider",
        password="demo-juan-2026",
        warehouse="VAL",
    ),
    DemoUser(
        username="rider.ana",
        full_name="Ana Villanueva",
        role="rider",
        password="demo-ana-2026",
        warehouse="CEB",
    ),
)
