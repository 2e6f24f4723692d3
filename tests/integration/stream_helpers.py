"""Helpers for the stream tests: ccxt.pro clients, raw WebSocket sessions, waiting."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from paper_exchange.ccxt_client import paper_binance_pro
from tests.fixtures.fix_paper import PaperAccount, PaperExchangeAdmin

# Fail fast instead of on pytest's timeout: every stream event here arrives in ms.
EVENT_TIMEOUT_S = 5.0


def ws_url(account_or_url: PaperAccount | str, path: str) -> str:
    base = account_or_url if isinstance(account_or_url, str) else account_or_url.url
    return "ws" + base.removeprefix("http") + path


@asynccontextmanager
async def pro_client(account: PaperAccount, **streaming: Any) -> AsyncIterator[Any]:
    """A ccxt.pro binance client on the paper exchange, markets loaded, closed after."""
    client = paper_binance_pro(
        account.url, account.api_key, account.secret, streaming=streaming or None
    )
    client.timeout_on_exit = 0
    try:
        await client.load_markets()
        yield client
    finally:
        await client.close()


async def wait_until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_user_stream(paper: PaperExchangeAdmin, api_key: str) -> None:
    """Until a WebSocket API connection has a user-data subscription for ``api_key``."""

    async def subscribed() -> bool:
        streams = await paper.admin("GET", "/streams")
        return any(api_key in s["api_keys"] for s in streams)

    await wait_until(subscribed, f"a user-data subscription of {api_key}")


async def wait_market_stream(paper: PaperExchangeAdmin, name: str) -> None:
    async def subscribed() -> bool:
        streams = await paper.admin("GET", "/streams")
        return any(name in s["streams"] for s in streams)

    await wait_until(subscribed, f"a subscription to {name}")


def signed_subscribe(
    account: PaperAccount, request_id: Any = 1, **overrides: Any
) -> dict[str, Any]:
    """A ``userDataStream.subscribe.signature`` request signed like Binance documents."""
    params: dict[str, Any] = {"apiKey": account.api_key, "timestamp": int(time.time() * 1000)}
    params.update(overrides)
    text = {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in params.items()}
    payload = "&".join(f"{k}={text[k]}" for k in sorted(text) if k != "signature")
    if "signature" not in params:
        params["signature"] = hmac.new(
            account.secret.encode(), payload.encode(), hashlib.sha256
        ).hexdigest()
    return {"id": request_id, "method": "userDataStream.subscribe.signature", "params": params}


class RawSocket:
    """A plain aiohttp WebSocket client: JSON in, JSON out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def receive(self) -> Any:
        message = await self.ws.receive(timeout=EVENT_TIMEOUT_S)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        return json.loads(message.data)

    async def request(self, message: dict[str, Any]) -> Any:
        await self.send(message)
        return await self.receive()

    async def nothing_within(self, seconds: float) -> bool:
        try:
            message = await self.ws.receive(timeout=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected frame {message}")


@asynccontextmanager
async def raw_socket(url: str) -> AsyncIterator[RawSocket]:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        yield RawSocket(ws)
