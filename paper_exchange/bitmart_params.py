"""BitMart request parameters, checked as BitMart checks them, for the BitMart dialect:
decimals, list limits, client order ids, and a submit_order body → the engine's request.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from paper_exchange import bitmart_errors as bm
from paper_exchange.bitmart_shapes import STP_MODES
from paper_exchange.config import SymbolSpec
from paper_exchange.order_request import OrderRequest

ORDER_TYPES = frozenset({"limit", "market", "limit_maker", "ioc"})


def decimal_param(body: dict[str, Any], name: str) -> Decimal | None:
    raw = body.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise bm.invalid(name) from None
    if not value.is_finite() or value <= 0:
        raise bm.invalid(name)
    return value


def query_limit(raw: Any, default: int, maximum: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except (TypeError, ValueError):
        raise bm.invalid("limit") from None
    return max(1, min(value, maximum))


def _client_order_id(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise bm.invalid("client_order_id")
    if len(raw) > 32:
        raise bm.client_order_id_too_long()
    if not (raw.isascii() and raw.isalnum()):
        raise bm.client_order_id_alphabet()
    return raw


def order_request(spec: SymbolSpec, body: dict[str, Any]) -> OrderRequest:
    side, order_type = body.get("side"), body.get("type")
    if side not in ("buy", "sell"):
        raise bm.invalid("side")
    if order_type not in ORDER_TYPES:
        raise bm.invalid("type")
    stp_mode = body.get("stpMode", "none")
    if stp_mode not in STP_MODES:
        raise bm.invalid("stpMode")
    size, price, notional = (decimal_param(body, n) for n in ("size", "price", "notional"))
    if order_type == "market":
        if side == "buy" and notional is None:
            raise bm.required("notional")
        if side == "sell" and size is None:
            raise bm.required("size")
        engine_type, tif, price = "MARKET", None, None
        size, notional = (None, notional) if side == "buy" else (size, None)
    else:
        if size is None:
            raise bm.required("size")
        if price is None:
            raise bm.required("price")
        engine_type = "LIMIT_MAKER" if order_type == "limit_maker" else "LIMIT"
        tif = {"limit": "GTC", "ioc": "IOC"}.get(order_type)
        notional = None
    return OrderRequest(
        symbol=spec.symbol, side=side.upper(), type=engine_type, time_in_force=tif,
        quantity=size, quote_order_qty=notional, price=price,
        client_order_id=_client_order_id(body.get("client_order_id")),
        resp_type="ACK", stp_mode=STP_MODES[stp_mode],
    )  # fmt: skip
