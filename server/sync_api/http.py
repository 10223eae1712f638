"""HTTP details of the sync endpoints: bounded body reading, content negotiation, gzip, and
Problem Details with the protocol's machine-readable codes (PROTOCOL.md §1)."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
from litestar import Request, Response

from sync import (
    MAX_WIRE_BYTES,
    Format,
    Problem,
    ProtocolError,
    encode,
    format_of,
    gzip_body,
    media_type,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
GZIP_ABOVE = 512  # bytes: smaller bodies grow under gzip's 18 bytes of framing


async def read_limited(request: Request[Any, Any, Any], limit: int = MAX_WIRE_BYTES) -> bytes:
    """The body as sent, refused as soon as it passes `limit` (before reading it all)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ProtocolError("sync-body-too-large", f"{length} bytes sent", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError("sync-body-too-large", f"more than {limit} bytes sent", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def response_format(accept: str | None, request_format: Format) -> Format:
    """The first type the client accepts that we speak; else the request's own format."""
    for part in (accept or "").split(","):
        with contextlib.suppress(ProtocolError):
            base = part.split(";", 1)[0].strip()
            if base and base != "*/*":
                return format_of(base)
    return request_format


def reply(request: Request[Any, Any, Any], message: Any, fmt: Format) -> Response[bytes]:
    body = encode(message, fmt)
    headers: dict[str, str] = {}
    if len(body) > GZIP_ABOVE and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip_body(body)
        headers["content-encoding"] = "gzip"
    return Response(content=body, media_type=media_type(fmt), headers=headers, status_code=200)


def problem_response(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None = None
) -> Response[bytes]:
    request_id = request.scope.get("state", {}).get("request_id", "")
    body = encode(msgspec.structs.replace(problem, request_id=request_id), "json")
    return Response(content=body, media_type=PROBLEM_MEDIA_TYPE, status_code=problem.status, headers=headers)


def unavailable(detail: str) -> Problem:
    return Problem(
        type="https://bodega.ph/problems/sync-unavailable",
        title="The server could not store this request now: try again",
        status=503,
        detail=detail,
        code="sync-unavailable",
    )


def revoked() -> Problem:
    return ProtocolError(
        "sync-device-revoked", "this device's token is not valid: it was revoked or logged out"
    ).problem
