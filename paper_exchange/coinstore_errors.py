"""Coinstore's error answers, its request signing, and the dialect's entry in the middleware.

Coinstore answers `{"code": ..., "message": ..., "data": ...}`; code 0 is success. The
codes are the documented ones (coinstore-openapi.github.io, "Error Code"); the shared
engine raises Binance errors, translated here into the code Coinstore documents for the
same refusal. A refusal Coinstore documents no code for (a filter failure, a post-only
order that would take) is HTTP 400 "Invalid request format", refused before processing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from aiohttp import web

from paper_exchange import errors
from paper_exchange.faults import Fault
from paper_exchange.middleware import Dialect

KEY_PERIOD_MS = 30_000


class CoinstoreError(Exception):
    """A refusal: the body's ``code`` and ``message`` and the HTTP ``status``."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        body = {"code": self.code, "message": self.message, "data": None}
        return web.json_response(body, status=self.status, headers=headers)


def api_key_error() -> CoinstoreError:
    return CoinstoreError(401, "signature-failed: Api key error", status=401)


def signature_failure() -> CoinstoreError:
    return CoinstoreError(1401, "unauthorized: Signature failure")


def signature_error() -> CoinstoreError:
    return CoinstoreError(3005, "signature error: Signature generation error")


def symbol_not_found() -> CoinstoreError:
    return CoinstoreError(3011, "symbol not found")


def order_not_found() -> CoinstoreError:
    return CoinstoreError(3103, "order-not-found")


def duplicate_order() -> CoinstoreError:
    return CoinstoreError(3111, "duplicate-order")


def insufficient() -> CoinstoreError:
    return CoinstoreError(3113, "account-insufficient")


def bad_request(message: str) -> CoinstoreError:
    return CoinstoreError(400, message, status=400)


def signature(secret: str, expires_ms: int, payload: bytes) -> str:
    """X-CS-SIGN: HMAC-SHA256 keyed by the hex HMAC of the 30 s period, over the payload."""
    period = str(expires_ms // KEY_PERIOD_MS).encode()
    key = hmac.new(secret.encode(), period, hashlib.sha256).hexdigest()
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def translate(err: errors.BinanceError) -> CoinstoreError:
    """The Coinstore answer for a refusal of the shared (Binance-speaking) engine."""
    if err.status == 429:
        return CoinstoreError(429, "too many visits", status=429)
    if err.code == -1121:
        return symbol_not_found()
    if err.code in (-2011, -2013):
        return order_not_found()
    if err.code == -2010 and "insufficient" in err.msg:
        return insufficient()
    if err.code == -2010 and "Duplicate" in err.msg:
        return duplicate_order()
    return bad_request(err.msg)


def render_error(err: Exception) -> web.Response | None:
    if isinstance(err, errors.BinanceError):
        err = translate(err)
    if isinstance(err, CoinstoreError):
        return err.response()
    return None


_FAULT_BODIES: dict[str, tuple[int, str]] = {
    "http_503": (503, "Service Unavailable"),
    "http_500": (500, "internal server error"),
    "http_429": (429, "too many visits"),
    "http_418": (418, "ip banned"),
}


def render_fault(fault: Fault) -> web.Response:
    status, message = _FAULT_BODIES[fault.kind]
    body: Any = fault.body if fault.body is not None else {"code": status, "message": message}
    headers = {"Retry-After": str(fault.retry_after_s)} if status in (418, 429) else None
    return web.json_response(body, status=status, headers=headers)


COINSTORE = Dialect(
    name="coinstore",
    prefix="/coinstore/",
    api_key_header="X-CS-APIKEY",
    render_error=render_error,
    render_fault=render_fault,
)
