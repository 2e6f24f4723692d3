"""Bots. `config` is validated per kind by shared.bots.config (SpreadConfig, VolumeConfig)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from shared.domain import BotKind, BotStatus
from shared.orders.views import utc
from shared.repositories.bots import Bot
from web.schemas.common import Label, Symbol

Config = Annotated[
    dict[str, Any],
    Meta(
        description=(
            "spread: spread_bps, order_size, levels, refresh_interval_s, drift_tolerance_bps, "
            "inventory_target, inventory_skew_bps, min_price, max_price. volume: "
            "daily_notional_target, min_slice, max_slice, min_interval_s, max_interval_s, "
            "price_band_bps, side_policy. Decimals as strings."
        ),
        examples=[{"spread_bps": "20", "order_size": "0.01", "levels": 2}],
    ),
]


class BotCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Label
    kind: BotKind
    credential_id: UUID
    symbol: Symbol
    config: Config


class BotUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Label | None = None
    config: Config | None = None


class BotRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    kind: BotKind
    exchange: str
    symbol: str
    credential_id: UUID
    config: dict[str, Any]
    status: BotStatus
    status_reason: str | None
    tick_number: int
    last_tick_at: datetime | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, bot: Bot) -> BotRead:
        return cls(
            id=bot.id,
            name=bot.name,
            kind=bot.kind,
            exchange=bot.exchange,
            symbol=bot.symbol,
            credential_id=bot.credential_id,
            config=bot.config,
            status=bot.status,
            status_reason=bot.status_reason,
            tick_number=bot.tick_number,
            last_tick_at=utc(bot.last_tick_at),
            created_at=utc(bot.created_at),
            updated_at=utc(bot.updated_at),
            archived_at=utc(bot.archived_at),
        )


class BotArchived(msgspec.Struct, frozen=True, kw_only=True):
    bot: BotRead
    # Orders of the bot that were open and now carry a cancel intent.
    cancel_requested_order_ids: list[UUID]
