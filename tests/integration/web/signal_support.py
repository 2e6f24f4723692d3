"""Helpers for the strategy, signal webhook and position API tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.integration.web.support import post_created


def signal_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "sizing": "fixed_quote",
        "quote_amount": "100",
        "stop_loss_pct": "2",
        "max_position_quote": "1000",
    }
    config.update(overrides)
    return config


async def create_strategy(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"strategy-{uuid.uuid4().hex[:6]}"}
    body.update(overrides)
    return await post_created(http, "/v1/strategies", body)


async def create_signal_bot(
    http: httpx.AsyncClient, credential_id: str, strategy_id: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"signal-bot-{uuid.uuid4().hex[:6]}",
        "kind": "signal",
        "credential_id": credential_id,
        "symbol": "BTC/USDT",
        "strategy_id": strategy_id,
        "config": signal_config(),
    }
    body.update(overrides)
    return await post_created(http, "/v1/bots", body)


def signal_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "signal_id": f"sig-{uuid.uuid4().hex}",
        "symbol": "BTC/USDT",
        "action": "enter",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}
