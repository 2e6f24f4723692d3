"""Each Binance error code the paper exchange emits, as the exception ccxt raises for it.

The expected classes come from ccxt's binance ``exceptions`` map and its
``handle_errors`` (legacy body checks for LOT_SIZE / PRICE_FILTER, 418/429 first).
Class checks use ``type(...) is`` where the exact class matters, because several of
these classes inherit from one another (OrderNotFound < InvalidOrder, BadSymbol < BadRequest).
"""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from paper_exchange.server import PaperConfig, running_paper_exchange
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin


def binance_code(exc: BaseException) -> int:
    """The ``code`` of the Binance JSON body that ccxt put in the exception message."""
    text = str(exc)
    body = json.loads(text[text.index("{") :])
    return int(body["code"])


async def test_invalid_signature_1022_is_authentication_error(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount
) -> None:
    client = paper_exchange_client(paper_account, secret="x" * 64)
    try:
        with pytest.raises(ccxt.AuthenticationError) as err:
            await client.fetch_balance()
        assert type(err.value) is ccxt.AuthenticationError
        assert binance_code(err.value) == -1022
    finally:
        await client.close()


async def test_bad_api_key_format_2014_is_authentication_error(
    paper_account: PaperAccount,
) -> None:
    client = paper_exchange_client(paper_account, api_key="not-a-valid-key!")
    try:
        with pytest.raises(ccxt.AuthenticationError) as err:
            await client.fetch_balance()
        assert type(err.value) is ccxt.AuthenticationError
        assert binance_code(err.value) == -2014
    finally:
        await client.close()


async def test_unknown_api_key_2015_is_authentication_error(paper_account: PaperAccount) -> None:
    client = paper_exchange_client(paper_account, api_key="A" * 64)
    try:
        with pytest.raises(ccxt.AuthenticationError) as err:
            await client.fetch_balance()
        assert type(err.value) is ccxt.AuthenticationError
        assert binance_code(err.value) == -2015
    finally:
        await client.close()


async def test_2015_after_a_successful_private_call_becomes_ddos_protection(
    paper_account: PaperAccount,
) -> None:
    """ccxt quirk: once a private call succeeded, -2015 is read as a temporary ban."""
    client = paper_account.client()
    try:
        await client.fetch_balance()
        client.apiKey = "B" * 64
        with pytest.raises(ccxt.DDoSProtection) as err:
            await client.fetch_balance()
        assert binance_code(err.value) == -2015
    finally:
        await client.close()


@pytest.mark.parametrize("time_difference_ms", [120_000, -30_000])
async def test_timestamp_outside_recv_window_1021_is_invalid_nonce(
    paper_account: PaperAccount, time_difference_ms: int
) -> None:
    # ccxt signs with timestamp = now - timeDifference: 2 minutes late, or 30 s ahead.
    client = paper_account.client(timeDifference=time_difference_ms)
    try:
        with pytest.raises(ccxt.InvalidNonce) as err:
            await client.fetch_balance()
        assert binance_code(err.value) == -1021
    finally:
        await client.close()


async def test_recv_window_is_honoured(paper_account: PaperAccount) -> None:
    # 20 s late passes with a 30 s recvWindow but not with ccxt's default 10 s.
    wide = paper_account.client(timeDifference=20_000, recvWindow=30_000)
    narrow = paper_account.client(timeDifference=20_000)
    try:
        await wide.fetch_balance()
        with pytest.raises(ccxt.InvalidNonce):
            await narrow.fetch_balance()
    finally:
        await wide.close()
        await narrow.close()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"symbol": "BTCUSDT"}, -1102),  # neither orderId nor origClientOrderId
        ({"symbol": "BTCUSDT", "orderId": "12x"}, -1100),
    ],
)
async def test_bad_params_on_query_order_are_bad_request(
    paper_client: Any, params: dict[str, str], code: int
) -> None:
    with pytest.raises(ccxt.BadRequest) as err:
        await paper_client.private_get_order(params)
    assert type(err.value) is ccxt.BadRequest
    assert binance_code(err.value) == code


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "MARKET", "quantity": "0.01", "price": "60000"}, -1106),
        ({"type": "MARKET", "quantity": "abc"}, -1100),
        ({"type": "LIMIT", "quantity": "0.01", "price": "60000"}, -1102),  # no timeInForce
    ],
)
async def test_bad_params_on_new_order_are_bad_request(
    paper_client: Any, params: dict[str, str], code: int
) -> None:
    with pytest.raises(ccxt.BadRequest) as err:
        await paper_client.private_post_order({"symbol": "BTCUSDT", "side": "BUY", **params})
    assert type(err.value) is ccxt.BadRequest
    assert binance_code(err.value) == code


async def test_invalid_symbol_1121_is_bad_symbol(paper_client: Any) -> None:
    with pytest.raises(ccxt.BadSymbol) as err:
        await paper_client.public_get_depth({"symbol": "NOPEUSDT"})
    assert binance_code(err.value) == -1121
    with pytest.raises(ccxt.BadSymbol):
        await paper_client.private_get_openorders({"symbol": "NOPEUSDT"})


async def test_price_filter_1013_is_invalid_order(
    paper_exchange: PaperExchangeAdmin, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    with pytest.raises(ccxt.InvalidOrder) as err:
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.001, 2_000_000)
    assert type(err.value) is ccxt.InvalidOrder
    assert "Filter failure: PRICE_FILTER" in str(err.value)
    # Off-tick prices never leave ccxt (it rounds); sent raw, the venue refuses them.
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        await paper_client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "59000.005",
            }
        )


async def test_lot_size_1013_is_invalid_order(paper_client: Any) -> None:
    with pytest.raises(ccxt.InvalidOrder) as err:
        await paper_client.create_order("BTC/USDT", "limit", "sell", 10_000, 60000)
    assert type(err.value) is ccxt.InvalidOrder
    assert binance_code(err.value) == -1013
    assert "Filter failure: LOT_SIZE" in str(err.value)


async def test_notional_1013_is_bad_request(paper_client: Any) -> None:
    """ccxt quirk: only LOT_SIZE / PRICE_FILTER bodies become InvalidOrder; -1013 maps to BadRequest."""
    with pytest.raises(ccxt.BadRequest) as err:
        await paper_client.create_order("BTC/USDT", "limit", "buy", 0.00005, 50000)  # 2.5 USDT
    assert type(err.value) is ccxt.BadRequest
    assert "Filter failure: NOTIONAL" in str(err.value)


async def test_insufficient_balance_2010_is_insufficient_funds(
    paper_exchange: PaperExchangeAdmin, paper_account: PaperAccount, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    with pytest.raises(ccxt.InsufficientFunds):
        await paper_client.create_order("BTC/USDT", "limit", "buy", 2, 59000)  # 118000 > 100000
    # ccxt matched the message, so the code is only in the raw response.
    assert json.loads(paper_client.last_http_response)["code"] == -2010
    with pytest.raises(ccxt.InsufficientFunds):
        await paper_client.create_order("BTC/USDT", "market", "sell", 1.5)
    assert await paper_exchange.orders(api_key=paper_account.api_key) == []


async def test_duplicate_open_client_order_id_2010_is_invalid_order(paper_client: Any) -> None:
    await paper_client.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "dup"}
    )
    with pytest.raises(ccxt.InvalidOrder) as err:
        await paper_client.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 50001, {"clientOrderId": "dup"}
        )
    # Not DuplicateOrderId: ccxt's binance map has no entry for "Duplicate order sent."
    assert type(err.value) is ccxt.InvalidOrder
    assert binance_code(err.value) == -2010
    assert "Duplicate order sent." in str(err.value)


async def test_cancel_unknown_order_2011_is_order_not_found(paper_client: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound) as err:
        await paper_client.cancel_order("987654321", "BTC/USDT")
    assert binance_code(err.value) == -2011
    with pytest.raises(ccxt.OrderNotFound):
        await paper_client.cancel_all_orders("SOL/USDT")  # nothing open: -2011 too


async def test_cancel_filled_order_2011_is_order_not_found(
    paper_exchange: PaperExchangeAdmin, paper_client: Any
) -> None:
    await paper_exchange.set_mid("BTCUSDT", "60000")
    order = await paper_client.create_order("BTC/USDT", "market", "buy", 0.01)
    with pytest.raises(ccxt.OrderNotFound) as err:
        await paper_client.cancel_order(order["id"], "BTC/USDT")
    assert binance_code(err.value) == -2011


async def test_unknown_order_2013_is_order_not_found(paper_client: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound) as err:
        await paper_client.fetch_order("987654321", "BTC/USDT")
    assert binance_code(err.value) == -2013
    with pytest.raises(ccxt.OrderNotFound):
        await paper_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "never-sent"})


async def test_request_weight_limit_1003_is_429_ddos_protection() -> None:
    """With ``weight_limit_1m`` set the venue enforces it: 429 + -1003 (here on its own loop)."""
    config = PaperConfig(walk_interval_s=0, weight_limit_1m=30)
    async with running_paper_exchange(config) as handle:
        account = handle.state.accounts.create({})
        client = PaperAccount(handle.url, account.api_key, account.secret).client()
        try:
            await client.load_markets()  # exchangeInfo: weight 20
            with pytest.raises(ccxt.DDoSProtection) as err:
                await client.fetch_balance()  # account: weight 20 -> 40 > 30
            assert binance_code(err.value) == -1003
            assert "429" in str(err.value)
            assert client.last_response_headers["X-MBX-USED-WEIGHT-1M"] == "40"
        finally:
            await client.close()


def paper_exchange_client(
    account: PaperAccount, *, api_key: str | None = None, secret: str | None = None
) -> Any:
    return PaperAccount(account.url, api_key or account.api_key, secret or account.secret).client()
