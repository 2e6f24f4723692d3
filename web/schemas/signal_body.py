"""The OpenAPI description of the webhook's body.

The handler parses the body by hand (shared.signals.request: JSON numbers must reach
Decimal through their digits, and the secret is checked before the rest is read), so
Litestar cannot derive this from a parameter; it is stated here, next to nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from shared.signals.request import SIGNAL_ID_BODY
from shared.validation import DECIMAL_PATTERN, SYMBOL_PATTERN, whole_string

_ISO_OR_UNIX = (
    "When the signal fired: ISO 8601 with an offset (2026-01-02T15:04:05Z), or unix "
    "seconds or milliseconds (a number, or a string of digits). Default: its arrival."
)

SIGNAL_BODY_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["signal_id", "symbol", "action"],
    additional_properties=False,
    properties={
        "secret": Schema(
            type=OpenAPIType.STRING,
            description=(
                "The strategy's webhook secret (for senders that cannot set headers). "
                "With a bearer token it may be omitted; when sent, it is checked too."
            ),
        ),
        "signal_id": Schema(
            type=OpenAPIType.STRING,
            pattern=whole_string(SIGNAL_ID_BODY),
            description="Your id of the signal: the same id again is the same signal",
            examples=["2026-01-02T15:04:00Z-BTCUSDT"],
        ),
        "symbol": Schema(
            type=OpenAPIType.STRING,
            pattern=SYMBOL_PATTERN,
            description="BASE/QUOTE in capitals (BTCUSDT is refused: ambiguous)",
            examples=["BTC/USDT"],
        ),
        "action": Schema(type=OpenAPIType.STRING, enum=["enter", "exit"]),
        "reference_price": Schema(
            one_of=[
                Schema(type=OpenAPIType.STRING, pattern=DECIMAL_PATTERN),
                Schema(type=OpenAPIType.NUMBER, exclusive_minimum=0),
                Schema(type=OpenAPIType.NULL),
            ],
            description=(
                "The price the signal saw, a JSON number or a decimal string (numbers are "
                "read from their digits, never through a float); bounds the entry's price"
            ),
        ),
        "time": Schema(
            one_of=[
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                Schema(type=OpenAPIType.INTEGER, minimum=0),
                Schema(type=OpenAPIType.NULL),
            ],
            description=_ISO_OR_UNIX,
        ),
    },
)


@dataclass
class SignalWebhookOperation(Operation):
    """The webhook's operation, with its hand-parsed body documented."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=SIGNAL_BODY_SCHEMA)},
            required=True,
        )
