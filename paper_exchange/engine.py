"""The matching engine: orders against the synthetic book, balances, fees, ids.

Rules (see README for the why):

* A crossing order takes liquidity from the synthetic book level by level (taker).
  LIMIT GTC rests with its remainder; IOC and MARKET remainders expire; FOK fills
  completely or expires without a fill. LIMIT_MAKER that would cross is rejected.
* A resting order fills completely, as maker at its own price, when the mid moves to
  or through its price (buy: mid <= price, sell: mid >= price).
* Placing a LIMIT order locks quote (price * qty) for a buy, base (qty) for a sell;
  fills consume the lock (a taker buy filled below its limit gets the difference
  back at once); cancel/expiry releases the rest. MARKET orders lock nothing: they
  need the free balance up front and settle immediately.
* The commission is ``fee_rate`` of the received asset (base for buys, quote for
  sells), rounded to 8 decimals.
* Order ids and trade ids increase per symbol. A client order id must be unique
  among the account's *open* orders only, as on Binance.
* Stop orders (``stop_orders``) wait off the book, locking like a limit order, until a
  mid move (the random walk or ``set_mid``) meets their stopPrice; then they trade like
  the LIMIT or MARKET order they stand for. Order lists (OCO, ``order_lists``/``oco``):
  the quantity is locked once for the list; when one leg starts working (triggers or
  gets its first fill) the other expires and hands its lock over; canceling a leg
  cancels the list.

Single-threaded: all calls come from the server's event loop.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from paper_exchange import errors, filters, stop_orders
from paper_exchange.accounts import Account, AccountStore
from paper_exchange.book_walk import exhausted, walk
from paper_exchange.config import PaperConfig, SymbolSpec
from paper_exchange.engine_conditional import ConditionalOrders
from paper_exchange.events import (
    BalanceUpdate,
    BookUpdate,
    EventBus,
    list_update,
    order_update,
    placement_updates,
)
from paper_exchange.market import Market, SymbolMarket
from paper_exchange.models import MARKET_LIKE_TYPES, STOP_TYPES, Order, Trade
from paper_exchange.numbers import ZERO, round_commission
from paper_exchange.order_lists import OrderListStore
from paper_exchange.order_request import OrderRequest

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def new_client_order_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


@dataclass(frozen=True)
class Placement:
    order: Order
    fills: list[Trade]


class Engine:
    def __init__(
        self,
        config: PaperConfig,
        market: Market,
        accounts: AccountStore,
        events: EventBus | None = None,
    ) -> None:
        self.config = config
        self.market = market
        self.accounts = accounts
        # Every order, balance and book change is published here (see events.py).
        self.events = events or EventBus()
        self.orders: dict[str, list[Order]] = {}
        self.trades: dict[str, list[Trade]] = {}
        self._next_order_id: dict[str, int] = {}
        self._next_trade_id: dict[str, int] = {}
        self.lists = OrderListStore()
        self.conditional = ConditionalOrders(self)
        self.reset()

    def reset(self) -> None:
        self.lists.clear()
        for symbol in self.market.symbols:
            self.orders[symbol] = []
            self.trades[symbol] = []
            self._next_order_id[symbol] = self.config.order_id_start
            self._next_trade_id[symbol] = self.config.trade_id_start

    # ---- lookups -----------------------------------------------------------------

    def symbol_market(self, symbol: str) -> SymbolMarket:
        sm = self.market.get(symbol)
        if sm is None:
            raise errors.invalid_symbol()
        return sm

    def account_orders(self, account: Account, symbol: str | None) -> list[Order]:
        symbols: Iterable[str] = [symbol] if symbol is not None else self.orders.keys()
        return [o for s in symbols for o in self.orders[s] if o.api_key == account.api_key]

    def open_orders(self, account: Account, symbol: str | None) -> list[Order]:
        return [o for o in self.account_orders(account, symbol) if o.is_open]

    def find(
        self, account: Account, symbol: str, order_id: int | None, client_order_id: str | None
    ) -> Order:
        """By ``orderId``, or the latest order with ``origClientOrderId``; -2013 if none."""
        self.symbol_market(symbol)
        candidates = self.account_orders(account, symbol)
        if order_id is not None:
            for order in candidates:
                if order.order_id == order_id and (
                    client_order_id is None or order.client_order_id == client_order_id
                ):
                    return order
            raise errors.order_does_not_exist()
        for order in reversed(candidates):
            if order.client_order_id == client_order_id:
                return order
        raise errors.order_does_not_exist()

    def account_trades(self, account: Account, symbol: str) -> list[Trade]:
        return [t for t in self.trades[symbol] if t.api_key == account.api_key]

    # ---- placing -----------------------------------------------------------------

    def place(self, account: Account, req: OrderRequest, now_ms: int) -> Placement:
        sm = self.symbol_market(req.symbol)
        spec = sm.spec
        self.check_filters(account, sm, req)
        client_id = req.client_order_id or new_client_order_id()
        if any(o.client_order_id == client_id for o in self.open_orders(account, req.symbol)):
            raise errors.duplicate_order()
        if req.type in STOP_TYPES:
            assert req.stop_price is not None
            stop_orders.check_not_triggered(req.side, req.type, req.stop_price, sm.mid)
            order = self.conditional.record_order(account, req, client_id, now_ms)
            self._publish_placement(order, [], now_ms)
            self.publish_balances(account, spec, now_ms)
            return Placement(order=order, fills=[])

        levels = sm.book().asks if req.side == "BUY" else sm.book().bids
        is_limit = req.type in ("LIMIT", "LIMIT_MAKER")
        if is_limit:
            assert req.price is not None
            assert req.quantity is not None
            fills = walk(levels, req.side, req.price, req.quantity, None, spec.step_size)
            if req.type == "LIMIT_MAKER" and fills:
                raise errors.would_take()
            if req.time_in_force == "FOK" and sum((q for _, q in fills), ZERO) < req.quantity:
                fills = []
            lock_asset, lock_amount = (
                (spec.quote, req.price * req.quantity)
                if req.side == "BUY"
                else (spec.base, req.quantity)
            )
            account.lock(lock_asset, lock_amount)
        else:
            fills = walk(levels, req.side, None, req.quantity, req.quote_order_qty, spec.step_size)
            if not fills:
                raise errors.filter_failure("LOT_SIZE")
            lock_amount = ZERO
            if req.side == "BUY":
                needed = req.quote_order_qty or sum((p * q for p, q in fills), ZERO)
                account.require_free(spec.quote, needed)
            else:
                account.require_free(spec.base, req.quantity or sum((q for _, q in fills), ZERO))

        order = Order(
            symbol=req.symbol,
            order_id=self._take_order_id(req.symbol),
            api_key=account.api_key,
            client_order_id=client_id,
            side=req.side,
            type=req.type,
            time_in_force=req.time_in_force or "GTC",
            price=req.price if req.price is not None else ZERO,
            orig_qty=req.quantity if req.quantity is not None else sum((q for _, q in fills), ZERO),
            orig_quote_qty=req.quote_order_qty or ZERO,
            time=now_ms,
            update_time=now_ms,
            stp_mode=req.stp_mode,
            locked=lock_amount,
        )
        self.orders[req.symbol].append(order)
        trades = [self._fill(account, order, spec, p, q, now_ms, maker=False) for p, q in fills]
        self._finish_taker(account, order, spec, exhausted=exhausted(levels, fills))
        account.update_time = now_ms
        self._publish_placement(order, trades, now_ms)
        self.publish_balances(account, spec, now_ms)
        return Placement(order=order, fills=trades)

    def check_filters(
        self, account: Account, sm: SymbolMarket, req: OrderRequest, new_orders: int = 1
    ) -> None:
        """Binance's symbol filters, in its order (``new_orders``: what the order adds to
        the open order count, 2 for an OCO)."""
        spec = sm.spec
        if req.price is not None:
            filters.check_price(spec, req.price)
        if req.stop_price is not None:
            filters.check_price(spec, req.stop_price)
        if req.quantity is not None:
            filters.check_lot_size(spec, req.quantity)
            if req.type in MARKET_LIKE_TYPES:
                filters.check_market_lot_size(spec, req.quantity)
        if req.type == "MARKET":
            notional = req.quote_order_qty or (req.quantity or ZERO) * sm.mid
            filters.check_notional(spec, notional, is_market=True)
        elif req.type in MARKET_LIKE_TYPES:  # a stop that becomes a market order
            assert req.quantity is not None
            assert req.stop_price is not None
            filters.check_notional(spec, req.quantity * req.stop_price, is_market=True)
        else:
            assert req.price is not None
            assert req.quantity is not None
            filters.check_notional(spec, req.price * req.quantity, is_market=False)
        open_count = len(self.open_orders(account, req.symbol))
        filters.check_max_num_orders(spec, open_count + new_orders - 1)

    def _finish_taker(
        self, account: Account, order: Order, spec: SymbolSpec, *, exhausted: bool
    ) -> None:
        if order.trades_as_market:
            done = order.executed_qty >= order.orig_qty and not (
                order.orig_quote_qty > 0 and exhausted
            )
            order.status = "FILLED" if done and order.executed_qty > 0 else "EXPIRED"
        elif order.remaining == 0:
            order.status = "FILLED"
        elif order.time_in_force in ("IOC", "FOK"):
            order.status = "EXPIRED"
        else:
            order.status = "PARTIALLY_FILLED" if order.executed_qty > 0 else "NEW"
        if not order.is_open:
            self._release(account, order, spec)

    # ---- cancelling --------------------------------------------------------------

    def cancel(
        self,
        account: Account,
        symbol: str,
        order_id: int | None,
        client_order_id: str | None,
        now_ms: int,
        cancel_client_order_id: str | None = None,
    ) -> Order:
        """``cancel_client_order_id``: the cancel request's own id (Binance's
        ``newClientOrderId`` of a cancel), generated when not given."""
        try:
            order = self.find(account, symbol, order_id, client_order_id)
        except errors.BinanceError:
            raise errors.unknown_order() from None
        if not order.is_open:
            raise errors.unknown_order()
        self._cancel(account, order, now_ms, cancel_client_order_id)
        return order

    def cancel_all(self, account: Account, symbol: str, now_ms: int) -> list[Order]:
        self.symbol_market(symbol)
        open_orders = self.open_orders(account, symbol)
        if not open_orders:
            raise errors.unknown_order()
        cancel_id = new_client_order_id()  # one cancel request: one id, as on Binance
        for order in open_orders:
            if order.is_open:  # a leg goes with its list's first leg
                self._cancel(account, order, now_ms, cancel_id)
        return open_orders

    def _cancel(
        self, account: Account, order: Order, now_ms: int, cancel_id: str | None = None
    ) -> None:
        """Cancel ``order``; a leg of an executing list takes its list with it."""
        cancel_id = cancel_id or new_client_order_id()
        order_list = self.lists.get(order.order_list_id) if order.order_list_id >= 0 else None
        legs = [order]
        if order_list is not None and not order_list.done:
            legs += [o for o in order_list.orders if o is not order and o.is_open]
        spec = self.symbol_market(order.symbol).spec
        for leg in legs:
            leg.status = "CANCELED"
            leg.update_time = now_ms
            leg.cancel_client_order_id = cancel_id
            self._release(account, leg, spec)
        account.update_time = now_ms
        for leg in legs:
            self._publish_order(leg, "CANCELED", now_ms)
        if order_list is not None and not order_list.done:
            order_list.finish(now_ms)
            self.events.publish(list_update(order_list))
        self.publish_balances(account, spec, now_ms)

    # ---- market moves --------------------------------------------------------------

    def set_mid(self, symbol: str, mid: Decimal, now_ms: int) -> list[Trade]:
        sm = self.symbol_market(symbol)
        sm.set_mid(mid)
        trades = self.conditional.trigger_stops(sm, now_ms)
        trades += self._fill_resting(sm, now_ms)
        self.events.publish(BookUpdate(symbol))
        return trades

    def step(self, symbol: str, steps: int, now_ms: int) -> list[Trade]:
        sm = self.symbol_market(symbol)
        trades: list[Trade] = []
        for _ in range(steps):
            sm.step()
            trades.extend(self.conditional.trigger_stops(sm, now_ms))
            trades.extend(self._fill_resting(sm, now_ms))
            # Per step, not per call: a diff-depth stream must see every intermediate
            # book to list every level that changed in between.
            self.events.publish(BookUpdate(symbol))
        return trades

    def _fill_resting(self, sm: SymbolMarket, now_ms: int) -> list[Trade]:
        trades: list[Trade] = []
        for order in self.orders[sm.spec.symbol]:
            if not order.is_open or not order.is_working:
                continue
            crossed = sm.mid <= order.price if order.side == "BUY" else sm.mid >= order.price
            if not crossed:
                continue
            account = self.accounts.get(order.api_key)
            if account is None:
                continue
            self.conditional.start_leg(account, order, now_ms)
            trade = self._fill(account, order, sm.spec, order.price, order.remaining, now_ms, True)
            trades.append(trade)
            order.status = "FILLED"
            self._release(account, order, sm.spec)
            account.update_time = now_ms
            self._publish_order(order, "TRADE", now_ms, trade)
            self.publish_balances(account, sm.spec, now_ms)
        return trades

    # ---- events --------------------------------------------------------------------

    def _publish_order(
        self, order: Order, execution_type: str, now_ms: int, trade: Trade | None = None
    ) -> None:
        self.events.publish(order_update(order, execution_type, now_ms, trade))

    def _publish_placement(self, order: Order, trades: list[Trade], now_ms: int) -> None:
        for update in placement_updates(order, trades, now_ms):
            self.events.publish(update)

    def publish_balances(self, account: Account, spec: SymbolSpec, now_ms: int) -> None:
        self.events.publish(BalanceUpdate(account.api_key, (spec.base, spec.quote), now_ms))

    # ---- settlement ----------------------------------------------------------------

    def _fill(
        self,
        account: Account,
        order: Order,
        spec: SymbolSpec,
        price: Decimal,
        qty: Decimal,
        now_ms: int,
        maker: bool,
    ) -> Trade:
        cost = price * qty
        if order.side == "BUY":
            quote = account.balance(spec.quote)
            if order.trades_as_market:
                quote.free -= cost
            else:
                reserved = order.price * qty
                order.locked -= reserved
                quote.locked -= reserved
                quote.free += reserved - cost
            commission = round_commission(qty * self.config.fee_rate)
            account.balance(spec.base).free += qty - commission
            commission_asset = spec.base
        else:
            base = account.balance(spec.base)
            if order.trades_as_market:
                base.free -= qty
            else:
                order.locked -= qty
                base.locked -= qty
            commission = round_commission(cost * self.config.fee_rate)
            account.balance(spec.quote).free += cost - commission
            commission_asset = spec.quote
        order.executed_qty += qty
        order.cumulative_quote_qty += cost
        order.update_time = now_ms
        trade = Trade(
            id=self._take_trade_id(spec.symbol),
            symbol=spec.symbol,
            order_id=order.order_id,
            api_key=account.api_key,
            side=order.side,
            price=price,
            qty=qty,
            commission=commission,
            commission_asset=commission_asset,
            time=now_ms,
            is_maker=maker,
            order_list_id=order.order_list_id,
        )
        order.trades.append(trade)
        self.trades[spec.symbol].append(trade)
        return trade

    def _release(self, account: Account, order: Order, spec: SymbolSpec) -> None:
        if order.locked > 0:
            asset = spec.quote if order.side == "BUY" else spec.base
            account.release(asset, order.locked)
            order.locked = ZERO

    def _take_order_id(self, symbol: str) -> int:
        value = self._next_order_id[symbol]
        self._next_order_id[symbol] = value + 1
        return value

    def _take_trade_id(self, symbol: str) -> int:
        value = self._next_trade_id[symbol]
        self._next_trade_id[symbol] = value + 1
        return value
