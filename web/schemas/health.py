from __future__ import annotations

import msgspec


class HealthRead(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    database: str
