"""The exchange layer wired as the worker wires it: breakers, a Postgres-backed request
budget on the test's database, and the paper exchange as a `paper` credential."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.db.pool import create_pool
from shared.domain import CredentialEnvironment
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.budget import BudgetRegistry
from shared.exchange.factory import ExchangeAdapters, ExchangeLayerConfig
from shared.exchange.types import OpenedCredential
from shared.settings import load_settings
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin


@pytest.fixture
async def db_pool(db_url: str) -> AsyncIterator[AsyncConnectionPool]:
    settings = load_settings({"DATABASE_URL": db_url, "TRADEBRIDGE_ENV": "test"})
    pool = create_pool(settings, name="test-exchange", max_size=4)
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
