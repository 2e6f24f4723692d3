"""Kill switches. `confirm` repeats the id of what is being switched off, so a misdirected
call (wrong bot, wrong scope) cannot stop anything."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from shared.domain import KillSwitchScope
from shared.orders.views import utc
from shared.repositories.kill_switches import KillSwitch
from web.schemas.common import Reason, Text


class KillSwitchChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Engage or release for a client: `confirm` is your client id (scope client) or the
    bot id (scope bot)."""

    scope: Literal["client", "bot"]
    bot_id: UUID | None = None
    reason: Reason
    confirm: Text


class GlobalKillSwitchChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Engage or release the global switch: `confirm` must be "global"."""

    scope: Literal["global"]
    reason: Reason
    confirm: Text


class KillSwitchRead(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    scope: KillSwitchScope
    client_id: UUID | None
    bot_id: UUID | None
    engaged_by: str
    engage_reason: str
    engaged_at: datetime
    released_by: str | None
    release_reason: str | None
    released_at: datetime | None

    @classmethod
    def of(cls, switch: KillSwitch) -> KillSwitchRead:
        return cls(
            id=switch.id,
            scope=switch.scope,
            client_id=switch.client_id,
            bot_id=switch.bot_id,
            engaged_by=switch.engaged_by,
            engage_reason=switch.engage_reason,
            engaged_at=utc(switch.engaged_at),
            released_by=switch.released_by,
            release_reason=switch.release_reason,
            released_at=utc(switch.released_at),
        )


class KillSwitchStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Every engaged switch that covers you: global, your client, your bots."""

    engaged: list[KillSwitchRead]
