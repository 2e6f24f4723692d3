"""The exchange layer's errors, and the one map from ccxt's exceptions to them.

Three outcomes matter to the order pipeline (DESIGN §4):
- transient: nothing happened at the venue; retry later;
- permanent: the venue refused for a reason retrying cannot fix; reject, never retry;
- ambiguous: the order may exist at the venue; look it up by client order id before
  anything else, never blindly re-send.

The same ccxt exception can mean different things for a read and for a send: a timeout
on `fetch_order` is transient, a timeout on `create_order` is ambiguous. So the map
holds both answers, and the call site says which kind of call it made.

Every class in `ccxt.base.errors` has an explicit row (a unit test enforces it), so a new
ccxt release that adds a class forces a decision here instead of a silent default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ccxt

from shared.domain import CallOutcome
from shared.errors import TradebridgeError
from shared.logs import redact_text

_MAX_MESSAGE = 500


class ExchangeCallError(TradebridgeError):
    outcome: CallOutcome = CallOutcome.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        error_class: str | None = None,
        venue_code: str | None = None,
        venue_wide: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.error_class = error_class or type(self).__name__
        self.venue_code = venue_code
        # Counts against the venue's circuit breaker (5xx, timeouts, 429/418), as opposed
        # to one tenant's problem (bad key, insufficient funds).
        self.venue_wide = venue_wide
        self.retry_after_s = retry_after_s


class TransientExchangeError(ExchangeCallError):
    outcome = CallOutcome.TRANSIENT


class PermanentExchangeError(ExchangeCallError):
    outcome = CallOutcome.PERMANENT


class AmbiguousExchangeError(ExchangeCallError):
    outcome = CallOutcome.AMBIGUOUS


class RateLimitedError(TransientExchangeError):
    """429/418 or our own shared request budget: wait `retry_after_s`."""


class CircuitOpenError(TransientExchangeError):
    """The venue's breaker is open: the call was not made. Re-schedule, do not fail."""


class NotSupportedError(PermanentExchangeError):
    """This venue (or our connector for it) has no such call: nothing was sent."""

    def __init__(self, venue: str, feature: str) -> None:
        super().__init__(f"{venue}: {feature} not supported", reason="not_supported")


class OrderNotFoundError(PermanentExchangeError):
    """The venue does not know the order (a lookup's 'no', a cancel of an unknown id)."""


@dataclass(frozen=True)
class Rule:
    on_read: CallOutcome
    on_send: CallOutcome
    reason: str
    venue_wide: bool = False


T, P, A = CallOutcome.TRANSIENT, CallOutcome.PERMANENT, CallOutcome.AMBIGUOUS

# ccxt class → what it means for a read and for a send. Most specific classes win (MRO).
CCXT_RULES: dict[type[ccxt.BaseError], Rule] = {
    ccxt.BaseError: Rule(T, A, "unknown_error"),
    ccxt.ExchangeError: Rule(T, A, "venue_error"),  # an unmapped venue code: look first
    ccxt.ArgumentsRequired: Rule(P, P, "bad_request"),
    ccxt.AuthenticationError: Rule(P, P, "auth"),
    ccxt.AccountSuspended: Rule(P, P, "account_suspended"),
    ccxt.PermissionDenied: Rule(P, P, "permission_denied"),
    ccxt.AccountNotEnabled: Rule(P, P, "account_not_enabled"),
    ccxt.BadRequest: Rule(P, P, "bad_request"),
    ccxt.BadSymbol: Rule(P, P, "bad_symbol"),
    ccxt.ExchangeClosedByUser: Rule(T, T, "client_closed"),  # our shutdown; nothing sent
    ccxt.InsufficientFunds: Rule(P, P, "insufficient_funds"),
    ccxt.InvalidAddress: Rule(P, P, "invalid_address"),
    ccxt.AddressPending: Rule(T, T, "address_pending"),
    ccxt.InvalidOrder: Rule(P, P, "invalid_order"),
    ccxt.ContractUnavailable: Rule(P, P, "contract_unavailable"),
    # An *open* order already carries this client id: most likely our own earlier attempt.
    ccxt.DuplicateOrderId: Rule(P, A, "duplicate_client_order_id"),
    ccxt.OrderImmediatelyFillable: Rule(P, P, "would_cross"),
    ccxt.OrderNotCached: Rule(T, T, "order_not_cached"),
    ccxt.OrderNotFillable: Rule(P, P, "not_fillable"),
    ccxt.OrderNotFound: Rule(P, P, "order_not_found"),
    ccxt.InvalidProxySettings: Rule(P, P, "configuration"),
    ccxt.NotSupported: Rule(P, P, "not_supported"),
    ccxt.OperationRejected: Rule(P, P, "operation_rejected"),
    ccxt.ManualInteractionNeeded: Rule(P, P, "manual_interaction_needed"),
    ccxt.MarketClosed: Rule(P, P, "market_closed"),
    ccxt.NoChange: Rule(P, P, "no_change"),
    ccxt.MarginModeAlreadySet: Rule(P, P, "no_change"),
    ccxt.RestrictedLocation: Rule(P, P, "restricted_location"),
    ccxt.OperationFailed: Rule(T, A, "operation_failed", venue_wide=True),
    # A garbled answer: the request may well have been executed.
    ccxt.BadResponse: Rule(T, A, "bad_response", venue_wide=True),
    ccxt.NullResponse: Rule(T, A, "bad_response", venue_wide=True),
    ccxt.CancelPending: Rule(T, T, "cancel_pending"),
    ccxt.NetworkError: Rule(T, A, "network", venue_wide=True),
    # 418/429 are refusals before processing (Binance documents them so): not sent.
    ccxt.DDoSProtection: Rule(T, T, "ip_banned", venue_wide=True),
    ccxt.RateLimitExceeded: Rule(T, T, "rate_limited", venue_wide=True),
    # 5xx: Binance says the execution status of a 503 is unknown.
    ccxt.ExchangeNotAvailable: Rule(T, A, "venue_unavailable", venue_wide=True),
    ccxt.OnMaintenance: Rule(T, T, "maintenance", venue_wide=True),
    ccxt.InvalidNonce: Rule(T, T, "clock_skew"),  # refused on timestamp; our clock, not theirs
    ccxt.ChecksumError: Rule(T, T, "checksum"),
    ccxt.RequestTimeout: Rule(T, A, "timeout", venue_wide=True),
    ccxt.UnsubscribeError: Rule(T, T, "unsubscribe"),
}

# Where ccxt's class is too coarse for a venue's answer: (venue, text in the error) → rule.
VENUE_OVERRIDES: dict[tuple[str, str], Rule] = {
    # Binance -2010 "Duplicate order sent.": an OPEN order already has this client id.
    # ccxt raises a plain InvalidOrder; for a send it means "probably ours: look it up".
    ("binance", "Duplicate order sent."): Rule(P, A, "duplicate_client_order_id"),
    # -2015 is one tenant's bad key; ccxt sometimes raises DDoSProtection for it (after an
    # earlier successful call on the same client), which must not open the venue breaker.
    ("binance", "Invalid API-key, IP, or permissions"): Rule(P, P, "auth"),
}

# Where the HTTP status says more than ccxt's class or the text, it wins over both. Binance
# ("LIMITS"): 429 = a request limit broken, back off for Retry-After; 418 = the IP is
# banned for going on after 429s. ccxt raises DDoSProtection for both, with texts that
# vary (both mention WebSocket streams), so only the status tells them apart. Refused
# before processing, so not sent.
STATUS_RULES: dict[int, Rule] = {
    429: Rule(T, T, "rate_limited", venue_wide=True),
    418: Rule(T, T, "ip_banned", venue_wide=True),
}

_CLASS_FOR_OUTCOME: dict[CallOutcome, type[ExchangeCallError]] = {
    CallOutcome.TRANSIENT: TransientExchangeError,
    CallOutcome.PERMANENT: PermanentExchangeError,
    CallOutcome.AMBIGUOUS: AmbiguousExchangeError,
}

_VENUE_CODE = re.compile(r'"code"\s*:\s*"?(-?\w+)"?')


def rule_for(exc_type: type[BaseException]) -> Rule:
    for klass in exc_type.__mro__:
        rule = CCXT_RULES.get(klass)
        if rule is not None:
            return rule
    return CCXT_RULES[ccxt.BaseError]


def classify_ccxt_error(
    exc: ccxt.BaseError,
    *,
    sends_order: bool,
    venue: str | None = None,
    http_status: int | None = None,
    retry_after_s: float | None = None,
    venue_code: str | None = None,
) -> ExchangeCallError:
    """The project error for a ccxt exception raised by a read (or by a send).

    `http_status`, `retry_after_s` and `venue_code` come from the failed call's own answer
    (None when it got none); the venue code falls back to the one in ccxt's message.
    """
    text = str(exc)
    rule = STATUS_RULES.get(http_status) if http_status is not None else None
    if rule is None:
        rule = next(
            (r for (v, needle), r in VENUE_OVERRIDES.items() if v == venue and needle in text),
            rule_for(type(exc)),
        )
    code_match = _VENUE_CODE.search(text)
    return error_for_rule(
        rule,
        sends_order=sends_order,
        message=text,
        error_class=type(exc).__name__,
        venue_code=venue_code or (code_match.group(1) if code_match else None),
        retry_after_s=retry_after_s,
        not_found=isinstance(exc, ccxt.OrderNotFound),
    )


def error_for_rule(
    rule: Rule,
    *,
    sends_order: bool,
    message: str,
    error_class: str,
    venue_code: str | None = None,
    retry_after_s: float | None = None,
    not_found: bool = False,
) -> ExchangeCallError:
    """The project error a venue's answer maps to, once its rule is known: the one
    constructor the ccxt map and the native connectors' tables share."""
    outcome = rule.on_send if sends_order else rule.on_read
    klass: type[ExchangeCallError]
    if not_found or rule.reason == "order_not_found":
        klass = OrderNotFoundError
    elif rule.reason in ("rate_limited", "ip_banned"):
        klass = RateLimitedError
    else:
        klass = _CLASS_FOR_OUTCOME[outcome]
    return klass(
        redact_text(message)[:_MAX_MESSAGE],
        reason=rule.reason,
        error_class=error_class,
        venue_code=venue_code,
        venue_wide=rule.venue_wide,
        retry_after_s=retry_after_s,
    )
