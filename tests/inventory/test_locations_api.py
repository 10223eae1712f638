"""Warehouses and bins over the REST API, on SQLite and PostgreSQL."""

from typing import Any

from tests.conftest import auth
from tests.kit.problems import problem


def warehouse(admin: Any, code: str, **fields: Any) -> dict[str, Any]:
    response = admin.post("/api/v1/warehouses", json={"code": code, "name": f"{code} warehouse", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_list_and_update_warehouses(admin: Any) -> None:
    cebu = warehouse(
        admin,
        "CEB",
        city="Mandaue",
        province="Cebu",
        region="Central Visayas",
        priority=20,
        serves_regions=["VII", "region 6", "vii"],
    )
    # Names are stored as PSGC codes, once each, so allocation can compare them.
    assert cebu["region"] == "VII"
    assert cebu["serves_regions"] == ["VII", "VI"]
    assert cebu["active"] is True
    warehouse(admin, "MNL-1", region="NCR", priority=10)
    warehouse(admin, "DVO", priority=30, active=False)

    listed = admin.get("/api/v1/warehouses").json()
    assert [w["code"] for w in listed["items"]] == ["MNL-1", "CEB", "DVO"]  # allocation order
    assert listed["total"] == 3
    assert [
        w["code"] for w in admin.get("/api/v1/warehouses", params={"active": "false"}).json()["items"]
    ] == ["DVO"]
    page = admin.get("/api/v1/warehouses", params={"limit": 1, "offset": 1}).json()
    assert [w["code"] for w in page["items"]] == ["CEB"] and page["total"] == 3

    patched = admin.patch("/api/v1/warehouses/CEB", json={"priority": 5, "serves_regions": ["VIII"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["priority"] == 5
    assert patched.json()["serves_regions"] == ["VIII"]
    assert patched.json()["city"] == "Mandaue"  # not sent, not changed


def test_warehouse_refusals_name_the_field(admin: Any) -> None:
    warehouse(admin, "MNL")
    assert (
        problem(admin.post("/api/v1/warehouses", json={"code": "MNL", "name": "x"}), 409)["errors"][0][
            "field"
        ]
        == "code"
    )
    body = problem(admin.post("/api/v1/warehouses", json={"code": "X", "name": "x", "region": "Narnia"}), 422)
    assert body["errors"][0]["field"] == "region"
    body = problem(
        admin.post("/api/v1/warehouses", json={"code": "X", "name": "x", "serves_regions": ["NCR", "?"]}), 422
    )
    assert body["errors"][0]["field"] == "serves_regions[1]"
    body = problem(admin.post("/api/v1/warehouses", json={"code": "X", "name": "x", "priority": -1}), 422)
    assert body["errors"][0]["field"] == "priority"
    body = problem(admin.post("/api/v1/warehouses", json={"code": "X" * 33, "name": "x"}), 422)
    assert body["errors"][0]["field"] == "code"
    assert (
        problem(admin.patch("/api/v1/warehouses/NOPE", json={"name": "x"}), 404)["errors"][0]["field"]
        == "code"
    )
    assert (
        problem(admin.patch("/api/v1/warehouses/MNL", json={"region": "Mars"}), 422)["errors"][0]["field"]
        == "region"
    )


def test_add_one_bin_or_many(admin: Any) -> None:
    warehouse(admin, "MNL")
    one = admin.post("/api/v1/warehouses/MNL/bins", json={"code": "A-01-01", "zone": "A"})
    assert one.status_code == 201, one.text
    assert one.json()["warehouse"] == "MNL" and one.json()["zone"] == "A"

    many = admin.post(
        "/api/v1/warehouses/MNL/bins",
        json={
            "bins": [{"code": f"A-01-{i:02}", "zone": "A"} for i in range(2, 6)]
            + [{"code": "B-01-01", "zone": "B"}]
        },
    )
    assert many.status_code == 201, many.text
    assert len(many.json()["bins"]) == 5

    listed = admin.get("/api/v1/warehouses/MNL/bins", params={"zone": "A", "limit": 2, "offset": 2}).json()
    assert [b["code"] for b in listed["items"]] == ["A-01-03", "A-01-04"]
    assert listed["total"] == 5
    assert admin.get("/api/v1/warehouses/MNL/bins", params={"q": "b-01"}).json()["total"] == 1

    patched = admin.patch("/api/v1/warehouses/MNL/bins/A-01-05", json={"active": False, "zone": "A2"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False and patched.json()["zone"] == "A2"
    inactive = admin.get("/api/v1/warehouses/MNL/bins", params={"active": "false"}).json()
    assert [b["code"] for b in inactive["items"]] == ["A-01-05"]


def test_bin_codes_are_per_warehouse(admin: Any) -> None:
    warehouse(admin, "MNL")
    warehouse(admin, "CEB")
    assert admin.post("/api/v1/warehouses/MNL/bins", json={"code": "A-01"}).status_code == 201
    assert admin.post("/api/v1/warehouses/CEB/bins", json={"code": "A-01"}).status_code == 201
    assert admin.get("/api/v1/warehouses/CEB/bins").json()["total"] == 1


def test_bin_refusals_name_the_field_and_save_nothing(admin: Any) -> None:
    warehouse(admin, "MNL")
    admin.post("/api/v1/warehouses/MNL/bins", json={"code": "A-01"})

    body = problem(admin.post("/api/v1/warehouses/MNL/bins", json={"code": "A-01"}), 409)
    assert body["errors"][0]["field"] == "code"
    body = problem(
        admin.post("/api/v1/warehouses/MNL/bins", json={"bins": [{"code": "A-02"}, {"code": "A-01"}]}), 409
    )
    assert body["errors"][0]["field"] == "bins[1].code"
    body = problem(
        admin.post("/api/v1/warehouses/MNL/bins", json={"bins": [{"code": "A-03"}, {"code": "A-03"}]}), 422
    )
    assert body["errors"][0]["field"] == "bins[1].code"
    assert admin.get("/api/v1/warehouses/MNL/bins").json()["total"] == 1  # all or none

    assert problem(admin.post("/api/v1/warehouses/MNL/bins", json={}), 422)["errors"][0]["field"] == "code"
    assert (
        problem(admin.post("/api/v1/warehouses/MNL/bins", json={"bins": []}), 422)["errors"][0]["field"]
        == "bins"
    )
    both = {"code": "A-09", "bins": [{"code": "A-10"}]}
    assert problem(admin.post("/api/v1/warehouses/MNL/bins", json=both), 422)["errors"][0]["field"] == "bins"
    assert (
        problem(admin.post("/api/v1/warehouses/MNL/bins", json={"code": "A/1"}), 422)["errors"][0]["field"]
        == "code"
    )

    assert (
        problem(admin.post("/api/v1/warehouses/NOPE/bins", json={"code": "A-01"}), 404)["errors"][0]["field"]
        == "code"
    )
    assert problem(admin.get("/api/v1/warehouses/NOPE/bins"), 404)["errors"][0]["field"] == "code"
    body = problem(admin.patch("/api/v1/warehouses/MNL/bins/NOPE", json={"active": False}), 404)
    assert body["errors"][0]["field"] == "bin_code"


def test_bad_paging_is_422(admin: Any) -> None:
    warehouse(admin, "MNL")
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -5}):
        field = next(iter(params))
        for path in ("/api/v1/warehouses", "/api/v1/warehouses/MNL/bins"):
            assert problem(admin.get(path, params=params), 422)["errors"][0]["field"] == field


def test_roles(client: Any, tokens: dict[str, str]) -> None:
    new = {"code": "MNL", "name": "Manila"}
    for role in ("supervisor", "warehouse", "rider"):
        assert client.post("/api/v1/warehouses", json=new, headers=auth(tokens[role])).status_code == 403
    assert client.post("/api/v1/warehouses", json=new, headers=auth(tokens["admin"])).status_code == 201
    for role in ("admin", "supervisor", "warehouse"):
        assert client.get("/api/v1/warehouses", headers=auth(tokens[role])).status_code == 200
    for role in ("admin", "supervisor"):
        assert client.get("/api/v1/warehouses/MNL/bins", headers=auth(tokens[role])).status_code == 200
    # test-warehouse works in no warehouse, so no warehouse's bins are its business.
    assert client.get("/api/v1/warehouses/MNL/bins", headers=auth(tokens["warehouse"])).status_code == 403
    assert client.get("/api/v1/warehouses", headers=auth(tokens["rider"])).status_code == 403
    bins = {"code": "A-01"}
    assert (
        client.post("/api/v1/warehouses/MNL/bins", json=bins, headers=auth(tokens["warehouse"])).status_code
        == 403
    )
    assert client.get("/api/v1/warehouses").status_code == 401
