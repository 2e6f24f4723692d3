"""The deterministic client order id sent with every order.

Derived from the order's own id, so every retry of one intent sends the same id and a
lookup by it finds the venue's copy. 27 characters of [a-z0-9]: within the strictest
rules of the venues we support (OKX and BitMart: 1-32 alphanumerics; Binance:
`^[.A-Z:/a-z0-9_-]{1,36}$`; Bybit 36; Gate 28 after its own "t-" prefix).
"""

from __future__ import annotations

from uuid import UUID

PREFIX = "tb"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 25  # ceil(128 / log2(36)): every UUID fits, zero-padded


def client_order_id_for(order_id: UUID) -> str:
    value = order_id.int
    digits = []
    while value:
        value, remainder = divmod(value, 36)
        digits.append(_ALPHABET[remainder])
    return PREFIX + "".join(reversed(digits)).rjust(_BODY_LENGTH, "0")


def order_id_from_client_order_id(client_order_id: str) -> UUID | None:
    """The inverse, for trades and orders found at the venue; None when it is not ours."""
    if not client_order_id.startswith(PREFIX) or len(client_order_id) != len(PREFIX) + _BODY_LENGTH:
        return None
    try:
        value = int(client_order_id[len(PREFIX) :], 36)
    except ValueError:
        return None
    return UUID(int=value) if value < 2**128 else None
