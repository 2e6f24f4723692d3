"""Binance request signing: HMAC-SHA256 over ``totalParams`` and the timing check.

``totalParams`` is the raw query string concatenated with the raw request body
(no ``&`` between them), with the ``signature`` parameter removed from wherever it
was sent. The signature is hex and not case-sensitive.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from paper_exchange import errors


def sign(secret: str, payload: str) -> str:
    """Hex HMAC-SHA256 of ``payload`` keyed by ``secret`` (what a client sends)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _strip_signature(raw: str) -> tuple[str, str | None]:
    """Remove every ``signature=`` pair from a raw urlencoded string."""
    if not raw:
        return raw, None
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


@dataclass(frozen=True)
class SignedPayload:
    total_params: str
    signature: str | None


def extract(raw_query: str, raw_body: str) -> SignedPayload:
    query, sig_q = _strip_signature(raw_query)
    body, sig_b = _strip_signature(raw_body)
    return SignedPayload(total_params=query + body, signature=sig_q or sig_b)


def verify(secret: str, payload: SignedPayload) -> None:
    """Raise -1102 (no signature) or -1022 (wrong signature)."""
    if not payload.signature:
        raise errors.mandatory_param("signature")
    expected = sign(secret, payload.total_params)
    if not hmac.compare_digest(expected, payload.signature.lower()):
        raise errors.invalid_signature()


def check_timing(
    params: dict[str, str],
    now_ms: int,
    *,
    default_window_ms: int = 5000,
    max_window_ms: int = 60000,
    future_tolerance_ms: int = 1000,
) -> None:
    """Binance's rule: ``timestamp < now + 1000`` and ``now - timestamp <= recvWindow`` (ms).

    ``recvWindow`` defaults to 5000 ms and may not exceed 60000 ms (-1131).
    """
    raw_ts = params.get("timestamp")
    if not raw_ts:
        raise errors.mandatory_param("timestamp")
    if not raw_ts.isdigit():
        raise errors.illegal_chars("timestamp", errors.INTEGER_PATTERN)
    timestamp = int(raw_ts)
    window = Decimal(default_window_ms)
    raw_window = params.get("recvWindow")
    if raw_window:
        try:
            window = Decimal(raw_window)
        except InvalidOperation:
            raise errors.illegal_chars("recvWindow", errors.DECIMAL_PATTERN) from None
        if not window.is_finite() or window < 0:
            raise errors.illegal_chars("recvWindow", errors.DECIMAL_PATTERN)
        if window > max_window_ms:
            raise errors.bad_recv_window(max_window_ms)
    if timestamp >= now_ms + future_tolerance_ms:
        raise errors.timestamp_ahead(future_tolerance_ms)
    if now_ms - timestamp > window:
        raise errors.timestamp_outside_window()
