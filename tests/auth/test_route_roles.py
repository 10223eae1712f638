"""Every route declares who may call it, and the app enforces exactly that.

The routes are read from the running app, so a route added later is checked without anyone
remembering to add it here. For each route and each caller (every role and anonymous):
- a public route answers without a token;
- any other route names its roles in opt["roles"], from the four roles Bodega has;
- anonymous gets 401, a role not named gets 403, a role named gets past the guard;
- nothing answers 5xx, even to an empty body and made-up path parameters.

And a warehouse dimension: every route the warehouse role may call either reaches a warehouse
(and then a warehouse user acts only in their own: own passes, another warehouse or no warehouse
assigned is 403) or is listed as reaching none, with the reason.
"""

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.auth.models import ROLES, User
from server.auth.services import add_device
from server.db import Database
from server.db.orm import orm_session
from server.inventory.models import Warehouse
from tests.conftest import add_users, auth, run
from tests.kit.world import order_payload, seed_world

ANONYMOUS = "anonymous"
BODY_METHODS = {"POST", "PUT", "PATCH"}
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as declared, e.g. /api/v1/users/{user_id:uuid}
    handler: HTTPRouteHandler
    route: HTTPRoute

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.handler.handler_name})"

    def url(self, named: dict[str, str] | None = None) -> str:
        """The path with every parameter filled: by name from `named`, else by its declared type."""
        params = self.route.path_parameters
        named = named or {}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return named[name] if name in named else _sample(params[name].type)

        return _PARAM.sub(fill, self.path)


def _sample(kind: type) -> str:
    if kind is uuid.UUID:
        return str(uuid.uuid4())
    if kind in (int, float, Decimal):
        return "1"
    if kind is dt.datetime:
        return dt.datetime.now(dt.UTC).isoformat()
    if kind is dt.date:
        return dt.date.today().isoformat()
    if kind is dt.time:
        return "12:00:00"
    if kind is dt.timedelta:
        return "60"
    return "x"  # str, Path and anything else textual


def _is_litestar_options(handler: HTTPRouteHandler) -> bool:
    # Litestar adds an OPTIONS handler to every path by itself; it is not a route of ours.
    return handler.http_methods == {"OPTIONS"} and handler.fn.__module__.startswith("litestar.")


def _endpoints(app: Litestar) -> list[Endpoint]:
    found: list[Endpoint] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS" and _is_litestar_options(handler):
                continue
            found.append(Endpoint(method, route.path, handler, route))
    return sorted(found, key=lambda e: (e.path, e.method))


def _schema_path(app: Litestar) -> str:
    return (app.openapi_config.path if app.openapi_config else None) or "/schema"


def _is_schema(app: Litestar, endpoint: Endpoint) -> bool:
    root = _schema_path(app)
    return endpoint.path == root or endpoint.path.startswith(root + "/")


def _other_routes(app: Litestar) -> list[str]:
    """Websocket and mounted ASGI routes: only their declaration can be checked from here."""
    problems: list[str] = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            continue
        handler = route.route_handler
        problem = _declaration_problem(handler.opt)
        if problem:
            problems.append(f"{route.path} ({handler.handler_name}): {problem}")
    return problems


def _declaration_problem(opt: dict[str, Any]) -> str:
    if opt.get("public"):
        return ""
    roles = opt.get("roles")
    if not roles:
        return 'declares neither opt["roles"] nor opt public (use ADMIN/MANAGERS/STAFF/EVERYONE/PUBLIC)'
    unknown = set(roles) - set(ROLES)
    if unknown:
        return f'opt["roles"] names unknown roles {sorted(unknown)}'
    return ""


async def _mint_tokens(url: str, per_role: int) -> dict[str, list[str]]:
    """Fresh tokens for the seeded test users: one per call, so a call that logs out
    (revoking its own token) cannot spoil the calls after it."""
    db = Database(url)
    try:
        return await db.run_write(_mint, per_role)
    finally:
        await db.dispose()


def _mint(conn: Connection, per_role: int) -> dict[str, list[str]]:
    minted: dict[str, list[str]] = {}
    with orm_session(conn) as session:
        for role in ROLES:
            user_id = session.scalar(select(User.id).where(User.username == f"test-{role}"))
            assert user_id is not None, f"conftest seeds test-{role}"
            minted[role] = [add_device(session, user_id, "route test")[1] for _ in range(per_role)]
    return minted


# The warehouse the role test's warehouse user works in; path parameters naming a warehouse get it.
HOME = "VAL"
# Path parameters naming a person whose own things the route shows (a rider's cash): a caller may
# read only their own, so the role check is made with the caller naming themself; reading another
# person's is refused by the route's own scope check (tests/cod/test_cash.py).
OWN_PERSON_PARAMS = ("holder",)


def _call(client: Any, endpoint: Endpoint, token: str | None, username: str | None = None) -> int:
    headers = auth(token) if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.method in BODY_METHODS:
        kwargs["json"] = {}
    named = {name: username for name in OWN_PERSON_PARAMS} if username else {}
    if "/warehouses/" in endpoint.path or "/stock/" in endpoint.path:
        named |= {"code": HOME, "warehouse": HOME}
    url = endpoint.url(named)
    response = client.request(endpoint.method, url, **kwargs)
    return response.status_code


async def _assign_warehouse(url: str, username: str, code: str | None) -> None:
    db = Database(url)
    try:
        await db.run_write(_set_warehouse, username, code)
    finally:
        await db.dispose()


def _set_warehouse(conn: Connection, username: str, code: str | None) -> None:
    wh = conn.scalar(select(Warehouse.id).where(Warehouse.code == code)) if code else None
    assert conn.execute(update(User).where(User.username == username).values(warehouse_id=wh)).rowcount == 1


def test_every_route_enforces_its_roles(client: Any, tokens: dict[str, str], database_url: str) -> None:
    app: Litestar = client.app
    run(seed_world(database_url))
    run(_assign_warehouse(database_url, "test-warehouse", HOME))
    endpoints = [e for e in _endpoints(app) if not _is_schema(app, e)]
    assert any(e.path == "/api/v1/auth/login" for e in endpoints), "auth routes are not registered"
    minted = run(_mint_tokens(database_url, per_role=len(endpoints)))
    # The live exception stream never ends while its server runs; a stopped feed (a server shutting
    # down) answers and ends it at once, so each call here returns with its status.
    client.blocking_portal.call(app.state.exception_feed.stop)
    fresh = {role: iter(role_tokens) for role, role_tokens in minted.items()}
    problems: list[str] = _other_routes(app)

    for endpoint in endpoints:
        opt = endpoint.handler.opt
        declared = _declaration_problem(opt)
        if declared:
            problems.append(f"{endpoint}: {declared}")
            continue
        allowed: tuple[str, ...] = () if opt.get("public") else tuple(opt["roles"])
        for caller in (ANONYMOUS, *ROLES):
            if caller == ANONYMOUS:
                status = _call(client, endpoint, None)
            else:  # conftest seeds a user test-<role> per role; the tokens are theirs
                status = _call(client, endpoint, next(fresh[caller]), f"test-{caller}")
            if status >= 500:
                problems.append(f"{endpoint} as {caller}: answered {status}")
            elif opt.get("public"):
                if status in (401, 403):
                    problems.append(f"{endpoint} is public but {caller} got {status}")
            elif caller == ANONYMOUS:
                if status != 401:
                    problems.append(f"{endpoint} without a token: expected 401, got {status}")
            elif caller in allowed:
                if status in (401, 403):
                    problems.append(f"{endpoint} allows {caller} but answered {status}")
            elif status != 403:
                problems.append(f"{endpoint} does not allow {caller}: expected 403, got {status}")

    assert not problems, "\n".join(problems)


def test_openapi_schema_is_public(client: Any) -> None:
    """The API docs are Litestar's own routes; they must open without a token."""
    app: Litestar = client.app
    schema = [e for e in _endpoints(app) if _is_schema(app, e)]
    assert schema, "the OpenAPI routes are missing"
    problems = [
        f"{endpoint}: anonymous got {status}"
        for endpoint in schema
        if (status := _call(client, endpoint, None)) in (401, 403) or status >= 500
    ]
    assert not problems, "\n".join(problems)
    spec = client.get(f"{_schema_path(app)}/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/auth/login" in spec.json()["paths"]


def test_samples_fill_every_parameter_type() -> None:
    assert uuid.UUID(_sample(uuid.UUID))
    assert _sample(int) == "1" and _sample(str) == "x" and _sample(Path) == "x"
    assert dt.datetime.fromisoformat(_sample(dt.datetime)).tzinfo is not None


# ---- the warehouse dimension -----------------------------------------------------------------

OWN, OTHER = "VAL", "CEB"


@dataclass(frozen=True)
class Reach:
    """A request that reaches warehouse `code`, given the ids of an order allocated in each."""

    path_params: dict[str, str]
    params: dict[str, str]
    json: dict[str, Any] | None


def _in(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"code": code, "order_id": orders[code]}, {}, None)


def _filtered(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {"warehouse": code}, None)


def _wave(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"wave_id": orders[f"wave:{code}"]}, {}, None)


def _wave_to_nobody(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"wave_id": orders[f"wave-to-assign:{code}"]}, {}, {"picker": None})


def _wave_to_close(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"wave_id": orders[f"wave-to-close:{code}"]}, {}, None)


def _new_waves(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {}, {"warehouse": code})


def _pick(code: str, orders: dict[str, str]) -> Reach:
    body = {"warehouse": code, "bin": "A-01-01", "sku": "CASE-BLK", "qty": 1, "order": orders[code]}
    return Reach({}, {}, body)


def _short_pick(code: str, orders: dict[str, str]) -> Reach:
    # A SKU the order does not have: flagged, and the order stays in its wave for the routes after.
    body: dict[str, Any] = {"warehouse": code, "bin": "A-01-01", "sku": "CABLE-1M", "order": orders[code]}
    body.update(wanted=1, found=0, reason="not_found")
    return Reach({}, {}, body)


def _pack(code: str, orders: dict[str, str]) -> Reach:
    return Reach(
        {}, {}, {"order": orders[code], "lines": [{"sku": "CASE-BLK", "qty": 1}], "weight_grams": 100}
    )


def _pack_check(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {}, {"order": orders[code]})


def _new_batch(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {}, {"warehouse": code, "kind": "courier", "carrier": "jnt"})


def _batch(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"batch_id": orders[f"batch:{code}"]}, {}, None)


def _batch_close(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"batch_id": orders[f"batch:{code}"]}, {}, {})


def _scan(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"batch_id": orders[f"scan:{code}"]}, {}, {"waybill": orders[f"waybill:{code}"]})


def _put_back(code: str, orders: dict[str, str]) -> Reach:
    return Reach({"order_id": orders[f"put_back:{code}"]}, {}, {"bin": "A-01-01"})


def _look_up_item(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {"code": "CASE-BLK", "warehouse": code}, None)


def _look_up_parcel(code: str, orders: dict[str, str]) -> Reach:
    return Reach({}, {"code": f"{code}-1"}, None)  # the order number of the fixture's order there


# Every route the warehouse role may call that names or reaches a warehouse, and how to aim it.
Aim = Callable[[str, dict[str, str]], Reach]  # (warehouse code, fixture ids) -> the request
REACHES_A_WAREHOUSE: dict[tuple[str, str], Aim] = {
    ("GET", "/api/v1/stock"): _filtered,
    ("GET", "/api/v1/stock/movements"): _filtered,
    ("GET", "/api/v1/count-tasks"): _filtered,
    ("POST", "/api/v1/stock/receipts"): lambda code, orders: Reach(
        {}, {}, {"warehouse": code, "lines": [{"sku": "CABLE-1M", "qty": 1}]}
    ),
    ("GET", "/api/v1/warehouses/{code:str}/bins"): _in,
    ("GET", "/api/v1/warehouses/{code:str}/bins/labels.pdf"): _in,  # the console's printable bin labels
    ("GET", "/api/v1/orders/{order_id:uuid}"): _in,
    ("POST", "/api/v1/orders/{order_id:uuid}/status"): lambda code, orders: Reach(
        {"order_id": orders[code]}, {}, {"status": "picking", "reason": "route test"}
    ),
    # Outbound work (server/picking/, server/sync_api/console_picks.py): a wave per warehouse.
    ("GET", "/api/v1/fulfilment/queue"): _filtered,
    ("GET", "/api/v1/waves"): _filtered,
    ("POST", "/api/v1/waves"): _new_waves,
    ("GET", "/api/v1/waves/{wave_id:uuid}"): _wave,
    ("GET", "/api/v1/waves/{wave_id:uuid}/pick-list.pdf"): _wave,
    ("POST", "/api/v1/waves/{wave_id:uuid}/assign"): _wave_to_nobody,
    ("POST", "/api/v1/waves/{wave_id:uuid}/close"): _wave_to_close,
    ("POST", "/api/v1/picks"): _pick,
    ("POST", "/api/v1/picks/short"): _short_pick,
    # Shipping (server/shipping/): the order's, the batch's or the put-back's warehouse.
    ("POST", "/api/v1/parcels"): _pack,
    ("POST", "/api/v1/parcels/check"): _pack_check,
    ("GET", "/api/v1/parcels/{order_id:uuid}"): _in,
    ("GET", "/api/v1/parcels/{order_id:uuid}/label.pdf"): _in,
    ("GET", "/api/v1/parcels/{order_id:uuid}/slip.pdf"): _in,
    ("GET", "/api/v1/dispatch-batches"): _filtered,
    ("POST", "/api/v1/dispatch-batches"): _new_batch,
    ("GET", "/api/v1/dispatch-batches/{batch_id:uuid}"): _batch,
    ("POST", "/api/v1/dispatch-batches/{batch_id:uuid}/close"): _batch_close,
    ("GET", "/api/v1/dispatch-batches/{batch_id:uuid}/manifest.pdf"): _batch,
    ("POST", "/api/v1/dispatch-batches/{batch_id:uuid}/scan"): _scan,
    ("GET", "/api/v1/put-backs"): _filtered,
    ("POST", "/api/v1/put-backs/{order_id:uuid}/done"): _put_back,
    ("GET", "/api/v1/count-reviews"): _filtered,
    # Look-up (server/inventory/lookup.py): an item in the named warehouse; a parcel by its order number.
    ("GET", "/api/v1/lookup"): _look_up_item,
    ("GET", "/api/v1/lookup/parcel"): _look_up_parcel,
}
# The warehouse role's other routes, and why no warehouse is involved.
REACHES_NO_WAREHOUSE: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/logout"): "the caller's own device",
    ("GET", "/api/v1/auth/me"): "the caller's own user",
    ("GET", "/api/v1/skus"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/skus/{code:str}"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/barcodes/{barcode:str}"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/warehouses"): "which warehouses exist, without their stock",
    ("GET", "/api/v1/fulfilment/ship-by-rules"): "the seller's rules, the same for every warehouse",
    ("GET", "/api/v1/fulfilment/priority-rules"): "the seller's rules, the same for every warehouse",
    ("GET", "/api/v1/fulfilment/closures"): "the seller's declared closed days",
    # The sync endpoints serve the caller's scopes, decided by the server (server/sync_api/scopes.py).
    ("POST", "/sync/v1/sync"): "sync scopes",
    ("POST", "/sync/v1/push"): "sync scopes",
    ("POST", "/sync/v1/pull"): "sync scopes",
    ("GET", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
    ("HEAD", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
    ("PUT", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
    # Web push (server/push/): the server's public key, and the caller's own subscriptions.
    ("GET", "/api/v1/push/key"): "the server's public key, the same for everyone",
    ("POST", "/api/v1/push/subscriptions"): "the caller's own browser on the caller's own device",
    ("GET", "/api/v1/push/subscriptions"): "the caller's own subscriptions",
    ("DELETE", "/api/v1/push/subscriptions/{subscription_id:uuid}"): "the caller's own subscription",
}


async def _warehouse_callers(url: str) -> dict[str, str]:
    """Tokens: a warehouse user of VAL, a warehouse user with no warehouse, and a supervisor."""
    users = [
        ("val-staff", "password-1", "warehouse", OWN),
        ("no-wh-staff", "password-1", "warehouse", None),
        ("sup", "password-1", "supervisor", None),
    ]
    db = Database(url)
    try:
        tokens = await db.run_write(add_users, users)
    finally:
        await db.dispose()
    return dict(zip(["own", "none", "supervisor"], tokens, strict=True))


def _ceb_order(external_id: str) -> dict[str, Any]:
    body = order_payload(external_id, [("CASE-BLK", 1)])
    body["address"] = {**body["address"], "city": "Mandaue", "province": "Cebu", "region": "VII"}
    return body


@pytest.fixture
def two_warehouses(admin: Any, database_url: str) -> dict[str, str]:
    """VAL and CEB with stock, and an allocated order in each: {warehouse code: order id}."""
    run(seed_world(database_url, {("CASE-BLK", OWN): 10, ("CASE-BLK", OTHER): 10, ("CABLE-1M", OWN): 5}))
    orders: dict[str, str] = {}
    for code, body in ((OWN, order_payload("VAL-1", [("CASE-BLK", 1)])), (OTHER, _ceb_order("CEB-1"))):
        r = admin.post("/api/v1/orders", json=body)
        assert r.status_code == 201 and r.json()["warehouse"] == code, r.text
        orders[code] = r.json()["id"]
    for code in (OWN, OTHER):  # a wave in each warehouse, for the routes that reach one by id
        orders[f"wave:{code}"] = _new_wave(admin, code)
        # Packing or shipping a wave's orders closes it (picking/waves.py close_finished), and the
        # routes before these do: assigning and closing each get a wave of an order nobody else touches.
        for route in ("assign", "close"):
            _order_in(admin, code, f"{code}-{route}")
            orders[f"wave-to-{route}:{code}"] = _new_wave(admin, code)
    for code in (OWN, OTHER):  # shipping: a batch to close, a packed parcel to scan, a put-back
        orders[f"batch:{code}"] = admin.post(
            "/api/v1/dispatch-batches", json={"warehouse": code, "kind": "courier", "carrier": "jnt"}
        ).json()["id"]
        parcel, put_back = (_order_in(admin, code, f"{code}-{n}") for n in (2, 3))
        packed = admin.post(
            "/api/v1/parcels",
            json={
                "order": parcel,
                "lines": [{"sku": "CASE-BLK", "qty": 1}],
                "weight_grams": 90,
                "courier": "flash",
            },
        )
        assert packed.status_code == 201, packed.text
        orders[f"waybill:{code}"] = packed.json()["waybill"]
        orders[f"scan:{code}"] = admin.post(
            "/api/v1/dispatch-batches", json={"warehouse": code, "kind": "courier", "carrier": "flash"}
        ).json()["id"]
        for status in ("picking", "cancelled"):
            admin.post(f"/api/v1/orders/{put_back}/status", json={"status": status})
        orders[f"put_back:{code}"] = put_back
    return orders


def _new_wave(admin: Any, code: str) -> str:
    """A wave of the warehouse's allocated orders not yet in one: here, the one just made."""
    r = admin.post("/api/v1/waves", json={"warehouse": code})
    assert r.status_code == 201, r.text
    (wave,) = r.json()["items"]
    return str(wave["id"])


def _order_in(admin: Any, code: str, external_id: str) -> str:
    body = order_payload(external_id, [("CASE-BLK", 1)]) if code == OWN else _ceb_order(external_id)
    r = admin.post("/api/v1/orders", json=body)
    assert r.status_code == 201 and r.json()["warehouse"] == code, r.text
    return str(r.json()["id"])


def _reach(client: Any, endpoint: Endpoint, token: str, code: str, orders: dict[str, str]) -> Any:
    aim: Reach = REACHES_A_WAREHOUSE[(endpoint.method, endpoint.path)](code, orders)
    kwargs: dict[str, Any] = {"headers": auth(token), "params": aim.params}
    if aim.json is not None:
        kwargs["json"] = aim.json
    return client.request(endpoint.method, endpoint.url(aim.path_params), **kwargs)


def test_warehouse_staff_act_only_in_their_own_warehouse(
    admin: Any, two_warehouses: dict[str, str], database_url: str
) -> None:
    app: Litestar = admin.app
    callers = run(_warehouse_callers(database_url))
    open_to_staff = [e for e in _endpoints(app) if "warehouse" in (e.handler.opt.get("roles") or ())]
    problems: list[str] = []
    for endpoint in open_to_staff:
        key = (endpoint.method, endpoint.path)
        if key in REACHES_NO_WAREHOUSE:
            continue
        if key not in REACHES_A_WAREHOUSE:
            problems.append(
                f"{endpoint}: open to warehouse staff; add it to REACHES_A_WAREHOUSE or _NO_WAREHOUSE"
            )
            continue
        # (caller, warehouse reached, expected): own passes; another warehouse, or none assigned, is 403.
        for who, code, expected in (
            ("own", OTHER, 403),
            ("none", OWN, 403),
            ("own", OWN, 200),
            ("supervisor", OTHER, 200),
        ):
            r = _reach(admin, endpoint, callers[who], code, two_warehouses)
            if expected == 403:
                ok = r.status_code == 403 and r.json().get("errors", [{}])[0].get("field") is not None
            else:
                ok = 200 <= r.status_code < 300
            if not ok:
                problems.append(
                    f"{endpoint} as {who} reaching {code}: expected {expected}, got {r.status_code} {r.text}"
                )
    assert not problems, "\n".join(problems)


def test_warehouse_lists_hold_only_the_callers_warehouse(
    admin: Any, two_warehouses: dict[str, str], database_url: str
) -> None:
    staff = auth(run(_warehouse_callers(database_url))["own"])
    for path in ("/api/v1/stock", "/api/v1/stock/movements"):
        everything = admin.get(path).json()["items"]
        assert {row["warehouse"] for row in everything} == {OWN, OTHER}
        mine = admin.get(path, headers=staff).json()["items"]
        assert mine and {row["warehouse"] for row in mine} == {OWN}, path


def test_an_order_in_no_warehouse_is_not_warehouse_staffs(
    admin: Any, two_warehouses: dict[str, str], database_url: str
) -> None:
    callers = run(_warehouse_callers(database_url))
    held = admin.post("/api/v1/orders", json=order_payload("HELD-1", [("SOAP-KOJIC", 1)])).json()
    assert held["status"] == "on_hold" and held["warehouse"] is None
    assert admin.get(f"/api/v1/orders/{held['id']}", headers=auth(callers["own"])).status_code == 403
    assert admin.get(f"/api/v1/orders/{held['id']}", headers=auth(callers["supervisor"])).status_code == 200
    moved = admin.post(
        f"/api/v1/orders/{held['id']}/status", json={"status": "cancelled"}, headers=auth(callers["own"])
    )
    assert moved.status_code == 403
    assert admin.get(f"/api/v1/orders/{held['id']}").json()["status"] == "on_hold"
