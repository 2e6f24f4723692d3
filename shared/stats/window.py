"""The rolling 24h window, cut into the pieces the aggregates can answer exactly.

The window holds fills with `end - length < traded_at <= end`. Timestamps have microsecond
resolution, so that is the half-open range [lo, hi) with lo = start + 1us, hi = end + 1us.
It is read as

    [lo, lo_minute)         fills, at most one minute of them (fills_*_time_idx)
    [lo_minute, lo_hour)    minute buckets, at most 59
    [lo_hour, hi_hour)      hour buckets, at most 24
    [hi_hour, hi_minute)    minute buckets, at most 59
    [hi_minute, hi)         fills, at most one minute of them

Bucket boundaries are UTC minutes and hours, as `date_trunc(..., 'UTC')` in the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY = timedelta(hours=24)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)


def floor_to(moment: datetime, step: timedelta) -> datetime:
    utc = moment.astimezone(UTC)
    if step == _MINUTE:
        return utc.replace(second=0, microsecond=0)
    if step == _HOUR:
        return utc.replace(minute=0, second=0, microsecond=0)
    raise ValueError(f"unsupported bucket size {step}")


def ceil_to(moment: datetime, step: timedelta) -> datetime:
    floor = floor_to(moment, step)
    return floor if floor == moment else floor + step


@dataclass(frozen=True, slots=True)
class RollingWindow:
    start: datetime  # exclusive
    end: datetime  # inclusive
    lo: datetime
    lo_minute: datetime
    lo_hour: datetime
    hi_hour: datetime
    hi_minute: datetime
    hi: datetime

    def contains(self, traded_at: datetime) -> bool:
        return self.start < traded_at <= self.end

    def as_params(self) -> dict[str, datetime]:
        return {
            "lo": self.lo,
            "lo_minute": self.lo_minute,
            "lo_hour": self.lo_hour,
            "hi_hour": self.hi_hour,
            "hi_minute": self.hi_minute,
            "hi": self.hi,
        }


def rolling_window(end: datetime, length: timedelta = DAY) -> RollingWindow:
    if end.tzinfo is None:
        raise ValueError("the end of the window must be timezone-aware")
    if length < _HOUR:
        raise ValueError("the window must be at least one hour long")
    start = end - length
    lo, hi = start + _MICROSECOND, end + _MICROSECOND
    return RollingWindow(
        start=start,
        end=end,
        lo=lo,
        lo_minute=ceil_to(lo, _MINUTE),
        lo_hour=ceil_to(lo, _HOUR),
        hi_hour=floor_to(hi, _HOUR),
        hi_minute=floor_to(hi, _MINUTE),
        hi=hi,
    )
