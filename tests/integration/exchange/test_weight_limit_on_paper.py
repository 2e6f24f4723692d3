"""The exchange layer reads the paper exchange's *enforced* weight limit (not an injected
fault) as Binance's: a 429 is ``rate_limited`` and a 418 ``ip_banned``, each waiting the
venue's ``Retry-After``."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from paper_exchange.server import PaperConfig, running_paper_exchange
from shared.domain import OrderSide, OrderType
from shared.exchange.errors import RateLimitedError
from shared.exchange.types import OrderToSend
from shared.orders.client_order_id import client_order_id_for
from tests.fixtures.fix_paper import PaperAccount
from tests.integration.exchange.conftest import credential_for, make_adapters

MINUTE_START_MS = 1_700_000_040_000


def limit_buy() -> OrderToSend:
    return OrderToSend("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.001"), D("50000"),
                       client_order_id_for(uuid.uuid4()))  # fmt: skip


async def test_the_enforced_limit_reaches_the_adapter_as_rate_limited_then_ip_banned() -> None:
    config = PaperConfig(
        walk_interval_s=0, weight_limit_1m=20, weight_429s_before_ban=1, weight_ban_scale=0.05
    )
    async with running_paper_exchange(config) as handle:
        handle.state.weights.clock = lambda: MINUTE_START_MS + 50_000
        account = handle.state.accounts.create({"USDT": D("1000")})
        layer = make_adapters(None, handle.url)
        try:
            adapter = layer.for_credential(
                credential_for(PaperAccount(handle.url, account.api_key, account.secret))
            )
            await adapter.load_markets()  # exchangeInfo: the whole 20
            with pytest.raises(RateLimitedError) as limited:
                await adapter.create_order(limit_buy())
            assert (limited.value.reason, limited.value.retry_after_s) == ("rate_limited", 10)
            with pytest.raises(RateLimitedError) as banned:
                await adapter.create_order(limit_buy())
            assert (banned.value.reason, banned.value.retry_after_s) == ("ip_banned", 6)
            assert limited.value.venue_code == banned.value.venue_code == "-1003"
            assert handle.state.engine.orders["BTCUSDT"] == []  # neither order was placed
        finally:
            await layer.close_all()
