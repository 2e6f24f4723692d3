"""Decimal helpers: Binance sends every amount as a string with 8 decimals."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

EIGHT_DP = Decimal("0.00000001")
ZERO = Decimal(0)


def fmt8(value: Decimal) -> str:
    """Format like Binance does for prices, quantities and balances: ``"0.00100000"``."""
    return f"{value.quantize(EIGHT_DP, rounding=ROUND_HALF_UP):f}"


def round_commission(value: Decimal) -> Decimal:
    """Commissions are kept to 8 decimals (the asset precision), rounded half up."""
    return value.quantize(EIGHT_DP, rounding=ROUND_HALF_UP)


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``value`` (for ``step`` > 0)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def is_multiple(value: Decimal, base: Decimal, step: Decimal) -> bool:
    """Whether ``(value - base)`` is an exact multiple of ``step`` (Binance's filter rule)."""
    if step <= 0:
        return True
    return (value - base) % step == 0
