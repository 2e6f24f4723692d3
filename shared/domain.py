"""Domain enumerations, each the one Python mirror of one Postgres type.

`PG_ENUMS` maps every enum to its SQL type (or reference table); an integration test
compares labels in both directions, so a status spelled differently in code and schema
cannot ship.
"""

from __future__ import annotations

from enum import StrEnum


class Venue(StrEnum):
    """Supported venues: rows of the `venues` reference table."""

    BINANCE = "binance"
    BYBIT = "bybit"
    OKX = "okx"
    KRAKEN = "kraken"
    KUCOIN = "kucoin"
    GATEIO = "gateio"
    MEXC = "mexc"
    # Native connectors (shared.exchange.factory.NATIVE_CONNECTORS): ccxt no longer ships them.
    BITMART = "bitmart"
    COINSTORE = "coinstore"


class CredentialEnvironment(StrEnum):
    LIVE = "live"
    TESTNET = "testnet"
    # The local paper exchange (it speaks the dialect of each venue in
    # shared.credentials.PAPER_VENUES); its URL comes from settings, never a caller.
    PAPER = "paper"


class BotKind(StrEnum):
    SPREAD = "spread"
    VOLUME = "volume"
    SIGNAL = "signal"  # enters and exits on a strategy's signals (bots.strategy_id)


class BotStatus(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    ERROR = "error"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    # Rest untriggered at the venue until the market reaches stop_price, then a limit at
    # price. Placed as the legs of an order list (a position's protective exits).
    STOP_LOSS_LIMIT = "stop_loss_limit"
    TAKE_PROFIT_LIMIT = "take_profit_limit"

    @property
    def has_limit_price(self) -> bool:
        return self is not OrderType.MARKET

    @property
    def has_stop_price(self) -> bool:
        return self in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    # Before the venue knows of it.
    ACCEPTED = "accepted"  # intent stored, job deferred
    SUBMITTING = "submitting"  # committed before the exchange call
    UNKNOWN = "unknown"  # the call's outcome is ambiguous: look up by client order id
    # The venue's view.
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"  # refused by a pre-trade check or permanently by the venue
    FAILED = "failed"  # gave up after the retry budget; reason recorded

    # The groups below are the one Python spelling of each; SQL has its own, once
    # (order_status_is_pre_venue, _is_at_venue, _is_terminal), compared by a test.
    @property
    def is_pre_venue(self) -> bool:
        """Before the venue knows the order, or while we cannot tell whether it does."""
        return self in PRE_VENUE_ORDER_STATUSES

    @property
    def is_at_venue(self) -> bool:
        """Resting at the venue, as far as we know."""
        return self in AT_VENUE_ORDER_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_ORDER_STATUSES

    @property
    def is_outcome_unknown(self) -> bool:
        """A send may have reached the venue without our hearing back: look the order up
        by client order id before anything else (pre-venue, but not `accepted`)."""
        return self in (OrderStatus.SUBMITTING, OrderStatus.UNKNOWN)

    @property
    def rank(self) -> int:
        """Statuses only move to an equal or higher rank (mirrors SQL order_status_rank)."""
        return ORDER_STATUS_RANK[self]


PRE_VENUE_ORDER_STATUSES = frozenset(
    {OrderStatus.ACCEPTED, OrderStatus.SUBMITTING, OrderStatus.UNKNOWN}
)
AT_VENUE_ORDER_STATUSES = frozenset({OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
TERMINAL_ORDER_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.FAILED,
    }
)

ORDER_STATUS_RANK: dict[OrderStatus, int] = {
    **{status: 0 for status in PRE_VENUE_ORDER_STATUSES},
    OrderStatus.OPEN: 1,
    OrderStatus.PARTIALLY_FILLED: 2,
    **{status: 3 for status in TERMINAL_ORDER_STATUSES},
}


class OrderSource(StrEnum):
    API = "api"
    BOT = "bot"


class OrderEventKind(StrEnum):
    STATUS_CHANGE = "status_change"
    EXCHANGE_CALL = "exchange_call"
    NOTE = "note"


class CallOutcome(StrEnum):
    OK = "ok"
    TRANSIENT = "transient"  # retry later, nothing happened at the venue
    PERMANENT = "permanent"  # never retry
    AMBIGUOUS = "ambiguous"  # the order may exist: look it up by client order id first


class KillSwitchScope(StrEnum):
    GLOBAL = "global"
    CLIENT = "client"
    BOT = "bot"


class SignalAction(StrEnum):
    ENTER = "enter"  # buy (spot): open or add to the position
    EXIT = "exit"  # close the position: cancel its exits, sell what it holds


class SignalOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"  # too old or outside the session window; recorded with the reason


class DeliveryOutcome(StrEnum):
    ORDERED = "ordered"  # an entry order intent
    CLOSING = "closing"  # an exit signal set the bot's position closing
    SKIPPED = "skipped"  # nothing, for the recorded reason


class PositionStatus(StrEnum):
    OPEN = "open"
    CLOSING = "closing"  # exits being canceled, what is left being sold
    CLOSED = "closed"


class ExitMode(StrEnum):
    VENUE = "venue"  # an OCO order list rests at the venue
    WATCHED = "watched"  # the worker watches the market and sends the exit


class PositionEventKind(StrEnum):
    OPENED = "opened"
    EXITS_PLACED = "exits_placed"
    EXITS_REPLACED = "exits_replaced"
    STOP_MOVED = "stop_moved"
    EXIT_TRIGGERED = "exit_triggered"
    CLOSING = "closing"
    CLOSED = "closed"
    NOTE = "note"


class OrderListStatus(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTING = "submitting"
    UNKNOWN = "unknown"
    PLACED = "placed"  # the venue holds the list; its legs say the rest
    REJECTED = "rejected"
    FAILED = "failed"


# Python enum → Postgres enum type name, "table:<name>.<column>" for reference tables, or
# "check:<table>.<column>" for a text column whose CHECK lists the values.
PG_ENUMS: dict[type[StrEnum], str] = {
    Venue: "table:venues.code",
    CredentialEnvironment: "credential_environment",
    BotKind: "bot_kind",
    BotStatus: "bot_status",
    OrderSide: "order_side",
    OrderType: "order_type",
    TimeInForce: "time_in_force",
    OrderStatus: "order_status",
    OrderSource: "order_source",
    OrderEventKind: "order_event_kind",
    CallOutcome: "call_outcome",
    KillSwitchScope: "kill_switch_scope",
    SignalAction: "check:signals.action",
    SignalOutcome: "check:signals.outcome",
    DeliveryOutcome: "check:signal_deliveries.outcome",
    PositionStatus: "check:positions.status",
    ExitMode: "check:positions.exit_mode",
    PositionEventKind: "check:position_events.kind",
    OrderListStatus: "check:order_lists.status",
}
