"""Coinstore's wire format: the signature, the envelope's code, and order bodies.

From the official documentation (coinstore-openapi.github.io): "Signature
Authentication" (key = hex HMAC-SHA256(secret, str(expires // 30000)); X-CS-SIGN = hex
HMAC-SHA256(key, query string + JSON body, as sent)), "Return Format" ({code,
message|msg, data}, code 0 = success) and "Create order" (the body's fields).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

from shared.domain import OrderSide, OrderType, TimeInForce
from shared.exchange.coinstore_parsing import venue_symbol
from shared.exchange.precision import round_to_step
from shared.exchange.types import Market, OrderToSend
from shared.exchange.wire_numbers import plain

KEY_PERIOD_MS = 30_000  # the signing key changes with expires // 30000

# A market buy is sized in quote (ordAmt) at Coinstore, ours in base: it goes out as a
# limit IOC for exactly our amount, capped this far above the best ask (the rest of an
# order that would walk the book beyond the cap expires, as a protective market order's).
MARKET_BUY_CAP = Decimal("0.05")


def now_ms() -> int:
    return int(time.time() * 1000)


def coinstore_signature(secret: str, expires_ms: int, payload: bytes) -> str:
    """X-CS-SIGN for `payload` (query string + body bytes, exactly as sent)."""
    period = str(expires_ms // KEY_PERIOD_MS).encode()
    key = hmac.new(secret.encode(), period, hashlib.sha256).hexdigest()
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def market_buy_cap(market: Market, best_ask: Decimal) -> Decimal:
    return round_to_step(best_ask * (1 + MARKET_BUY_CAP), market.price_tick, up=True)


def order_body(order: OrderToSend, *, best_ask: Decimal | None, market: Market) -> dict[str, Any]:
    """POST /api/trade/order/place for `order`; `best_ask` is needed for a market buy."""
    body: dict[str, Any] = {
        "clOrdId": order.client_order_id,
        "symbol": venue_symbol(order.symbol),
        "side": order.side.value.upper(),
        "ordQty": plain(order.amount),
    }
    if order.type is OrderType.MARKET and order.side is OrderSide.BUY:
        assert best_ask is not None
        body.update(ordType="LIMIT", ordPrice=plain(market_buy_cap(market, best_ask)),
                    timeInForce=TimeInForce.IOC.value)  # fmt: skip
    elif order.type is OrderType.MARKET:
        body["ordType"] = "MARKET"
    else:
        assert order.price is not None
        body.update(ordType="LIMIT", ordPrice=plain(order.price),
                    timeInForce=(order.time_in_force or TimeInForce.GTC).value)  # fmt: skip
    body["timestamp"] = now_ms()  # documented as required
    return body


def decode(body: bytes) -> Any:
    """JSON with numbers as Decimal: Coinstore sends some amounts as JSON numbers."""
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        return None


def code_of(envelope: Any) -> int | None:
    """The envelope's code (an int, or its string), None when there is none."""
    if not isinstance(envelope, dict) or "code" not in envelope:
        return None
    try:
        return int(str(envelope["code"]))
    except ValueError:
        return None
