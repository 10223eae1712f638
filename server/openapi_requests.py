"""The request schemas say what the server accepts (issue 8): a request the document calls valid
is taken, and a refusal is about state (a code taken, a status change not allowed: 409; an id
that names nothing: 404), or a reference to something that does not exist (422).

The wire types (msgspec Structs, litestar parameters) carry most rules themselves: lengths, enums,
integer bounds, patterns. This pass adds, once at start-up, what they cannot say:

- no request text may hold a control character other than tab, line feed and carriage return
  (server/body.py refuses them everywhere): every string without a pattern, enum or format gets
  that pattern;
- a request object takes only the fields it lists (`additionalProperties: false`). Most Structs
  refuse other fields; the order ingest types ignore them, which the document does not invite;
- the rules an order in a batch is checked against one by one (server/orders/validation.py):
  a refused order must not refuse the batch, so the Struct cannot enforce them;
- the few rules across fields (a failed delivery needs its reason and names no recipient; a
  delivery has no day to try again) as `if`/`then`;
- the sync endpoints' bodies, which they read themselves (sync/PROTOCOL.md).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)

from server.address import REGIONS
from server.catalog.schemas import CODE_PATTERN
from server.cod.remittances import DENOMINATIONS
from server.orders.validation import ADDRESS_LIMITS, LINE_LIMITS, MAX_LINES, MAX_QTY
from sync import (
    MAX_OPS_PER_PUSH,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    SyncRequest,
    SyncResponse,
)

# C0 controls except tab, line feed and carriage return; DEL (server/body.py _FORBIDDEN).
NO_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A Philippine mobile number (09171234567 or +639171234567) with a prefix in use: what
# server/address.normalise_phone takes, narrowed to the form the document can state.
PH_MOBILE = r"^(\+63|0)9(0[5-9]|1[0-24-9]|[23][0-9]|4[2-9]|[5-7][0-9]|8[135-9]|9[1-9])[0-9]{7}$"
ZERO_PESOS = r"^0{1,10}(\.0{1,2})?$"
# Region names are matched ignoring case and spacing; the document lists the codes and the names.
REGION_NAMES = sorted({code for code in REGIONS} | {n for names in REGIONS.values() for n in names})
# Pesos as the counted remittance's keys: "1000" ... "1", and "0.25".
DENOMINATION_KEYS = [f"{c // 100}" if c % 100 == 0 else f"{c / 100:g}" for c in DENOMINATIONS]
# The couriers' own status and reason words (server/couriers/schemas.py Word): no control at all.
COURIER_WORD = r"^[^\x00-\x1f\x7f]*$"
NOT_BLANK = r"^(?!\s*$)[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _when(field: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema's if/then: when `field` is `value`, `then` applies too."""
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": then}


def _text(max_length: int, *, min_length: int = 0, pattern: str = NO_CONTROLS) -> dict[str, Any]:
    return {"max_length": max_length, "min_length": min_length or None, "pattern": pattern}


# Per component: property -> schema fields to set (Schema attribute names); "*" for the object.
RULES: dict[str, dict[str, dict[str, Any]]] = {
    "OrderIn": {
        "shop": _text(64, min_length=1),
        "external_id": _text(64, min_length=1, pattern=NOT_BLANK),
        "lines": {"min_items": 1, "max_items": MAX_LINES},
        "*": {
            # A prepaid order has nothing to collect.
            "schema_if": {
                "properties": {"payment_method": {"const": "prepaid"}},
                "required": ["payment_method"],
            },
            "then": {
                "properties": {
                    "cod_amount": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": ZERO_PESOS}]}
                }
            },
        },
    },
    "AddressIn": {
        **{name: _text(limit, min_length=1, pattern=NOT_BLANK) for name, limit in ADDRESS_LIMITS.items()},
        "phone": {
            "pattern": PH_MOBILE,
            "description": "A Philippine mobile number: 09171234567 or +639171234567",
        },
        "region": {"enum": REGION_NAMES, "description": "PSGC region code or name, any case"},
        "zip_code": {"pattern": r"^[0-9]{4}$", "description": "4-digit Philippine ZIP code"},
    },
    "OrderLineIn": {
        "qty": {"minimum": 1, "maximum": MAX_QTY},
        **{name: _text(limit) for name, limit in LINE_LIMITS.items()},
        # The SKU code, or the channel listing (item_id) it is mapped to.
        "*": {
            "any_of": [
                {"required": ["sku"], "properties": {"sku": {"type": "string", "minLength": 1}}},
                {"required": ["item_id"], "properties": {"item_id": {"type": "string", "minLength": 1}}},
            ]
        },
    },
    "AdjustmentLineIn": {"qty": {"schema_not": {"const": 0}, "description": "The signed change, not 0"}},
    "AttemptIn": {
        "received_by": {"description": "Who took the parcel: only when delivered"},
        "reschedule_on": {
            "description": "The day (Asia/Manila) to try again, today or later: only when failed"
        },
        "*": {
            "schema_if": {"properties": {"outcome": {"const": "failed"}}, "required": ["outcome"]},
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string"}, "received_by": {"maxLength": 0}},
            },
            # delivered: no reason, no day to try again
            "schema_else": {"properties": {"reason": {"type": "null"}, "reschedule_on": {"type": "null"}}},
        },
    },
    "RunIn": {"stops": {"min_items": 1, "max_items": 500}},
    "CashIn": {
        "to": {"description": "Required when remitted: who received the cash (not the holder)"},
        "*": {
            "all_of": [
                _when("kind", "remitted", {"required": ["to"], "properties": {"to": {"minLength": 1}}}),
                _when(
                    "kind", "collected", {"required": ["order"], "properties": {"order": {"type": "string"}}}
                ),
            ]
        },
    },
    "BarcodeIn": {
        "code": {
            "pattern": CODE_PATTERN,
            "description": "ean13 (13 digits) and upc (12) end in their check digit; code128 is ASCII",
        },
        "*": {
            "all_of": [
                _when("kind", "ean13", {"properties": {"code": {"pattern": r"^[0-9]{13}$"}}}),
                _when("kind", "upc", {"properties": {"code": {"pattern": r"^[0-9]{12}$"}}}),
                _when("kind", "code128", {"properties": {"code": {"pattern": r"^[\x20-\x7e]+$"}}}),
            ]
        },
    },
    "SkuIn": {"barcodes": {"description": "Each code once"}},
    # Litestar drops a minimum of 0 from a field that may be left out (UNSET); msgspec keeps it.
    "SkuPatch": {"weight_grams": {"minimum": 0}},
    "WarehousePatch": {
        "priority": {"minimum": 0},
        "region": {"enum": ["", *REGION_NAMES]},
        "serves_regions": {"items": Schema(type=OpenAPIType.STRING, enum=REGION_NAMES)},
    },
    "WarehouseIn": {
        "region": {"enum": ["", *REGION_NAMES]},
        "serves_regions": {"items": Schema(type=OpenAPIType.STRING, enum=REGION_NAMES)},
    },
    "NewBins": {
        "bins": {"min_items": 1},
        "*": {"one_of": [{"required": ["code"]}, {"required": ["bins"]}]},  # one bin, or a list
    },
    # A dict's keys and values keep their rules in msgspec; Litestar's document drops them.
    "ShipByRules": {
        "channels": {"property_names": Schema(**_text(16, min_length=1))},
        "working_weekdays": {
            "items": Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=6),
            "description": "Monday is 0",
        },
    },
    "PriorityRules": {
        "channels": {
            "property_names": Schema(**_text(16, min_length=1)),
            "additional_properties": Schema(type=OpenAPIType.INTEGER, minimum=-100_000, maximum=100_000),
        }
    },
    "CourierIn": {
        "status_map": {"property_names": Schema(**_text(64, min_length=1, pattern=COURIER_WORD))},
        "reason_map": {"property_names": Schema(**_text(64, min_length=1, pattern=COURIER_WORD))},
    },
    "RemitIn": {
        "denominations": {
            "property_names": Schema(type=OpenAPIType.STRING, enum=DENOMINATION_KEYS),
            "additional_properties": Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=100_000),
            "description": "Pieces of each note or coin (pesos as keys); they must add up to `amount`",
        }
    },
    # A run is built from the orders given, or from every parcel ready in the warehouse.
    "BuildIn": {
        "*": {
            "any_of": [
                {"required": ["orders"], "properties": {"orders": {"minItems": 1}}},
                {"required": ["warehouse"], "properties": {"warehouse": {"minLength": 1}}},
            ]
        }
    },
    "ShortPickIn": {"found": {"description": "Fewer than `wanted`"}},
    "CountTaskIn": {
        "*": {
            "any_of": [
                {"required": ["bin"], "properties": {"bin": {"type": "string"}}},
                {"required": ["skus"], "properties": {"skus": {"minItems": 1}}},
            ]
        }
    },
}

# Query and path parameters whose rules the handler's signature cannot carry:
# (method, path, name) -> Parameter attributes to set ("schema" fields under "schema").
PARAMETERS: dict[tuple[str, str, str], dict[str, Any]] = {
    # Warehouse staff look in their own warehouse; everyone else must name one (a 422 without).
    # The document states what every caller may send.
    ("get", "/api/v1/lookup", "warehouse"): {
        "required": True,
        "description": "The warehouse's code (warehouse staff may leave it out: their own)",
        "schema": {"one_of": None, "type": OpenAPIType.STRING, "min_length": 1},
    },
    # A period is refused when it ends before it starts (JSON Schema cannot compare two parameters).
    **{
        ("get", f"/api/v1/cod/kpis/{kpi}", name): {"description": text}
        for kpi in ("collection-rate", "rts-rate", "remittance-days")
        for name, text in (
            ("start", "The first day (Asia/Manila), on or before `end`; 29 days before `end` if left out"),
            ("end", "The last day (Asia/Manila), on or after `start`; today if left out"),
        )
    },
}

# Routes that read a file as their raw body (any Content-Type): the document names the bytes.
FILE_BODIES = {
    ("post", "/api/v1/couriers/{code}/remittances"): "The courier's remittance report, CSV or XLSX",
    ("post", "/api/v1/couriers/{code}/statuses"): "The courier's status file, CSV or XLSX",
}

# The sync endpoints read their own bodies (sync/_codec.py): the document names the messages.
SYNC_MESSAGES: dict[str, tuple[type[Any], type[Any]]] = {
    "/sync/v1/push": (PushRequest, PushResponse),
    "/sync/v1/pull": (PullRequest, PullResponse),
    "/sync/v1/sync": (SyncRequest, SyncResponse),
}
CURSOR = r"^[A-Za-z0-9_-]{1,32}:[0-9]{1,16}$"
BLOB_ID = r"^[0-9a-f]{64}$"


def _schema_of(item: Schema | Reference | None, schemas: dict[str, Any]) -> Schema | None:
    if isinstance(item, Reference):
        found = schemas.get(item.ref.rsplit("/", 1)[-1])
        return found if isinstance(found, Schema) else None
    return item


def _request_components(openapi: OpenAPI) -> set[str]:
    """The names of every schema component a request body reaches."""
    schemas = openapi.components.schemas
    found: set[str] = set()
    stack: list[Any] = []
    for item in (openapi.paths or {}).values():
        for method in ("post", "put", "patch", "delete"):
            operation: Operation | None = getattr(item, method, None)
            body = operation.request_body if operation else None
            if isinstance(body, RequestBody):
                stack.extend(media.schema for media in body.content.values())
    while stack:
        item = stack.pop()
        if isinstance(item, Reference):
            name = item.ref.rsplit("/", 1)[-1]
            if name not in found and name in schemas:
                found.add(name)
                stack.append(schemas[name])
        elif isinstance(item, Schema):
            stack.extend(_children(item))
    return found


def _children(schema: Schema) -> list[Any]:
    out: list[Any] = [*(schema.one_of or []), *(schema.any_of or []), *(schema.all_of or [])]
    out.extend((schema.properties or {}).values())
    if isinstance(schema.additional_properties, Schema | Reference):  # a dict's values
        out.append(schema.additional_properties)
    if schema.items is not None:
        out.append(schema.items)
    return out


def _strings_without_rules(schema: Schema) -> None:
    """Give every free string under this schema (not through a $ref) the no-controls pattern."""
    stack: list[Any] = [schema]
    while stack:
        item = stack.pop()
        if not isinstance(item, Schema):
            continue
        if item.type == OpenAPIType.STRING and not (item.pattern or item.enum or item.format or item.const):
            item.pattern = NO_CONTROLS
        if isinstance(item.additional_properties, Schema | Reference) and item.property_names is None:
            item.property_names = Schema(type=OpenAPIType.STRING, pattern=NO_CONTROLS)  # a dict's keys
        stack.extend(_children(item))


def tighten_requests(openapi: OpenAPI) -> None:
    schemas: dict[str, Any] = openapi.components.schemas
    for name in _request_components(openapi):
        schema = schemas[name]
        if not isinstance(schema, Schema):
            continue
        _strings_without_rules(schema)
        if schema.type == OpenAPIType.OBJECT and schema.additional_properties is None:
            schema.additional_properties = False
        for prop, fields in RULES.get(name, {}).items():
            target = schema if prop == "*" else (schema.properties or {}).get(prop)
            if isinstance(target, Schema):
                for attribute, value in fields.items():
                    setattr(target, attribute, value)
    _document_parameters(openapi)
    _document_files(openapi)
    _document_sync(openapi)


def _document_files(openapi: OpenAPI) -> None:
    paths = openapi.paths or {}
    for (method, path), description in FILE_BODIES.items():
        operation: Operation | None = getattr(paths.get(path), method, None)
        if operation is not None:
            operation.request_body = RequestBody(
                description=description,
                content={
                    "application/octet-stream": OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, min_length=1)
                    )
                },
                required=True,
            )


def _document_parameters(openapi: OpenAPI) -> None:
    paths = openapi.paths or {}
    for (method, path, name), fields in PARAMETERS.items():
        operation: Operation | None = getattr(paths.get(path), method, None)
        for parameter in (operation.parameters or []) if operation else []:
            if not isinstance(parameter, Parameter) or parameter.name != name:
                continue
            for attribute, value in fields.items():
                if attribute != "schema":
                    setattr(parameter, attribute, value)
                elif isinstance(parameter.schema, Schema):
                    for key, item in value.items():
                        setattr(parameter.schema, key, item)


def _document_sync(openapi: OpenAPI) -> None:
    """The sync messages as JSON Schema (msgspec's own), under names prefixed `Sync`."""
    types = [t for pair in SYNC_MESSAGES.values() for t in pair]
    (refs, components) = msgspec.json.schema_components(types, ref_template="#/components/schemas/Sync{name}")
    schemas: dict[str, Any] = openapi.components.schemas
    for name, component in components.items():
        schemas[f"Sync{name}"] = component
    for message in ("SyncPushRequest", "SyncPullRequest", "SyncSyncRequest"):
        schemas[message]["properties"]["v"] = {
            "type": "integer",
            "minimum": MIN_PROTOCOL_VERSION,
            "maximum": PROTOCOL_VERSION,
            "description": "The protocol version; integers are written without a fraction",
        }
    for message in ("SyncPushRequest", "SyncSyncRequest"):
        schemas[message]["properties"]["ops"]["maxItems"] = MAX_OPS_PER_PUSH
    for message in ("SyncPullRequest", "SyncSyncRequest"):
        schemas[message]["properties"]["cur"] = {
            "anyOf": [{"type": "string", "pattern": CURSOR}, {"type": "null"}]
        }
    by_type = dict(zip(types, refs, strict=True))
    paths = openapi.paths or {}
    for path, (request, response) in SYNC_MESSAGES.items():
        operation: Operation | None = getattr(paths.get(path), "post", None)
        if operation is None:
            continue
        operation.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=Reference(ref=by_type[request]["$ref"]))},
            required=True,
        )
        responses: dict[str, Any] = dict(operation.responses or {})
        responses["200"] = OpenAPIResponse(
            description="Every op answered (sync/PROTOCOL.md)",
            content={"application/json": OpenAPIMediaType(schema=Reference(ref=by_type[response]["$ref"]))},
        )
        operation.responses = responses
    blobs = paths.get("/sync/v1/blobs/{blob_id}")
    for method in ("get", "put", "head"):
        operation = getattr(blobs, method, None)
        for parameter in (operation.parameters or []) if operation else []:
            if isinstance(parameter, Parameter) and parameter.name == "blob_id":
                parameter.schema = Schema(type=OpenAPIType.STRING, pattern=BLOB_ID)
    binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    put_blob: Operation | None = getattr(blobs, "put", None)
    if put_blob is not None:
        responses = dict(put_blob.responses or {})
        responses.pop("200", None)
        for status, description in (("201", "Stored"), ("200", "Already stored")):
            responses[status] = OpenAPIResponse(description=description)
        put_blob.responses = responses
        put_blob.request_body = RequestBody(
            description="The bytes whose SHA-256 is the blob id (the id of other bytes is a 422)",
            content={"application/octet-stream": OpenAPIMediaType(schema=binary)},
            required=True,
        )
    get_blob: Operation | None = getattr(blobs, "get", None)
    if get_blob is not None:
        responses = dict(get_blob.responses or {})
        responses["200"] = OpenAPIResponse(
            description="The blob's bytes",
            content={"application/octet-stream": OpenAPIMediaType(schema=binary)},
        )
        get_blob.responses = responses
