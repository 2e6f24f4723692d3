"""Each ccxt call's own HTTP answer, carried by the exception that call raised.

All jobs of a credential share one ccxt client, and ccxt keeps only a client's *last*
answer (`last_http_response`, `last_json_response`, `last_response_headers`): with calls
in flight at once, that is often another call's answer (a timed-out send recorded with
the code of someone else's 429). ccxt hands the failing call's own status, headers and
body to `handle_errors` while it raises, so our client class attaches them to the
exception right there. A call that got no answer (timeout, dropped connection, refused
by ccxt before sending) carries none: no venue code, no Retry-After.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async

_ATTRIBUTE = "tradebridge_venue_response"


@dataclass(frozen=True)
class VenueResponse:
    """The answer a failed call got: HTTP status, headers and decoded JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any

    @property
    def venue_code(self) -> str | None:
        """The venue's own error code (`{"code": -1003, "msg": ...}`)."""
        if isinstance(self.body, dict) and self.body.get("code") is not None:
            return str(self.body["code"])
        return None

    @property
    def retry_after_s(self) -> float | None:
        for name, value in self.headers.items():
            if name.lower() == "retry-after":
                try:
                    return float(value)
                except (TypeError, ValueError):
                    return None  # an HTTP date: the caller's default applies
        return None


def response_of(exc: BaseException) -> VenueResponse | None:
    """The answer behind a ccxt exception, or None when the call got no answer."""
    found = getattr(exc, _ATTRIBUTE, None)
    return found if isinstance(found, VenueResponse) else None


class _AttachesResponses(ccxt_async.Exchange):  # type: ignore[misc]
    """Mixed in ahead of a venue's ccxt class; see the module docstring."""

    def handle_errors(
        self,
        code: int,
        reason: str,
        url: str,
        method: str,
        headers: Mapping[str, str] | None,
        body: str,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> Any:
        try:
            result = super().handle_errors(
                code, reason, url, method, headers, body, response, request_headers, request_body
            )
            if code >= 400:
                # What ccxt's fetch does next for an error status the venue's handler let
                # through; done here so this answer travels with that exception too.
                self.handle_http_status_code(code, reason, url, method, body)
            return result
        except ccxt.BaseError as exc:
            setattr(exc, _ATTRIBUTE, VenueResponse(code, dict(headers or {}), response))
            raise


@cache
def ccxt_client_class(venue: str) -> type[ccxt_async.Exchange] | None:
    """The async ccxt class of `venue` whose exceptions carry their own answer (None
    when ccxt has no such venue)."""
    base = getattr(ccxt_async, venue, None)
    if not (isinstance(base, type) and issubclass(base, ccxt_async.Exchange)):
        return None
    # Same name as ccxt's class: ccxt and logs that print it see nothing new.
    return type(base.__name__, (_AttachesResponses, base), {"__module__": __name__})
