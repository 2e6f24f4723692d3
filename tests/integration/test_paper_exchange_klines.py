"""``GET /api/v3/klines`` on the paper exchange: Binance's shape, a deterministic history
before the venue started, the mids since, and ccxt's ``fetch_ohlcv`` on top."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

import ccxt
import httpx
import pytest

from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

D = Decimal
HOUR_MS = 3_600_000


async def get_klines(url: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as http:
        return await http.get("/api/v3/klines", params=params)


async def test_klines_have_binances_array_shape(paper_exchange: PaperExchangeAdmin) -> None:
    response = await get_klines(paper_exchange.url, symbol="BTCUSDT", interval="1h", limit=3)
    assert response.status_code == 200
    assert response.headers["X-MBX-USED-WEIGHT-1M"].isdigit()
    rows = response.json()
    assert len(rows) == 3
    for row in rows:
        assert len(row) == 12
        open_ms, o, h, low, c, volume, close_ms, quote_volume, count, tb, tq, ignore = row
        assert isinstance(open_ms, int)
        assert open_ms % HOUR_MS == 0
        assert close_ms == open_ms + HOUR_MS - 1
        assert all(isinstance(v, str) and len(v.split(".")[1]) == 8 for v in (o, h, low, c))
        assert D(h) >= max(D(o), D(c))
        assert D(low) <= min(D(o), D(c))
        assert D(low) > 0
        assert isinstance(count, int)
        assert ignore == "0"
        assert all(isinstance(v, str) for v in (volume, quote_volume, tb, tq))
    assert [r[0] for r in rows] == [rows[0][0] + i * HOUR_MS for i in range(3)]
    now = int(time.time() * 1000)
    assert rows[-1][0] <= now < rows[-1][6] + 1  # the last candle is the current one


async def test_history_before_start_is_deterministic_and_windows_work(
    paper_exchange: PaperExchangeAdmin,
) -> None:
    start = (int(time.time() * 1000) // HOUR_MS - 48) * HOUR_MS
    first = (
        await get_klines(
            paper_exchange.url, symbol="ETHUSDT", interval="1h", startTime=start, limit=5
        )
    ).json()
    again = (
        await get_klines(
            paper_exchange.url, symbol="ETHUSDT", interval="1h", startTime=start, limit=5
        )
    ).json()
    assert first == again
    assert [r[0] for r in first] == [start + i * HOUR_MS for i in range(5)]
    # The synthetic path moves (an ATR over it is not zero).
    assert len({r[4] for r in first}) > 1
    assert all(D(r[2]) > D(r[3]) for r in first)

    end = start + 10 * HOUR_MS
    ending = (
        await get_klines(paper_exchange.url, symbol="ETHUSDT", interval="1h", endTime=end, limit=4)
    ).json()
    assert [r[0] for r in ending] == [end - i * HOUR_MS for i in (3, 2, 1, 0)]
    days = (
        await get_klines(paper_exchange.url, symbol="ETHUSDT", interval="1d", limit=1000)
    ).json()
    assert len(days) == 1000


async def test_the_current_candle_follows_the_mid(paper_exchange: PaperExchangeAdmin) -> None:
    await paper_exchange.set_mid("SOLUSDT", "151.23")
    rows = (await get_klines(paper_exchange.url, symbol="SOLUSDT", interval="1m", limit=2)).json()
    assert rows[-1][4] == "151.23000000"
    await paper_exchange.set_mid("SOLUSDT", "170")
    await paper_exchange.set_mid("SOLUSDT", "152")
    rows = (await get_klines(paper_exchange.url, symbol="SOLUSDT", interval="1m", limit=1)).json()
    assert (rows[0][2], rows[0][4]) == ("170.00000000", "152.00000000")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"symbol": "BTCUSDT", "interval": "7m"}, -1120),
        ({"symbol": "BTCUSDT"}, -1102),
        ({"symbol": "NOPE", "interval": "1m"}, -1121),
    ],
)
async def test_bad_kline_requests_get_binances_errors(
    paper_exchange: PaperExchangeAdmin, params: dict[str, str], code: int
) -> None:
    response = await get_klines(paper_exchange.url, **params)
    assert response.status_code == 400
    assert response.json()["code"] == code


async def test_ccxt_fetch_ohlcv_gives_fourteen_hours_at_once(paper_client: Any) -> None:
    candles = await paper_client.fetch_ohlcv("BTC/USDT", "1h", limit=15)
    assert len(candles) == 15
    for ts, o, h, low, c, volume in candles:
        assert ts % HOUR_MS == 0
        assert h >= max(o, c) >= min(o, c) >= low > 0
        assert volume >= 0
    true_ranges = [
        max(h - low, abs(h - prev[4]), abs(low - prev[4]))
        for prev, (_, _, h, low, _, _) in itertools.pairwise(candles)
    ]
    assert sum(true_ranges) / len(true_ranges) > 0  # an ATR(14) exists


async def test_ccxt_fetch_ohlcv_since(paper_client: Any) -> None:
    since = (paper_client.milliseconds() // 300_000 - 20) * 300_000
    candles = await paper_client.fetch_ohlcv("ETH/USDT", "5m", since=since, limit=3)
    assert [c[0] for c in candles] == [since, since + 300_000, since + 600_000]


async def test_an_unknown_interval_is_bad_request_for_ccxt(paper_account: PaperAccount) -> None:
    client = paper_account.client()
    try:
        with pytest.raises(ccxt.BadRequest):
            await client.public_get_klines({"symbol": "BTCUSDT", "interval": "7m"})
    finally:
        await client.close()
