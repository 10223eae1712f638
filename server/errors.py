"""Every error leaves Bodega as Problem Details (RFC 9457), naming the field when there is one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.logs import request_id_of

log = structlog.get_logger("bodega.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, omit_defaults=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = msgspec.field(default_factory=list)
    request_id: str = ""


class BodegaError(Exception):
    """A refusal with a clear reason. Subclasses set the status and problem type."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)

    @property
    def status_code(self) -> int:
        return self.status

    def __reduce__(self) -> tuple[type[BodegaError], tuple[str, list[FieldError]]]:
        # Keep the field errors when the error crosses from the writer process.
        return (self.__class__, (self.detail, self.errors))


class InvalidInput(BodegaError):
    status = 422
    slug = "invalid-input"
    title = "The request has invalid fields"


class NotFound(BodegaError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(BodegaError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "That status change is not allowed"


class TooManyAttempts(BodegaError):
    status = 429
    slug = "too-many-attempts"
    title = "Too many attempts"
    retry_after = 60  # seconds; raisers that know better set it on the instance


def problem_type(slug: str) -> str:
    return f"https://bodega.ph/problems/{slug}"


def _respond(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None = None
) -> Response[bytes]:
    problem.request_id = request_id_of(request.scope)
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_AT_PATH = re.compile(r"- at `\$\.([^`]+)`")


def _field_from_message(message: str) -> str | None:
    """msgspec says e.g. "Object missing required field `sku` - at `$.lines[0]`": that is lines[0].sku."""
    at = _AT_PATH.search(message)
    missing = _MISSING_FIELD.search(message)
    if at and missing:
        return f"{at.group(1)}.{missing.group(1)}"
    if at or missing:
        return (at or missing).group(1)  # type: ignore[union-attr]
    return None


def _validation_errors(extra: Any) -> list[FieldError]:
    """Litestar reports body problems against `data`; name the real field (msgspec says `$.lines[0].qty`)."""
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                key = str(item.get("key") or item.get("source") or "body")
                message = str(item.get("message", "invalid"))
                if key in ("data", "body"):
                    key = _field_from_message(message) or key
                errors.append(FieldError(field=key, message=message))
    return errors


def handle_bodega_error(request: Request[Any, Any, Any], exc: BodegaError) -> Response[bytes]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return _respond(
        request,
        Problem(
            type=problem_type(exc.slug),
            title=exc.title,
            status=exc.status,
            detail=exc.detail,
            errors=exc.errors,
        ),
        headers,
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra)
        detail = exc.detail if not errors else "; ".join(f"{e.field}: {e.message}" for e in errors)
        return _respond(
            request,
            Problem(
                type=problem_type("invalid-input"),
                title=InvalidInput.title,
                status=422,
                detail=detail,
                errors=errors,
            ),
        )
    slug = {
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        429: "too-many-attempts",
    }.get(exc.status_code, "http-error")
    if isinstance(exc, NotAuthorizedException):
        title = "Log in first"
    elif isinstance(exc, PermissionDeniedException):
        title = "Your role may not do this"
    else:
        title = exc.detail or "Error"
    return _respond(
        request,
        Problem(type=problem_type(slug), title=title, status=exc.status_code, detail=exc.detail),
        dict(exc.headers) if exc.headers else None,
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled_error", path=request.url.path, error=repr(exc))
    return _respond(
        request,
        Problem(
            type=problem_type("internal"),
            title="Something went wrong on our side",
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            detail="The error was logged with this request id.",
        ),
    )


exception_handlers: dict[Any, Any] = {
    BodegaError: handle_bodega_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
