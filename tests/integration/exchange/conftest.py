"""The exchange layer wired as the worker wires it: breakers, a Postgres-backed request
budget on the test's database, and the paper exchange as a `paper` credential."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.domain import CredentialEnvironment
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.budget import BudgetRegistry
from shared.exchange.factory import ExchangeAdapters, ExchangeLayerConfig
from shared.exchange.types import OpenedCredential
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin


@pytest.fixture
async def db_pool(db_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False)
    await pool.open()
    try:
        yield pool
    finally:
        await pool.close()


def make_adapters(
    pool: AsyncConnectionPool | None, url: str, *, reset_timeout_s: float = 30.0
) -> ExchangeAdapters:
    return ExchangeAdapters(
        ExchangeLayerConfig(paper_exchange_url=url, timeout_ms=1500),
        breakers=BreakerRegistry(fail_max=5, reset_timeout_s=reset_timeout_s),
        budgets=BudgetRegistry(pool, egress="test") if pool is not None else None,
        weight_per_minute={"binance": 6000},
    )


@pytest.fixture
async def adapters(
    db_pool: AsyncConnectionPool, paper_exchange: PaperExchangeAdmin
) -> AsyncIterator[ExchangeAdapters]:
    layer = make_adapters(db_pool, paper_exchange.url)
    try:
        yield layer
    finally:
        await layer.close_all()


def credential_for(account: PaperAccount) -> OpenedCredential:
    return OpenedCredential(
        credential_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        exchange="binance",
        environment=CredentialEnvironment.PAPER,
        api_key=account.api_key,
        secret=account.secret,
    )
