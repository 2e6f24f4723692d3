"""A stream event the order row already shows costs no statement: the placement's or
the cancel's own answer mostly gets there first."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

from shared.domain import OrderSide, OrderSource, OrderStatus, OrderType
from shared.exchange.types import ExchangeOrder, Trade, VenueOrderStatus
from shared.repositories.orders import Order
from worker.streams.apply import _already_known

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _row(status: OrderStatus, filled: str, exchange_order_id: str | None = "7") -> Order:
    fields = {name: None for name in Order.__dataclass_fields__}
    fields.update(
        id=uuid.uuid4(), client_id=uuid.uuid4(), credential_id=uuid.uuid4(),
        source=OrderSource.API, symbol="BTC/USDT", side=OrderSide.BUY, type=OrderType.LIMIT,
        amount=D("1"), price=D("10"), idempotency_key="k", client_order_id="tb1",
        exchange_order_id=exchange_order_id, status=status, filled_amount=D(filled),
        remaining_amount=D("1") - D(filled), attempts=1, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    return Order(**fields)


def _event(status: VenueOrderStatus, filled: str) -> ExchangeOrder:
    return ExchangeOrder(
        exchange_order_id="7", client_order_id="tb1", symbol="BTC/USDT", side=OrderSide.BUY,
        type=OrderType.LIMIT, status=status, amount=D("1"), filled=D(filled), price=D("10"),
        average_price=None, created_at=NOW,
    )  # fmt: skip


def _trade() -> Trade:
    return Trade(
        trade_id="1", order_id="7", client_order_id="tb1", symbol="BTC/USDT",
        side=OrderSide.BUY, price=D("10"), amount=D("0.5"), fee_amount=D("0"),
        fee_currency="USDT", is_maker=True, traded_at=NOW,
    )  # fmt: skip


def test_an_event_the_row_already_shows_is_skipped() -> None:
    assert _already_known(_row(OrderStatus.OPEN, "0"), _event(VenueOrderStatus.OPEN, "0"))
    assert _already_known(_row(OrderStatus.CANCELED, "0"), _event(VenueOrderStatus.CANCELED, "0"))


def test_news_is_written() -> None:
    assert not _already_known(_row(OrderStatus.OPEN, "0"), _event(VenueOrderStatus.CLOSED, "1"))
    partial = _row(OrderStatus.PARTIALLY_FILLED, "0.5")
    assert not _already_known(partial, _event(VenueOrderStatus.OPEN, "0.7"))
    # A trade is always written (the same state, a fill not yet in `fills`).
    same = _event(VenueOrderStatus.OPEN, "0.5")
    assert _already_known(partial, same)
    assert not _already_known(partial, replace(same, trades=(_trade(),)))
    # The row has no venue id yet: the event brings it.
    assert not _already_known(
        _row(OrderStatus.OPEN, "0", exchange_order_id=None), _event(VenueOrderStatus.OPEN, "0")
    )
