"""What a position decision sees and what it decides: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from shared.domain import (
    ExitMode,
    OrderListStatus,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionEventKind,
    PositionStatus,
)
from shared.exchange.types import Market

# The legs of a position's orders (orders.bot_leg).
ENTRY_LEG = "entry"
TAKE_PROFIT_LEG = "take_profit"
STOP_LOSS_LEG = "stop_loss"
EXIT_LEG = "exit"
EXIT_LIST_LEGS = frozenset({TAKE_PROFIT_LEG, STOP_LOSS_LEG})

# Close reasons (positions.close_reason) the watch writes; the fan-out writes exit_signal.
STOP_LOSS = "stop_loss"
TAKE_PROFIT = "take_profit"
ENTRY_NOT_FILLED = "entry_not_filled"
SOLD = "sold"


@dataclass(frozen=True, slots=True)
class PositionView:
    id: UUID
    status: PositionStatus
    exit_mode: ExitMode
    close_reason: str | None
    entry_amount: Decimal  # bought, from fills
    size: Decimal  # bought - sold, from fills
    avg_entry_price: Decimal | None
    stop_price: Decimal | None
    take_profit_price: Decimal | None
    trail_anchor: Decimal | None
    atr: Decimal | None
    base_fees: Decimal = Decimal(0)  # fees paid in the base asset

    @property
    def holding(self) -> Decimal:
        """What the account holds for the position: the size less the fees the venue
        took in the base asset. Exits sell this, never more."""
        return self.size - self.base_fees


@dataclass(frozen=True, slots=True)
class PositionOrder:
    """One order of the position (from our database)."""

    id: UUID
    leg: str
    side: OrderSide
    type: OrderType
    status: OrderStatus
    amount: Decimal
    filled: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    order_list_id: UUID | None = None
    cancel_requested: bool = False

    @property
    def live(self) -> bool:
        return not self.status.is_terminal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """Everything one decision reads. `best_bid` is None when no fresh book was had."""

    position: PositionView
    orders: tuple[PositionOrder, ...]
    list_statuses: tuple[OrderListStatus, ...]  # the position's order lists, oldest first
    market: Market | None
    best_bid: Decimal | None
    bot_running: bool
    kill_switch: bool
    # The venue refused the latest exit list: say why (the watch then watches instead).
    last_list_refusal: str | None = None

    def live(self, *legs: str) -> tuple[PositionOrder, ...]:
        return tuple(o for o in self.orders if o.live and (not legs or o.leg in legs))


@dataclass(frozen=True, slots=True)
class Protection:
    stop_price: Decimal | None
    take_profit_price: Decimal | None
    trail_anchor: Decimal | None


@dataclass(frozen=True, slots=True)
class Event:
    kind: PositionEventKind
    detail: str | None = None
    stop_from: Decimal | None = None
    stop_to: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OcoPlan:
    """Both protective exits as one venue order list (sell side)."""

    amount: Decimal
    take_profit_price: Decimal
    stop_price: Decimal
    stop_limit_price: Decimal
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class SellPlan:
    """A limit IOC sell of (part of) the position: an exit."""

    amount: Decimal
    price: Decimal
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PositionDecision:
    protection: Protection | None = None  # write these levels
    closing_reason: str | None = None  # open → closing
    cancel: tuple[UUID, ...] = ()
    place_exits: OcoPlan | None = None
    sell: SellPlan | None = None
    close_reason: str | None = None  # → closed
    events: tuple[Event, ...] = field(default=())
    # False: the chain ends here (closed, or paused until the bot starts again).
    keep_watching: bool = True
    next_in_s: float | None = None  # None: the bot's watch interval
