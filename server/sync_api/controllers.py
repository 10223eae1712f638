"""The /sync/v1 endpoints (PROTOCOL.md §1). Thin: bytes in, the service, bytes out.

Bodies are read and decoded by the protocol's own codec (sync.read_request), not by Litestar, so
every refusal is the protocol's Problem Details with its `code`, and a malformed op is answered in
its result instead of failing the batch. No `from __future__ import annotations`: Litestar reads
these signatures at runtime.
"""

import uuid
from typing import Any

import msgspec
import structlog
from litestar import Request, Response, Router, get, head, post, put
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath

from server.auth.principal import EVERYONE, Principal
from server.db import Database
from server.errors import handle_http_exception
from server.sync_api.blobs import MAX_BLOB_BYTES, check_blob, check_blob_id, has_blob, load_blob, store_blob
from server.sync_api.http import (
    problem_response,
    read_limited,
    reply,
    response_format,
    revoked,
    unavailable,
)
from server.sync_api.service import Endpoint, service_of
from sync import (
    MalformedOp,
    Op,
    Problem,
    ProtocolError,
    PullRequest,
    PushRequest,
    SyncRequest,
    format_of,
    read_body,
    read_request,
)

log = structlog.get_logger("bodega.sync")

_MESSAGES: dict[str, type[PushRequest | PullRequest | SyncRequest]] = {
    "push": PushRequest,
    "pull": PullRequest,
    "sync": SyncRequest,
}


def _same_device(dev: str, device_id: uuid.UUID, as_text: str) -> bool:
    if dev == as_text:  # the usual case, without parsing a UUID per op
        return True
    try:
        return uuid.UUID(dev) == device_id
    except ValueError:
        return False


def _raw_elements(data: bytes, fmt: str, items: list[Op | MalformedOp]) -> dict[int, Any]:
    """The malformed elements as sent, so the journal keeps them for a person (rare: decode again)."""
    positions = [i.position for i in items if isinstance(i, MalformedOp)]
    if not positions:
        return {}
    try:
        body: Any = msgspec.json.decode(data) if fmt == "json" else msgspec.msgpack.decode(data)
        ops: list[Any] = body["ops"]
        return {p: ops[p] for p in positions}
    except Exception:  # what could not be read is described by the op's reason instead
        return {}


async def exchange(request: Request[Principal, Any, Any], endpoint: Endpoint) -> Response[bytes]:
    principal = request.user
    try:
        fmt = format_of(request.headers.get("content-type"))
        out = response_format(request.headers.get("accept"), fmt)
        data = read_body(await read_limited(request), request.headers.get("content-encoding"))
        incoming = read_request(data, fmt, _MESSAGES[endpoint])
        mine = str(principal.device_id)
        for item in incoming.items:
            if isinstance(item, Op) and not _same_device(item.dev, principal.device_id, mine):
                raise ProtocolError(
                    "sync-wrong-device",
                    f"op {item.id} belongs to device {item.dev[:64]}, not {principal.device_id}",
                )
    except ProtocolError as exc:
        return problem_response(request, exc.problem)
    raw = _raw_elements(data, fmt, incoming.items)
    try:
        message = await service_of(request.app).handle(principal, incoming, endpoint, out, raw)
    except Exception as exc:
        # Nothing was committed: the phone keeps its ops and retries, and gets duplicates if the
        # commit did happen after all.
        log.exception("sync_request_failed", error=repr(exc)[:300])
        return problem_response(
            request, unavailable("the database refused the write; retry"), {"Retry-After": "5"}
        )
    return reply(request, message, out)


@post("/sync", opt=EVERYONE, summary="Push ops and pull changes in one round trip", status_code=200)
async def sync_exchange(request: Request[Principal, Any, Any]) -> Response[bytes]:
    return await exchange(request, "sync")


@post("/push", opt=EVERYONE, summary="Upload ops: journalled, judged, answered one by one", status_code=200)
async def push(request: Request[Principal, Any, Any]) -> Response[bytes]:
    return await exchange(request, "push")


@post("/pull", opt=EVERYONE, summary="Download the caller's scopes since a cursor", status_code=200)
async def pull(request: Request[Principal, Any, Any]) -> Response[bytes]:
    return await exchange(request, "pull")


@put(
    "/blobs/{blob_id:str}",
    opt=EVERYONE,
    summary="Upload a photo or signature under its SHA-256 (idempotent)",
    request_max_body_size=MAX_BLOB_BYTES + 1,
)
async def put_blob(request: Request[Principal, Any, Any], blob_id: FromPath[str]) -> Response[bytes]:
    try:
        check_blob_id(blob_id)
        data = await read_limited(request, MAX_BLOB_BYTES)
        check_blob(blob_id, data)
    except ProtocolError as exc:
        if exc.problem.code == "sync-body-too-large":
            exc = ProtocolError("blob-too-large", f"more than {MAX_BLOB_BYTES} bytes", limit=MAX_BLOB_BYTES)
        return problem_response(request, exc.problem)
    db: Database = request.app.state.db
    created = await db.run_write(store_blob, blob_id, data)
    return Response(content=b"", status_code=201 if created else 200)


@head("/blobs/{blob_id:str}", opt=EVERYONE, summary="Is this blob on the server?", status_code=200)
async def blob_exists(request: Request[Principal, Any, Any], blob_id: FromPath[str]) -> Response[None]:
    db: Database = request.app.state.db
    found = is_id(blob_id) and await db.run_read(has_blob, blob_id)
    return Response(content=None, status_code=200 if found else 404)


@get("/blobs/{blob_id:str}", opt=EVERYONE, summary="Download a blob (immutable)")
async def get_blob(request: Request[Principal, Any, Any], blob_id: FromPath[str]) -> Response[bytes]:
    try:
        check_blob_id(blob_id)
    except ProtocolError as exc:
        return problem_response(request, exc.problem)
    db: Database = request.app.state.db
    data = await db.run_read(load_blob, blob_id)
    if data is None:
        missing = Problem(
            type="https://bodega.ph/problems/not-found",
            title="Not found",
            status=404,
            detail=f"no blob {blob_id} on this server (yet)",
        )
        return problem_response(request, missing)
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(content=data, media_type="application/octet-stream", headers=headers)


def is_id(blob_id: str) -> bool:
    try:
        check_blob_id(blob_id)
    except ProtocolError:
        return False
    return True


def _unauthorized(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """A token that does not resolve (revoked, logged out) gets the protocol's own code."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return problem_response(request, revoked())
    return handle_http_exception(request, exc)


sync_router = Router(
    path="/sync/v1",
    route_handlers=[sync_exchange, push, pull, put_blob, blob_exists, get_blob],
    exception_handlers={NotAuthorizedException: _unauthorized},
    tags=["sync"],
)

sync_routes: list[Any] = [sync_router]
