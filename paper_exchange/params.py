"""Reading Binance request parameters with Binance's validation errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from paper_exchange import errors

_DECIMAL_RE = re.compile(errors.DECIMAL_PATTERN)
_INT_RE = re.compile(errors.INTEGER_PATTERN)
CLIENT_ID_PATTERN = r"^[a-zA-Z0-9-_]{1,36}$"
_CLIENT_ID_RE = re.compile(CLIENT_ID_PATTERN)
MAX_DECIMALS = 8


@dataclass(frozen=True)
class Params:
    """Merged query + body parameters (the query string wins, as on Binance)."""

    values: dict[str, str]

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def str_opt(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value else None

    def str_req(self, name: str) -> str:
        value = self.str_opt(name)
        if value is None:
            raise errors.mandatory_param(name)
        return value

    def decimal_opt(self, name: str) -> Decimal | None:
        raw = self.str_opt(name)
        if raw is None:
            return None
        if _DECIMAL_RE.fullmatch(raw) is None:
            raise errors.illegal_chars(name, errors.DECIMAL_PATTERN)
        if "." in raw and len(raw.split(".", 1)[1].rstrip("0")) > MAX_DECIMALS:
            raise errors.BinanceError(-1111, f"Parameter '{name}' has too much precision.")
        return Decimal(raw)

    def decimal_req(self, name: str) -> Decimal:
        value = self.decimal_opt(name)
        if value is None:
            raise errors.mandatory_param(name)
        return value

    def int_opt(self, name: str) -> int | None:
        raw = self.str_opt(name)
        if raw is None:
            return None
        if _INT_RE.fullmatch(raw) is None:
            raise errors.illegal_chars(name, errors.INTEGER_PATTERN)
        return int(raw)

    def limit(self, default: int, maximum: int) -> int:
        value = self.int_opt("limit")
        if value is None:
            return default
        return max(1, min(value, maximum))

    def client_order_id(self, name: str) -> str | None:
        raw = self.str_opt(name)
        if raw is not None and _CLIENT_ID_RE.fullmatch(raw) is None:
            raise errors.illegal_chars(name, CLIENT_ID_PATTERN)
        return raw
