"""Circuit breakers per (venue, host), opened only by venue-wide failures.

pybreaker is thread-based and not asyncio-aware as a decorator, so it is used through
its `calling()` context manager around the awaited call. Two adjustments:
- `throw_new_error_on_trip=False`: the failure that trips the breaker propagates as
  itself. Otherwise an *ambiguous* create-order timeout would surface as "breaker open"
  (meaning "not sent") and invite a blind re-send.
- one probe at a time: after the reset timeout pybreaker lets every concurrent caller
  through in half-open state; here only the first goes, the others are refused as if
  the breaker were still open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pybreaker

from shared.exchange.errors import CircuitOpenError, ExchangeCallError


def _not_venue_wide(exc: BaseException) -> bool:
    """pybreaker `exclude` predicate: True means "does not count as a failure"."""
    return not (isinstance(exc, ExchangeCallError) and exc.venue_wide)


@dataclass
class VenueBreaker:
    name: str
    fail_max: int = 5
    reset_timeout_s: float = 30.0
    _breaker: pybreaker.CircuitBreaker = field(init=False, repr=False)
    _probe_in_flight: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=self.fail_max,
            reset_timeout=self.reset_timeout_s,
            exclude=[_not_venue_wide],
            name=self.name,
            throw_new_error_on_trip=False,
        )

    @property
    def state(self) -> str:
        """'closed', 'open' or 'half-open' (the reset timeout is checked on the next call)."""
        return str(self._breaker.current_state)

    @property
    def failure_count(self) -> int:
        return int(self._breaker.fail_counter)

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Run the body under the breaker; raises CircuitOpenError without running it
        when the breaker is open (or a half-open probe is already in flight)."""
        if self._probe_in_flight:
            raise self._open_error()
        probing = self.state != pybreaker.STATE_CLOSED
        if probing:
            self._probe_in_flight = True
        try:
            with self._breaker.calling():
                yield
        except pybreaker.CircuitBreakerError:
            raise self._open_error() from None
        finally:
            if probing:
                self._probe_in_flight = False

    def _open_error(self) -> CircuitOpenError:
        return CircuitOpenError(
            f"circuit breaker for {self.name} is open: call not made",
            reason="circuit_open",
            retry_after_s=self.reset_timeout_s,
        )


class UnguardedBreaker(VenueBreaker):
    """Lets every call through and records nothing: for the calls that must go out
    whatever the venue's breaker says (cancels under a kill switch)."""

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        yield


class BreakerRegistry:
    """One breaker per (venue, host) per process, and one per (venue, host, egress route)
    for the credentials sent by a route: a dead proxy must not open the venue's breaker
    for every other tenant."""

    def __init__(self, *, fail_max: int = 5, reset_timeout_s: float = 30.0) -> None:
        self._fail_max = fail_max
        self._reset_timeout_s = reset_timeout_s
        self._breakers: dict[str, VenueBreaker] = {}

    def for_venue(self, venue: str, host: str, route: str | None = None) -> VenueBreaker:
        key = f"{venue}@{host}" if route is None else f"{venue}@{host} via {route}"
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = VenueBreaker(key, self._fail_max, self._reset_timeout_s)
            self._breakers[key] = breaker
        return breaker

    def states(self) -> dict[str, str]:
        return {key: breaker.state for key, breaker in self._breakers.items()}
