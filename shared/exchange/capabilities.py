"""What a venue can do beyond the adapter protocol's common calls."""

from __future__ import annotations

# Venues with a native OCO order list (take-profit limit + stop-loss limit as one
# request): Binance spot, and the paper exchange's Binance dialect.
_OCO_VENUES = frozenset({"binance"})


def has_oco(venue: str) -> bool:
    return venue in _OCO_VENUES
