"""The OpenAPI document tells the truth: every error is documented as Problem Details with the
statuses the route can give, and money has one strict, documented format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from tests.conftest import run
from tests.kit.world import order_payload, seed_world

PROBLEM = "application/problem+json"


def test_every_error_response_is_problem_details(client: Any) -> None:
    spec = client.get("/schema/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    public = {
        (method.lower(), route.path_format)
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items()
        if handler.opt.get("public")
    }
    problems: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"400", "422"} if (method, path) in public else {"400", "401", "403", "422"}
            missing = expected - set(responses)
            if missing:
                problems.append(f"{method.upper()} {path}: no {sorted(missing)}")
            for status, response in responses.items():
                has_body = method != "head"
                if (
                    status.startswith(("4", "5"))
                    and has_body
                    and list(response.get("content", {})) != [PROBLEM]
                ):
                    problems.append(f"{method.upper()} {path} {status}: not {PROBLEM}")
    assert not problems, "\n".join(problems)
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)
    ingest = spec["paths"]["/api/v1/orders"]["post"]["responses"]
    assert {"200", "201"} <= set(ingest)


def test_money_is_documented_as_one_strict_format(client: Any) -> None:
    line = client.get("/schema/openapi.json").json()["components"]["schemas"]["OrderLineIn"]
    pattern = line["properties"]["unit_price"]["pattern"]
    for good in ("349", "349.5", "349.00"):
        assert re.fullmatch(pattern.strip("^$"), good)
    for bad in ("349.001", " 349", "\uff13\uff14\uff19", "-1"):
        assert not re.fullmatch(pattern.strip("^$"), bad)


@pytest.mark.parametrize("price", ["\uff13\uff14\uff19.\uff10\uff10", 349, " 349.00", "349.001"])
def test_money_outside_the_format_is_refused_naming_the_field(
    admin: Any, database_url: str, price: Any
) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 5}))
    body = order_payload("M-1", [("CASE-BLK", 1)])
    body["lines"][0]["unit_price"] = price
    r = admin.post("/api/v1/orders", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in r.json()["errors"]] == ["lines[0].unit_price"]
