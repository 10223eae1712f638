"""Schemathesis over the whole API, against a real `bodega serve`, on both databases.

Every operation the OpenAPI document lists (new routes join by themselves) gets schema-valid and
schema-invalid requests, as an admin (who passes every role guard, so the handlers are reached).
Required, for every request:

- no server error;
- the status code, content type and body are documented (`status_code_conformance`,
  `content_type_conformance`, `response_schema_conformance`);
- a request the document calls valid is accepted (`positive_data_acceptance`): 2xx, or a refusal
  about state that schemathesis counts as such (404 for an id that names nothing, 409 for a code
  taken or a status change not allowed). A 400, 415 or 422 for it means the document does not
  say what the server accepts.

Generated values cannot know which codes exist, so before a request is sent, the fields that
name another record (a shop, warehouse, SKU, bin, rider...) are pointed at records of the test
world (REFERENCES). That keeps the request schema-valid and lets it reach past the lookup into
the code that stores it. A route whose body names a new kind of record adds its field there.

Bounded here (EXAMPLES per operation and mode); BODEGA_SOAK=1 (`make soak`) takes many more.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from server.bench.harness import running_server
from server.cod.runs import MANILA
from tests.conftest import auth, run
from tests.kit.world import order_payload, seed_world

EXAMPLES = 150 if os.environ.get("BODEGA_SOAK") else 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]
# Logging out would revoke the token every other call uses; it is covered in tests/auth/.
# The live exception stream never ends (a client reads it for as long as it is open); it is
# covered in tests/exceptions/test_exception_stream.py.
SKIPPED = {("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/exceptions/stream")}
# The keys by which a list's items must differ (barcodes by code, components by SKU, stops by order).
UNIQUE_BY = ("code", "sku", "order", "po")
# A browser's P-256 public key (uncompressed point, base64url), as PushSubscription.toJSON() gives it.
PUSH_KEY = "BEgNNbAsetjSJ_ebH6f7gGHMcV9Wrrzfh0hwUSdXF-rIojSfEqwriadYfHeoy4WK9AUmQhkVEU7jhvn4W-M-BAo"
# EAN-13 and UPC-A codes with their check digit (the document says they need one).
BARCODES = {"ean13": "4006381333931", "upc": "036000291452"}


def references(world: dict[str, str]) -> dict[str, Callable[[Any], Any]]:
    """Field name -> the value it gets when the generated request carries it."""
    code = {
        "shop": "shopee-main",
        "warehouse": "VAL",
        "default_warehouse": "VAL",
        "from_warehouse": "VAL",
        "to_warehouse": "CEB",
        "warehouse_code": "VAL",
        "sku": "CASE-BLK",
        "bin": "A-01-01",
        "rider": "test-rider",
        "holder": "test-rider",
        "warehouse_id": world["warehouse_id"],
        "order": world["order"],
        "phone": "0917 123 4567",  # the order search's phone is read as a PH number; junk is a 422
        "supplier": "FUZZ-SUP",  # an inbound supplier and purchase order made by `live`
        "po": "FUZZ-PO",
        # A browser's push key must be a point on P-256, which no pattern can say.
        "p256dh": PUSH_KEY,
    }
    out: dict[str, Callable[[Any], Any]] = {
        name: (lambda value, real=real: real if isinstance(value, str) else value)
        for name, real in code.items()
    }
    out["skus"] = _skus

    def people(value: Any) -> Any:  # the alert settings' lists of usernames name a real user
        return ["test-supervisor"] if isinstance(value, list) and value else value

    out["notify"] = people
    out["escalate_to"] = people

    def orders(value: Any) -> Any:  # a list of order ids names the world's order
        return [world["order"]] if isinstance(value, list) and value else value

    out["orders"] = orders
    return out


def _skus(value: Any) -> Any:
    return ["CASE-BLK"] if isinstance(value, list) and value else value


def point_at_world(value: Any, refs: dict[str, Callable[[Any], Any]]) -> Any:
    """The generated value, with every field that names a record naming one that exists."""
    if isinstance(value, list):
        return [point_at_world(item, refs) for item in value]
    if not isinstance(value, dict):
        return value
    out = {k: (refs[k](v) if k in refs else point_at_world(v, refs)) for k, v in value.items()}
    if "item_id" in out and "qty" in out:  # an order line names its SKU rather than a listing
        out["sku"] = "CASE-BLK"
    if "po" in out and "line_no" in out:  # a shipment line names the fuzz PO's one line, 1 unit
        out["line_no"], out["qty"] = 1, 1
    if out.get("kind") in BARCODES and isinstance(out.get("code"), str):
        out["code"] = BARCODES[out["kind"]]
    if out.get("kind") == "remitted" and out.get("to") == out.get("holder"):
        out["to"] = "cashier"  # cash handed to someone else
    # Rules across fields, stated in the document's words (JSON Schema cannot compare two fields):
    wanted, found = _whole(out.get("wanted")), _whole(out.get("found"))
    if wanted is not None and found is not None and found >= wanted:
        out["found"] = wanted - 1  # a short pick finds fewer than wanted
    amount = _whole(out.get("amount"))
    if isinstance(out.get("denominations"), dict) and amount is not None:
        out["denominations"] = counted(amount)  # the count adds up to the amount
    if isinstance(out.get("reschedule_on"), str):  # the day to try a delivery again: not passed yet
        out["reschedule_on"] = (datetime.now(MANILA).date() + timedelta(days=1)).isoformat()
    end = out.get("end")
    if isinstance(out.get("start"), str) and (not isinstance(end, str) or end < out["start"]):
        out["end"] = out["start"]  # a period ends on or after its start
    if isinstance(out.get("runs"), list):  # a batch of runs names each order once, across its runs
        out["runs"] = _each_order_once(out["runs"])
    for name, items in out.items():  # a list names each record once (JSON Schema cannot say so)
        if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
            key = next((k for k in UNIQUE_BY if all(k in i for i in items)), None)
            if key:
                out[name] = list({str(i[key]): i for i in reversed(items)}.values())[::-1]
    return out


def _whole(value: Any) -> int | None:
    """An integer as generated: JSON Schema's integers may come as 5.0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def counted(amount: int) -> dict[str, int]:
    """Notes and coins that add up to the amount (centavos); none when no count can."""
    pieces: dict[str, int] = {}
    left = amount
    for value, key in ((100_000, "1000"), (50_000, "500"), (10_000, "100"), (100, "1"), (25, "0.25")):
        if left >= value:
            pieces[key], left = divmod(left, value)
    return pieces if left == 0 else {}


def _each_order_once(runs: list[Any]) -> list[Any]:
    seen: set[str] = set()
    kept: list[Any] = []
    for one in runs:
        stops = one.get("stops") if isinstance(one, dict) else None
        orders = (
            {str(s.get("order")) for s in stops if isinstance(s, dict)} if isinstance(stops, list) else set()
        )
        if not kept or not orders & seen:
            kept.append(one)
            seen |= orders
    return kept


def integers_as_integers(value: Any) -> Any:
    """5.0 for 5: JSON Schema calls it an integer; the sync codec, strict, wants it written as one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [integers_as_integers(item) for item in value]
    if isinstance(value, dict):
        return {k: integers_as_integers(v) for k, v in value.items()}
    return value


@pytest.fixture
def live(database_url: str, tokens: dict[str, str]) -> Iterator[tuple[str, str, dict[str, str]]]:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    with running_server(database_url) as server:
        http = httpx.Client(base_url=server.url, headers=auth(tokens["admin"]))
        warehouses = http.get("/api/v1/warehouses").json()["items"]
        order = http.post("/api/v1/orders", json=order_payload("FUZZ-1", [("CASE-BLK", 1)])).json()
        http.post("/api/v1/inbound/suppliers", json={"code": "FUZZ-SUP", "name": "Fuzz supplier"})
        po: dict[str, Any] = {"number": "FUZZ-PO", "supplier": "FUZZ-SUP", "warehouse": "VAL"}
        po["lines"] = [{"sku": "CASE-BLK", "qty": 1_000_000, "unit_cost": 100}]
        assert http.post("/api/v1/inbound/purchase-orders", json=po).status_code == 201
        world = {
            "warehouse_id": next(w["id"] for w in warehouses if w["code"] == "VAL"),
            "order": order["id"],
        }
        yield server.url, tokens["admin"], world


def _prepare(case: Any, refs: dict[str, Callable[[Any], Any]]) -> None:
    if isinstance(case.body, dict | list):
        case.body = point_at_world(case.body, refs)
    if case.query:
        case.query = point_at_world(case.query, refs)
    path = case.operation.path
    if path.startswith("/sync/v1/") and isinstance(case.body, dict):
        case.body = integers_as_integers(case.body)
    if path == "/sync/v1/blobs/{blob_id}" and case.method.upper() == "PUT":
        body = case.body.encode() if isinstance(case.body, str) else case.body
        body = body if isinstance(body, bytes) else b""
        case.body = body
        case.path_parameters = {"blob_id": hashlib.sha256(body).hexdigest()}


def _failures(url: str, token: str, operation: Any, mode: GenerationMode, refs: Any) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        # The default run is the same every time (CI repeats what passed here); the soak explores.
        derandomize=not os.environ.get("BODEGA_SOAK"),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report what was found; shrinking costs minutes
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        if mode == GenerationMode.POSITIVE:
            _prepare(case, refs)
        response = case.call(base_url=url, headers=auth(token), timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failed:  # note the kind; every operation still runs
            kinds = failed.exceptions if isinstance(failed, BaseExceptionGroup) else [failed]
            for kind in kinds:
                detail = response.text[:300] if response.status_code < 500 else ""
                found.append(
                    f"{operation.label} [{mode.value}] {response.status_code}: {type(kind).__name__} {detail}"
                )

    call()
    return found


def test_the_api_takes_what_it_documents_and_answers_only_what_it_documents(
    live: tuple[str, str, dict[str, str]],
) -> None:
    url, token, world = live
    schema = schemathesis.openapi.from_url(f"{url}/schema/openapi.json")
    refs = references(world)
    problems: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the document lost its operations"
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for failure in _failures(url, token, operation, mode, refs):
                problems.setdefault(failure.split(" {", 1)[0], failure)  # one example per kind
    assert not problems, f"{len(problems)} kinds of failure:\n" + "\n".join(sorted(problems.values()))


def test_references_point_generated_requests_at_the_world() -> None:
    refs = references({"warehouse_id": "W-ID", "order": "O-ID"})
    body = {
        "shop": "x",
        "lines": [{"item_id": "i", "qty": 1}, {"sku": "zz", "qty": 2, "bin": None}],
        "skus": ["a", "b"],
        "barcodes": [{"kind": "ean13", "code": "1"}, {"kind": "internal", "code": "any"}],
        "warehouse_id": "u",
        "stops": [{"order": "a"}, {"order": "b", "waybill": "W"}],
    }
    assert point_at_world(body, refs) == {
        "shop": "shopee-main",
        "lines": [{"item_id": "i", "qty": 1, "sku": "CASE-BLK"}],  # both lines name CASE-BLK: one is kept
        "skus": ["CASE-BLK"],
        "barcodes": [{"kind": "ean13", "code": "4006381333931"}, {"kind": "internal", "code": "any"}],
        "warehouse_id": "W-ID",
        "stops": [{"order": "O-ID"}],
    }
