"""``POST /api/v3/orderList/oco``: parsing, Binance's checks, and placing the pair.

An OCO has an *above* and a *below* leg of the same side and quantity: one a stop loss
(``STOP_LOSS``/``STOP_LOSS_LIMIT``), the other a take profit (``LIMIT_MAKER``,
``TAKE_PROFIT``, ``TAKE_PROFIT_LIMIT``). Price rules against the last price (the mid):
the above leg's prices are above it and the below leg's below it, so a SELL protects a
long (take profit above, stop loss below) and a BUY mirrors it. A breach is -2010 "The
relationship of the prices for the orders is not correct.".

The quantity is locked once for the list, on its first leg (the stop loss); the leg
that starts working takes it over (``ConditionalOrders.start_leg``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from paper_exchange import errors, stop_orders
from paper_exchange.accounts import Account
from paper_exchange.engine import Engine, new_client_order_id
from paper_exchange.events import list_update, placement_updates
from paper_exchange.order_lists import OrderList
from paper_exchange.order_request import (
    DEFAULT_STP_MODE,
    RESP_TYPES,
    SIDES,
    STP_MODES,
    TIME_IN_FORCE,
    OrderRequest,
)
from paper_exchange.params import Params

STOP_LOSS_LEG = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})
TAKE_PROFIT_LEG = frozenset({"LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
LEG_TYPES = STOP_LOSS_LEG | TAKE_PROFIT_LEG
_NEEDS_PRICE = frozenset({"LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_NEEDS_STOP = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_NEEDS_TIF = frozenset({"STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


@dataclass(frozen=True)
class OcoRequest:
    symbol: str
    side: str
    quantity: Decimal
    list_client_order_id: str | None
    above: OrderRequest
    below: OrderRequest
    resp_type: str


def bad_prices() -> errors.BinanceError:
    return errors.BinanceError(
        -2010, "The relationship of the prices for the orders is not correct."
    )


def parse_oco_request(params: Params) -> OcoRequest:
    symbol = params.str_req("symbol")
    side = params.str_req("side")
    if side not in SIDES:
        raise errors.BinanceError(-1117, "Invalid side.")
    quantity = params.decimal_req("quantity")
    resp_type = params.str_opt("newOrderRespType") or "FULL"
    if resp_type not in RESP_TYPES:
        raise errors.BinanceError(-1122, "Invalid newOrderRespType.")
    stp_mode = params.str_opt("selfTradePreventionMode") or DEFAULT_STP_MODE
    if stp_mode not in STP_MODES:
        raise errors.BinanceError(-1100, "Invalid selfTradePreventionMode.")
    base = OrderRequest(
        symbol=symbol,
        side=side,
        type="",
        time_in_force=None,
        quantity=quantity,
        quote_order_qty=None,
        price=None,
        client_order_id=None,
        resp_type=resp_type,
        stp_mode=stp_mode,
    )
    return OcoRequest(
        symbol=symbol,
        side=side,
        quantity=quantity,
        list_client_order_id=params.client_order_id("listClientOrderId"),
        above=_leg(params, "above", base),
        below=_leg(params, "below", base),
        resp_type=resp_type,
    )


def _leg(params: Params, prefix: str, base: OrderRequest) -> OrderRequest:
    leg_type = params.str_req(f"{prefix}Type")
    if leg_type not in LEG_TYPES:
        raise errors.BinanceError(-1116, "Invalid orderType.")
    price = params.decimal_opt(f"{prefix}Price")
    stop_price = params.decimal_opt(f"{prefix}StopPrice")
    tif = params.str_opt(f"{prefix}TimeInForce")
    if tif is not None and tif not in TIME_IN_FORCE:
        raise errors.BinanceError(-1115, "Invalid timeInForce.")
    if leg_type in _NEEDS_PRICE and price is None:
        raise errors.mandatory_param(f"{prefix}Price")
    if leg_type not in _NEEDS_PRICE and price is not None:
        raise errors.not_required(f"{prefix}Price")
    if leg_type in _NEEDS_STOP and stop_price is None:
        raise errors.one_of_params(f"{prefix}StopPrice", f"{prefix}TrailingDelta")
    if leg_type not in _NEEDS_STOP and stop_price is not None:
        raise errors.not_required(f"{prefix}StopPrice")
    if leg_type in _NEEDS_TIF and tif is None:
        raise errors.mandatory_param(f"{prefix}TimeInForce")
    if leg_type not in _NEEDS_TIF and tif is not None:
        raise errors.not_required(f"{prefix}TimeInForce")
    return replace(
        base,
        type=leg_type,
        time_in_force=tif,
        price=price,
        stop_price=stop_price,
        client_order_id=params.client_order_id(f"{prefix}ClientOrderId"),
    )


def check_prices(req: OcoRequest, last: Decimal) -> None:
    """One stop-loss leg and one take-profit leg, on the sides the OCO's side implies,
    their prices on the right side of the last price."""
    above, below = req.above, req.below
    if {above.type in STOP_LOSS_LEG, below.type in STOP_LOSS_LEG} != {True, False}:
        raise errors.BinanceError(-2010, "Unsupported order combination")
    take_profit_above = req.side == "SELL"
    if (above.type in TAKE_PROFIT_LEG) != take_profit_above:
        raise bad_prices()
    for leg, is_above in ((above, True), (below, False)):
        prices = [leg.stop_price]
        if leg.type in TAKE_PROFIT_LEG:
            prices.append(leg.price)
        for price in prices:
            if price is not None and (price <= last if is_above else price >= last):
                raise bad_prices()


def place_oco(engine: Engine, account: Account, req: OcoRequest, now_ms: int) -> OrderList:
    sm = engine.symbol_market(req.symbol)
    spec = sm.spec
    for leg in (req.above, req.below):
        engine.check_filters(account, sm, leg, new_orders=2)
    check_prices(req, sm.mid)
    open_orders = engine.open_orders(account, req.symbol)
    taken = {o.client_order_id for o in open_orders}
    above_id = req.above.client_order_id or _fresh_id(taken)
    below_id = req.below.client_order_id or _fresh_id(taken | {above_id})
    if above_id in taken or below_id in taken or above_id == below_id:
        raise errors.duplicate_order()
    list_client_id = req.list_client_order_id or _fresh_id(set())
    if any(
        lst.list_client_order_id == list_client_id
        for lst in engine.lists.open_of_account(account.api_key)
    ):
        raise errors.duplicate_order()

    # Stop-loss leg first (Binance lists it first), carrying the list's one lock.
    legs = sorted(
        ((req.above, above_id), (req.below, below_id)),
        key=lambda leg: leg[0].type not in STOP_LOSS_LEG,
    )
    locks = [
        stop_orders.lock_amount(spec, req.side, req.quantity, leg.price, leg.stop_price)
        for leg, _ in legs
    ]
    asset, amount = max(locks, key=lambda lock: lock[1])
    account.lock(asset, amount)
    list_id = engine.lists.take_id()
    orders = []
    for index, (leg, client_id) in enumerate(legs):
        order = engine.conditional.record_order(
            account, leg, client_id, now_ms, order_list_id=list_id, lock=False
        )
        if index == 0:
            order.locked = amount
        orders.append(order)
    order_list = OrderList(
        order_list_id=list_id,
        api_key=account.api_key,
        symbol=req.symbol,
        list_client_order_id=list_client_id,
        orders=orders,
        transaction_time=now_ms,
    )
    engine.lists.add(order_list)
    for order in orders:
        for update in placement_updates(order, [], now_ms):
            engine.events.publish(update)
    engine.events.publish(list_update(order_list))
    engine.publish_balances(account, spec, now_ms)
    return order_list


def _fresh_id(taken: set[str]) -> str:
    while True:
        candidate = new_client_order_id()
        if candidate not in taken:
            return candidate
