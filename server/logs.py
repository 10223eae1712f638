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
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping().get(level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


# Request ids: a random per-process prefix and a counter; unique across processes and restarts
# without paying for os.urandom on every request.
_ID_PREFIX = uuid.uuid4().hex[:12] + "-"
_ids = itertools.count(1)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give each request an id (or keep the caller's X-Request-ID), log it, echo it back."""
    log = structlog.get_logger("bodega.http")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = incoming or f"{_ID_PREFIX}{next(_ids):x}"
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            if status >= 400 or _log_every_request:
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")

    return middleware
