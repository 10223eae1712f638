"""Shops and listings over the REST API, and resolve_listing, on SQLite and PostgreSQL."""

import uuid
from typing import Any, get_args

import pytest
from sqlalchemy.engine import Connection

from server.channels.models import CHANNELS
from server.channels.schemas import Channel
from server.channels.services import find_shop, resolve_listing
from server.db import Database
from server.db.orm import orm_session
from tests.conftest import auth, run
from tests.kit.problems import problem


def create(admin: Any, path: str, **body: Any) -> dict[str, Any]:
    response = admin.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def catalog(admin: Any) -> Any:
    """Two SKUs, a warehouse and a Shopee shop to map listings in."""
    for code in ("TEE-RED-M", "TEE-RED-L"):
        create(admin, "/api/v1/skus", code=code, name=code)
    create(admin, "/api/v1/warehouses", code="MNL", name="Manila")
    create(admin, "/api/v1/shops", channel="shopee", code="shopee-main", name="Main Shopee")
    return admin


def test_channels_match_the_model() -> None:
    assert get_args(Channel) == CHANNELS


def test_create_list_and_update_shops(admin: Any) -> None:
    create(admin, "/api/v1/warehouses", code="MNL", name="Manila")
    create(admin, "/api/v1/warehouses", code="CEB", name="Cebu")
    shop = create(
        admin,
        "/api/v1/shops",
        channel="lazada",
        code="lazada-ph",
        name="Lazada PH",
        external_shop_id="100234",
        default_warehouse="MNL",
    )
    assert shop["default_warehouse"] == "MNL" and shop["channel"] == "lazada" and shop["active"] is True
    create(admin, "/api/v1/shops", channel="shopee", code="shopee-main", name="Shopee")
    create(admin, "/api/v1/shops", channel="tiktok", code="tiktok", name="TikTok", active=False)

    listed = admin.get("/api/v1/shops").json()
    assert [s["code"] for s in listed["items"]] == ["lazada-ph", "shopee-main", "tiktok"]
    assert [s["code"] for s in admin.get("/api/v1/shops", params={"channel": "shopee"}).json()["items"]] == [
        "shopee-main"
    ]
    assert admin.get("/api/v1/shops", params={"active": "false"}).json()["total"] == 1
    page = admin.get("/api/v1/shops", params={"limit": 2, "offset": 2}).json()
    assert [s["code"] for s in page["items"]] == ["tiktok"] and page["total"] == 3

    patched = admin.patch(
        "/api/v1/shops/lazada-ph", json={"default_warehouse": "CEB", "name": "Lazada"}
    ).json()
    assert patched["default_warehouse"] == "CEB" and patched["name"] == "Lazada"
    assert patched["external_shop_id"] == "100234"  # not sent, not changed
    cleared = admin.patch(
        "/api/v1/shops/lazada-ph", json={"default_warehouse": None, "external_shop_id": None}
    )
    assert cleared.json()["default_warehouse"] is None and cleared.json()["external_shop_id"] is None


def test_shop_refusals_name_the_field(admin: Any) -> None:
    create(admin, "/api/v1/shops", channel="shopee", code="shopee-main", name="Shopee")
    body = problem(
        admin.post("/api/v1/shops", json={"channel": "shopee", "code": "shopee-main", "name": "x"}), 409
    )
    assert body["errors"][0]["field"] == "code"
    body = problem(admin.post("/api/v1/shops", json={"channel": "amazon", "code": "amz", "name": "x"}), 422)
    assert body["errors"][0]["field"] == "channel"
    new = {"channel": "shopee", "code": "s2", "name": "x", "default_warehouse": "NOPE"}
    assert problem(admin.post("/api/v1/shops", json=new), 422)["errors"][0]["field"] == "default_warehouse"
    assert (
        problem(admin.get("/api/v1/shops", params={"channel": "amazon"}), 422)["errors"][0]["field"]
        == "channel"
    )
    body = problem(admin.patch("/api/v1/shops/shopee-main", json={"default_warehouse": "NOPE"}), 422)
    assert body["errors"][0]["field"] == "default_warehouse"
    # The channel is fixed once orders are filed under the shop.
    problem(admin.patch("/api/v1/shops/shopee-main", json={"channel": "lazada"}), 422)
    assert problem(admin.patch("/api/v1/shops/NOPE", json={"name": "x"}), 404)["errors"][0]["field"] == "code"


def test_create_list_and_update_listings(catalog: Any) -> None:
    admin = catalog
    create(admin, "/api/v1/shops", channel="lazada", code="lazada-ph", name="Lazada")
    medium = create(
        admin,
        "/api/v1/listings",
        shop="shopee-main",
        item_id="2233",
        model_id="9001",
        sku="TEE-RED-M",
        channel_sku="T-M",
    )
    assert medium["channel"] == "shopee" and medium["sku"] == "TEE-RED-M" and medium["model_id"] == "9001"
    create(admin, "/api/v1/listings", shop="shopee-main", item_id="2233", model_id="9002", sku="TEE-RED-L")
    no_variation = create(admin, "/api/v1/listings", shop="lazada-ph", item_id="555", sku="TEE-RED-M")
    assert no_variation["model_id"] == "" and no_variation["channel_sku"] is None

    everything = admin.get("/api/v1/listings").json()
    assert [(x["shop"], x["model_id"]) for x in everything["items"]] == [
        ("lazada-ph", ""),
        ("shopee-main", "9001"),
        ("shopee-main", "9002"),
    ]
    assert admin.get("/api/v1/listings", params={"shop": "shopee-main"}).json()["total"] == 2
    assert admin.get("/api/v1/listings", params={"sku": "TEE-RED-M"}).json()["total"] == 2
    assert admin.get("/api/v1/listings", params={"item_id": "555"}).json()["total"] == 1
    assert admin.get("/api/v1/listings", params={"shop": "nope"}).json()["total"] == 0
    page = admin.get("/api/v1/listings", params={"limit": 1, "offset": 1}).json()
    assert [x["id"] for x in page["items"]] == [medium["id"]] and page["total"] == 3

    patched = admin.patch(f"/api/v1/listings/{medium['id']}", json={"sku": "TEE-RED-L", "active": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["sku"] == "TEE-RED-L" and patched.json()["active"] is False
    assert patched.json()["channel_sku"] == "T-M"


def test_listing_refusals_name_the_field(catalog: Any) -> None:
    admin = catalog
    new = {"shop": "shopee-main", "item_id": "1", "model_id": "2", "sku": "TEE-RED-M"}
    create(admin, "/api/v1/listings", **new)

    body = problem(admin.post("/api/v1/listings", json={**new, "sku": "TEE-RED-L"}), 409)
    assert body["errors"][0]["field"] == "item_id"
    assert "TEE-RED-M" in body["errors"][0]["message"]
    assert (
        problem(admin.post("/api/v1/listings", json={**new, "shop": "nope"}), 422)["errors"][0]["field"]
        == "shop"
    )
    assert (
        problem(admin.post("/api/v1/listings", json={**new, "sku": "NOPE"}), 422)["errors"][0]["field"]
        == "sku"
    )
    assert (
        problem(admin.post("/api/v1/listings", json={**new, "item_id": ""}), 422)["errors"][0]["field"]
        == "item_id"
    )
    too_long = {**new, "model_id": "9" * 65}
    assert problem(admin.post("/api/v1/listings", json=too_long), 422)["errors"][0]["field"] == "model_id"

    missing = f"/api/v1/listings/{uuid.uuid4()}"
    assert problem(admin.patch(missing, json={"active": False}), 404)["errors"][0]["field"] == "id"
    listing_id = admin.get("/api/v1/listings").json()["items"][0]["id"]
    body = problem(admin.patch(f"/api/v1/listings/{listing_id}", json={"sku": "NOPE"}), 422)
    assert body["errors"][0]["field"] == "sku"
    assert admin.get("/api/v1/listings").json()["items"][0]["sku"] == "TEE-RED-M"


def _resolve(conn: Connection, item_id: str, model_id: str) -> uuid.UUID | None:
    with orm_session(conn) as session:
        shop = find_shop(session, "shopee-main")
        assert shop is not None
        return resolve_listing(session, shop.id, item_id, model_id)


def test_resolve_listing(catalog: Any, database_url: str) -> None:
    admin = catalog
    medium = create(
        admin, "/api/v1/listings", shop="shopee-main", item_id="2233", model_id="9001", sku="TEE-RED-M"
    )
    create(admin, "/api/v1/listings", shop="shopee-main", item_id="777", sku="TEE-RED-L")

    async def resolve(item_id: str, model_id: str) -> str | None:
        db = Database(database_url)
        try:
            sku_id = await db.run_read(_resolve, item_id, model_id)
        finally:
            await db.dispose()
        return str(sku_id) if sku_id else None

    skus = {s["code"]: s["id"] for s in admin.get("/api/v1/skus").json()["items"]}
    assert run(resolve("2233", "9001")) == skus["TEE-RED-M"]
    assert run(resolve("777", "")) == skus["TEE-RED-L"]
    assert run(resolve("2233", "")) is None  # the item has variations; each is mapped on its own
    assert run(resolve("2233", "9999")) is None
    admin.patch(f"/api/v1/listings/{medium['id']}", json={"active": False})
    assert run(resolve("2233", "9001")) is None  # switched off mappings no longer resolve


def test_roles(client: Any, tokens: dict[str, str]) -> None:
    new = {"channel": "shopee", "code": "shopee-main", "name": "Shopee"}
    assert client.post("/api/v1/shops", json=new, headers=auth(tokens["supervisor"])).status_code == 403
    assert client.post("/api/v1/shops", json=new, headers=auth(tokens["admin"])).status_code == 201
    for role in ("admin", "supervisor"):
        assert client.get("/api/v1/shops", headers=auth(tokens[role])).status_code == 200
        assert client.get("/api/v1/listings", headers=auth(tokens[role])).status_code == 200
    for role in ("warehouse", "rider"):
        assert client.get("/api/v1/shops", headers=auth(tokens[role])).status_code == 403
        assert client.get("/api/v1/listings", headers=auth(tokens[role])).status_code == 403
    listing = {"shop": "shopee-main", "item_id": "1", "sku": "X"}
    assert (
        client.post("/api/v1/listings", json=listing, headers=auth(tokens["supervisor"])).status_code == 403
    )
    assert client.get("/api/v1/listings").status_code == 401
