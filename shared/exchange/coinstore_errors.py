"""Coinstore's error codes → what they mean for a read and for a send.

Source: the official API documentation (coinstore-openapi.github.io, "Error Code",
"Error Message" and "Fund transfer" sections; repository coinstore-openapi/
coinstore-openapi.github.io, last checked at its 2025-07-01 revision). Coinstore answers
`{"code": ..., "message"|"msg": ..., "data": ...}`; `code` 0 (sometimes the string "0")
is success, any other value a failure. Every code the documentation names has a row
here; a code missing from the table is UNKNOWN_CODE in shared.exchange.native (transient
for a read, ambiguous for a send: look the order up before any re-send).

Codes the documentation gives once per meaning share a row: 401 and 1401 cover several
causes each (a deleted sub-account, an IP not on the key's allow-list, a failed
signature), all of them one tenant's key problem, never the venue's: permanent, and not
venue-wide (a bad key must not open the breaker for every other credential).
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain import CallOutcome
from shared.exchange.errors import Rule

T, P, A = CallOutcome.TRANSIENT, CallOutcome.PERMANENT, CallOutcome.AMBIGUOUS

# Codes in the body of an answer (HTTP 200 or an error status).
CODE_RULES: Mapping[int, Rule] = {
    # signature-failed: the main account froze the sub-account, the sub-account was
    # deleted, or the API key is wrong.
    401: Rule(P, P, "auth"),
    # unauthorized: IP not on the allow-list, signature failure, login token expired.
    1401: Rule(P, P, "auth"),
    3005: Rule(P, P, "auth"),  # signature error: the signature could not be generated
    3011: Rule(P, P, "bad_symbol"),  # symbol not found: the pair is not listed
    3012: Rule(P, P, "permission_denied"),  # part-trade-limit: barred from this pair
    3013: Rule(P, P, "permission_denied"),  # trade-limit: no spot trading qualification
    3014: Rule(P, P, "permission_denied"),  # user-trade-limit: sub-account, no spot trading
    3015: Rule(P, P, "permission_denied"),  # user-part-trade-limit: sub-account, this pair
    3103: Rule(P, P, "order_not_found"),  # order not found or not this account's
    # duplicate-order: a client order id already in use. On a send it is most likely our
    # own earlier attempt that did arrive: look it up, never reject blindly.
    3111: Rule(P, A, "duplicate_client_order_id"),
    3113: Rule(P, P, "insufficient_funds"),  # account-insufficient
    6001: Rule(P, P, "permission_denied"),  # sub-user-operator-business-error
    # Documented for the fund transfer endpoint only (we never call it); kept so a
    # venue that starts answering them elsewhere still gets an explicit decision.
    101040502: Rule(P, P, "bad_request"),  # request field missing / unsupported currency
    102150400: Rule(P, P, "bad_request"),  # incorrect transfer quantity / transfer fail
    # "Possible insufficient balance, duplicate orders": a duplicate may be ours.
    102150808: Rule(P, A, "insufficient_funds"),
}

# HTTP statuses the documentation names ("Error Message"), for answers whose body carries
# no code we know. 429 and 5xx are classified by the base (shared.exchange.native).
STATUS_RULES: Mapping[int, Rule] = {
    400: Rule(P, P, "bad_request"),  # invalid request format: refused before processing
    401: Rule(P, P, "auth"),  # signature failed, invalid API key
    404: Rule(P, P, "configuration"),  # service not found: a wrong path is our bug
}

SUCCESS = 0
