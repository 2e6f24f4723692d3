"""Bots. `config` is validated per kind by shared.bots.config (SpreadConfig, VolumeConfig,
SignalConfig); a signal bot also names the strategy it subscribes to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema
from msgspec import Meta

from shared.bots.config import CONFIG_TYPES
from shared.domain import BotKind, BotStatus, OrderSide, OrderStatus
from shared.orders.views import utc
from shared.repositories.bots import Bot, BotActivity, BotQuote
from shared.validation import decimal_text, optional_decimal_text
from web.schemas.balances import BalanceRead
from web.schemas.common import TEXT_PATTERN, Label, Symbol
from web.schemas.stats import StatsRead


def _config_schema() -> dict[str, Any]:
    """What the document says of `config` beyond "an object": its keys are the config
    fields of some bot kind and its values are scalars (strings without NUL, integers,
    null). Which keys a kind accepts and their ranges are checked on write (422)."""
    names = sorted(
        {field.name for t in CONFIG_TYPES.values() for field in msgspec.structs.fields(t)}
    )
    value_types = [OpenAPIType.STRING, OpenAPIType.INTEGER, OpenAPIType.NULL]
    return {
        "property_names": Schema(type=OpenAPIType.STRING, enum=names),
        "additional_properties": Schema(type=value_types, pattern=TEXT_PATTERN),
    }


Config = Annotated[
    dict[str, Any],
    Meta(
        description=(
            "spread: spread_bps, order_size, levels, refresh_interval_s, drift_tolerance_bps, "
            "inventory_target, inventory_skew_bps, min_price, max_price. volume: "
            "daily_notional_target, min_slice, max_slice, min_interval_s, max_interval_s, "
            "price_band_bps, side_policy. signal: sizing (fixed_quote | balance_fraction | "
            "risk) with quote_amount / balance_fraction / risk_fraction, atr_interval, "
            "atr_length, stop_atr_multiple or stop_loss_pct, take_profit_atr_multiple or "
            "take_profit_pct, trailing (none | atr | pct) with trailing_atr_multiple / "
            "trailing_pct, max_position_quote, max_slippage_bps, exit_mode (auto | venue | "
            "watched), watch_interval_s. Decimals as strings."
        ),
        examples=[{"spread_bps": "20", "order_size": "0.01", "levels": 2}],
        # Litestar copies `extra` onto the property's OpenAPI schema.
        extra_json_schema={"extra": _config_schema()},
    ),
]


class BotCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Label
    kind: BotKind
    credential_id: UUID
    symbol: Symbol
    config: Config
    # Required for kind signal (a strategy of yours, not archived); refused for the others.
    strategy_id: UUID | None = None


class BotUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Label | None = None
    config: Config | None = None


class BotQuoteRead(msgspec.Struct, frozen=True, kw_only=True):
    """One of the bot's live orders: resting at the venue, or on its way there."""

    order_id: UUID
    leg: str | None
    side: OrderSide
    price: str | None
    amount: str
    remaining: str
    status: OrderStatus
    cancel_requested: bool
    tick_number: int | None

    @classmethod
    def of(cls, quote: BotQuote) -> BotQuoteRead:
        return cls(
            order_id=quote.id,
            leg=quote.leg,
            side=quote.side,
            price=optional_decimal_text(quote.price),
            amount=decimal_text(quote.amount),
            remaining=decimal_text(quote.remaining),
            status=quote.status,
            cancel_requested=quote.cancel_requested,
            tick_number=quote.tick_number,
        )


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
    # The strategy a signal bot subscribes to (null for the other kinds).
    strategy_id: UUID | None
    # Filled in by GET /v1/bots/{id} only (lists stay one query).
    quotes: list[BotQuoteRead] | None = None
    # The newest tick that skipped something (a paused side, a requote waiting for its
    # cancels, a side the inventory band overrode, a venue outage...). The reason of an
    # error is `status_reason` while `status` is `error`.
    last_skip_reasons: list[str] | None = None
    last_skip_tick: int | None = None
    last_skip_at: datetime | None = None
    # The stored balances of the bot's base and quote assets (never fetched live here).
    balance: BalanceRead | None = None
    # Volume, fees and P&L (bot detail only).
    stats: StatsRead | None = None

    @classmethod
    def of(cls, bot: Bot, activity: BotActivity | None = None) -> BotRead:
        skip = activity.last_skip if activity is not None else None
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
            strategy_id=bot.strategy_id,
            quotes=[BotQuoteRead.of(q) for q in activity.quotes] if activity else None,
            last_skip_reasons=skip.skip_reasons if skip else None,
            last_skip_tick=skip.tick_number if skip else None,
            last_skip_at=utc(skip.ticked_at) if skip else None,
        )


class BotArchived(msgspec.Struct, frozen=True, kw_only=True):
    bot: BotRead
    # Orders of the bot that were open and now carry a cancel intent.
    cancel_requested_order_ids: list[UUID]
