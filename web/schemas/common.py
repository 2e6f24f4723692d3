"""Field types shared by the request and response schemas."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter
from msgspec import Meta

from shared.validation import DECIMAL_DESCRIPTION, DECIMAL_PATTERN, SYMBOL_PATTERN, whole_string

# Money and amounts travel as decimal strings: a JSON float has already lost precision.
Money = Annotated[
    str,
    Meta(
        pattern=DECIMAL_PATTERN,
        description=DECIMAL_DESCRIPTION,
        examples=["0.015"],
    ),
]
Symbol = Annotated[
    str,
    Meta(
        pattern=SYMBOL_PATTERN,
        description="BASE/QUOTE in capitals",
        examples=["BTC/USDT"],
    ),
]
# Free text is anything but NUL, which Postgres cannot store: web.untrusted_input refuses
# it in every request, and this pattern says so in the schema.
TEXT_PATTERN = whole_string(r"[^\x00]*")
Text = Annotated[str, Meta(pattern=TEXT_PATTERN)]
Label = Annotated[str, Meta(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
TokenLabel = Annotated[str, Meta(max_length=100, pattern=TEXT_PATTERN)]
Reason = Annotated[str, Meta(min_length=1, max_length=500, pattern=TEXT_PATTERN)]
# The same rule for a `?symbol=` filter (a query parameter takes its pattern this way).
SymbolFilter = Annotated[
    str | None,
    QueryParameter(pattern=SYMBOL_PATTERN, description="BASE/QUOTE in capitals"),
]
