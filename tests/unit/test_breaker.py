"""Breaker transitions, with calls that fail the way the adapter's calls fail."""

from __future__ import annotations

import asyncio

import pytest

from shared.exchange.breaker import VenueBreaker
from shared.exchange.errors import (
    AmbiguousExchangeError,
    CircuitOpenError,
    PermanentExchangeError,
    TransientExchangeError,
)


class Venue:
    """Counts the calls that actually reach it."""

    def __init__(self) -> None:
        self.calls = 0

    async def call(self, error: Exception | None = None, delay: float = 0) -> str:
        self.calls += 1
        await asyncio.sleep(delay)
        if error is not None:
            raise error
        return "ok"


def outage() -> Exception:
    return TransientExchangeError("503", reason="venue_unavailable", venue_wide=True)


async def through(breaker: VenueBreaker, venue: Venue, **kwargs: object) -> str:
    async with breaker.guard():
        return await venue.call(**kwargs)  # type: ignore[arg-type]


async def test_five_venue_failures_open_it_and_calls_stop_reaching_the_venue() -> None:
    breaker, venue = VenueBreaker("binance@test", fail_max=5, reset_timeout_s=0.3), Venue()
    for _ in range(4):
        with pytest.raises(TransientExchangeError):
            await through(breaker, venue, error=outage())
    assert breaker.state == "closed"
    # The failure that trips it propagates as itself (an ambiguous send stays ambiguous).
    with pytest.raises(AmbiguousExchangeError):
        await through(
            breaker,
            venue,
            error=AmbiguousExchangeError("timeout", reason="timeout", venue_wide=True),
        )
    assert breaker.state == "open"
    for _ in range(10):
        with pytest.raises(CircuitOpenError):
            await through(breaker, venue)
    assert venue.calls == 5

    await asyncio.sleep(0.35)
    # One probe after the reset timeout; concurrent callers are refused meanwhile.
    results = await asyncio.gather(
        through(breaker, venue, delay=0.05),
        *(through(breaker, venue) for _ in range(5)),
        return_exceptions=True,
    )
    assert results[0] == "ok"
    assert all(isinstance(r, CircuitOpenError) for r in results[1:])
    assert venue.calls == 6
    assert breaker.state == "closed"
    assert await through(breaker, venue) == "ok"


async def test_a_failed_probe_opens_it_again() -> None:
    breaker, venue = VenueBreaker("binance@test", fail_max=2, reset_timeout_s=0.1), Venue()
    for _ in range(2):
        with pytest.raises(TransientExchangeError):
            await through(breaker, venue, error=outage())
    await asyncio.sleep(0.15)
    with pytest.raises(TransientExchangeError):
        await through(breaker, venue, error=outage())
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        await through(breaker, venue)
    assert venue.calls == 3


async def test_one_tenants_errors_do_not_open_it() -> None:
    breaker, venue = VenueBreaker("binance@test", fail_max=2, reset_timeout_s=10), Venue()
    for error in [
        PermanentExchangeError("bad key", reason="auth"),
        PermanentExchangeError("no money", reason="insufficient_funds"),
        TransientExchangeError("clock", reason="clock_skew"),
    ] * 3:
        with pytest.raises(type(error)):
            await through(breaker, venue, error=error)
    assert breaker.state == "closed"
    assert breaker.failure_count == 0
    assert await through(breaker, venue) == "ok"
