"""BitMart signing: BitMart's own example, and the bytes signed are the bytes sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from paper_exchange.bitmart_auth import signature as paper_signature
from shared.domain import CredentialEnvironment
from shared.exchange.bitmart import BitMart, bitmart_signature
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.types import OpenedCredential

# BitMart's docs ("Authentication Q&A" and the WebSocket login example) sign with these
# example keys: echo -n '1589267764859#test001#bitmart.WebSocket' | openssl dgst -sha256
# -hmac "6c6c…df9" gives 3ceeb7e1….
DOC_SECRET = "6c6c98544461bbe71db2bca4c6d7fd0021e0ba9efc215f9c6ad41852df9d9df9"
DOC_MEMO = "test001"
DOC_TIMESTAMP = "1589267764859"
DOC_SIGNATURE = "3ceeb7e1b8cb165a975e28a2e2dfaca4d30b358873c0351c1a071d8c83314556"


def test_signature_matches_bitmarts_documented_example() -> None:
    assert (
        bitmart_signature(DOC_SECRET, DOC_TIMESTAMP, DOC_MEMO, b"bitmart.WebSocket")
        == DOC_SIGNATURE
    )


def test_the_paper_venue_computes_the_same_signature() -> None:
    # Two implementations (the connector's and the venue's), one documented answer.
    assert paper_signature(DOC_SECRET, DOC_TIMESTAMP, DOC_MEMO, b"bitmart.WebSocket") == (
        DOC_SIGNATURE
    )


def test_memo_and_payload_are_part_of_the_signature() -> None:
    base = bitmart_signature(DOC_SECRET, DOC_TIMESTAMP, DOC_MEMO, b"{}")
    assert bitmart_signature(DOC_SECRET, DOC_TIMESTAMP, "test002", b"{}") != base
    assert bitmart_signature(DOC_SECRET, DOC_TIMESTAMP, DOC_MEMO, b"{ }") != base


Captured = list[httpx.Request]
A_CANCELED_ORDER = {
    "orderId": "11", "clientOrderId": "tbabc", "symbol": "BTC_USDT", "side": "buy",
    "type": "limit", "state": "canceled", "cancelSource": "user", "price": "1",
    "priceAvg": "0", "size": "1", "filledSize": "0", "createTime": 1700000000000,
}  # fmt: skip


@pytest.fixture
async def adapter_and_requests() -> AsyncIterator[tuple[BitMart, Captured]]:
    captured: Captured = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        data: object = {"wallet": []} if request.method == "GET" else {"result": True}
        if request.url.path.startswith("/spot/v4/query/"):
            data = A_CANCELED_ORDER
        return httpx.Response(200, json={"code": 1000, "message": "OK", "trace": "t", "data": data})

    credential = OpenedCredential(
        credential_id="c", client_id="k", exchange="bitmart",
        environment=CredentialEnvironment.LIVE, api_key="key", secret="s3cret", memo="mémo",
    )  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        adapter = BitMart(
            http, base_url="https://api-cloud.bitmart.com", credential=credential,
            breaker=BreakerRegistry().for_venue("bitmart", "api-cloud.bitmart.com"), budgets=None,
        )  # fmt: skip
        yield adapter, captured


def _verifies(request: httpx.Request, payload: bytes) -> bool:
    return request.headers["X-BM-SIGN"] == bitmart_signature(
        "s3cret", request.headers["X-BM-TIMESTAMP"], "mémo", payload
    )


async def test_a_post_signs_the_exact_body_bytes_it_sends(
    adapter_and_requests: tuple[BitMart, Captured],
) -> None:
    adapter, captured = adapter_and_requests
    await adapter.cancel_order("BTC/USDT", client_order_id="tbabc")
    cancel = captured[0]
    assert cancel.url.path == "/spot/v3/cancel_order"
    assert json.loads(cancel.content) == {"symbol": "BTC_USDT", "client_order_id": "tbabc"}
    assert cancel.headers["X-BM-KEY"] == "key"
    assert cancel.headers["Content-Type"] == "application/json"
    assert _verifies(cancel, cancel.content)
    # Any other serialisation of the same JSON (a space after the colon) would not verify.
    assert not _verifies(cancel, json.dumps(json.loads(cancel.content)).encode())


async def test_a_get_signs_its_query_string(
    adapter_and_requests: tuple[BitMart, Captured],
) -> None:
    adapter, captured = adapter_and_requests
    assert await adapter.fetch_balance() == {}
    wallet = captured[0]
    assert (wallet.method, wallet.url.path, wallet.url.query) == ("GET", "/spot/v1/wallet", b"")
    assert _verifies(wallet, b"")


@pytest.mark.parametrize("now", [1_700_000_000.0, 1_700_000_000.9999])
async def test_the_timestamp_is_utc_milliseconds(
    adapter_and_requests: tuple[BitMart, Captured],
    monkeypatch: pytest.MonkeyPatch,
    now: float,
) -> None:
    adapter, captured = adapter_and_requests
    clock: Callable[[], float] = lambda: now  # noqa: E731
    monkeypatch.setattr("shared.exchange.bitmart.clock", clock)
    await adapter.fetch_balance()
    assert captured[0].headers["X-BM-TIMESTAMP"] == str(int(now * 1000))
