"""Whether a signal is acted on: fresh enough and inside the strategy's session window.

Pure (no I/O, the clock passed in). A refused signal is still recorded, with the reason
this module gives; the reason starts with a stable code (`too_old:`, `in_future:`,
`outside_session:`) followed by the detail.

The session window is read in the strategy's timezone: `days` are ISO weekdays
(1 = Monday), `start`-`end` a half-open range of wall-clock times. A window whose start
is after its end spans midnight (22:00-06:00), and its hours after midnight belong to the
day it started on: a Friday 22:00-06:00 session includes Saturday 03:00, not Friday 03:00.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# How far ahead of our clock a sender's clock may run before its time is not believed.
MAX_CLOCK_SKEW = timedelta(seconds=5)


class RefusalCode(StrEnum):
    TOO_OLD = "too_old"
    IN_FUTURE = "in_future"
    OUTSIDE_SESSION = "outside_session"


@dataclass(frozen=True, slots=True)
class SessionWindow:
    days: frozenset[int] | None  # None: every day
    start: time | None  # None (with end None): all day
    end: time | None
    timezone: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        session_day = local.isoweekday()
        if self.start is not None and self.end is not None:
            clock = local.time().replace(tzinfo=None)
            if self.start < self.end:
                if not self.start <= clock < self.end:
                    return False
            elif clock < self.end:  # after midnight: the session began the day before
                session_day = (local - timedelta(days=1)).isoweekday()
            elif clock < self.start:
                return False
        return self.days is None or session_day in self.days

    def describe(self) -> str:
        days = ",".join(str(day) for day in sorted(self.days)) if self.days else "every day"
        hours = (
            f"{self.start:%H:%M}-{self.end:%H:%M}"
            if self.start is not None and self.end is not None
            else "all day"
        )
        return f"days {days}, {hours} {self.timezone}"


def refusal_reason(
    *,
    signal_time: datetime | None,
    received_at: datetime,
    max_age_s: int,
    session: SessionWindow,
) -> str | None:
    """None when the signal is acted on, else why not (code first)."""
    moment = signal_time if signal_time is not None else received_at
    if moment - received_at > MAX_CLOCK_SKEW:
        ahead = math.ceil((moment - received_at).total_seconds())
        return (
            f"{RefusalCode.IN_FUTURE}: the signal's time is {ahead} s ahead of the server's "
            f"clock (at most {int(MAX_CLOCK_SKEW.total_seconds())} s allowed)"
        )
    age = (received_at - moment).total_seconds()
    if age > max_age_s:
        return (
            f"{RefusalCode.TOO_OLD}: the signal is {math.floor(age)} s old "
            f"(the strategy's max_signal_age_s is {max_age_s})"
        )
    if not session.contains(moment):
        return (
            f"{RefusalCode.OUTSIDE_SESSION}: {moment.isoformat()} is outside the session "
            f"({session.describe()})"
        )
    return None
