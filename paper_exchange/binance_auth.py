"""Binance's SIGNED-request check, shared by the REST API and the WebSocket API.

The two transports differ only in where the parts come from: REST takes the API key
from ``X-MBX-APIKEY`` and signs the raw query string + body; the WebSocket API takes
``apiKey`` from ``params`` and signs the params sorted by name (see
:func:`ws_signed_payload`). The checks, their order and their error codes are this one
function for both.
"""

from __future__ import annotations

from typing import Any

from paper_exchange import errors, signing
from paper_exchange.accounts import Account, valid_key_format
from paper_exchange.state import PaperState, now_ms


def authenticate(
    state: PaperState, api_key: str, params: dict[str, str], payload: signing.SignedPayload
) -> Account:
    """The account of a SIGNED request: -2014/-2015 key, -1102/-1022 signature, -1021 time."""
    if not valid_key_format(api_key):
        raise errors.api_key_format_invalid()
    account = state.accounts.get(api_key)
    if account is None:
        raise errors.invalid_api_key()
    if not params.get("timestamp"):
        raise errors.mandatory_param("timestamp")
    signing.verify(account.secret, payload)
    cfg = state.config
    signing.check_timing(
        params,
        now_ms(),
        default_window_ms=cfg.recv_window_default_ms,
        max_window_ms=cfg.recv_window_max_ms,
        future_tolerance_ms=cfg.future_tolerance_ms,
    )
    return account


def ws_param_text(value: Any) -> str:
    """A WebSocket API param as it appears in the signed payload (JSON true -> ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ws_signed_payload(params: dict[str, str]) -> signing.SignedPayload:
    """Binance's WebSocket API rule: every param but ``signature``, sorted by name,
    as ``name=value`` joined by ``&`` (values not URL-encoded)."""
    total = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "signature")
    return signing.SignedPayload(total_params=total, signature=params.get("signature") or None)
