"""BitMart's error answers, and the shared engine's errors spoken in BitMart's codes.

Every BitMart answer is ``{"code", "message", "trace", "data"}``; 1000 is success. The
engine is shared by every dialect and raises Binance's errors (``errors.BinanceError``):
:func:`from_engine` says what BitMart answers in the same situation.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from paper_exchange import errors
from paper_exchange.faults import Fault

OK = 1000


class BitMartError(Exception):
    """A BitMart refusal: ``code``, ``message`` and the HTTP status BitMart sends with it."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def envelope(code: int, message: str, data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "trace": uuid.uuid4().hex, "data": data}


def ok(data: Any) -> web.Response:
    return web.json_response(envelope(OK, "OK", data))


# -- authentication (BitMart: HTTP 401/403) -------------------------------------------


def key_empty() -> BitMartError:
    return BitMartError(30001, "Header X-BM-KEY is empty", 401)


def key_not_found() -> BitMartError:
    return BitMartError(30002, "Header X-BM-KEY not found", 401)


def sign_empty() -> BitMartError:
    return BitMartError(30004, "Header X-BM-SIGN is empty", 401)


def sign_wrong() -> BitMartError:
    return BitMartError(30005, "Header X-BM-SIGN is wrong", 401)


def timestamp_empty() -> BitMartError:
    return BitMartError(30006, "Header X-BM-TIMESTAMP is empty", 401)


def timestamp_out_of_range() -> BitMartError:
    return BitMartError(30007, "Header X-BM-TIMESTAMP range. Within a minute", 401)


def timestamp_format() -> BitMartError:
    return BitMartError(30008, "Header X-BM-TIMESTAMP invalid format", 401)


def body_not_json() -> BitMartError:
    return BitMartError(30018, "Request Body requires JSON format")


# -- spot (BitMart: HTTP 400) ---------------------------------------------------------


def bad_request(detail: str) -> BitMartError:
    return BitMartError(50000, f"Bad Request [{detail}]")


def symbol_not_found() -> BitMartError:
    return BitMartError(50001, "Symbol not found")


def public_symbol_invalid() -> BitMartError:
    # The quotation (v3) endpoints answer an unknown symbol with HTTP 200.
    return BitMartError(70002, "symbol is invalid", 200)


def order_id_not_found() -> BitMartError:
    return BitMartError(50005, "Order Id not found")


def invalid(name: str) -> BitMartError:
    return BitMartError(50021, f"Invalid {name}")


def required(name: str) -> BitMartError:
    code = {"size": 50010, "price": 50011, "notional": 50012}.get(name, 50028)
    return BitMartError(code, f"RequestParam {name} is required")


def already_canceled() -> BitMartError:
    return BitMartError(50030, "Order is already canceled")


def already_completed() -> BitMartError:
    return BitMartError(50031, "Order is already completed")


def order_does_not_exist() -> BitMartError:
    return BitMartError(50032, "Order does not exist")


def client_order_id_too_long() -> BitMartError:
    return BitMartError(50037, "The maximum length of clientOrderId cannot exceed 32")


def client_order_id_alphabet() -> BitMartError:
    return BitMartError(50038, "ClientOrderId only allows a combination of numbers and letters")


def order_ref_missing() -> BitMartError:
    return BitMartError(50039, "Order_id and clientOrderId cannot be empty at the same time")


def duplicate_client_order_id() -> BitMartError:
    return BitMartError(50042, "clientOrderId is duplicate")


def from_engine(err: errors.BinanceError) -> BitMartError:
    """BitMart's answer where the shared engine refused in Binance's terms."""
    if err.code == -1121:
        return symbol_not_found()
    if err.msg == "Account has insufficient balance for requested action.":
        return BitMartError(50020, "Balance not enough")
    if err.msg == "Duplicate order sent.":
        return duplicate_client_order_id()
    if err.msg == "Order would immediately match and take.":
        return BitMartError(50034, "The price is high and there is no matching depth")
    if err.code in (-2011, -2013):
        return order_does_not_exist()
    if err.code == -1013:
        name = err.msg.removeprefix("Filter failure: ")
        return {
            "PRICE_FILTER": invalid("price"),
            "LOT_SIZE": BitMartError(50006, "Minimum size is out of range"),
            "MARKET_LOT_SIZE": BitMartError(50007, "Maximum size is out of range"),
            "NOTIONAL": BitMartError(51011, "param not match : size * price is out of range"),
        }.get(name, bad_request(name))
    return bad_request(err.msg)


def render_error(err: Exception) -> web.Response | None:
    if isinstance(err, errors.BinanceError):
        err = from_engine(err)
    if not isinstance(err, BitMartError):
        return None
    return web.json_response(envelope(err.code, err.message, {}), status=err.status)


def render_fault(fault: Fault) -> web.Response:
    """BitMart's answer for an injected HTTP fault (codes 30014, 59002, 30013, 30017).
    BitMart reports its rate-limit window in X-BM-RateLimit-* headers, not Retry-After."""
    code, message, status = {
        "http_503": (30014, "Service unavailable", 503),
        "http_500": (59002, "Internal Server Error", 500),
        "http_429": (30013, "Request too many requests", 429),
        "http_418": (
            30017,
            "Your account request is temporarily rejected due to violation of current "
            "limiting rules",
            418,
        ),
    }[fault.kind]
    headers = {}
    if status in (429, 418):
        headers = {
            "X-BM-RateLimit-Reset": str(fault.retry_after_s),
            "X-BM-RateLimit-Limit": "40",
            "X-BM-RateLimit-Remaining": "41",
        }
    body = fault.body if fault.body is not None else envelope(code, message, {})
    return web.json_response(body, status=status, headers=headers)
