"""A Coinstore credential saved over HTTP, spelled any way, reaches the Coinstore
connector and the paper exchange's Coinstore dialect (the old system lost orders to a
venue-name case mismatch)."""

from __future__ import annotations

from decimal import Decimal as D
from uuid import UUID

import pytest

from shared.exchange.coinstore import CoinstoreAdapter
from shared.sealing import load_private_key
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_web import WebServer
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.web.support import create_credential
from worker.accounts import refresh_balances
from worker.credentials import CredentialVault


@pytest.mark.parametrize("spelling", ["coinstore", "CoinStore", "COINSTORE"])
async def test_a_paper_coinstore_credential_routes_to_the_coinstore_connector(
    web: WebServer, worker: WorkerHarness, paper_account: PaperAccount, spelling: str
) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http:
        created = await create_credential(
            http, exchange=spelling, api_key=paper_account.api_key, secret=paper_account.secret,
            passphrase=None, environment="paper",
        )  # fmt: skip
        fetched = (await http.get(f"/v1/credentials/{created['id']}")).json()
    assert created["exchange"] == fetched["exchange"] == "coinstore"

    # The worker opens it with the key the web sealed it to.
    worker.ctx.vault = CredentialVault(
        {web.keys.key_id: load_private_key(web.keys.private_key_b64)}
    )
    credential_id = UUID(created["id"])
    async with worker.pool.connection() as conn:
        opened = await worker.ctx.vault.open(conn, credential_id)
    assert isinstance(worker.ctx.adapters.for_credential(opened), CoinstoreAdapter)

    await worker.paper.clear_request_counts()
    assert await refresh_balances(worker.ctx, credential_id) == "refreshed"
    counts = await worker.paper.request_counts(api_key=paper_account.api_key)
    assert counts == {"POST /coinstore/api/spot/accountList": 1}
    rows = await worker.fetch(
        "SELECT free FROM balances WHERE credential_id = %s AND asset = 'USDT'", credential_id
    )
    assert rows == [(D("100000"),)]
