"""One JSON shape for every failure:

    {"error": {"code": "not_found", "message": "...", "details": ..., "request_id": "..."}}

Validation errors name the field (`details` lists `{"field", "message"}`); 5xx responses
say nothing about the cause (no stack trace, no exception text) and carry the request id
to quote. Litestar's own exceptions (404 for an unknown path, 405, 413, a malformed JSON
body) go through the same handlers.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.orders.intents import IdempotencyKeyReused
from shared.validation import FieldValidationError
from web.request_context import request_id_of

log = structlog.get_logger("web.errors")

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str
    source: str | None = None


class ErrorDetail(msgspec.Struct, frozen=True):
    code: str
    message: str
    request_id: str
    details: list[FieldError] | None = None


class ErrorResponse(msgspec.Struct, frozen=True):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(HTTPException):
    """An HTTP error with our own code (e.g. `idempotency_key_missing`)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, status_code=status_code, headers=headers)
        self.code = code or CODES.get(status_code, "error")
        self.details = details


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    message: str,
    *,
    code: str | None = None,
    details: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorResponse]:
    body = ErrorResponse(
        ErrorDetail(
            code=code or CODES.get(status_code, "error"),
            message=message,
            request_id=request_id_of(request.scope),
            details=details,
        )
    )
    return Response(body, status_code=status_code, headers=headers, media_type=MediaType.JSON)


_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _field_errors(extra: Any) -> list[FieldError]:
    """Litestar's validation `extra` ([{message, key, source}]) with the field spelled out:
    an unknown or missing field is reported on its parent ("data"), so take its name from
    the message."""
    if not isinstance(extra, list):
        return []
    errors: list[FieldError] = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key", ""))
        source = item.get("source")
        parts = [] if key in ("", "data") else key.split(".")
        if named := _NAMED_FIELD.search(message):
            parts.append(named.group(1))
        if key == "data" and message == "'data'":
            message = "a JSON object body is required"
        field = ".".join(parts) or ("body" if source == "body" else key or "request")
        errors.append(
            FieldError(field=field, message=message, source=str(source) if source else None)
        )
    return errors


def _describe(errors: list[FieldError]) -> str:
    return "; ".join(f"{error.field}: {error.message}" for error in errors)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status_code = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ApiError):
        return error_response(
            request, status_code, exc.detail, code=exc.code, details=exc.details, headers=headers
        )
    if isinstance(exc, ValidationException):
        details = _field_errors(exc.extra)
        message = f"invalid request: {_describe(details)}" if details else exc.detail
        return error_response(request, status_code, message, details=details or None)
    if status_code >= 500 and status_code != 503:
        return handle_unexpected(request, exc)
    message = exc.detail or HTTPStatus(status_code).phrase
    if status_code == 404 and message == "Not Found":
        message = f"no such resource: {request.method} {request.url.path}"
    elif status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(request, status_code, message, headers=headers)


def handle_not_found(request: Request[Any, Any, Any], exc: NotFoundError) -> Response[Any]:
    return error_response(request, 404, str(exc))


def handle_conflict(request: Request[Any, Any, Any], exc: ConflictError) -> Response[Any]:
    return error_response(request, 409, str(exc))


def handle_validation(request: Request[Any, Any, Any], exc: ValidationError) -> Response[Any]:
    if isinstance(exc, IdempotencyKeyReused):
        return error_response(request, 422, str(exc), code="idempotency_key_reused")
    if isinstance(exc, FieldValidationError):
        details = [FieldError(field=exc.field, message=exc.reason)]
        return error_response(request, 422, str(exc), details=details)
    return error_response(request, 422, str(exc))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request_id_of(request.scope)
    # The traceback goes to the log (secrets are redacted there), never to the caller.
    log.error(
        "unhandled error",
        error_type=type(exc).__name__,
        method=request.method,
        path=request.url.path,
        exc_info=exc,
    )
    return error_response(
        request,
        500,
        f"internal error; quote request id {request_id} when reporting it",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: handle_http_exception,
    NotFoundError: handle_not_found,
    ConflictError: handle_conflict,
    ValidationError: handle_validation,
    Exception: handle_unexpected,
}
