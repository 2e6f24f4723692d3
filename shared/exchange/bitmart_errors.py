"""BitMart's response codes → what each means for a read and for a send.

Source: BitMart's "Error Code" list (developer-pro.bitmart.com/en/spot/#error-code): the
authentication codes (30xxx), the spot and margin codes (50xxx-59xxx), the spot public
codes (70xxx, 71xxx) and the funding account codes (60xxx, 61xxx), since the account
endpoints share the envelope. The futures codes (40xxx) belong to another API we never
call and are left out: one of them arriving is an unknown code (look before a re-send).

Every answer carries `{"code", "message", "trace", "data"}`; 1000 is success. A code not
in this table is treated as UNKNOWN_CODE: transient for a read, ambiguous for a send.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain import CallOutcome
from shared.exchange.errors import Rule

T, P, A = CallOutcome.TRANSIENT, CallOutcome.PERMANENT, CallOutcome.AMBIGUOUS

SUCCESS = 1000

_AUTH = Rule(P, P, "auth")
_BAD_REQUEST = Rule(P, P, "bad_request")
_BAD_SYMBOL = Rule(P, P, "bad_symbol")
_INVALID_ORDER = Rule(P, P, "invalid_order")
_NOT_FOUND = Rule(P, P, "order_not_found")
_FUNDS = Rule(P, P, "insufficient_funds")
_DENIED = Rule(P, P, "permission_denied")
_SUSPENDED = Rule(P, P, "account_suspended")
_MARGIN = Rule(P, P, "margin_rejected")  # margin/loan rules: we trade spot only
_FUNDING = Rule(P, P, "funding_rejected")  # deposit/withdraw/transfer rules
# A 5xx-class failure inside BitMart: a send may have been executed before it broke.
_INTERNAL = Rule(T, A, "venue_unavailable", venue_wide=True)

BITMART_RULES: Mapping[int, Rule] = {
    # -- authentication and access (HTTP 401/403/429/503) ------------------------------
    30000: Rule(P, P, "configuration"),  # 404 Not found: a path we should not call
    30001: _AUTH,  # Header X-BM-KEY is empty
    30002: _AUTH,  # Header X-BM-KEY not found
    30003: _SUSPENDED,  # Header X-BM-KEY has frozen
    30004: _AUTH,  # Header X-BM-SIGN is empty
    30005: _AUTH,  # Header X-BM-SIGN is wrong
    30006: _AUTH,  # Header X-BM-TIMESTAMP is empty
    # Header X-BM-TIMESTAMP range. Within a minute: refused before processing, and our
    # clock's fault, not the key's (DESIGN: InvalidNonce is transient).
    30007: Rule(T, T, "clock_skew"),
    30008: _AUTH,  # Header X-BM-TIMESTAMP invalid format
    30010: Rule(P, P, "ip_not_allowed"),  # IP is forbidden (the key's IP allow-list)
    30011: _AUTH,  # Header X-BM-KEY over expire time
    30012: _DENIED,  # Header X-BM-KEY is forbidden to request it
    30013: Rule(T, T, "rate_limited", venue_wide=True),  # 429 Request too many requests
    30014: _INTERNAL,  # 503 Service unavailable
    30016: Rule(T, T, "maintenance", venue_wide=True),  # Service maintenance
    # 418: requests temporarily rejected for breaking the rate limits.
    30017: Rule(T, T, "ip_banned", venue_wide=True),
    30018: _BAD_REQUEST,  # Request Body requires JSON format
    30019: _DENIED,  # You do not have the permissions to perform this operation
    # -- spot and margin (HTTP 400 unless noted) ---------------------------------------
    50000: _BAD_REQUEST,  # Bad Request
    50001: _BAD_SYMBOL,  # Symbol not found
    50002: _BAD_REQUEST,  # From Or To format error
    50003: _BAD_REQUEST,  # Step format error
    50004: _BAD_REQUEST,  # Kline size over 500
    50005: _NOT_FOUND,  # Order Id not found
    50006: _INVALID_ORDER,  # Minimum size is %s
    50007: _INVALID_ORDER,  # Maximum size is %s
    50008: _INVALID_ORDER,  # Minimum price is %s
    50009: _INVALID_ORDER,  # Minimum count*price is %s
    50010: _INVALID_ORDER,  # RequestParam size is required
    50011: _INVALID_ORDER,  # RequestParam price is required
    50012: _INVALID_ORDER,  # RequestParam notional is required
    50013: _BAD_REQUEST,  # Maximum limit*offset is %d
    50014: _BAD_REQUEST,  # RequestParam limit is required
    50015: _BAD_REQUEST,  # Minimum limit is 1
    50016: _BAD_REQUEST,  # Maximum limit is %d
    50017: _BAD_REQUEST,  # RequestParam offset is required
    50018: _BAD_REQUEST,  # Minimum offset is 1
    50019: _BAD_REQUEST,  # Invalid status
    50020: _FUNDS,  # Balance not enough
    50021: _BAD_REQUEST,  # Invalid %s
    # Service unavailable (sent with HTTP 400): the order service failed; a send may
    # have gone through.
    50022: _INTERNAL,
    50023: Rule(P, P, "market_closed"),  # This Symbol can't place order by api
    50024: _BAD_REQUEST,  # Order book size over 200
    50025: _INVALID_ORDER,  # Maximum price is %s
    50026: _INVALID_ORDER,  # The buy order price cannot be higher than the open price
    50027: _INVALID_ORDER,  # The sell order price cannot be lower than the open price
    50028: _BAD_REQUEST,  # Missing parameters
    50029: _INVALID_ORDER,  # param not match : size * price >= %s
    # The order is no longer open: a cancel's "unknown order", answered with a lookup.
    50030: _NOT_FOUND,  # Order is already canceled
    50031: _NOT_FOUND,  # Order is already completed
    50032: _NOT_FOUND,  # Order does not exist
    50033: _BAD_REQUEST,  # The order quantity should be greater than 0 and at most 10
    # A limit_maker that would take, or an ioc with nothing to take at its price.
    50034: Rule(P, P, "would_cross"),  # The price is high and there is no matching depth
    50035: Rule(P, P, "would_cross"),  # The price is low and there is no matching depth
    50036: _NOT_FOUND,  # Cancel failed, order is not revocable status
    50037: _BAD_REQUEST,  # The maximum length of clientOrderId cannot exceed 32
    50038: _BAD_REQUEST,  # ClientOrderId only allows a combination of numbers and letters
    50039: _BAD_REQUEST,  # Order_id and clientOrderId cannot be empty at the same time
    50040: _BAD_SYMBOL,  # Symbol Not Available
    50041: _BAD_REQUEST,  # Out of query time range
    # clientOrderId is duplicate: most likely our own earlier attempt of this order.
    50042: Rule(P, A, "duplicate_client_order_id"),
    51000: _BAD_SYMBOL,  # Currency not found
    51001: _MARGIN,  # Margin Account not Opened
    51002: _MARGIN,  # Margin Account Not Available
    51003: _MARGIN,  # Account Limit
    51004: _MARGIN,  # Exceed the maximum number of borrows available
    51005: _MARGIN,  # Less than the minimum borrowable amount
    51006: _MARGIN,  # Exceeds the amount to be repaid
    51007: _BAD_REQUEST,  # order_mode not found
    # Operation is limited, please try again later: refused, this account only.
    51008: Rule(T, T, "operation_limited"),
    51009: _INVALID_ORDER,  # quantity below the minimum to buy/sell
    51010: _INVALID_ORDER,  # limit price below the minimum buy price
    51011: _INVALID_ORDER,  # param not match : size * price >= %s
    51012: _INVALID_ORDER,  # market buy amount below the minimum
    51013: _INVALID_ORDER,  # limit quantity * price below the minimum amount
    51014: _INVALID_ORDER,  # market buy below the minimum buyable amount
    51015: _INVALID_ORDER,  # market buy price too small
    52000: _BAD_REQUEST,  # Unsupported OrderMode Type
    52001: _BAD_REQUEST,  # Unsupported Trade Type
    52002: _BAD_REQUEST,  # Unsupported Side Type
    52003: _BAD_REQUEST,  # Unsupported Query State Type
    52004: _BAD_REQUEST,  # End time must be greater than or equal to Start time
    53000: _SUSPENDED,  # 403 account frozen due to security policies
    53001: _SUSPENDED,  # 403 KYC country restricted
    53002: _DENIED,  # 403 KYC advanced certification missing
    53003: _DENIED,  # 403 No permission, please contact the main account
    53005: _DENIED,  # 403 Don't have permission to access the interface
    53006: _DENIED,  # 403 personal verification (Starter) missing
    53007: _DENIED,  # 403 personal verification (Advanced) missing
    53008: _DENIED,  # 403 Services not available in your country
    53009: _DENIED,  # 403 QR code certification missing
    53010: _DENIED,  # 403 This account is restricted from borrowing
    57001: _BAD_REQUEST,  # 405 Method Not Allowed
    58001: _BAD_REQUEST,  # 415 Unsupported Media Type
    59001: _AUTH,  # 500 User account not found: the key names no account
    59002: _INTERNAL,  # 500 Internal Server Error
    59003: _INTERNAL,  # 500 Spot wallet call fail
    59004: _INTERNAL,  # 500 Margin wallet service call exception
    59005: _MARGIN,  # 500 Margin wallet service restricted
    59006: _INTERNAL,  # 500 Transfer fail
    59007: _INTERNAL,  # 500 Get symbol risk data fail
    59008: _INTERNAL,  # 500 Trading order failure
    59009: _INTERNAL,  # 500 Loan success, but trading order failure
    59010: _MARGIN,  # 500 Insufficient loan amount
    59011: _INTERNAL,  # 500 The Get Wallet Balance service call fail
    # -- funding account (account endpoints; HTTP 400/403/405/415/500) -----------------
    60000: _BAD_REQUEST,  # Invalid request
    60001: _BAD_REQUEST,  # Asset account type does not exist
    60002: _BAD_REQUEST,  # currency does not exist
    60003: _FUNDING,  # Currency has been closed recharge channel
    60004: _FUNDING,  # Currency has been closed withdraw channel
    60005: _FUNDING,  # Minimum amount is %s
    60006: _FUNDING,  # Maximum withdraw precision is %d
    60007: _FUNDING,  # Only withdrawals from added addresses are allowed
    60008: _FUNDS,  # Balance not enough
    60009: _FUNDING,  # Beyond the limit
    60010: _FUNDING,  # Withdraw id or deposit id not found
    60011: _FUNDING,  # Address is not valid
    60012: _FUNDING,  # This action is not supported in this currency
    60020: _DENIED,  # Your account is not allowed to recharge
    60021: _DENIED,  # Your account is not allowed to withdraw
    60022: _DENIED,  # No withdrawals for 24 hours
    60026: _DENIED,  # Sub-account does not have permission to operate
    60027: _DENIED,  # Only supports sub-account calls
    60028: _SUSPENDED,  # Account is disabled for security reasons
    60029: _SUSPENDED,  # The account is frozen by the master account
    60030: _BAD_REQUEST,  # 405 Method Not Allowed
    60031: _BAD_REQUEST,  # 415 Unsupported Media Type
    60050: _AUTH,  # 500 User account not found
    60051: _INTERNAL,  # 500 Internal Server Error
    61001: _FUNDS,  # Balance not enough
    61003: _FUNDING,  # sub-account not found
    61004: _FUNDING,  # Duplicate requests (an existing requestNo)
    61005: _FUNDING,  # Asset transfer between accounts is not available
    61006: _FUNDING,  # The sub-account api only supports organization accounts
    61007: _FUNDING,  # Institution verification needed for withdrawals
    61008: _FUNDING,  # Suspend transfer out
    # -- spot public data (HTTP 200) ---------------------------------------------------
    70000: _BAD_REQUEST,  # no data
    70001: _BAD_REQUEST,  # request param can not be null
    70002: _BAD_SYMBOL,  # symbol is invalid
    70003: Rule(T, A, "network", venue_wide=True),  # net error, please try later
    71001: _BAD_REQUEST,  # after is invalid
    71002: _BAD_REQUEST,  # before is invalid
    71003: _BAD_REQUEST,  # request after or before is invalid
    71004: _BAD_REQUEST,  # request kline count limit
    71005: _BAD_REQUEST,  # request step error
}
