"""Request weight per IP on the paper exchange, over HTTP: Binance's documented weight
of each route in ``X-MBX-USED-WEIGHT-1M``, the calendar-minute window, the admin
ledger, and 429 then escalating 418 bans when a limit is configured.

Each test serves its own exchange on its loop and replaces the ledger's clock, so a
minute passes or a ban ends without waiting. Requests from 127.0.0.2 (the loopback
network answers every 127.x address) stand for a second egress IP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

from paper_exchange.server import PaperConfig, PaperExchangeHandle, running_paper_exchange
from paper_exchange.signing import sign
from paper_exchange.state import now_ms
from paper_exchange.weights import Verdict, charge_weight
from tests.fixtures.fix_paper import PaperExchangeAdmin

MINUTE_START_MS = 1_700_000_040_000  # a calendar minute's first millisecond
assert MINUTE_START_MS % 60_000 == 0


class FakeClock:
    def __init__(self, start_ms: int) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


class BinanceHttp:
    """Raw Binance-dialect requests from one source address, signed when asked."""

    def __init__(self, http: httpx.AsyncClient, api_key: str = "", secret: str = "") -> None:
        self.http = http
        self.api_key = api_key
        self.secret = secret

    async def call(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, signed: bool = False
    ) -> httpx.Response:
        query = urlencode({k: str(v) for k, v in (params or {}).items()})
        headers = {}
        if signed:
            query = f"{query}&timestamp={now_ms()}" if query else f"timestamp={now_ms()}"
            query = f"{query}&signature={sign(self.secret, query)}"
            headers["X-MBX-APIKEY"] = self.api_key
        url = f"/api/v3/{path}" + (f"?{query}" if query else "")
        return await self.http.request(method, url, headers=headers)


def used_1m(response: httpx.Response) -> int:
    assert response.headers["X-MBX-USED-WEIGHT"] == response.headers["X-MBX-USED-WEIGHT-1M"]
    return int(response.headers["X-MBX-USED-WEIGHT-1M"])


@asynccontextmanager
async def paper(
    clock: FakeClock, **config: Any
) -> AsyncIterator[tuple[PaperExchangeHandle, PaperExchangeAdmin]]:
    async with running_paper_exchange(PaperConfig(walk_interval_s=0, **config)) as handle:
        handle.state.weights.clock = clock
        yield handle, PaperExchangeAdmin(handle.url)


@asynccontextmanager
async def binance_from(
    handle: PaperExchangeHandle, source_ip: str = "127.0.0.1"
) -> AsyncIterator[BinanceHttp]:
    account = handle.state.accounts.create({"USDT": Decimal("1000")})
    transport = httpx.AsyncHTTPTransport(local_address=source_ip)
    async with httpx.AsyncClient(base_url=handle.url, transport=transport, timeout=10.0) as http:
        yield BinanceHttp(http, account.api_key, account.secret)


async def test_each_route_is_charged_its_documented_weight() -> None:
    clock = FakeClock(MINUTE_START_MS + 1_000)
    async with paper(clock) as (handle, _), binance_from(handle) as api:
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        order |= {"quantity": "0.001", "price": "50000", "newClientOrderId": "w-1"}
        cases: list[tuple[str, str, dict[str, Any], bool, int]] = [
            ("GET", "ping", {}, False, 1),
            ("GET", "time", {}, False, 1),
            ("GET", "exchangeInfo", {}, False, 20),
            ("GET", "depth", {"symbol": "BTCUSDT"}, False, 5),
            ("GET", "depth", {"symbol": "BTCUSDT", "limit": 100}, False, 5),
            ("GET", "depth", {"symbol": "BTCUSDT", "limit": 101}, False, 25),
            ("GET", "depth", {"symbol": "BTCUSDT", "limit": 1000}, False, 50),
            ("GET", "depth", {"symbol": "BTCUSDT", "limit": 5000}, False, 250),
            ("GET", "avgPrice", {"symbol": "BTCUSDT"}, False, 2),
            ("GET", "ticker/24hr", {"symbol": "BTCUSDT"}, False, 2),
            ("GET", "ticker/24hr", {"symbols": '["BTCUSDT","ETHUSDT"]'}, False, 2),
            ("GET", "ticker/24hr", {}, False, 80),
            ("GET", "ticker/price", {"symbol": "BTCUSDT"}, False, 2),
            ("GET", "ticker/price", {"symbols": '["BTCUSDT"]'}, False, 4),
            ("GET", "ticker/price", {}, False, 4),
            ("GET", "ticker/bookTicker", {"symbol": "BTCUSDT"}, False, 2),
            ("GET", "ticker/bookTicker", {}, False, 4),
            ("GET", "account", {}, True, 20),
            ("POST", "order/test", order, True, 1),
            ("POST", "order/test", order | {"computeCommissionRates": "true"}, True, 20),
            ("POST", "order", order, True, 1),
            ("POST", "order", order | {"newClientOrderId": "w-2"}, True, 1),
            ("GET", "order", {"symbol": "BTCUSDT", "origClientOrderId": "w-1"}, True, 4),
            ("GET", "openOrders", {"symbol": "BTCUSDT"}, True, 6),
            ("GET", "openOrders", {}, True, 80),
            ("GET", "allOrders", {"symbol": "BTCUSDT"}, True, 20),
            ("GET", "myTrades", {"symbol": "BTCUSDT"}, True, 20),
            ("GET", "myTrades", {"symbol": "BTCUSDT", "orderId": 1}, True, 5),
            ("DELETE", "order", {"symbol": "BTCUSDT", "origClientOrderId": "w-1"}, True, 1),
            ("DELETE", "openOrders", {"symbol": "BTCUSDT"}, True, 1),  # cancels w-2
        ]
        used = 0
        for method, path, params, signed, weight in cases:
            response = await api.call(method, path, params, signed)
            assert response.status_code == 200, (method, path, response.text)
            assert used_1m(response) - used == weight, (method, path, params)
            used = used_1m(response)
        # A request the venue refuses is charged all the same.
        refused = await api.call("GET", "openOrders", {"symbol": "NOPE"}, signed=True)
        assert (refused.status_code, used_1m(refused)) == (400, used + 6)


async def test_the_window_is_the_calendar_minute_and_totals_keep_counting() -> None:
    clock = FakeClock(MINUTE_START_MS + 10_000)
    async with paper(clock) as (handle, admin), binance_from(handle) as api:
        assert used_1m(await api.call("GET", "exchangeInfo")) == 20
        clock.now_ms = MINUTE_START_MS + 59_999
        assert used_1m(await api.call("GET", "ping")) == 21
        clock.now_ms = MINUTE_START_MS + 60_000
        assert used_1m(await api.call("GET", "ping")) == 1
        seen = (await admin.weights())["ips"]["127.0.0.1"]
        assert (seen["used_1m"], seen["weight"], seen["requests"]) == (1, 22, 3)
        clock.advance(60_000)  # a quiet minute: nothing used in it, totals unchanged
        seen = (await admin.weights())["ips"]["127.0.0.1"]
        assert (seen["used_1m"], seen["weight"], seen["requests"]) == (0, 22, 3)


async def test_the_ledger_is_per_ip_admin_reads_and_resets_it_and_other_dialects_are_free() -> None:
    clock = FakeClock(MINUTE_START_MS)
    async with (
        paper(clock) as (handle, admin),
        binance_from(handle, "127.0.0.1") as first,
        binance_from(handle, "127.0.0.2") as second,
    ):
        assert used_1m(await first.call("GET", "account", signed=True)) == 20
        assert used_1m(await second.call("GET", "ping")) == 1
        assert used_1m(await first.call("GET", "ping")) == 21
        await admin.weights()  # the admin API is never charged
        assert "X-MBX-USED-WEIGHT-1M" not in (await first.http.get("/_admin/health")).headers
        coinstore = await first.http.get("/coinstore/api/v1/market/tickers")
        assert coinstore.status_code == 200
        assert "X-MBX-USED-WEIGHT-1M" not in coinstore.headers
        bitmart = await first.http.get("/bitmart/spot/quotation/v3/ticker?symbol=BTC_USDT")
        assert bitmart.status_code == 200
        assert "X-MBX-USED-WEIGHT-1M" not in bitmart.headers

        read = await admin.weights()
        assert read["limit_1m"] is None
        assert read["ips"] == {
            "127.0.0.1": {
                **{"used_1m": 21, "weight": 21, "requests": 2, "http_429": 0, "http_418": 0},
                **{"bans": 0, "banned_until_ms": None},
            },
            "127.0.0.2": {
                **{"used_1m": 1, "weight": 1, "requests": 1, "http_429": 0, "http_418": 0},
                **{"bans": 0, "banned_until_ms": None},
            },
        }
        assert list((await admin.weights(ip="127.0.0.2"))["ips"]) == ["127.0.0.2"]

        assert await admin.reset_weights(ip="127.0.0.2") == 1
        assert list((await admin.weights())["ips"]) == ["127.0.0.1"]
        clock.advance(5_000)
        assert await admin.reset_weights() == 1
        read = await admin.weights()
        assert (read["ips"], read["since_ms"]) == ({}, MINUTE_START_MS + 5_000)
        assert used_1m(await first.call("GET", "ping")) == 1  # the minute restarted too


async def test_charge_weight_counts_another_transports_requests_in_the_same_ledger() -> None:
    clock = FakeClock(MINUTE_START_MS)
    async with paper(clock, weight_limit_1m=10) as (handle, admin), binance_from(handle) as api:
        assert charge_weight(handle.app, "127.0.0.1", 8).verdict is Verdict.ADMITTED
        assert used_1m(await api.call("GET", "ping")) == 9
        refused = charge_weight(handle.app, "127.0.0.1", 2)
        assert (refused.verdict, refused.used_1m, refused.retry_after_s) == (
            Verdict.RATE_LIMITED,
            11,
            60,
        )
        seen = (await admin.weights())["ips"]["127.0.0.1"]
        assert (seen["weight"], seen["requests"], seen["http_429"]) == (11, 3, 1)


async def test_nothing_is_enforced_by_default() -> None:
    clock = FakeClock(MINUTE_START_MS)
    async with paper(clock) as (handle, admin), binance_from(handle) as api:
        for _ in range(301):  # 6,020 weight: past Binance's 6,000
            response = await api.call("GET", "exchangeInfo")
            assert response.status_code == 200
        assert used_1m(response) == 6020
        assert response.json()["rateLimits"][0]["limit"] == 6000
        seen = (await admin.weights())["ips"]["127.0.0.1"]
        assert (seen["weight"], seen["http_429"], seen["http_418"]) == (6020, 0, 0)


async def test_an_enforced_limit_answers_429_then_escalating_418_bans_per_ip() -> None:
    clock = FakeClock(MINUTE_START_MS + 15_000)
    config = {"weight_limit_1m": 30, "weight_429s_before_ban": 2, "weight_ban_scale": 0.01}
    async with (
        paper(clock, **config) as (handle, admin),
        binance_from(handle, "127.0.0.1") as api,
        binance_from(handle, "127.0.0.2") as other_ip,
    ):
        assert (await api.call("GET", "exchangeInfo")).json()["rateLimits"][0]["limit"] == 30

        over = await api.call("GET", "exchangeInfo")  # 40 > 30
        assert (over.status_code, over.json()["code"], used_1m(over)) == (429, -1003, 40)
        assert "current limit is 30 request weight per 1 MINUTE" in over.json()["msg"]
        assert over.headers["Retry-After"] == "45"  # seconds to the minute's end
        clock.advance(500)
        again = await api.call("GET", "ping")
        assert (again.status_code, again.headers["Retry-After"]) == (429, "45")

        banned = await api.call("GET", "ping")  # a third request over the limit: banned
        until = clock.now_ms + 1_200  # 2 minutes x 0.01
        assert (banned.status_code, banned.json()["code"]) == (418, -1003)
        assert f"IP banned until {until}" in banned.json()["msg"]
        assert banned.headers["Retry-After"] == "2"  # 1.2 s, rounded up
        assert used_1m(await other_ip.call("GET", "ping")) == 1  # only that IP is banned

        clock.advance(1_000)
        during = await api.call("GET", "time")
        assert (during.status_code, during.headers["Retry-After"], used_1m(during)) == (
            418,
            "1",
            42,  # a banned IP's requests are refused uncharged
        )

        clock.advance(300)  # the ban is over, the IP still over the limit this minute
        warned = await api.call("GET", "ping")
        assert (warned.status_code, used_1m(warned)) == (429, 43)
        assert (await api.call("GET", "ping")).status_code == 429
        rebanned = await api.call("GET", "ping")
        assert (rebanned.status_code, rebanned.headers["Retry-After"]) == (418, "3")  # 2.4 s

        clock.now_ms = MINUTE_START_MS + 60_000  # next minute, the second ban over
        fresh = await api.call("GET", "ping")
        assert (fresh.status_code, used_1m(fresh)) == (200, 1)

        seen = (await admin.weights())["ips"]["127.0.0.1"]
        assert seen == {
            **{"used_1m": 1, "weight": 46, "requests": 9, "http_429": 4, "http_418": 3},
            **{"bans": 2, "banned_until_ms": None},
        }
