"""The engine's conditional side: stop orders waiting for their trigger, OCO legs.

Part of :class:`~paper_exchange.engine.Engine` (``engine.conditional``), kept apart so
the matching core stays small, and using the engine's settlement helpers (``_fill``,
``_release``, ...) as the engine does; see the engine's docstring for the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paper_exchange import errors, stop_orders
from paper_exchange.accounts import Account
from paper_exchange.book_walk import affordable, exhausted, walk
from paper_exchange.events import fill_updates, list_update
from paper_exchange.market import SymbolMarket
from paper_exchange.models import Order, Trade
from paper_exchange.numbers import ZERO
from paper_exchange.order_lists import OrderList
from paper_exchange.order_request import OrderRequest

if TYPE_CHECKING:
    from paper_exchange.engine import Engine


class ConditionalOrders:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record_order(
        self,
        account: Account,
        req: OrderRequest,
        client_id: str,
        now_ms: int,
        *,
        order_list_id: int = -1,
        lock: bool = True,
    ) -> Order:
        """Record an order that does not trade on arrival (an untriggered stop, an OCO
        leg), locking its funds unless its list locks them (``lock=False``). The checks
        are the caller's."""
        assert req.quantity is not None
        locked = ZERO
        if lock:
            asset, locked = stop_orders.lock_amount(
                self.engine.symbol_market(req.symbol).spec,
                req.side,
                req.quantity,
                req.price,
                req.stop_price,
            )
            account.lock(asset, locked)
        order = Order(
            symbol=req.symbol,
            order_id=self.engine._take_order_id(req.symbol),
            api_key=account.api_key,
            client_order_id=client_id,
            side=req.side,
            type=req.type,
            time_in_force=req.time_in_force or "GTC",
            price=req.price if req.price is not None else ZERO,
            orig_qty=req.quantity,
            orig_quote_qty=ZERO,
            time=now_ms,
            update_time=now_ms,
            stp_mode=req.stp_mode,
            locked=locked,
            stop_price=req.stop_price if req.stop_price is not None else ZERO,
            order_list_id=order_list_id,
        )
        self.engine.orders[req.symbol].append(order)
        account.update_time = now_ms
        return order

    def cancel_list(
        self, account: Account, order_list: OrderList, now_ms: int, cancel_id: str | None
    ) -> None:
        """Cancel every open leg (-2011 if the list is no longer executing)."""
        legs = [o for o in order_list.orders if o.is_open]
        if order_list.done or not legs:
            raise errors.BinanceError(-2011, "Order list is not executing.")
        self.engine._cancel(account, legs[0], now_ms, cancel_id)

    def trigger_stops(self, sm: SymbolMarket, now_ms: int) -> list[Trade]:
        """Trigger the stop orders the new mid meets; each then trades like the LIMIT or
        MARKET order it stands for (taking the book, a limit remainder resting)."""
        trades: list[Trade] = []
        spec = sm.spec
        for order in stop_orders.due(self.engine.orders[spec.symbol], sm.mid):
            account = self.engine.accounts.get(order.api_key)
            if account is None or not order.is_open:  # an OCO sibling expired meanwhile
                continue
            order.triggered_time = order.update_time = now_ms
            self.start_leg(account, order, now_ms)
            levels = sm.book().asks if order.side == "BUY" else sm.book().bids
            if order.trades_as_market:
                # Settles from free funds like a MARKET order: the lock goes back first.
                self.engine._release(account, order, spec)
                fills = walk(levels, order.side, None, order.orig_qty, None, spec.step_size)
                fills = affordable(account, spec, order.side, fills)
            else:
                fills = walk(levels, order.side, order.price, order.remaining, None, spec.step_size)
                if (
                    order.time_in_force == "FOK"
                    and sum((q for _, q in fills), ZERO) < order.remaining
                ):
                    fills = []
            fill_trades = [
                self.engine._fill(account, order, spec, p, q, now_ms, False) for p, q in fills
            ]
            self.engine._finish_taker(account, order, spec, exhausted=exhausted(levels, fills))
            account.update_time = now_ms
            for update in fill_updates(order, fill_trades, now_ms):
                self.engine.events.publish(update)
            self.engine.publish_balances(account, spec, now_ms)
            trades += fill_trades
        return trades

    def start_leg(self, account: Account, order: Order, now_ms: int) -> None:
        """An OCO leg starts working (triggers, or fills first): the other leg expires
        and hands over the list's lock; the list is done."""
        if order.order_list_id < 0:
            return
        order_list = self.engine.lists.get(order.order_list_id)
        if order_list is None or order_list.done:
            return
        for other in order_list.orders:
            if other is order or not other.is_open:
                continue
            order.locked += other.locked
            other.locked = ZERO
            other.status = "EXPIRED"
            other.expiry_reason = "OCO_TRIGGER"
            other.update_time = now_ms
            self.engine._publish_order(other, "EXPIRED", now_ms)
        order_list.finish(now_ms)
        self.engine.events.publish(list_update(order_list))
