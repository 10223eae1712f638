"""Runs: built from parcels ready to go out, in route order, reordered by the supervisor, capped
by the rider's cash ceiling; what the rider's phone receives. Both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cod.home import RIDER, Home


@pytest.fixture
def home(database_url: str, client: Any, tokens: dict[str, str]) -> Home:
    return Home(database_url, client, tokens)


def _address(barangay: str, city: str, street: str = "1 Rizal St.") -> dict[str, Any]:
    return {
        "address": {
            "name": f"Buyer in {barangay}",
            "phone": "0917 123 4567",
            "street": street,
            "barangay": barangay,
            "city": city,
            "province": "Metro Manila",
            "region": "NCR",
            "zip_code": "1440",
        }
    }


def test_a_run_is_built_from_parcels_ready_to_go_out_in_route_order(home: Home) -> None:
    far = home.shipped("S-1", **_address("Malinta", "Valenzuela"))
    near = home.shipped("S-2", **_address("Bagbaguin", "Caloocan"))
    packed = home.order("P-1", **_address("Karuhatan", "Valenzuela"))
    home.walk(packed, "picking", "packed")
    allocated = home.order("A-1")  # not packed yet: cannot go out
    ready = home.rest("GET", "/api/v1/runs/candidates?warehouse=VAL")
    assert [c["external_id"] for c in ready] == ["S-2", "P-1", "S-1"]  # Caloocan, then Valenzuela by barangay
    refused = home.rest("POST", "/api/v1/runs/build", {"rider": RIDER, "orders": [far, allocated]}, ok=409)
    assert {e["field"] for e in refused["errors"]} == {"orders[1]"}
    notes = {near: "Blue gate, call first"}
    run = home.rest(
        "POST",
        "/api/v1/runs/build",
        {"rider": RIDER, "date": "2026-12-05", "warehouse": "VAL", "name": "AM", "notes": notes},
        ok=201,
    )
    assert (run["stops"], run["date"]) == (3, "2026-12-05")
    assert run["cod"] == sum(home.cod(o) for o in (far, near, packed))
    detail = home.rest("GET", f"/api/v1/runs/{run['id']}")
    assert [s["external_id"] for s in detail["stops"]] == ["S-2", "P-1", "S-1"]
    assert detail["stops"][0]["notes"] == "Blue gate, call first"
    # On no open run any more: nothing left to build from.
    assert home.rest("GET", "/api/v1/runs/candidates?warehouse=VAL") == []
    # The phone gets the run and each stop with what the rider needs at the door.
    phone = home.pull()
    assert phone[("run", run["id"])] == {"name": "AM", "date": "2026-12-05", "stops": 3, "cod": run["cod"]}
    stop = phone[("stop", near)]
    assert stop == {
        "run": run["id"],
        "pos": 1,
        "date": "2026-12-05",
        "waybill": "S-2",
        "name": "Buyer in Bagbaguin",
        "phone": stop["phone"],
        "address": "1 Rizal St., Bagbaguin, Caloocan, Metro Manila",
        "barangay": "Bagbaguin",
        "city": "Caloocan",
        "province": "Metro Manila",
        "items": [["CASE-BLK", "Phone case, black", 1]],
        "cod": home.cod(near),
        "notes": "Blue gate, call first",
        "status": "shipped",
    }
    assert stop["phone"].startswith("+63")


def test_the_supervisor_changes_the_route_order(home: Home) -> None:
    a, b, c = (home.shipped(f"S-{n}") for n in range(3))
    run = home.run_of(a, b, c)
    home.rest("PUT", f"/api/v1/runs/{run}/order", {"orders": [c, a, b]})
    detail = home.rest("GET", f"/api/v1/runs/{run}")
    assert [s["order"] for s in detail["stops"]] == [c, a, b]
    assert home.pull()[("stop", c)]["pos"] == 1
    bad = home.rest("PUT", f"/api/v1/runs/{run}/order", {"orders": [c, a]}, ok=422)
    assert bad["errors"][0]["field"] == "orders"
    home.rest("POST", f"/api/v1/runs/{run}/close")
    home.rest("PUT", f"/api/v1/runs/{run}/order", {"orders": [a, b, c]}, ok=409)
    # Closed: the run and its stops leave the phone (the rider's personal data with them).
    assert home.pull() == {}


def test_a_run_over_the_riders_cash_ceiling_is_refused_with_the_reason(home: Home) -> None:
    a, b = home.shipped("S-1"), home.shipped("S-2")
    cod = home.cod(a)
    assert home.rest("GET", f"/api/v1/cod/riders/{RIDER}/ceiling") == {"cash_ceiling": 20_000_00}
    home.rest("PUT", f"/api/v1/cod/riders/{RIDER}/ceiling", {"cash_ceiling": cod + cod // 2})
    home.run_of(a)
    refused = home.http.post(
        "/api/v1/runs",
        json={"rider": RIDER, "stops": [{"order": b}]},
        headers={"Authorization": f"Bearer {home.tokens['supervisor']}"},
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["errors"][0]["field"] == "stops"
    assert "ceiling" in problem["detail"] and "to collect on open runs" in problem["detail"]
    # Another rider with the default ceiling takes it.
    home.run_of(b, rider="rider2")
    # The seller's default ceiling applies to riders without their own.
    policy = home.rest("GET", "/api/v1/cod/policy")
    home.rest("PUT", "/api/v1/cod/policy", {**policy, "cash_ceiling": 1})
    c = home.shipped("S-3")
    home.rest("POST", "/api/v1/runs", {"rider": "rider2", "stops": [{"order": c}]}, ok=409)


def test_runs_are_for_managers_and_riders_only_get_runs(home: Home) -> None:
    a = home.shipped("S-1")
    home.rest("POST", "/api/v1/runs/build", {"rider": RIDER, "orders": [a]}, role="rider", ok=403)
    home.rest("POST", "/api/v1/runs/build", {"rider": "test-warehouse", "orders": [a]}, ok=422)
    home.rest("POST", "/api/v1/runs/build", {"rider": RIDER}, ok=422)
    home.rest("GET", "/api/v1/cod/riders/test-warehouse/ceiling", ok=404)


def test_the_days_runs_for_many_riders_at_once_are_all_built_or_none(home: Home) -> None:
    a, b, c = (home.shipped(f"S-{n}") for n in range(3))
    home.rest("PUT", "/api/v1/cod/riders/rider2/ceiling", {"cash_ceiling": home.cod(b)})
    too_much = {
        "runs": [
            {"rider": RIDER, "stops": [{"order": a}]},
            {"rider": "rider2", "stops": [{"order": b}, {"order": c}]},
        ]
    }
    refused = home.rest("POST", "/api/v1/runs/batch", too_much, ok=409)
    assert refused["errors"][0]["field"] == "runs[1].stops"
    assert home.rest("GET", "/api/v1/runs") == []  # none built
    fits = {
        "runs": [
            {"rider": RIDER, "stops": [{"order": a}, {"order": c}]},
            {"rider": "rider2", "stops": [{"order": b}]},
        ]
    }
    made = home.rest("POST", "/api/v1/runs/batch", fits, ok=201)
    assert [(r["rider"], r["stops"]) for r in made] == [(RIDER, 2), ("rider2", 1)]
    listed = home.rest("GET", f"/api/v1/runs?rider={RIDER}")
    assert [r["id"] for r in listed] == [made[0]["id"]]
