from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.repositories.balances import BalanceSnapshot


class AssetBalanceRead(msgspec.Struct, frozen=True, kw_only=True):
    asset: str
    free: str
    used: str
    total: str


class BalanceRead(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: UUID
    # When the values were fetched; null when they never were (then there are no values,
    # never zeros).
    fetched_at: datetime | None
    stale: bool
    last_error: str | None
    last_error_at: datetime | None
    assets: list[AssetBalanceRead]

    @classmethod
    def of(
        cls,
        credential_id: UUID,
        snapshot: BalanceSnapshot,
        max_age_s: float,
        only_assets: tuple[str, ...] | None = None,
    ) -> BalanceRead:
        return cls(
            credential_id=credential_id,
            fetched_at=snapshot.fetched_at,
            stale=snapshot.is_stale(max_age_s),
            last_error=snapshot.last_error,
            last_error_at=snapshot.last_error_at,
            assets=[
                AssetBalanceRead(
                    asset=a.asset, free=str(a.free), used=str(a.used), total=str(a.total)
                )
                for a in snapshot.assets
                if only_assets is None or a.asset in only_assets
            ],
        )


class RefreshAccepted(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: UUID
    status: str
