"""Request weight per IP, as Binance counts it, and the 429/418 it answers past the limit.

Binance limits request weight per IP, not per API key, over calendar minutes: a
request at 00:01:23.456 counts towards the 00:01:00 minute, and the count restarts
at 00:02:00 (Spot API docs, "Rate limits"). Every response carries the IP's weight
used this minute in ``X-MBX-USED-WEIGHT-1M``.

Past the limit Binance answers 429 (-1003) with ``Retry-After`` = the seconds until
the window ends. An IP that keeps sending after 429s is banned: 418 (-1003) with
``Retry-After`` = the seconds until the ban ends; bans "scale in duration for
repeat offenders, from 2 minutes to 3 days". Binance publishes neither how many 429s
it tolerates nor the escalation steps; the paper exchange's choices are
:attr:`WeightPolicy.rejections_before_ban` and a ban that doubles from 2 minutes up
to 3 days (:func:`ban_duration_ms`).

:class:`WeightLedger` keeps, per IP, the current minute and the totals since start
or the last reset (weight, requests, 429s and 418s sent). It only decides; the
dialect middleware turns a :class:`Charge` into headers or an error response, and
other transports (the WebSocket API) call :func:`charge_weight` and answer in their
own shape. With no limit configured nothing is ever refused, only counted.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from paper_exchange import errors

WINDOW_MS = 60_000
FIRST_BAN_MS = 2 * 60_000
LONGEST_BAN_MS = 3 * 86_400_000


class Verdict(enum.Enum):
    ADMITTED = "admitted"
    RATE_LIMITED = "rate_limited"  # HTTP 429
    BANNED = "banned"  # HTTP 418


@dataclass(frozen=True)
class WeightPolicy:
    """``limit_1m`` None counts without refusing. ``rejections_before_ban``: 429s an IP
    may receive in one minute; its next request over the limit is banned instead.
    ``ban_scale`` multiplies every ban's duration (below 1 only to keep tests short)."""

    limit_1m: int | None = None
    rejections_before_ban: int = 5
    ban_scale: float = 1.0


@dataclass(frozen=True)
class Charge:
    """What the ledger decided for one request, and the IP's weight used this minute."""

    verdict: Verdict
    used_1m: int
    limit_1m: int | None
    retry_after_s: int = 0  # 0 when admitted
    banned_until_ms: int | None = None

    def headers(self) -> dict[str, str]:
        used = str(self.used_1m)
        return {"X-MBX-USED-WEIGHT": used, "X-MBX-USED-WEIGHT-1M": used}

    def error(self) -> errors.BinanceError | None:
        """The Binance error for a refused request (with ``Retry-After``); None if admitted."""
        retry = {"Retry-After": str(self.retry_after_s)}
        if self.verdict is Verdict.RATE_LIMITED:
            assert self.limit_1m is not None
            err = errors.too_many_requests(self.limit_1m)
        elif self.verdict is Verdict.BANNED:
            assert self.banned_until_ms is not None
            err = errors.ip_banned(self.banned_until_ms)
        else:
            return None
        err.headers.update(retry)
        return err


def ban_duration_ms(ban_number: int, scale: float) -> int:
    """The ``ban_number``-th ban (1-based) of an IP: 2 min, doubling, at most 3 days."""
    unscaled = min(FIRST_BAN_MS * 2 ** min(ban_number - 1, 32), LONGEST_BAN_MS)
    return max(1, int(unscaled * scale))


def _seconds_until(deadline_ms: int, now_ms: int) -> int:
    return max(1, math.ceil((deadline_ms - now_ms) / 1000))


@dataclass
class IpWeight:
    """One IP: its current minute, its ban, and its totals since start or reset."""

    window_start_ms: int = -1
    used_1m: int = 0
    rejected_1m: int = 0  # 429s sent in the current minute
    banned_until_ms: int = 0
    bans: int = 0
    weight: int = 0
    requests: int = 0
    sent_429: int = 0
    sent_418: int = 0

    def roll(self, now_ms: int) -> None:
        minute = now_ms - now_ms % WINDOW_MS
        if minute != self.window_start_ms:
            self.window_start_ms = minute
            self.used_1m = 0
            self.rejected_1m = 0

    def to_json(self, now_ms: int) -> dict[str, Any]:
        current = self.window_start_ms == now_ms - now_ms % WINDOW_MS
        banned = self.banned_until_ms > now_ms
        return {
            "used_1m": self.used_1m if current else 0,
            "weight": self.weight,
            "requests": self.requests,
            "http_429": self.sent_429,
            "http_418": self.sent_418,
            "bans": self.bans,
            "banned_until_ms": self.banned_until_ms if banned else None,
        }


def _wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class WeightLedger:
    """Request weight per IP. ``clock`` (ms) is replaceable so tests cross a minute
    or outlive a ban without waiting."""

    policy: WeightPolicy = field(default_factory=WeightPolicy)
    clock: Callable[[], int] = _wall_clock_ms
    ips: dict[str, IpWeight] = field(default_factory=dict)
    since_ms: int = field(default=0)

    def __post_init__(self) -> None:
        self.since_ms = self.clock()

    def charge(self, ip: str, weight: int) -> Charge:
        """Count one request of ``weight`` from ``ip`` and say whether it may proceed.

        A banned IP's requests are refused uncharged (Binance turns them away before
        they reach the API); a request over the limit is charged, as Binance's
        ``X-MBX-USED-WEIGHT-1M`` keeps rising past it.
        """
        now = self.clock()
        entry = self.ips.setdefault(ip, IpWeight())
        entry.roll(now)
        entry.requests += 1
        if entry.banned_until_ms > now:
            return self._refuse_banned(entry, now)
        entry.used_1m += weight
        entry.weight += weight
        limit = self.policy.limit_1m
        if limit is None or entry.used_1m <= limit:
            return Charge(Verdict.ADMITTED, entry.used_1m, limit)
        if entry.rejected_1m >= self.policy.rejections_before_ban:
            entry.bans += 1
            entry.banned_until_ms = now + ban_duration_ms(entry.bans, self.policy.ban_scale)
            # The 429s that earned this ban are spent: once it ends, a client still
            # over the limit is warned with a 429 again before the next, longer ban.
            entry.rejected_1m = 0
            return self._refuse_banned(entry, now)
        entry.rejected_1m += 1
        entry.sent_429 += 1
        window_end = entry.window_start_ms + WINDOW_MS
        return Charge(
            Verdict.RATE_LIMITED,
            entry.used_1m,
            limit,
            retry_after_s=_seconds_until(window_end, now),
        )

    def _refuse_banned(self, entry: IpWeight, now: int) -> Charge:
        entry.sent_418 += 1
        return Charge(
            Verdict.BANNED,
            entry.used_1m,
            self.policy.limit_1m,
            retry_after_s=_seconds_until(entry.banned_until_ms, now),
            banned_until_ms=entry.banned_until_ms,
        )

    def to_json(self, ip: str | None = None) -> dict[str, Any]:
        now = self.clock()
        chosen = {k: v for k, v in self.ips.items() if ip is None or k == ip}
        return {
            "limit_1m": self.policy.limit_1m,
            "since_ms": self.since_ms,
            "ips": {k: v.to_json(now) for k, v in sorted(chosen.items())},
        }

    def reset(self, ip: str | None = None) -> int:
        """Forget one IP (or every IP, and restart ``since_ms``): counts, windows, bans."""
        if ip is not None:
            return 1 if self.ips.pop(ip, None) is not None else 0
        cleared = len(self.ips)
        self.ips.clear()
        self.since_ms = self.clock()
        return cleared


WEIGHT_LEDGER_KEY = web.AppKey("paper_weight_ledger", WeightLedger)


def charge_weight(app: web.Application, ip: str, weight: int) -> Charge:
    """Charge ``weight`` to ``ip`` on the paper exchange serving ``app``.

    For transports other than the REST dialect (the WebSocket API charges each
    request, and a connection attempt, its documented weight): call it from the
    app's event loop and answer a refused :class:`Charge` in the transport's shape,
    with ``retry_after_s``. REST requests are charged by the dialect middleware.
    """
    return app[WEIGHT_LEDGER_KEY].charge(ip, weight)
