"""Orders and trades, and their Binance JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from paper_exchange.numbers import ZERO, fmt8

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


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
            "orderListId": -1,
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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    def _common(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
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
            "workingTime": self.time if self.is_open or self.executed_qty > 0 else -1,
            "selfTradePreventionMode": self.stp_mode,
        }

    def full_json(self, fills: list[Trade]) -> dict[str, Any]:
        return {**self.result_json(), "fills": [t.fill_json() for t in fills]}

    def query_json(self) -> dict[str, Any]:
        """``GET /api/v3/order``, ``openOrders`` and ``allOrders`` entries."""
        return {
            **self._common(),
            **self._state(),
            "stopPrice": fmt8(ZERO),
            "icebergQty": fmt8(ZERO),
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": True,
            "workingTime": self.time,
            "selfTradePreventionMode": self.stp_mode,
        }

    def cancel_json(self, transact_time: int) -> dict[str, Any]:
        """``DELETE /api/v3/order``: ``clientOrderId`` is the cancel's own id."""
        return {
            "symbol": self.symbol,
            "origClientOrderId": self.client_order_id,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.cancel_client_order_id or "",
            "transactTime": transact_time,
            **self._state(),
            "selfTradePreventionMode": self.stp_mode,
        }

    def admin_json(self) -> dict[str, Any]:
        return {**self.query_json(), "apiKey": self.api_key, "locked": fmt8(self.locked)}
