"""Injected faults, as the ccxt binance client experiences them.

Faults are scoped to the test account's API key, so nothing leaks into other tests.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

ORDER = "/api/v3/order"


async def place(client: Any, client_order_id: str) -> Any:
    return await client.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": client_order_id}
    )


@pytest.fixture
async def short_timeout_client(paper_account: PaperAccount) -> Any:
    client = paper_account.client(timeout=400)  # ms
    await client.load_markets()
    try:
        yield client
    finally:
        await client.close()


async def test_http_503_is_exchange_not_available_and_nothing_is_created(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_client.load_markets()
    await paper_exchange.inject_fault("http_503", ORDER, api_key=paper_account.api_key)
    with pytest.raises(ccxt.ExchangeNotAvailable) as err:
        await place(paper_client, "f503")
    assert " 503 " in str(err.value)
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []
    assert (await paper_exchange.request_counts(paper_account.api_key))[f"POST {ORDER}"] == 1
    # The fault was for one request only.
    assert (await place(paper_client, "f503"))["status"] == "open"


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        # Binance's "Internal error" body carries a code: ccxt maps -1001 to OperationFailed,
        # which is *not* a NetworkError; a retry policy keyed on NetworkError skips it.
        (
            "http_503",
            {
                "code": -1001,
                "msg": "Internal error; unable to process your request. Please try again.",
            },
            ccxt.OperationFailed,
        ),
        ("http_500", None, ccxt.OperationFailed),
        # "-1007 Timeout waiting for response from backend server": status unknown.
        (
            "http_503",
            {
                "code": -1007,
                "msg": "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
            },
            ccxt.RequestTimeout,
        ),
    ],
)
async def test_5xx_with_a_binance_code_follows_the_code(
    paper_exchange: PaperExchangeAdmin,
    paper_account: PaperAccount,
    paper_client: Any,
    kind: str,
    body: Any,
    expected: type[Exception],
) -> None:
    await paper_client.load_markets()
    await paper_exchange.inject_fault(kind, ORDER, api_key=paper_account.api_key, body=body)
    with pytest.raises(expected) as err:
        await place(paper_client, "f5xx")
    assert type(err.value) is expected


@pytest.mark.parametrize(("kind", "status"), [("http_429", 429), ("http_418", 418)])
async def test_rate_limit_and_ban_are_ddos_protection_with_retry_after(
    paper_exchange: PaperExchangeAdmin,
    paper_account: PaperAccount,
    paper_client: Any,
    kind: str,
    status: int,
) -> None:
    await paper_client.load_markets()
    await paper_exchange.inject_fault(kind, ORDER, api_key=paper_account.api_key, retry_after_s=7)
    with pytest.raises(ccxt.DDoSProtection) as err:
        await place(paper_client, "frl")
    # binance.handle_errors raises DDoSProtection for both before looking at -1003,
    # so it is never ccxt.RateLimitExceeded (a sibling class, not a subclass).
    assert type(err.value) is ccxt.DDoSProtection
    assert f" {status} " in str(err.value)
    assert '"code":-1003' in str(err.value).replace(" ", "")
    assert paper_client.last_response_headers["Retry-After"] == "7"
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_hang_is_request_timeout_and_nothing_is_created(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, short_timeout_client: Any
) -> None:
    await paper_exchange.inject_fault("hang", ORDER, api_key=paper_account.api_key, hang_s=2)
    with pytest.raises(ccxt.RequestTimeout):
        await place(short_timeout_client, "fhang")
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_drop_before_processing_is_network_error_and_nothing_is_created(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_client.load_markets()
    await paper_exchange.inject_fault("drop", ORDER, api_key=paper_account.api_key)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await place(paper_client, "fdrop")
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_accept_then_drop_creates_the_order_and_a_lookup_by_client_id_finds_it(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.load_markets()
    await paper_exchange.inject_fault("accept_then_drop", ORDER, api_key=paper_account.api_key)
    with pytest.raises(ccxt.NetworkError) as err:
        await place(paper_client, "lost-1")
    assert type(err.value) is ccxt.ExchangeNotAvailable  # aiohttp ServerDisconnectedError
    found = await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "lost-1"})
    assert (found["clientOrderId"], found["status"], found["amount"]) == ("lost-1", "open", 0.01)
    venue = await paper_exchange.orders(api_key=paper_account.api_key)
    assert [o["clientOrderId"] for o in venue] == ["lost-1"]
    # Retrying the create with the same client id while it is open is refused.
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await place(paper_client, "lost-1")


async def test_accept_then_drop_of_a_filled_market_order(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    """The dangerous case: the order filled, so its client id is free to be reused."""
    await paper_exchange.set_mid("BTCUSDT", "60000")
    await paper_client.load_markets()
    await paper_exchange.inject_fault("accept_then_drop", ORDER, api_key=paper_account.api_key)
    with pytest.raises(ccxt.NetworkError):
        await paper_client.create_order(
            "BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "mkt-lost"}
        )
    found = await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "mkt-lost"})
    assert (found["status"], found["filled"]) == ("closed", 0.01)
    # A blind retry succeeds and buys a second time.
    again = await paper_client.create_order(
        "BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "mkt-lost"}
    )
    assert again["id"] != found["id"]
    assert len(await paper_exchange.trades(api_key=paper_account.api_key)) == 2


async def test_accept_then_504_is_request_timeout_and_the_order_exists(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_client.load_markets()
    await paper_exchange.inject_fault("accept_then_504", ORDER, api_key=paper_account.api_key)
    with pytest.raises(ccxt.RequestTimeout) as err:
        await place(paper_client, "gw-1")
    assert " 504 " in str(err.value)
    found = await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "gw-1"})
    assert found["status"] == "open"


async def test_accept_then_hang_holds_the_order_while_the_caller_times_out(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, short_timeout_client: Any
) -> None:
    await paper_exchange.inject_fault(
        "accept_then_hang", ORDER, api_key=paper_account.api_key, hang_s=2
    )
    with pytest.raises(ccxt.RequestTimeout):
        await place(short_timeout_client, "held-1")
    venue = await paper_exchange.orders(api_key=paper_account.api_key)
    assert [(o["clientOrderId"], o["status"]) for o in venue] == [("held-1", "NEW")]


async def test_delay_creates_the_order_after_the_caller_gave_up(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, short_timeout_client: Any
) -> None:
    await paper_exchange.inject_fault("delay", ORDER, api_key=paper_account.api_key, delay_s=1.2)
    with pytest.raises(ccxt.RequestTimeout):
        await place(short_timeout_client, "late-1")
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []  # not yet
    for _ in range(40):
        orders = await paper_exchange.orders(api_key=paper_account.api_key)
        if orders:
            break
        await asyncio.sleep(0.1)
    assert [o["clientOrderId"] for o in orders] == ["late-1"]


async def test_fault_counts_down_and_is_scoped_to_its_api_key(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    other = await paper_exchange.create_account()
    other_client = other.client()
    try:
        await paper_client.load_markets()
        await paper_exchange.inject_fault(
            "http_503", "/api/v3/account", method="GET", times=2, api_key=paper_account.api_key
        )
        assert (await other_client.fetch_balance())["USDT"]["free"] == 100000.0
        for _ in range(2):
            with pytest.raises(ccxt.ExchangeNotAvailable):
                await paper_client.fetch_balance()
        assert [
            f for f in await paper_exchange.faults() if f["api_key"] == paper_account.api_key
        ] == []
        assert (await paper_client.fetch_balance())["USDT"]["free"] == 100000.0
        counts = await paper_exchange.request_counts(paper_account.api_key)
        assert counts["GET /api/v3/account"] == 3  # faulted requests are counted too
    finally:
        await other_client.close()


async def test_request_counts_stop_growing_when_the_caller_stops(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    """What a circuit-breaker test asserts: no requests reach the venue while it is open."""
    await paper_client.load_markets()
    await paper_exchange.inject_fault("http_503", ORDER, api_key=paper_account.api_key, times=3)
    for _ in range(3):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await place(paper_client, "cb")
    before = await paper_exchange.request_counts(paper_account.api_key)
    await asyncio.sleep(0.2)  # a caller with an open breaker sends nothing
    after = await paper_exchange.request_counts(paper_account.api_key)
    assert before == after == {f"POST {ORDER}": 3}
