"""SKUs, barcodes and bundles over the REST API, on SQLite and PostgreSQL."""

import uuid
from typing import Any, get_args

import pytest
from sqlalchemy.engine import Connection

from server.catalog.models import BARCODE_KINDS
from server.catalog.schemas import BarcodeKind
from server.catalog.services import barcode_problem, scan_forms
from server.db import Database
from server.db.orm import orm_session
from server.inventory.models import StockBalance, Warehouse
from tests.conftest import auth, run
from tests.kit.problems import problem

EAN = "4006381333931"  # a real EAN-13
UPC = "036000291452"  # a real UPC-A
UPC_2 = "012345678905"


def sku(admin: Any, code: str, **fields: Any) -> dict[str, Any]:
    response = admin.post("/api/v1/skus", json={"code": code, "name": f"{code} name", **fields})
    assert response.status_code == 201, response.text
    return response.json()


# --- pure rules -------------------------------------------------------------------------------


def test_barcode_kinds_match_the_model() -> None:
    assert get_args(BarcodeKind) == BARCODE_KINDS


def test_gs1_check_digits() -> None:
    assert barcode_problem(EAN, "ean13") is None
    assert barcode_problem(UPC, "upc") is None
    assert "check digit should be 1" in (barcode_problem(EAN[:-1] + "2", "ean13") or "")
    assert "12 digits" in (barcode_problem(EAN, "upc") or "")
    assert "13 digits" in (barcode_problem("40063813339\uff13", "ean13") or "")  # a full-width digit
    assert barcode_problem("ABC-123 x", "code128") is None
    assert barcode_problem("ÑOÑO", "code128") is not None
    assert barcode_problem("ÑOÑO", "internal") is None
    assert barcode_problem("A/B", "internal") is not None
    assert barcode_problem(" AB", "internal") is not None


def test_upc_a_and_its_ean13_form_are_one_product() -> None:
    assert scan_forms(UPC_2) == [UPC_2, "0" + UPC_2]
    assert scan_forms("0" + UPC_2) == ["0" + UPC_2, UPC_2]
    assert scan_forms(EAN) == [EAN]
    assert scan_forms("ABC") == ["ABC"]


# --- SKUs -------------------------------------------------------------------------------------


def test_create_get_and_update_a_sku(admin: Any) -> None:
    created = sku(
        admin,
        "TSHIRT-RED-M",
        weight_grams=180,
        barcodes=[{"code": EAN, "kind": "ean13"}, {"code": "BDG-0001", "kind": "internal"}],
    )
    assert created["is_bundle"] is False
    assert created["active"] is True
    assert [b["code"] for b in created["barcodes"]] == sorted([EAN, "BDG-0001"])
    assert created["created_at"].endswith("Z")

    fetched = admin.get("/api/v1/skus/TSHIRT-RED-M").json()
    assert fetched["id"] == created["id"]
    assert fetched["weight_grams"] == 180

    patched = admin.patch("/api/v1/skus/TSHIRT-RED-M", json={"name": "Red tee, medium", "active": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Red tee, medium"
    assert patched.json()["active"] is False
    assert patched.json()["weight_grams"] == 180  # untouched: not sent
    assert patched.json()["updated_at"] >= created["updated_at"]


def test_sku_codes_with_spaces_and_unicode_work_in_the_url(admin: Any) -> None:
    sku(admin, "Sabon Ñ 100g")
    assert admin.get("/api/v1/skus/Sabon Ñ 100g").json()["code"] == "Sabon Ñ 100g"


def test_unknown_sku_is_404_naming_the_code(admin: Any) -> None:
    body = problem(admin.get("/api/v1/skus/NOPE"), 404)
    assert body["errors"][0]["field"] == "code"
    body = problem(admin.patch("/api/v1/skus/NOPE", json={"name": "x"}), 404)
    assert body["errors"][0]["field"] == "code"


def test_duplicate_sku_code_is_409(admin: Any) -> None:
    sku(admin, "MUG")
    body = problem(admin.post("/api/v1/skus", json={"code": "MUG", "name": "Mug again"}), 409)
    assert body["errors"][0]["field"] == "code"
    assert "MUG" in body["errors"][0]["message"]


INVALID_SKUS = [
    ({"code": "", "name": "x"}, "code"),
    ({"code": "A/B", "name": "x"}, "code"),
    ({"code": " A", "name": "x"}, "code"),
    ({"code": "A", "name": "bad\u0000name"}, "name"),
    ({"code": "A", "name": "x", "weight_grams": -1}, "weight_grams"),
    ({"code": "A", "name": "x", "weight_grams": 10**12}, "weight_grams"),
    ({"code": "A", "name": "x", "barcodes": [{"code": "1", "kind": "qr"}]}, "barcodes[0].kind"),
    ({"code": "A", "name": "x", "components": [{"sku": "B", "qty": 0}]}, "components[0].qty"),
    ({"code": "A" * 65, "name": "x"}, "code"),
]


def test_invalid_sku_fields_are_422_naming_the_field(admin: Any) -> None:
    # One test, not one per case: each test pays for a fresh database and four logins.
    for payload, field in INVALID_SKUS:
        body = problem(admin.post("/api/v1/skus", json=payload), 422)
        assert body["errors"][0]["field"] == field, payload
    assert admin.get("/api/v1/skus").json()["total"] == 0


def test_patch_refuses_null_and_unknown_fields(admin: Any) -> None:
    sku(admin, "CAP")
    assert problem(admin.patch("/api/v1/skus/CAP", json={"name": None}), 422)["errors"][0]["field"] == "name"
    problem(admin.patch("/api/v1/skus/CAP", json={"weight": 5}), 422)


def test_list_filters_and_pagination(admin: Any) -> None:
    for i in range(7):
        sku(admin, f"SOAP-{i:02}", active=i % 2 == 0)
    sku(admin, "SHAMPOO", barcodes=[{"code": UPC_2, "kind": "upc"}])
    sku(admin, "SOAP-SET", components=[{"sku": "SOAP-00", "qty": 3}])

    everything = admin.get("/api/v1/skus").json()
    assert everything["total"] == 9
    assert everything["limit"] == 50 and everything["offset"] == 0

    page = admin.get("/api/v1/skus", params={"q": "soap", "limit": 3, "offset": 3}).json()
    assert page["total"] == 8
    assert [s["code"] for s in page["items"]] == ["SOAP-03", "SOAP-04", "SOAP-05"]
    assert page["limit"] == 3 and page["offset"] == 3

    inactive = admin.get("/api/v1/skus", params={"active": "false"}).json()
    assert [s["code"] for s in inactive["items"]] == ["SOAP-01", "SOAP-03", "SOAP-05"]

    bundles = admin.get("/api/v1/skus", params={"is_bundle": "true"}).json()
    assert [s["code"] for s in bundles["items"]] == ["SOAP-SET"]
    assert bundles["items"][0]["components"] == [{"sku": "SOAP-00", "name": "SOAP-00 name", "qty": 3}]

    # A scanner may send the UPC-A as 13 digits.
    by_scan = admin.get("/api/v1/skus", params={"barcode": "0" + UPC_2}).json()
    assert [s["code"] for s in by_scan["items"]] == ["SHAMPOO"]

    # LIKE wildcards in q are taken literally.
    assert admin.get("/api/v1/skus", params={"q": "%"}).json()["total"] == 0


def test_bad_list_parameters_are_422(admin: Any) -> None:
    cases = [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"active": "maybe"}, "active"),
    ]
    for params, field in cases:
        body = problem(admin.get("/api/v1/skus", params=params), 422)
        assert body["errors"][0]["field"] == field, params


def test_nul_in_url_text_is_422_not_500(admin: Any) -> None:
    assert problem(admin.get("/api/v1/skus", params={"q": "a\u0000b"}), 422)["errors"][0]["field"] == "q"
    assert problem(admin.get("/api/v1/skus/A%00B"), 422)["errors"][0]["field"] == "code"
    assert problem(admin.get("/api/v1/barcodes/A%00B"), 422)["errors"][0]["field"] == "barcode"


# --- barcodes ---------------------------------------------------------------------------------


def test_barcode_check_digits_are_enforced(admin: Any) -> None:
    bad_ean = EAN[:-1] + "0"
    body = problem(
        admin.post(
            "/api/v1/skus", json={"code": "A", "name": "A", "barcodes": [{"code": bad_ean, "kind": "ean13"}]}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "barcodes[0].code"
    assert "check digit" in body["errors"][0]["message"]

    sku(admin, "B")
    body = problem(admin.post("/api/v1/skus/B/barcodes", json={"code": UPC[:-1] + "0", "kind": "upc"}), 422)
    assert body["errors"][0]["field"] == "code"
    body = problem(admin.post("/api/v1/skus/B/barcodes", json={"code": EAN, "kind": "upc"}), 422)
    assert "12 digits" in body["errors"][0]["message"]
    # Nothing was half-saved by the refused requests.
    assert admin.get("/api/v1/skus/A").status_code == 404
    assert admin.get("/api/v1/skus/B").json()["barcodes"] == []


def test_barcode_is_unique_across_the_catalog(admin: Any) -> None:
    sku(admin, "OWNER", barcodes=[{"code": UPC_2, "kind": "upc"}])
    sku(admin, "OTHER")

    body = problem(admin.post("/api/v1/skus/OTHER/barcodes", json={"code": UPC_2, "kind": "upc"}), 409)
    assert body["errors"][0]["field"] == "code"
    assert "OWNER" in body["errors"][0]["message"]

    # The same product written as an EAN-13 is the same barcode.
    body = problem(
        admin.post("/api/v1/skus/OTHER/barcodes", json={"code": "0" + UPC_2, "kind": "ean13"}), 409
    )
    assert "OWNER" in body["errors"][0]["message"]

    new = {
        "code": "NEW",
        "name": "new",
        "barcodes": [{"code": "X1", "kind": "internal"}, {"code": UPC_2, "kind": "upc"}],
    }
    body = problem(admin.post("/api/v1/skus", json=new), 409)
    assert body["errors"][0]["field"] == "barcodes[1].code"

    twice = {"code": "NEW", "name": "new", "barcodes": [{"code": "X1", "kind": "internal"}] * 2}
    assert problem(admin.post("/api/v1/skus", json=twice), 422)["errors"][0]["field"] == "barcodes[1].code"


def test_add_lookup_and_delete_a_barcode(admin: Any) -> None:
    sku(admin, "RICE-5KG")
    added = admin.post("/api/v1/skus/RICE-5KG/barcodes", json={"code": UPC_2, "kind": "upc"})
    assert added.status_code == 201, added.text
    assert [b["code"] for b in added.json()["barcodes"]] == [UPC_2]

    found = admin.get(f"/api/v1/barcodes/{UPC_2}").json()
    assert found["sku"]["code"] == "RICE-5KG" and found["kind"] == "upc"
    # Scanned as an EAN-13 it still finds the SKU, and says how it is stored.
    found = admin.get(f"/api/v1/barcodes/0{UPC_2}").json()
    assert found["code"] == UPC_2 and found["sku"]["code"] == "RICE-5KG"

    assert admin.delete(f"/api/v1/barcodes/{UPC_2}").status_code == 204
    body = problem(admin.get(f"/api/v1/barcodes/{UPC_2}"), 404)
    assert body["errors"][0]["field"] == "barcode"
    assert problem(admin.delete(f"/api/v1/barcodes/{UPC_2}"), 404)["errors"][0]["field"] == "barcode"


def test_barcode_for_unknown_sku_is_404(admin: Any) -> None:
    body = problem(admin.post("/api/v1/skus/NOPE/barcodes", json={"code": EAN, "kind": "ean13"}), 404)
    assert body["errors"][0]["field"] == "code"


# --- bundles ----------------------------------------------------------------------------------


def test_bundle_rules(admin: Any) -> None:
    sku(admin, "SOAP")
    sku(admin, "TOWEL")
    bundle = sku(admin, "BATH-SET", components=[{"sku": "TOWEL", "qty": 1}, {"sku": "SOAP", "qty": 2}])
    assert bundle["is_bundle"] is True
    assert bundle["components"] == [
        {"sku": "SOAP", "name": "SOAP name", "qty": 2},
        {"sku": "TOWEL", "name": "TOWEL name", "qty": 1},
    ]

    def refused(components: list[dict[str, Any]], status: int = 422) -> dict[str, Any]:
        return problem(
            admin.post("/api/v1/skus", json={"code": "GIFT", "name": "x", "components": components}), status
        )

    assert refused([{"sku": "NOPE", "qty": 1}])["errors"][0]["field"] == "components[0].sku"
    body = refused([{"sku": "SOAP", "qty": 1}, {"sku": "BATH-SET", "qty": 1}])
    assert body["errors"][0]["field"] == "components[1].sku"
    assert "itself a bundle" in body["errors"][0]["message"]
    assert refused([{"sku": "GIFT", "qty": 1}])["errors"][0]["field"] == "components[0].sku"
    body = refused([{"sku": "SOAP", "qty": 1}, {"sku": "SOAP", "qty": 1}])
    assert body["errors"][0]["field"] == "components[1].sku"
    assert refused([{"sku": "SOAP", "qty": -2}])["errors"][0]["field"] == "components[0].qty"
    assert admin.get("/api/v1/skus/GIFT").status_code == 404


def test_replace_components(admin: Any) -> None:
    for code in ("SOAP", "TOWEL", "LOOFAH"):
        sku(admin, code)
    sku(admin, "BATH-SET", components=[{"sku": "SOAP", "qty": 2}])

    replaced = admin.put(
        "/api/v1/skus/BATH-SET/components",
        json={"components": [{"sku": "TOWEL", "qty": 1}, {"sku": "LOOFAH", "qty": 1}]},
    )
    assert replaced.status_code == 200, replaced.text
    assert [c["sku"] for c in replaced.json()["components"]] == ["LOOFAH", "TOWEL"]

    # Self-reference through PUT, and a bundle inside a bundle, are refused.
    body = problem(
        admin.put("/api/v1/skus/BATH-SET/components", json={"components": [{"sku": "BATH-SET", "qty": 1}]}),
        422,
    )
    assert body["errors"][0]["field"] == "components[0].sku"
    sku(admin, "BIG-SET")
    body = problem(
        admin.put("/api/v1/skus/BIG-SET/components", json={"components": [{"sku": "BATH-SET", "qty": 1}]}),
        422,
    )
    assert "itself a bundle" in body["errors"][0]["message"]

    # A SKU that is already inside a bundle cannot become a bundle.
    body = problem(
        admin.put("/api/v1/skus/TOWEL/components", json={"components": [{"sku": "SOAP", "qty": 1}]}), 409
    )
    assert body["errors"][0]["field"] == "components"
    assert "BATH-SET" in body["errors"][0]["message"]

    # A plain SKU becomes a bundle, and an empty list makes it plain again.
    made = admin.put(
        "/api/v1/skus/BIG-SET/components", json={"components": [{"sku": "SOAP", "qty": 4}]}
    ).json()
    assert made["is_bundle"] is True
    plain = admin.put("/api/v1/skus/BIG-SET/components", json={"components": []}).json()
    assert plain["is_bundle"] is False and plain["components"] == []

    body = problem(admin.put("/api/v1/skus/NOPE/components", json={"components": []}), 404)
    assert body["errors"][0]["field"] == "code"


def _put_balance_only(conn: Connection, sku_id: uuid.UUID) -> None:
    # Only the balance is written (no ledger row): the rule reads balances, and this keeps the
    # test independent of how receipts are posted.
    with orm_session(conn) as session:
        warehouse = Warehouse(code="MNL", name="Manila")
        session.add(warehouse)
        session.flush()
        session.add(StockBalance(sku_id=sku_id, warehouse_id=warehouse.id, on_hand=5))


def test_a_sku_holding_stock_cannot_become_a_bundle(admin: Any, database_url: str) -> None:
    sku(admin, "SOAP")
    held = sku(admin, "HELD")

    async def put_stock() -> None:
        db = Database(database_url)
        try:
            await db.run_write(_put_balance_only, uuid.UUID(held["id"]))
        finally:
            await db.dispose()

    run(put_stock())
    body = problem(
        admin.put("/api/v1/skus/HELD/components", json={"components": [{"sku": "SOAP", "qty": 1}]}), 409
    )
    assert "stock" in body["errors"][0]["message"]


# --- races and roles --------------------------------------------------------------------------


def test_a_lost_race_on_the_unique_code_is_409_not_500(admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a concurrent insert winning between the check and the write."""
    from server.catalog import services

    sku(admin, "RACE")
    real_check = services._check_new_sku_free
    calls = 0

    def check_misses_the_first_time(session: Any, data: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            real_check(session, data)

    monkeypatch.setattr(services, "_check_new_sku_free", check_misses_the_first_time)
    body = problem(admin.post("/api/v1/skus", json={"code": "RACE", "name": "again"}), 409)
    assert body["errors"][0]["field"] == "code"
    assert calls == 2


def test_roles(client: Any, tokens: dict[str, str]) -> None:
    new = {"code": "X", "name": "x"}
    assert client.post("/api/v1/skus", json=new, headers=auth(tokens["supervisor"])).status_code == 403
    assert client.post("/api/v1/skus", json=new, headers=auth(tokens["admin"])).status_code == 201
    for role in ("admin", "supervisor", "warehouse"):
        assert client.get("/api/v1/skus", headers=auth(tokens[role])).status_code == 200
        assert client.get("/api/v1/skus/X", headers=auth(tokens[role])).status_code == 200
    assert client.get("/api/v1/skus", headers=auth(tokens["rider"])).status_code == 403
    assert client.get("/api/v1/skus").status_code == 401
    assert (
        client.patch("/api/v1/skus/X", json={"name": "y"}, headers=auth(tokens["warehouse"])).status_code
        == 403
    )
    assert client.delete("/api/v1/barcodes/X", headers=auth(tokens["warehouse"])).status_code == 403
