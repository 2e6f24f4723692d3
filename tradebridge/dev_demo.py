"""The demo data `tradebridge dev` sets up: the demo client with a fresh token, one paper
credential per venue dialect the paper exchange speaks (all on one paper account), and
demo bots on each venue. Created once; later runs reuse them by label and name."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from shared.credentials import CredentialSecrets, masked_hint, seal_credential_secrets
from shared.domain import CredentialEnvironment, Venue
from shared.repositories.clients import create_client, get_client_by_name, issue_api_token
from shared.repositories.credentials import (
    NewCredential,
    get_usable_credential_by_label,
    insert_credential,
)
from shared.sealing import load_public_key

DEMO_CLIENT = "demo"
# The paper account every demo credential trades on, funded at each start.
DEMO_BALANCES = {"USDT": "1000000", "BTC": "10", "ETH": "100", "SOL": "1000"}


@dataclass(frozen=True)
class DemoCredential:
    label: str
    venue: Venue
    # Which paper account's keys it carries: keys[f"{account}_API_KEY"] and _SECRET.
    account: str = "PAPER"


@dataclass(frozen=True)
class DemoBot:
    name: str
    kind: str
    credential_label: str
    # One symbol per venue: the credentials share one paper account, and quotes of one
    # account on one book would trade with each other.
    symbol: str
    config: dict[str, Any]


DEMO_CREDENTIALS = (
    DemoCredential("paper", Venue.BINANCE),
    DemoCredential("paper-bitmart", Venue.BITMART),
    DemoCredential("paper-coinstore", Venue.COINSTORE),
    # The signal bots' own account (tradebridge.dev_signals).
    DemoCredential("paper-signals", Venue.BINANCE, account="PAPER_SIGNALS"),
)

DEMO_BOTS = (
    DemoBot("demo-spread", "spread", "paper", "BTC/USDT",
            {"spread_bps": "20", "order_size": "0.01", "levels": 1,
             "refresh_interval_s": 5, "inventory_skew_bps": "5"}),
    DemoBot("demo-volume", "volume", "paper", "BTC/USDT",
            {"daily_notional_target": "50000", "min_slice": "50", "max_slice": "150",
             "min_interval_s": 3, "max_interval_s": 8, "price_band_bps": "10"}),
    DemoBot("demo-spread-bitmart", "spread", "paper-bitmart", "ETH/USDT",
            {"spread_bps": "20", "order_size": "0.1", "levels": 1, "refresh_interval_s": 5}),
    DemoBot("demo-spread-coinstore", "spread", "paper-coinstore", "SOL/USDT",
            {"spread_bps": "20", "order_size": "1", "levels": 1, "refresh_interval_s": 5}),
)  # fmt: skip


def paper_account_body(keys: dict[str, str]) -> dict[str, Any]:
    """The admin API body that (re)creates the demo paper account."""
    return {
        "api_key": keys["PAPER_API_KEY"],
        "secret": keys["PAPER_SECRET"],
        "memo": keys["PAPER_MEMO"],
        "balances": DEMO_BALANCES,
    }


async def demo_data(database_url: str, keys: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A fresh token for the demo client, and its paper credentials' ids by label."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        client = await get_client_by_name(conn, DEMO_CLIENT) or await create_client(
            conn, DEMO_CLIENT
        )
        issued = await issue_api_token(conn, client.id, label=f"dev {time.strftime('%F %T')}")
        credential_ids = {}
        for demo in DEMO_CREDENTIALS:
            if f"{demo.account}_API_KEY" not in keys:
                continue  # a caller without that account's keys (the browser tests)
            existing = await get_usable_credential_by_label(conn, client.id, demo.label)
            if existing is None:
                existing = await _insert_demo_credential(conn, client.id, demo, keys)
            credential_ids[demo.label] = str(existing.id)
        return issued.token, credential_ids


async def _insert_demo_credential(
    conn: psycopg.AsyncConnection[Any],
    client_id: uuid.UUID,
    demo: DemoCredential,
    keys: dict[str, str],
) -> Any:
    credential_id = uuid.uuid4()
    api_key = keys[f"{demo.account}_API_KEY"]
    secrets = CredentialSecrets(
        api_key=api_key,
        secret=keys[f"{demo.account}_SECRET"],
        memo=keys["PAPER_MEMO"] if demo.venue is Venue.BITMART else None,
    )
    sealed = seal_credential_secrets(
        secrets,
        load_public_key(keys["TRADEBRIDGE_SEALING_PUBLIC_KEY"]),
        credential_id=credential_id,
        client_id=client_id,
        exchange=demo.venue.value,
    )
    return await insert_credential(
        conn,
        NewCredential(
            id=credential_id, client_id=client_id, exchange=demo.venue.value,
            environment=CredentialEnvironment.PAPER, api_base_url=None, label=demo.label,
            sealed_secret=sealed, key_id=keys["TRADEBRIDGE_SEALING_KEY_ID"],
            masked_hint=masked_hint(api_key),
        ),
    )  # fmt: skip


def start_demo_bots(web_url: str, token: str, credential_ids: dict[str, str]) -> list[str]:
    """Every demo bot, created once through the API and (re)started."""
    headers = {"Authorization": f"Bearer {token}"}
    existing = {b["name"]: b["id"] for b in httpx.get(f"{web_url}/v1/bots", headers=headers).json()}
    started = []
    for bot in DEMO_BOTS:
        bot_id = existing.get(bot.name)
        if bot_id is None:
            created = httpx.post(
                f"{web_url}/v1/bots",
                headers=headers,
                json={"name": bot.name, "kind": bot.kind, "symbol": bot.symbol,
                      "credential_id": credential_ids[bot.credential_label],
                      "config": bot.config},
            )  # fmt: skip
            created.raise_for_status()
            bot_id = created.json()["id"]
        httpx.post(f"{web_url}/v1/bots/{bot_id}/start", headers=headers).raise_for_status()
        started.append(f"{bot.name} {bot_id}")
    return started
