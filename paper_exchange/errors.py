"""Binance error codes, their HTTP statuses and messages.

Every rejection the venue makes is a :class:`BinanceError`; the API layer turns it into
``{"code": ..., "msg": ...}`` with the HTTP status Binance uses for that code.
"""

from __future__ import annotations

from typing import Any

DECIMAL_PATTERN = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_PATTERN = r"^[0-9]{1,20}$"


class BinanceError(Exception):
    """A Binance API error: ``code`` (negative int), ``msg`` and the HTTP ``status``."""

    def __init__(
        self,
        code: int,
        msg: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def too_many_requests(limit: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
    )


def ip_banned(until_ms: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
        status=418,
    )


def timestamp_outside_window() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def timestamp_ahead(tolerance_ms: int) -> BinanceError:
    return BinanceError(
        -1021, f"Timestamp for this request was {tolerance_ms}ms ahead of the server's time."
    )


def invalid_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def illegal_chars(param: str, pattern: str) -> BinanceError:
    return BinanceError(
        -1100,
        f"Illegal characters found in parameter '{param}'; legal range is '{pattern}'.",
    )


def mandatory_param(param: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def one_of_params(first: str, second: str) -> BinanceError:
    return BinanceError(
        -1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!"
    )


def not_required(param: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{param}' sent when not required.")


def bad_recv_window(max_ms: int) -> BinanceError:
    return BinanceError(-1131, f"recvWindow must be less than {max_ms}.")


def invalid_enum(code: int, msg: str) -> BinanceError:
    return BinanceError(code, msg)


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def invalid_quantity() -> BinanceError:
    return BinanceError(-1013, "Invalid quantity.")


def invalid_price() -> BinanceError:
    return BinanceError(-1013, "Invalid price.")


def insufficient_balance() -> BinanceError:
    return BinanceError(-2010, "Account has insufficient balance for requested action.")


def duplicate_order() -> BinanceError:
    return BinanceError(-2010, "Duplicate order sent.")


def would_take() -> BinanceError:
    return BinanceError(-2010, "Order would immediately match and take.")


def unknown_order() -> BinanceError:
    return BinanceError(-2011, "Unknown order sent.")


def order_does_not_exist() -> BinanceError:
    return BinanceError(-2013, "Order does not exist.")


def api_key_format_invalid() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.", status=401)


def invalid_api_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)
