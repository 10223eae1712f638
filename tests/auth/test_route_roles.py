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


def _call(client: Any, endpoint: Endpoint, token: str | None) -> int:
    headers = auth(token) if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.method in BODY_METHODS:
        kwargs["json"] = {}
    url = (
        endpoint.url({"code": HOME, "warehouse": HOME})
        if "/warehouses/" in endpoint.path or "/stock/" in endpoint.path
        else endpoint.url()
    )
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
            status = _call(client, endpoint, None if caller == ANONYMOUS else next(fresh[caller]))
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


# Every route the warehouse role may call that names or reaches a warehouse, and how to aim it.
REACHES_A_WAREHOUSE: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/stock"): _filtered,
    ("GET", "/api/v1/stock/movements"): _filtered,
    ("GET", "/api/v1/count-tasks"): _filtered,
    ("POST", "/api/v1/stock/receipts"): lambda code, orders: Reach(
        {}, {}, {"warehouse": code, "lines": [{"sku": "CABLE-1M", "qty": 1}]}
    ),
    ("GET", "/api/v1/warehouses/{code:str}/bins"): _in,
    ("GET", "/api/v1/orders/{order_id:uuid}"): _in,
    ("POST", "/api/v1/orders/{order_id:uuid}/status"): lambda code, orders: Reach(
        {"order_id": orders[code]}, {}, {"status": "picking", "reason": "route test"}
    ),
}
# The warehouse role's other routes, and why no warehouse is involved.
REACHES_NO_WAREHOUSE: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/logout"): "the caller's own device",
    ("GET", "/api/v1/auth/me"): "the caller's own user",
    ("GET", "/api/v1/skus"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/skus/{code:str}"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/barcodes/{barcode:str}"): "the catalog is shared by every warehouse",
    ("GET", "/api/v1/warehouses"): "which warehouses exist, without their stock",
    # The sync endpoints serve the caller's scopes, decided by the server (server/sync_api/scopes.py).
    ("POST", "/sync/v1/sync"): "sync scopes",
    ("POST", "/sync/v1/push"): "sync scopes",
    ("POST", "/sync/v1/pull"): "sync scopes",
    ("GET", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
    ("HEAD", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
    ("PUT", "/sync/v1/blobs/{blob_id:str}"): "blobs are named by an unguessable id",
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
    return orders


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
