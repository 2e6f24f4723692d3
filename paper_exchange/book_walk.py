"""Taking liquidity from the synthetic book: the fills an order would get."""

from __future__ import annotations

from decimal import Decimal

from paper_exchange.accounts import Account
from paper_exchange.config import SymbolSpec
from paper_exchange.market import Level
from paper_exchange.numbers import floor_to_step


def walk(
    levels: tuple[Level, ...],
    side: str,
    limit_price: Decimal | None,
    qty: Decimal | None,
    quote_qty: Decimal | None,
    step: Decimal,
) -> list[tuple[Decimal, Decimal]]:
    """Fills (price, qty) taking ``levels`` best first, up to a quantity or a quote amount."""
    fills: list[tuple[Decimal, Decimal]] = []
    remaining_qty = qty
    remaining_quote = quote_qty
    for level in levels:
        if limit_price is not None and (
            level.price > limit_price if side == "BUY" else level.price < limit_price
        ):
            break
        if remaining_qty is not None:
            take = min(level.qty, remaining_qty)
        else:
            assert remaining_quote is not None
            take = min(level.qty, floor_to_step(remaining_quote / level.price, step))
        if take <= 0:
            break
        fills.append((level.price, take))
        if remaining_qty is not None:
            remaining_qty -= take
            if remaining_qty == 0:
                break
        else:
            assert remaining_quote is not None
            remaining_quote -= level.price * take
    return fills


def exhausted(levels: tuple[Level, ...], fills: list[tuple[Decimal, Decimal]]) -> bool:
    """Whether the fills took every level completely (the order ran out of book)."""
    return len(fills) == len(levels) and all(
        q == lvl.qty for (_, q), lvl in zip(fills, levels, strict=True)
    )


def affordable(
    account: Account, spec: SymbolSpec, side: str, fills: list[tuple[Decimal, Decimal]]
) -> list[tuple[Decimal, Decimal]]:
    """The fills a triggered market-type stop can pay for from free funds (the rest
    expires, as Binance expires what the account cannot cover)."""
    budget = account.balance(spec.quote if side == "BUY" else spec.base).free
    kept: list[tuple[Decimal, Decimal]] = []
    for price, qty in fills:
        need = price * qty if side == "BUY" else qty
        if need > budget:
            break
        budget -= need
        kept.append((price, qty))
    return kept
