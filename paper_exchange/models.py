"""Orders and trades, and their Binance JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from paper_exchange.numbers import ZERO, fmt8

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
# Conditional orders: they wait off the book until the market crosses their stopPrice.
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
# Types that trade as a MARKET order (no limit price), directly or once triggered.
MARKET_LIKE_TYPES = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})


@dataclass
class Trade:
    id: int
    symbol: str
    order_id: int
    api_key: str
    side: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_maker: bool
    order_list_id: int = -1

    @property
    def quote_qty(self) -> Decimal:
        return self.price * self.qty

    def fill_json(self) -> dict[str, Any]:
        """An entry of ``fills`` in a FULL new-order response."""
        return {
            "price": fmt8(self.price),
            "qty": fmt8(self.qty),
            "commission": fmt8(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.id,
        }

    def my_trade_json(self) -> dict[str, Any]:
        """An entry of ``GET /api/v3/myTrades``."""
        return {
            "symbol": self.symbol,
            "id": self.id,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "price": fmt8(self.price),
            "qty": fmt8(self.qty),
            "quoteQty": fmt8(self.quote_qty),
            "commission": fmt8(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.side == "BUY",
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }

    def admin_json(self) -> dict[str, Any]:
        return {**self.my_trade_json(), "apiKey": self.api_key, "side": self.side}


@dataclass
class Order:
    symbol: str
    order_id: int
    api_key: str
    client_order_id: str
    side: str
    type: str
    time_in_force: str | None
    price: Decimal
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time: int
    stp_mode: str = "EXPIRE_MAKER"
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cumulative_quote_qty: Decimal = ZERO
    update_time: int = 0
    locked: Decimal = ZERO
    trades: list[Trade] = field(default_factory=list)
    # The id of the request that canceled it (Binance: the cancel's newClientOrderId).
    cancel_client_order_id: str | None = None
    stop_price: Decimal = ZERO
    order_list_id: int = -1
    # When a stop order started working (was triggered); other types work from placement.
    triggered_time: int | None = None
    expiry_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def is_stop(self) -> bool:
        return self.type in STOP_TYPES

    @property
    def is_working(self) -> bool:
        """On the book (or executing): every order but an untriggered stop."""
        return not self.is_stop or self.triggered_time is not None

    @property
    def trades_as_market(self) -> bool:
        return self.type in MARKET_LIKE_TYPES

    @property
    def working_time(self) -> int:
        """Binance's ``workingTime``: -1 while a stop order waits for its trigger."""
        if not self.is_stop:
            return self.time
        return self.triggered_time if self.triggered_time is not None else -1

    def _stop_field(self) -> dict[str, Any]:
        # Binance shows stopPrice in order responses of conditional orders only.
        return {"stopPrice": fmt8(self.stop_price)} if self.is_stop else {}

    def _common(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.client_order_id,
        }

    def _state(self) -> dict[str, Any]:
        return {
            "price": fmt8(self.price),
            "origQty": fmt8(self.orig_qty),
            "executedQty": fmt8(self.executed_qty),
            "origQuoteOrderQty": fmt8(self.orig_quote_qty),
            "cummulativeQuoteQty": fmt8(self.cumulative_quote_qty),
            "status": self.status,
            "timeInForce": self.time_in_force or "GTC",
            "type": self.type,
            "side": self.side,
        }

    def ack_json(self) -> dict[str, Any]:
        return {**self._common(), "transactTime": self.time}

    def result_json(self) -> dict[str, Any]:
        return {
            **self._common(),
            "transactTime": self.time,
            **self._state(),
            **self._stop_field(),
            "workingTime": self._result_working_time(),
            "selfTradePreventionMode": self.stp_mode,
        }

    def _result_working_time(self) -> int:
        if self.is_stop:
            return self.working_time
        return self.time if self.is_open or self.executed_qty > 0 else -1

    def full_json(self, fills: list[Trade]) -> dict[str, Any]:
        return {**self.result_json(), "fills": [t.fill_json() for t in fills]}

    def query_json(self) -> dict[str, Any]:
        """``GET /api/v3/order``, ``openOrders`` and ``allOrders`` entries."""
        return {
            **self._common(),
            **self._state(),
            "stopPrice": fmt8(self.stop_price),
            "icebergQty": fmt8(ZERO),
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": self.is_working,
            "workingTime": self.working_time,
            "selfTradePreventionMode": self.stp_mode,
            **({"expiryReason": self.expiry_reason} if self.expiry_reason else {}),
        }

    def cancel_json(self, transact_time: int) -> dict[str, Any]:
        """``DELETE /api/v3/order``: ``clientOrderId`` is the cancel's own id."""
        return {
            "symbol": self.symbol,
            "origClientOrderId": self.client_order_id,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.cancel_client_order_id or "",
            "transactTime": transact_time,
            **self._state(),
            **self._stop_field(),
            "selfTradePreventionMode": self.stp_mode,
        }

    def admin_json(self) -> dict[str, Any]:
        return {**self.query_json(), "apiKey": self.api_key, "locked": fmt8(self.locked)}
