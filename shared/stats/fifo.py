"""A pure-Python FIFO book: fills in, realized P&L, open lots and fees out.

The database keeps the same state incrementally (`stats_fold_book` in
sql/migrations/0005_stats.sql); this engine is the reference the tests hold it to, digit for
digit, and the naive baseline of bench/stats_bench.py. The rules (docs/stats.md):

- buy:  base in  = amount - fee if the fee is in base;   cost     = price*amount + quote fee
- sell: base out = amount + fee if the fee is in base;   proceeds = price*amount - quote fee
- The base first closes lots of the other side, oldest first, realizing P&L (a sell against
  long lots: proceeds - cost; a buy against short lots: short proceeds - cost); whatever
  remains opens a lot on its own side. So a sell beyond the open long lots opens a short lot
  and a later buy closes it.
- Fees in any other currency (BNB...) are collected apart and never enter the P&L.
- A lot partly consumed gives up `share(value, taken, amount)` of its value: the only
  inexact step, truncated at 18 decimal places exactly as SQL `stats_share` does; a lot
  consumed to the end gives up all that remains, so the error never accumulates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import (
    ROUND_DOWN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)

from shared.domain import OrderSide
from shared.stats.models import ZERO, Position, split_symbol

SHARE_DECIMALS = 18
_SCALE = Decimal(10) ** SHARE_DECIMALS
_UNIT = Decimal(1).scaleb(-SHARE_DECIMALS)
# Exact arithmetic: any rounding other than share()'s deliberate truncation raises.
_EXACT = Context(
    prec=1000,
    rounding=ROUND_DOWN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)


def share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """total * part / whole, truncated toward zero at 18 decimals (SQL `stats_share`)."""
    with localcontext(_EXACT):
        # Decimal // truncates toward zero, like Postgres div().
        return (total * part * _SCALE // whole) * _UNIT


@dataclass(frozen=True, slots=True)
class Fill:
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee_amount: Decimal = ZERO
    fee_currency: str | None = None
    traded_at: datetime | None = None
    fill_id: int = 0


@dataclass(frozen=True, slots=True)
class Lot:
    """An open lot: `amount` of base still open and its `value` in quote (the cost of a
    long lot, the proceeds of a short one)."""

    side: int  # 1 long, -1 short
    amount: Decimal
    value: Decimal
    fill_id: int = 0
    opened_at: datetime | None = None


class FifoBook:
    """One inventory (a bot's symbol, or a client's manual trades of one symbol)."""

    def __init__(self, base: str, quote: str) -> None:
        self.base = base
        self.quote = quote
        self.realized_pnl = ZERO
        self.fees: dict[str, Decimal] = {}
        self.fill_count = 0
        self._lots: deque[Lot] = deque()

    @classmethod
    def for_symbol(cls, symbol: str) -> FifoBook:
        return cls(*split_symbol(symbol))

    @property
    def lots(self) -> tuple[Lot, ...]:
        return tuple(self._lots)

    @property
    def lot_side(self) -> int:
        return self._lots[0].side if self._lots else 0

    @property
    def position(self) -> Position:
        with localcontext(_EXACT):
            amount = sum((lot.amount for lot in self._lots), ZERO)
            value = sum((lot.value for lot in self._lots), ZERO)
        if self.lot_side > 0:
            return Position(long_amount=amount, long_cost=value)
        if self.lot_side < 0:
            return Position(short_amount=amount, short_proceeds=value)
        return Position()

    def unrealized_pnl(self, mid: Decimal) -> Decimal:
        return self.position.unrealized_pnl(mid)

    @property
    def other_fees(self) -> dict[str, Decimal]:
        """Fees in neither base nor quote: reported apart, not in the P&L."""
        return {c: a for c, a in self.fees.items() if c not in (self.base, self.quote)}

    def add_all(self, fills: Iterable[Fill]) -> FifoBook:
        """Folds `fills` in the order given (the caller sorts by (traded_at, id))."""
        for fill in fills:
            self.add(fill)
        return self

    def add(self, fill: Fill) -> None:
        with localcontext(_EXACT):
            self._add(fill)

    def _add(self, fill: Fill) -> None:
        self.fill_count += 1
        if fill.fee_currency is not None and fill.fee_amount:
            self.fees[fill.fee_currency] = self.fees.get(fill.fee_currency, ZERO) + fill.fee_amount
        base_fee = fill.fee_amount if fill.fee_currency == self.base else ZERO
        quote_fee = fill.fee_amount if fill.fee_currency == self.quote else ZERO
        if fill.side is OrderSide.BUY:
            direction = 1
            qty = fill.amount - base_fee
            value = fill.price * fill.amount + quote_fee
        else:
            direction = -1
            qty = fill.amount + base_fee
            value = fill.price * fill.amount - quote_fee

        if qty <= 0:
            # A base fee as large as the bought amount: no lot, the cost is a loss.
            self.realized_pnl -= value
            return

        left = qty
        matched_value = ZERO
        while left > 0 and self._lots and self._lots[0].side == -direction:
            head = self._lots[0]
            if head.amount <= left:
                taken = head.value
                left -= head.amount
                self._lots.popleft()
            else:
                taken = share(head.value, left, head.amount)
                self._lots[0] = Lot(
                    head.side, head.amount - left, head.value - taken, head.fill_id, head.opened_at
                )
                left = ZERO
            matched_value += taken

        part = ZERO
        if left < qty:
            part = value if left == 0 else share(value, qty - left, qty)
            self.realized_pnl += direction * (matched_value - part)
        if left > 0:
            self._lots.append(Lot(direction, left, value - part, fill.fill_id, fill.traded_at))


def fold(fills: Iterable[Fill], base: str, quote: str, *, in_trade_order: bool = True) -> FifoBook:
    """A book of `fills`, sorted by (traded_at, fill_id) unless told they already are."""
    ordered = list(fills)
    if in_trade_order:
        ordered.sort(key=_trade_order)
    return FifoBook(base, quote).add_all(ordered)


def _trade_order(fill: Fill) -> tuple[datetime, int]:
    if fill.traded_at is None:
        raise ValueError("fills without traded_at cannot be put in trade order")
    return fill.traded_at, fill.fill_id
