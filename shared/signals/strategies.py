"""Creating, changing, re-keying and archiving strategies, in the caller's transaction.

The webhook secret is generated here, returned once (`SecretIssued`) and stored as its
SHA-256 only. Rotating it replaces the hash in one UPDATE: the old secret stops working
when that commits. Archiving is refused while running bots subscribe (stop them first),
and the strategy row is locked for it, so a bot start (which share-locks the strategy)
cannot slip in between the check and the archive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psycopg import AsyncConnection

from shared.errors import ConflictError, NotFoundError
from shared.repositories import strategies as strategies_repo
from shared.repositories.strategies import Strategy, StrategySettings
from shared.signals.secrets import hash_secret, new_webhook_secret, secret_hint
from shared.validation import FieldValidationError

DEFAULT_MAX_SIGNAL_AGE_S = 60
MAX_SIGNAL_AGE_S = 86_400
CLOCK_BODY = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_CLOCK_RE = re.compile(CLOCK_BODY)
SETTING_FIELDS = (
    "name",
    "max_signal_age_s",
    "session_days",
    "session_start",
    "session_end",
    "session_timezone",
)


@dataclass(frozen=True, slots=True)
class SecretIssued:
    strategy: Strategy
    # Shown once: only its hash is stored.
    secret: str


def _not_found(strategy_id: UUID) -> NotFoundError:
    return NotFoundError(f"strategy {strategy_id} not found")


def _clock(value: object, field: str) -> time | None:
    if value is None:
        return None
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _CLOCK_RE.fullmatch(value):
        raise FieldValidationError(field, 'must be a time of day "HH:MM" (00:00-23:59)')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _days(value: object) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise FieldValidationError(
            "session_days", "must be a non-empty list of ISO weekdays 1-7 (null: every day)"
        )
    days = set()
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise FieldValidationError("session_days", "weekdays are 1 (Monday) to 7 (Sunday)")
        days.add(day)
    return sorted(days)


def _timezone(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise FieldValidationError("session_timezone", "must be an IANA timezone name")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldValidationError(
            "session_timezone", f"{value!r} is not an IANA timezone name (e.g. Europe/Berlin)"
        ) from None
    return value


def settings_from(
    values: Mapping[str, Any], base: StrategySettings | None = None
) -> StrategySettings:
    """Validated settings: `values` (decoded JSON, only the fields given) over `base`."""
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise FieldValidationError(sorted(unknown)[0], "unknown field")
    current = base or StrategySettings(
        name="",
        max_signal_age_s=DEFAULT_MAX_SIGNAL_AGE_S,
        session_days=None,
        session_start=None,
        session_end=None,
        session_timezone="UTC",
    )
    merged = replace(current, **values)
    age = merged.max_signal_age_s
    if isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= MAX_SIGNAL_AGE_S:
        raise FieldValidationError("max_signal_age_s", f"must be 1-{MAX_SIGNAL_AGE_S} seconds")
    start = _clock(merged.session_start, "session_start")
    end = _clock(merged.session_end, "session_end")
    if (start is None) != (end is None):
        missing = "session_end" if end is None else "session_start"
        raise FieldValidationError(missing, "give session_start and session_end together")
    if start is not None and start == end:
        raise FieldValidationError(
            "session_end", "must differ from session_start (omit both for all day)"
        )
    return StrategySettings(
        name=merged.name,
        max_signal_age_s=age,
        session_days=_days(merged.session_days),
        session_start=start,
        session_end=end,
        session_timezone=_timezone(merged.session_timezone),
    )


def _settings_of(strategy: Strategy) -> StrategySettings:
    return StrategySettings(
        name=strategy.name,
        max_signal_age_s=strategy.max_signal_age_s,
        session_days=strategy.session_days,
        session_start=strategy.session_start,
        session_end=strategy.session_end,
        session_timezone=strategy.session_timezone,
    )


async def create_strategy(
    conn: AsyncConnection, *, client_id: UUID, values: Mapping[str, Any]
) -> SecretIssued:
    settings = settings_from(values)
    secret = new_webhook_secret()
    strategy = await strategies_repo.insert_strategy(
        conn,
        client_id=client_id,
        settings=settings,
        secret_hash=hash_secret(secret),
        secret_hint=secret_hint(secret),
    )
    return SecretIssued(strategy=strategy, secret=secret)


async def update_strategy(
    conn: AsyncConnection, *, client_id: UUID, strategy_id: UUID, changes: Mapping[str, Any]
) -> Strategy:
    strategy = await strategies_repo.lock_strategy(conn, client_id, strategy_id)
    if strategy is None:
        raise _not_found(strategy_id)
    if strategy.is_archived:
        raise ConflictError(f"strategy {strategy_id} is archived and can no longer be changed")
    settings = settings_from(changes, _settings_of(strategy))
    updated = await strategies_repo.update_strategy(conn, client_id, strategy_id, settings)
    assert updated is not None  # locked above, not archived
    return updated


async def rotate_secret(
    conn: AsyncConnection, *, client_id: UUID, strategy_id: UUID
) -> SecretIssued:
    strategy = await strategies_repo.lock_strategy(conn, client_id, strategy_id)
    if strategy is None:
        raise _not_found(strategy_id)
    if strategy.is_archived:
        raise ConflictError(f"strategy {strategy_id} is archived; its webhook is closed")
    secret = new_webhook_secret()
    rotated = await strategies_repo.rotate_strategy_secret(
        conn,
        client_id,
        strategy_id,
        secret_hash=hash_secret(secret),
        secret_hint=secret_hint(secret),
    )
    assert rotated is not None
    return SecretIssued(strategy=rotated, secret=secret)


async def archive_strategy(
    conn: AsyncConnection, *, client_id: UUID, strategy_id: UUID
) -> Strategy:
    """Idempotent. Refused (409) while a running bot subscribes to the strategy."""
    strategy = await strategies_repo.lock_strategy(conn, client_id, strategy_id)
    if strategy is None:
        raise _not_found(strategy_id)
    running = await strategies_repo.strategy_running_bots(conn, client_id, strategy_id)
    if running:
        listed = ", ".join(str(bot_id) for bot_id in running[:5])
        more = f" and {len(running) - 5} more" if len(running) > 5 else ""
        raise ConflictError(
            f"strategy {strategy_id} has {len(running)} running bot(s) ({listed}{more}); "
            "stop them first"
        )
    archived = await strategies_repo.archive_strategy(conn, client_id, strategy_id)
    assert archived is not None
    return archived
