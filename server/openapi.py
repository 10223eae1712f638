"""The OpenAPI document tells the truth about errors and money.

Litestar documents a handler's success response and a generic 400 as `application/json`. Every
Bodega error is Problem Details (`application/problem+json`, server/errors.py) with a status the
route can really give: this module rewrites each operation's error responses to the statuses it
can answer, all with the Problem schema. It runs once, on the built document, before the
documentation's first request is answered.

Money in the JSON API is one strict format: a string of ASCII digits with up to two decimals
("349", "349.5", "349.00"), never a JSON number (floats are not money) nor full-width digits.
msgspec types the fields as plain strings so that a bad amount refuses only its own order in a
batch (server/orders/validation.py); the pattern is added to the document here.

The phone app's own files (server/web.py) are not API and stay out of the document.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from server.errors import PROBLEM_MEDIA_TYPE
from server.money import PESOS_PATTERN
from server.openapi_requests import tighten_requests

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The sync protocol's own refusals (sync/_codec.py PROBLEMS), plus 503 when it cannot store now.
SYNC_STATUSES = frozenset({400, 401, 403, 409, 413, 415, 422, 503})
# Money fields of the wire types, by schema component and property.
MONEY_FIELDS = {"OrderLineIn": ("unit_price",), "OrderIn": ("cod_amount", "shipping_fee")}

DESCRIPTIONS = {
    400: "The body is not JSON, or not readable (Problem Details)",
    401: "No valid token: log in at /api/v1/auth/login",
    403: "The caller's role, or warehouse, may not do this",
    404: "Nothing has this id or code",
    409: "Conflicts with the current state (a status change not allowed, a code taken, not enough stock)",
    413: "The body is too large",
    415: "The body's Content-Type is not one this route reads",
    422: "A field is invalid; `errors` names each one",
    429: "Too many attempts; see Retry-After",
    503: "Cannot store this now; try again",
}


def _problem_schema() -> Schema:
    text = Schema(type=OpenAPIType.STRING)
    field_error = Schema(
        type=OpenAPIType.OBJECT,
        required=["field", "message"],
        properties={"field": text, "message": text},
    )
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["type", "title", "status"],
        description="RFC 9457 Problem Details; `errors` names each invalid field",
        properties={
            "type": text,
            "title": text,
            "status": Schema(type=OpenAPIType.INTEGER),
            "detail": text,
            "errors": Schema(type=OpenAPIType.ARRAY, items=field_error),
            "request_id": text,
            "code": text,
        },
    )


def error_statuses(method: str, path: str, handler: HTTPRouteHandler) -> set[int]:
    """The error statuses a route can answer."""
    if path.startswith("/sync/"):
        return set(SYNC_STATUSES) | ({404} if "{" in path else set[int]())
    statuses = {400, 422}
    if not handler.opt.get("public"):
        statuses |= {401, 403}
    if "{" in path or method in WRITES or handler.opt.get("looks_up"):
        statuses.add(404)  # a path's id, a code in the body or the code looked up names nothing
    if method in WRITES:
        statuses |= {409, 415}
    if handler.opt.get("throttled"):
        statuses |= {401, 429}  # wrong password; too many tries
    return statuses


def _document_money(openapi: OpenAPI) -> None:
    schemas = openapi.components.schemas
    for component, fields in MONEY_FIELDS.items():
        schema = schemas.get(component)
        if schema is None or schema.properties is None:
            continue
        for name in fields:
            prop = schema.properties.get(name)
            if isinstance(prop, Schema):
                for option in [prop, *(prop.one_of or [])]:
                    if isinstance(option, Schema) and option.type == OpenAPIType.STRING:
                        option.pattern = PESOS_PATTERN
                        option.description = 'Pesos as a string: ASCII digits, up to 2 decimals ("349.00")'


def document_once(request: Request[Any, Any, Any]) -> None:
    """The documentation router's before_request: rewrite the document before it is first served."""
    if not request.app.state.get("errors_documented"):
        document_errors(request.app)
        request.app.state.errors_documented = True


def document_errors(app: Litestar) -> None:
    """Rewrite the built document's error responses in place (once, before it is served)."""
    openapi: OpenAPI = app.openapi_schema
    openapi.components.schemas["Problem"] = _problem_schema()
    problem = Reference(ref="#/components/schemas/Problem")
    paths = openapi.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        item = paths[route.path_format]
        for method, (handler, _) in route.route_handler_map.items():
            operation: Operation | None = getattr(item, method.lower(), None)
            if operation is None:
                continue
            responses: dict[str, Any] = dict(operation.responses or {})
            for status in sorted(error_statuses(method, route.path_format, handler)):
                responses[str(status)] = OpenAPIResponse(
                    description=DESCRIPTIONS[status],
                    # A HEAD answer has no body, so it documents no media type.
                    content=None
                    if method == "HEAD"
                    else {PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=problem)},
                )
            operation.responses = responses
    _document_money(openapi)
    tighten_requests(openapi)
