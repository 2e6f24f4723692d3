"""Stats over HTTP, checked against hand arithmetic."""

from __future__ import annotations

from decimal import Decimal as D

import psycopg

from tests.factories import make_bot, make_credential
from tests.fixtures.fix_web import WebServer

FILL = """INSERT INTO fills (client_id, credential_id, bot_id, symbol, exchange_trade_id, side,
                            price, amount, fee_amount, fee_currency, traded_at)
          VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'USDT', now() - %s::interval)"""


async def test_bot_and_client_stats(web: WebServer, db_url: str) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        credential = await make_credential(conn, alice.id)
        bot = await make_bot(conn, alice.id, credential)
        fills = [
            # buy 1 @ 100, fee 0.1 USDT -> one lot, cost 100.1
            (alice.id, credential, bot, "BTC/USDT", "t1", "buy", 100, 1, D("0.1"), "2 hours"),
            # sell 0.4 @ 110, fee 0.044 -> proceeds 43.956, lot cost 0.4 * 100.1 = 40.04
            (
                alice.id,
                credential,
                bot,
                "BTC/USDT",
                "t2",
                "sell",
                110,
                D("0.4"),
                D("0.044"),
                "1 hour",
            ),
            # a manual order of the client's, another symbol
            (alice.id, credential, None, "ETH/USDT", "t3", "buy", 10, D("0.5"), 0, "1 hour"),
        ]
        for fill in fills:
            await conn.execute(FILL, fill)
        await conn.execute(
            """INSERT INTO bot_ticks (bot_id, client_id, tick_number, outcome, mid, ticked_at)
               VALUES (%s, %s, 1, 'idle', 120, now())""",
            (bot, alice.id),
        )

    async with web.http(alice.token) as http:
        bot_stats = (await http.get(f"/v1/bots/{bot}/stats")).json()
        client_stats = (await http.get("/v1/stats")).json()
    btc = bot_stats["symbols"][0]
    assert btc["symbol"] == "BTC/USDT"
    assert D(btc["realized_pnl"]) == D("43.956") - D("40.04")  # 3.916
    assert D(btc["position"]["net_amount"]) == D("0.6")
    assert D(btc["mid"]) == 120
    assert D(btc["unrealized_pnl"]) == D("0.6") * 120 - D("0.6") * D("100.1")  # 11.94
    assert (btc["volume_24h"]["buys"], btc["volume_24h"]["sells"]) == (1, 1)
    assert D(btc["volume_24h"]["quote_volume"]) == 100 + 44
    assert D(btc["fees_24h"]["USDT"]) == D("0.144")
    assert bot_stats["mid_at"] is not None

    by_symbol = {s["symbol"]: s for s in client_stats["symbols"]}
    assert set(by_symbol) == {"BTC/USDT", "ETH/USDT"}
    assert D(by_symbol["BTC/USDT"]["realized_pnl"]) == D(btc["realized_pnl"])
    assert D(by_symbol["ETH/USDT"]["position"]["net_amount"]) == D("0.5")
    assert by_symbol["ETH/USDT"]["unrealized_pnl"] is None  # no recent mid for ETH

    # The operator's one-liner agrees with the API.
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "SELECT realized_pnl, position, last_mid, last_outcome FROM ops.bots WHERE bot_id = %s",
            (bot,),
        )
        assert await cur.fetchone() == (D("3.916"), D("0.6"), D("120"), "idle")

    async with web.http(bob.token) as other:
        assert (await other.get(f"/v1/bots/{bot}/stats")).status_code == 404
        assert (await other.get("/v1/stats")).json()["symbols"] == []
