"""Every route declares who may call it, and the app enforces exactly that.

The routes are read from the running app, so a route added later is checked without anyone
remembering to add it here. For each route and each caller (every role and anonymous):
- a public route answers without a token;
- any other route names its roles in opt["roles"], from the four roles Bodega has;
- anonymous gets 401, a role not named gets 403, a role named gets past the guard;
- nothing answers 5xx, even to an empty body and made-up path parameters.
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from sqlalchemy import select

from server.auth.models import ROLES, User
from server.auth.services import register_device
from server.db import Database
from tests.conftest import auth, run

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

    def url(self) -> str:
        """The path with every parameter filled by a value of its declared type."""
        params = self.route.path_parameters

        def fill(match: re.Match[str]) -> str:
            return _sample(params[match.group(1)].type)

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
    minted: dict[str, list[str]] = {}
    try:
        async with db.write() as session:
            for role in ROLES:
                user = await session.scalar(select(User).where(User.username == f"test-{role}"))
                assert user is not None, f"conftest seeds test-{role}"
                minted[role] = [
                    (await register_device(session, user, "route test"))[1] for _ in range(per_role)
                ]
    finally:
        await db.dispose()
    return minted


def _call(client: Any, endpoint: Endpoint, token: str | None) -> int:
    headers = auth(token) if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.method in BODY_METHODS:
        kwargs["json"] = {}
    response = client.request(endpoint.method, endpoint.url(), **kwargs)
    return response.status_code


def test_every_route_enforces_its_roles(client: Any, tokens: dict[str, str], database_url: str) -> None:
    app: Litestar = client.app
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
