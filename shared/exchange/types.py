"""What the exchange layer hands back: plain, typed, Decimal — never ccxt dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shared.domain import CredentialEnvironment, OrderSide, OrderType, TimeInForce


@dataclass(frozen=True, slots=True)
class Market:
    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    amount_step: Decimal
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_notional: Decimal | None = None
    max_notional: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderBook:
    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    fetched_at: datetime

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    base_volume_24h: Decimal | None
    quote_volume_24h: Decimal | None
    fetched_at: datetime

    @property
    def mid(self) -> Decimal | None:
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return self.last


@dataclass(frozen=True, slots=True)
class Candle:
    """One closed (or the current, still forming) candle of a market: OHLCV."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class AssetBalance:
    asset: str
    free: Decimal
    used: Decimal
    total: Decimal


class VenueOrderStatus(StrEnum):
    """ccxt's unified order status, as the venue reports it."""

    OPEN = "open"
    CLOSED = "closed"  # fully filled
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    order_id: str | None
    client_order_id: str | None
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee_amount: Decimal
    fee_currency: str | None
    is_maker: bool | None
    traded_at: datetime


@dataclass(frozen=True, slots=True)
class ExchangeOrder:
    exchange_order_id: str
    client_order_id: str | None
    symbol: str
    side: OrderSide
    type: OrderType
    status: VenueOrderStatus
    amount: Decimal
    filled: Decimal
    price: Decimal | None
    average_price: Decimal | None
    created_at: datetime | None
    # Trades the venue returned with the order itself (Binance FULL responses).
    trades: tuple[Trade, ...] = ()
    # Stop types only: the price that turns the order into a limit at `price`.
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderToSend:
    """An order already rounded and checked locally (see shared.exchange.precision)."""

    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None
    client_order_id: str
    time_in_force: TimeInForce | None = None


@dataclass(frozen=True, slots=True)
class OcoToSend:
    """Both legs of a one-cancels-the-other list, rounded and checked locally. Spot
    protects a long with a sell: the take profit rests above the market as a maker-only
    limit, the stop loss below it (a limit at `stop_limit_price` once `stop_price` trades)."""

    symbol: str
    side: OrderSide
    amount: Decimal
    list_client_order_id: str
    take_profit_price: Decimal
    take_profit_client_order_id: str
    stop_price: Decimal
    stop_limit_price: Decimal
    stop_client_order_id: str


@dataclass(frozen=True, slots=True)
class ExchangeOrderList:
    """The venue's view of an order list: its ids and each leg as an ordinary order."""

    exchange_list_id: str
    list_client_order_id: str | None
    symbol: str
    legs: tuple[ExchangeOrder, ...]

    def leg(self, client_order_id: str) -> ExchangeOrder | None:
        return next((o for o in self.legs if o.client_order_id == client_order_id), None)


@dataclass(frozen=True)
class OpenedCredential:
    """A credential with its secret in memory: the worker's only, for one adapter."""

    credential_id: str
    client_id: str
    exchange: str
    environment: CredentialEnvironment
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    memo: str | None = field(default=None, repr=False)  # BitMart signs it with every request
    api_base_url: str | None = None
    key_id: str | None = None
    # The egress route all of its venue traffic leaves by (shared.egress), if assigned:
    # the route's name (its request budget) and its opened proxy URL (carries a password).
    egress_route: str | None = None
    proxy_url: str | None = field(default=None, repr=False)
