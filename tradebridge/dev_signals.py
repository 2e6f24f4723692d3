"""The signal-bot demo `tradebridge dev` starts: a strategy with a webhook, two signal bots
subscribed to it, and one enter signal posted through the webhook as a charting tool
would post it.

The signal bots trade on a paper account of their own ("paper-signals"): on the demo
account their buys would meet the demo spread bot's own quotes, which the venue's
self-trade prevention expires. Created once; later runs reuse them by name and rotate the
strategy's secret (only its hash is stored, so a new one is the only one that can be
shown)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

DEMO_STRATEGY = "demo-signals"
SIGNALS_SYMBOL = "BTC/USDT"
# Funded at each start: the paper exchange starts empty on every run.
SIGNALS_BALANCES = {"USDT": "100000"}


@dataclass(frozen=True)
class DemoSignalBot:
    name: str
    config: dict[str, Any]


DEMO_SIGNAL_BOTS = (
    # A fixed 2,000 USDT per entry; its exits rest at the venue as one OCO order list.
    DemoSignalBot("demo-signal-oco",
                  {"sizing": "fixed_quote", "quote_amount": "2000", "stop_loss_pct": "1",
                   "take_profit_pct": "2", "max_position_quote": "10000",
                   "max_slippage_bps": "50", "exit_mode": "venue"}),
    # Half a percent of equity at risk over a 2-ATR stop that trails the price up; the
    # worker watches the market for it.
    DemoSignalBot("demo-signal-trailing",
                  {"sizing": "risk", "risk_fraction": "0.005", "atr_interval": "1h",
                   "atr_length": 14, "stop_atr_multiple": "2", "trailing": "atr",
                   "trailing_atr_multiple": "2", "max_position_quote": "20000",
                   "max_slippage_bps": "50", "exit_mode": "watched"}),
)  # fmt: skip


def signals_account_body(keys: dict[str, str]) -> dict[str, Any]:
    """The admin API body that (re)creates the signal bots' paper account."""
    return {
        "api_key": keys["PAPER_SIGNALS_API_KEY"],
        "secret": keys["PAPER_SIGNALS_SECRET"],
        "balances": SIGNALS_BALANCES,
    }


@dataclass(frozen=True)
class DemoSignals:
    strategy_id: str
    secret: str
    bots: list[str]
    first_signal: httpx.Response


def start_demo_signals(web_url: str, token: str, credential_id: str, paper_url: str) -> DemoSignals:
    """The demo strategy and its bots (created once, started), and one enter signal."""
    api = httpx.Client(base_url=web_url, headers={"Authorization": f"Bearer {token}"})
    with api:
        strategy_id, secret = _strategy_with_fresh_secret(api)
        existing = {b["name"]: b["id"] for b in _ok(api.get("/v1/bots")).json()}
        bots = []
        for bot in DEMO_SIGNAL_BOTS:
            bot_id = existing.get(bot.name)
            if bot_id is None:
                bot_id = _ok(api.post("/v1/bots", json={
                    "name": bot.name, "kind": "signal", "symbol": SIGNALS_SYMBOL,
                    "credential_id": credential_id, "strategy_id": strategy_id,
                    "config": bot.config,
                })).json()["id"]  # fmt: skip
            _ok(api.post(f"/v1/bots/{bot_id}/start"))
            bots.append(f"{bot.name} {bot_id}")
    # Posted as a charting tool posts it: no header, the secret in the body.
    first_signal = httpx.post(
        f"{web_url}/v1/signals/{strategy_id}",
        json=enter_signal(secret, reference_price=_paper_mid(paper_url)),
    )
    return DemoSignals(strategy_id, secret, bots, first_signal)


def enter_signal(secret: str, *, reference_price: str) -> dict[str, Any]:
    return {
        "secret": secret,
        "signal_id": f"demo-{time.strftime('%Y%m%dT%H%M%S')}-enter",
        "symbol": SIGNALS_SYMBOL,
        "action": "enter",
        "reference_price": reference_price,
    }


def _strategy_with_fresh_secret(api: httpx.Client) -> tuple[str, str]:
    strategies = _ok(api.get("/v1/strategies")).json()
    found = next((s for s in _items(strategies) if s["name"] == DEMO_STRATEGY), None)
    if found is None:
        created = _ok(api.post("/v1/strategies", json={"name": DEMO_STRATEGY})).json()
        return created["strategy"]["id"], created["secret"]
    rotated = _ok(api.post(f"/v1/strategies/{found['id']}/rotate-secret")).json()
    return found["id"], rotated["secret"]


def _items(listing: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = listing["items"] if isinstance(listing, dict) else listing
    return items


def _paper_mid(paper_url: str) -> str:
    ticker = httpx.get(
        f"{paper_url}/api/v3/ticker/price", params={"symbol": SIGNALS_SYMBOL.replace("/", "")}
    )
    return str(_ok(ticker).json()["price"])


def _ok(response: httpx.Response) -> httpx.Response:
    response.raise_for_status()
    return response
