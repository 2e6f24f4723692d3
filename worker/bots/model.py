"""What a strategy sees (a snapshot) and what it decides: plain values, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from shared.domain import OrderSide, OrderStatus, TimeInForce
from shared.exchange.types import AssetBalance, Market

BPS = Decimal(10_000)
# Statuses whose funds are already locked at the venue (the venue's `free` excludes them).


@dataclass(frozen=True, slots=True)
class LiveOrder:
    """One of the bot's non-terminal orders, from our database."""

    id: UUID
    leg: str
    side: OrderSide
    price: Decimal | None
    remaining: Decimal
    status: OrderStatus
    cancel_requested: bool = False

    @property
    def at_venue(self) -> bool:
        return self.status.is_at_venue


@dataclass(frozen=True, slots=True)
class MarketView:
    market: Market
    mid: Decimal
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a strategy decides on."""

    view: MarketView
    orders: tuple[LiveOrder, ...]
    balances: Mapping[str, AssetBalance]

    def free(self, asset: str) -> Decimal:
        balance = self.balances.get(asset)
        return balance.free if balance is not None else Decimal(0)

    def total(self, asset: str) -> Decimal:
        balance = self.balances.get(asset)
        return balance.total if balance is not None else Decimal(0)

    @property
    def quotes(self) -> tuple[LiveOrder, ...]:
        """Live orders not being canceled."""
        return tuple(o for o in self.orders if not o.cancel_requested)


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    leg: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    time_in_force: TimeInForce = TimeInForce.GTC


@dataclass(frozen=True, slots=True)
class Decision:
    next_tick_in_s: float
    place: tuple[PlannedOrder, ...] = ()
    cancel: tuple[UUID, ...] = ()
    skips: tuple[str, ...] = field(default=())


def base_value_share(snapshot: Snapshot) -> Decimal | None:
    """The base asset's share of the inventory by value at the mid; None when empty."""
    market, mid = snapshot.view.market, snapshot.view.mid
    base_value = snapshot.total(market.base) * mid
    total_value = base_value + snapshot.total(market.quote)
    if total_value <= 0:
        return None
    return base_value / total_value


def venue_minimum_problem(market: Market, amount: Decimal, price: Decimal) -> str | None:
    """Why the venue would refuse this size, or None."""
    if amount <= 0:
        return f"size rounds to 0 at the venue's step {market.amount_step}"
    if market.min_amount is not None and amount < market.min_amount:
        return f"size {amount} is below the venue's minimum {market.min_amount}"
    if market.max_amount is not None and amount > market.max_amount:
        return f"size {amount} is above the venue's maximum {market.max_amount}"
    notional = amount * price
    if market.min_notional is not None and notional < market.min_notional:
        return f"notional {notional} is below the venue's minimum {market.min_notional}"
    if market.max_notional is not None and notional > market.max_notional:
        return f"notional {notional} is above the venue's maximum {market.max_notional}"
    return None


def fmt(value: Decimal) -> str:
    """A decimal for a human message: no exponent, no trailing zeros."""
    text = f"{value.normalize():f}"
    return text
