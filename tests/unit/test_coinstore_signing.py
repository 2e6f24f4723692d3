"""Coinstore request signing: the documented two-step HMAC, and the bytes signed are the
bytes sent (checked on the request httpx actually builds)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import httpx

from shared.domain import CredentialEnvironment, OrderSide, OrderType, TimeInForce
from shared.exchange.breaker import BreakerRegistry
from shared.exchange.coinstore import CoinstoreAdapter
from shared.exchange.coinstore_wire import coinstore_signature
from shared.exchange.types import OpenedCredential, OrderToSend
from shared.exchange.wire_numbers import plain

# The documentation's own example payloads ("Signature Authentication", examples 1 and 2)
# signed with a test secret. The expected values were computed outside Python with
# `openssl dgst -sha256 -hmac`, following the documented steps: key = hex HMAC(secret,
# str(expires // 30000)), sign = hex HMAC(key, payload).
EXPIRES = 1627384801051  # the documented example's timestamp; period 54246160
POST_BODY = (
    b'{"symbol":"aaaa88","side":"SELL","ordType":"LIMIT","ordPrice":2,"ordQty":1,'
    b'"timestamp":1627384801051}'
)
GET_QUERY = b"symbol=aaaa88&size=10"


def test_signature_matches_vectors_computed_from_the_documented_steps() -> None:
    assert coinstore_signature("test-secret", EXPIRES, POST_BODY) == (
        "781cf84dbbb5dba0ccaa247af25da42e8620df47faedcc8f80d5c7703f5ab1ba"
    )
    assert coinstore_signature("test-secret", EXPIRES, GET_QUERY) == (
        "d86c750e7e044aae514c85af63ee1d3be6badbe18916c4a11696762c3610ceae"
    )
    # One millisecond into the previous 30 s period: another key, another signature.
    assert coinstore_signature("test-secret", 54246160 * 30_000 - 1, GET_QUERY) == (
        "707eff5ffcab3d49f0f96631538875f17e36bb56102c2cd3f8e25a030e012361"
    )
    # Within one period the key is the same: only the timestamp header differs.
    period_start = 54246160 * 30_000
    assert coinstore_signature("s", period_start, GET_QUERY) == coinstore_signature(
        "s", period_start + 29_999, GET_QUERY
    )


def test_amounts_are_sent_plain_never_in_exponent_notation() -> None:
    assert plain(D("0.00001")) == "0.00001"
    assert plain(D("1E+2")) == "100"
    assert plain(D("60000.50")) == "60000.5"


def adapter_over(requests: list[httpx.Request]) -> CoinstoreAdapter:
    order_row = {"ordId": 77, "clOrdId": "tbclient", "symbol": "BTCUSDT", "side": "BUY",
                 "ordType": "LIMIT", "ordQty": "0.00001", "ordPrice": "60000.5", "cumQty": "0",
                 "cumAmt": "0", "avgPrice": "0", "ordStatus": "SUBMITTED", "timestamp": 1}  # fmt: skip
    answers = {
        "/api/v2/public/config/spot/symbols": [{
            "symbolCode": "BTCUSDT", "tradeCurrencyCode": "btc", "quoteCurrencyCode": "usdt",
            "tickSz": 2, "lotSz": 5, "minLmtSz": "0.00001", "openTrade": True}],
        "/api/trade/order/place": {"ordId": 77},
        "/api/v2/trade/order/orderInfo": [order_row],
    }  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"code": "0", "data": answers[request.url.path]})

    credential = OpenedCredential(
        credential_id="c", client_id="k", exchange="coinstore",
        environment=CredentialEnvironment.LIVE, api_key="key", secret="sec",
    )  # fmt: skip
    return CoinstoreAdapter(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        base_url=CoinstoreAdapter.LIVE_BASE_URL, credential=credential,
        breaker=BreakerRegistry().for_venue("coinstore", "api.coinstore.com"), budgets=None,
    )  # fmt: skip


async def test_the_signature_covers_exactly_the_bytes_httpx_sends() -> None:
    captured: list[httpx.Request] = []
    adapter = adapter_over(captured)
    order = OrderToSend("BTC/USDT", OrderSide.BUY, OrderType.LIMIT, D("0.00001"),
                        D("60000.50"), "tbclient", TimeInForce.GTC)  # fmt: skip
    placed = await adapter.create_order(order)
    assert placed.exchange_order_id == "77"
    signed = [r for r in captured if "X-CS-SIGN" in r.headers]
    assert [r.url.path for r in signed] == [
        "/api/trade/order/place",
        "/api/v2/trade/order/orderInfo",
    ]
    for request in signed:
        payload = request.url.query + request.content
        expires = int(request.headers["X-CS-EXPIRES"])
        assert request.headers["X-CS-APIKEY"] == "key"
        assert request.headers["X-CS-SIGN"] == coinstore_signature("sec", expires, payload)
    place = json.loads(signed[0].content)
    assert (place["ordQty"], place["ordPrice"], place["clOrdId"]) == (
        "0.00001",
        "60000.5",
        "tbclient",
    )
    assert signed[1].url.query == b"ordId=77"
    # Public calls carry no key material.
    assert "X-CS-APIKEY" not in captured[0].headers
    assert captured[0].content == b"{}"
