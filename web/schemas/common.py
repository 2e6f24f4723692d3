"""Field types shared by the request and response schemas."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from shared.validation import DECIMAL_PATTERN

# Money and amounts travel as decimal strings: a JSON float has already lost precision.
Money = Annotated[
    str,
    Meta(
        pattern=DECIMAL_PATTERN,
        description='A non-negative decimal as a JSON string (no exponent), e.g. "0.015"',
        examples=["0.015"],
    ),
]
Symbol = Annotated[
    str,
    Meta(
        pattern=r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$",
        description="BASE/QUOTE in capitals",
        examples=["BTC/USDT"],
    ),
]
Label = Annotated[str, Meta(min_length=1, max_length=100)]
Reason = Annotated[str, Meta(min_length=1, max_length=500)]
