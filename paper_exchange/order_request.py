"""Turning ``POST /api/v3/order`` parameters into a validated :class:`OrderRequest`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from paper_exchange import errors
from paper_exchange.params import Params

SIDES = frozenset({"BUY", "SELL"})
TYPES = frozenset(
    {
        "LIMIT",
        "LIMIT_MAKER",
        "MARKET",
        "STOP_LOSS",
        "STOP_LOSS_LIMIT",
        "TAKE_PROFIT",
        "TAKE_PROFIT_LIMIT",
    }
)
# Limit-priced types: timeInForce, quantity and price are mandatory.
_LIMIT_PRICED = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_STOP_MARKET = frozenset({"STOP_LOSS", "TAKE_PROFIT"})
TIME_IN_FORCE = frozenset({"GTC", "IOC", "FOK"})
RESP_TYPES = frozenset({"ACK", "RESULT", "FULL"})
STP_MODES = frozenset({"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"})
DEFAULT_STP_MODE = "EXPIRE_MAKER"


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    time_in_force: str | None
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    price: Decimal | None
    client_order_id: str | None
    resp_type: str
    stp_mode: str
    stop_price: Decimal | None = None


def parse_order_request(params: Params) -> OrderRequest:
    """Binance's parameter rules per order type (-1102 missing, -1106 not required, ...)."""
    symbol = params.str_req("symbol")
    side = params.str_req("side")
    if side not in SIDES:
        raise errors.BinanceError(-1117, "Invalid side.")
    order_type = params.str_req("type")
    if order_type not in TYPES:
        raise errors.BinanceError(-1116, "Invalid orderType.")
    tif = params.str_opt("timeInForce")
    if tif is not None and tif not in TIME_IN_FORCE:
        raise errors.BinanceError(-1115, "Invalid timeInForce.")
    resp_type = params.str_opt("newOrderRespType") or "FULL"
    if resp_type not in RESP_TYPES:
        raise errors.BinanceError(-1122, "Invalid newOrderRespType.")  # older spot docs
    stp_mode = params.str_opt("selfTradePreventionMode") or DEFAULT_STP_MODE
    if stp_mode not in STP_MODES:
        raise errors.BinanceError(-1100, "Invalid selfTradePreventionMode.")
    client_order_id = params.client_order_id("newClientOrderId")
    quantity = params.decimal_opt("quantity")
    quote_qty = params.decimal_opt("quoteOrderQty")
    price = params.decimal_opt("price")
    stop_price = params.decimal_opt("stopPrice")
    _check_stop_price(order_type, stop_price)

    if order_type in _LIMIT_PRICED:
        if tif is None:
            raise errors.mandatory_param("timeInForce")
        if quantity is None:
            raise errors.mandatory_param("quantity")
        if price is None:
            raise errors.mandatory_param("price")
        if quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
    elif order_type in _STOP_MARKET:
        if tif is not None:
            raise errors.not_required("timeInForce")
        if price is not None:
            raise errors.not_required("price")
        if quantity is None:
            raise errors.mandatory_param("quantity")
        if quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
    elif order_type == "LIMIT_MAKER":
        if tif is not None:
            raise errors.not_required("timeInForce")
        if quantity is None:
            raise errors.mandatory_param("quantity")
        if price is None:
            raise errors.mandatory_param("price")
        if quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
    else:  # MARKET
        if tif is not None:
            raise errors.not_required("timeInForce")
        if price is not None:
            raise errors.not_required("price")
        if quantity is None and quote_qty is None:
            raise errors.one_of_params("quantity", "quoteOrderQty")
        if quantity is not None and quote_qty is not None:
            raise errors.not_required("quoteOrderQty")

    return OrderRequest(
        symbol=symbol,
        side=side,
        type=order_type,
        time_in_force=tif,
        quantity=quantity,
        quote_order_qty=quote_qty,
        price=price,
        client_order_id=client_order_id,
        resp_type=resp_type,
        stp_mode=stp_mode,
        stop_price=stop_price,
    )


def _check_stop_price(order_type: str, stop_price: Decimal | None) -> None:
    """Stop types need ``stopPrice`` (trailing stops are not simulated); others refuse it."""
    is_stop = order_type in _STOP_MARKET or order_type.endswith("_LIMIT")
    if is_stop and stop_price is None:
        raise errors.one_of_params("stopPrice", "trailingDelta")
    if not is_stop and stop_price is not None:
        raise errors.not_required("stopPrice")
