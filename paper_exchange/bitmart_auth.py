"""BitMart's request authentication, as the venue checks it.

KEYED endpoints (the wallet) need a known ``X-BM-KEY``. SIGNED ones also need
``X-BM-TIMESTAMP`` (UTC ms) within BitMart's window and ``X-BM-SIGN``, the hex
HMAC-SHA256 keyed by the secret of ``timestamp#memo#payload``: the raw body of a POST,
the raw query string of a GET, exactly as received. v4 endpoints also take
``recvWindow`` (ms, (0, 60000], default 5000) as the request's validity.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from paper_exchange import bitmart_errors as bm
from paper_exchange.accounts import Account
from paper_exchange.state import STATE_KEY, now_ms

V4_DEFAULT_RECV_WINDOW_MS = 5000
V4_MAX_RECV_WINDOW_MS = 60000


def signature(secret: str, timestamp: str, memo: str, payload: bytes) -> str:
    message = f"{timestamp}#{memo}#".encode() + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def keyed(request: web.Request) -> Account:
    key = request.headers.get("X-BM-KEY", "")
    if not key:
        raise bm.key_empty()
    account = request.app[STATE_KEY].accounts.get(key)
    if account is None:
        raise bm.key_not_found()
    return account


async def json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read() if request.body_exists else b""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bm.body_not_json() from None
    if not isinstance(data, dict):
        raise bm.body_not_json()
    return data


def _recv_window_ms(body: dict[str, Any]) -> int:
    raw = body.get("recvWindow")
    if raw is None:
        return V4_DEFAULT_RECV_WINDOW_MS
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= V4_MAX_RECV_WINDOW_MS:
        raise bm.invalid("recvWindow")
    return raw


async def signed(request: web.Request, *, v4: bool = False) -> tuple[Account, dict[str, Any]]:
    """The account and JSON body of a SIGNED request, or BitMart's 30xxx refusal."""
    account = keyed(request)
    sign = request.headers.get("X-BM-SIGN", "")
    if not sign:
        raise bm.sign_empty()
    timestamp = request.headers.get("X-BM-TIMESTAMP", "")
    if not timestamp:
        raise bm.timestamp_empty()
    if not timestamp.isdigit():
        raise bm.timestamp_format()
    if request.method == "GET":
        payload = request.rel_url.raw_query_string.encode()
    else:
        payload = await request.read() if request.body_exists else b""
    expected = signature(account.secret, timestamp, account.memo, payload)
    if not hmac.compare_digest(expected, sign.lower()):
        raise bm.sign_wrong()
    body = await json_body(request) if request.method != "GET" else {}
    window_ms = request.app[STATE_KEY].config.bitmart_timestamp_window_ms
    if v4:
        window_ms = min(window_ms, _recv_window_ms(body))
    if abs(now_ms() - int(timestamp)) > window_ms:
        raise bm.timestamp_out_of_range()
    return account, body
