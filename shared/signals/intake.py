"""Recording a signal: the webhook's one path, in the caller's transaction.

1. Fingerprint the canonical signal and decide (shared.signals.admission): accepted, or
   refused with the reason.
2. `INSERT … ON CONFLICT (strategy_id, signal_id) DO NOTHING` the row with its first
   response. A concurrent duplicate waits on the unique index for the first one's
   commit, inserts nothing, and then reads the committed row: never check-then-insert.
3. Accepted: defer `fan_out_signal(signal_id)` on the same connection, so the signal and
   its job commit together or not at all.

A repeat of a signal_id answers the first response again (`replayed`) when its content
is the same; other content under the same signal_id is refused (`SignalIdReused`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from procrastinate import App
from psycopg import AsyncConnection

from shared.domain import SignalOutcome
from shared.errors import ValidationError
from shared.jobs import FAN_OUT_SIGNAL, defer
from shared.repositories import received_signals as signals_repo
from shared.repositories.strategies import Strategy
from shared.signals.admission import SessionWindow, refusal_reason
from shared.signals.request import SignalRequest

ACCEPTED_STATUS_CODE = 202
# Recorded, not acted on: well-formed, but unacceptable now (too old, outside the session).
REFUSED_STATUS_CODE = 422


class SignalIdReused(ValidationError):
    """The strategy already has this signal_id, with other content."""


@dataclass(frozen=True, slots=True)
class SignalRecorded:
    status_code: int
    # {"signal": {...}}: the first response's body, stored with the row.
    body: dict[str, Any]
    replayed: bool


def session_of(strategy: Strategy) -> SessionWindow:
    return SessionWindow(
        days=frozenset(strategy.session_days) if strategy.session_days else None,
        start=strategy.session_start,
        end=strategy.session_end,
        timezone=strategy.session_timezone,
    )


def _summary(
    signal_row_id: uuid.UUID,
    strategy: Strategy,
    request: SignalRequest,
    received_at: datetime,
    refusal: str | None,
) -> dict[str, Any]:
    canonical = request.canonical()
    return {
        "signal": {
            "id": str(signal_row_id),
            "strategy_id": str(strategy.id),
            "signal_id": request.signal_id,
            "symbol": request.symbol,
            "action": request.action.value,
            "reference_price": canonical["reference_price"],
            "time": canonical["time"],
            "received_at": received_at.isoformat(),
            "outcome": (SignalOutcome.REFUSED if refusal else SignalOutcome.ACCEPTED).value,
            "refusal_reason": refusal,
        }
    }


async def record_signal(
    conn: AsyncConnection,
    job_app: App,
    *,
    strategy: Strategy,
    request: SignalRequest,
    received_at: datetime | None = None,
) -> SignalRecorded:
    """Raises SignalIdReused; the caller's transaction is then to be rolled back."""
    received_at = received_at or datetime.now(UTC)
    fingerprint = request.fingerprint()
    refusal = refusal_reason(
        signal_time=request.signal_time,
        received_at=received_at,
        max_age_s=strategy.max_signal_age_s,
        session=session_of(strategy),
    )
    status_code = REFUSED_STATUS_CODE if refusal else ACCEPTED_STATUS_CODE
    row_id = uuid.uuid4()
    body = _summary(row_id, strategy, request, received_at, refusal)
    inserted = await signals_repo.insert_signal(
        conn,
        signals_repo.NewSignal(
            id=row_id,
            strategy_id=strategy.id,
            client_id=strategy.client_id,
            signal_id=request.signal_id,
            fingerprint=fingerprint,
            symbol=request.symbol,
            action=request.action,
            reference_price=request.reference_price,
            signal_time=request.signal_time,
            received_at=received_at,
            outcome=SignalOutcome.REFUSED if refusal else SignalOutcome.ACCEPTED,
            refusal_reason=refusal,
            response_status=status_code,
            response_body=body,
        ),
    )
    if not inserted:
        return await _replay(conn, strategy, request, fingerprint)
    if refusal is None:
        await defer(job_app, conn, FAN_OUT_SIGNAL, signal_id=str(row_id))
    return SignalRecorded(status_code=status_code, body=body, replayed=False)


async def _replay(
    conn: AsyncConnection, strategy: Strategy, request: SignalRequest, fingerprint: bytes
) -> SignalRecorded:
    first = await signals_repo.signal_first_response(conn, strategy.id, request.signal_id)
    if first is None:  # pragma: no cover - ON CONFLICT saw a row that is gone (rolled back?)
        raise RuntimeError("signal_id conflict without a committed row")
    if first.fingerprint != fingerprint:
        raise SignalIdReused(
            f"signal_id {request.signal_id!r} was already used for a signal with other "
            "content (symbol, action, reference_price or time); send a new signal_id"
        )
    return SignalRecorded(
        status_code=first.response_status, body=first.response_body, replayed=True
    )
