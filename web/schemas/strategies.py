"""Strategies. The webhook secret appears once, in `StrategyIssued`; only its hash is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from shared.orders.views import utc
from shared.repositories.strategies import Strategy
from shared.signals.strategies import CLOCK_BODY, MAX_SIGNAL_AGE_S, SecretIssued
from shared.validation import whole_string
from web.schemas.common import TEXT_PATTERN, Label

MaxSignalAge = Annotated[
    int,
    Meta(
        ge=1,
        le=MAX_SIGNAL_AGE_S,
        description="A signal older than this (by its `time`, else its arrival) is refused",
    ),
]
# A Literal, not a bounded int: the document then states the range of each item.
Weekday = Literal[1, 2, 3, 4, 5, 6, 7]
SessionDays = Annotated[
    list[Weekday],
    Meta(
        min_length=1,
        max_length=7,
        description="ISO weekdays (1 = Monday) of the session; null: every day",
        examples=[[1, 2, 3, 4, 5]],
    ),
]
Clock = Annotated[
    str,
    Meta(
        pattern=whole_string(CLOCK_BODY),
        description=(
            '"HH:MM" wall-clock time in session_timezone; start after end spans midnight; '
            "null (both): all day"
        ),
        examples=["09:30"],
    ),
]
Timezone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=TEXT_PATTERN,
        description="IANA timezone name of the session window",
        examples=["America/New_York"],
    ),
]


class StrategyCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Label
    max_signal_age_s: MaxSignalAge = 60
    session_days: SessionDays | None = None
    session_start: Clock | None = None
    session_end: Clock | None = None
    session_timezone: Timezone = "UTC"


class StrategyUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; null clears a session field (every day / all day)."""

    name: Label | msgspec.UnsetType = msgspec.UNSET
    max_signal_age_s: MaxSignalAge | msgspec.UnsetType = msgspec.UNSET
    session_days: SessionDays | msgspec.UnsetType | None = msgspec.UNSET
    session_start: Clock | msgspec.UnsetType | None = msgspec.UNSET
    session_end: Clock | msgspec.UnsetType | None = msgspec.UNSET
    session_timezone: Timezone | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not msgspec.UNSET
        }


class StrategyRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    # POST signals here (see docs/signals.md).
    webhook_path: str
    max_signal_age_s: int
    session_days: list[int] | None
    session_start: str | None
    session_end: str | None
    session_timezone: str
    # The first characters of the current webhook secret, to tell secrets apart.
    secret_hint: str
    secret_rotated_at: datetime
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, strategy: Strategy) -> StrategyRead:
        return cls(
            id=strategy.id,
            name=strategy.name,
            webhook_path=f"/v1/signals/{strategy.id}",
            max_signal_age_s=strategy.max_signal_age_s,
            session_days=strategy.session_days,
            session_start=f"{strategy.session_start:%H:%M}"
            if strategy.session_start is not None
            else None,
            session_end=f"{strategy.session_end:%H:%M}"
            if strategy.session_end is not None
            else None,
            session_timezone=strategy.session_timezone,
            secret_hint=strategy.secret_hint,
            secret_rotated_at=utc(strategy.secret_rotated_at),
            created_at=utc(strategy.created_at),
            updated_at=utc(strategy.updated_at),
            archived_at=utc(strategy.archived_at),
        )


class StrategyIssued(msgspec.Struct, frozen=True, kw_only=True):
    """Shown once: store `secret` now, it cannot be retrieved again (rotate for a new one)."""

    strategy: StrategyRead
    secret: str

    @classmethod
    def of(cls, issued: SecretIssued) -> StrategyIssued:
        return cls(strategy=StrategyRead.of(issued.strategy), secret=issued.secret)
