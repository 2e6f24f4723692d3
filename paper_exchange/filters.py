"""Binance symbol filters (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL).

Each failure is ``-1013 Filter failure: <NAME>``, evaluated in Binance's order.
"""

from __future__ import annotations

from decimal import Decimal

from paper_exchange import errors
from paper_exchange.config import SymbolSpec
from paper_exchange.numbers import is_multiple


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    if (
        price < spec.min_price
        or price > spec.max_price
        or not is_multiple(price, spec.min_price, spec.tick_size)
    ):
        raise errors.filter_failure("PRICE_FILTER")


def check_lot_size(spec: SymbolSpec, qty: Decimal) -> None:
    if (
        qty < spec.min_qty
        or qty > spec.max_qty
        or not is_multiple(qty, spec.min_qty, spec.step_size)
    ):
        raise errors.filter_failure("LOT_SIZE")


def check_market_lot_size(spec: SymbolSpec, qty: Decimal) -> None:
    market_max = spec.market_max_qty if spec.market_max_qty is not None else spec.max_qty
    if qty > market_max:
        raise errors.filter_failure("MARKET_LOT_SIZE")


def check_notional(spec: SymbolSpec, notional: Decimal, *, is_market: bool) -> None:
    if notional < spec.min_notional:
        raise errors.filter_failure("NOTIONAL")
    if not is_market and notional > spec.max_notional:
        raise errors.filter_failure("NOTIONAL")


def check_max_num_orders(spec: SymbolSpec, open_orders: int) -> None:
    if open_orders >= spec.max_num_orders:
        raise errors.filter_failure("MAX_NUM_ORDERS")
