"""Structured logs (JSON lines) with a request id on every line written while serving a request."""

from __future__ import annotations

import itertools
import logging
import sys
import time
import uuid
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_log_every_request = False


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    global _log_every_request
    # At DEBUG every request is logged; otherwise only the ones that went wrong (4xx/5xx),
    # so logging does not cost the hot paths thousands of lines a second.
    _log_every_request = level == "DEBUG"
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level, logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


# Request ids: a random per-process prefix and a counter; unique across processes and restarts
# without paying for os.urandom on every request.
_ID_PREFIX = uuid.uuid4().hex[:12] + "-"
_ids = itertools.count(1)


def request_id_of(scope: Scope) -> str:
    """The request's id: the caller's X-Request-ID if sent, else a new one; assigned once."""
    state = scope.setdefault("state", {})
    request_id: str | None = state.get("request_id")
    if request_id is None:
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = incoming or f"{_ID_PREFIX}{next(_ids):x}"
        state["request_id"] = request_id
        state["started"] = time.perf_counter()
    return request_id


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Bind the request id to every log line written while the request is handled."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        structlog.contextvars.bind_contextvars(request_id=request_id_of(scope))
        try:
            await app(scope, receive, send)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")

    return middleware


_http_log = structlog.get_logger("bodega.http")


async def stamp_response(message: Message, scope: Scope) -> None:
    """before_send hook: every response, errors raised anywhere included, carries X-Request-ID,
    and every failed request (4xx/5xx) is logged as one JSON line."""
    if message["type"] != "http.response.start" or scope["type"] != "http":
        return
    request_id = request_id_of(scope)
    headers = list(message.get("headers", []))
    headers.append((b"x-request-id", request_id.encode("latin-1")))
    message["headers"] = headers
    status = message["status"]
    if status >= 400 or _log_every_request:
        started = scope.get("state", {}).get("started", time.perf_counter())
        _http_log.info(
            "request",
            request_id=request_id,
            method=scope.get("method"),
            path=scope.get("path"),
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
